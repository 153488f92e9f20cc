package class_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/class"
)

// TestOutputsCarryNoTerminalControls: a learner's API that answers with
// escape sequences ends up in a not-graded learner's message (the first
// undecided check's reason). The progress line the instructor watches, the
// summary and the gradebook keep its text without the controls.
func TestOutputsCarryNoTerminalControls(t *testing.T) {
	run := sampleRun(t)
	run.Learners[2].Status = class.StatusGraderError
	run.Learners[2].Message = "1 check could not be decided (first: lab2/order-accepted: POST /orders: 502 \x1b[2J\x1b[32mall graded\x1b[0m\x1b]0;x\x07 \u202eok)"

	var progress bytes.Buffer
	p := &class.Progress{W: &progress, Total: 3}
	for _, l := range run.Learners {
		p.Learner(l)
	}
	var summary bytes.Buffer
	class.WriteSummary(&summary, run, nil)
	dir := t.TempDir()
	require.NoError(t, class.Write(dir, run, nil))
	gradebook, err := os.ReadFile(filepath.Join(dir, "gradebook.csv"))
	require.NoError(t, err)

	for name, out := range map[string]string{"progress": progress.String(), "summary": summary.String(), "gradebook": string(gradebook)} {
		assert.NotContains(t, out, "\x1b", "%s holds an ESC byte", name)
		assert.NotContains(t, out, "\u202e", "%s holds a bidi override", name)
		assert.Contains(t, out, "502 all graded ok", "%s lost the readable text", name)
	}
}
