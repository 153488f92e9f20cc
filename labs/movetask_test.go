package labs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
)

// itemStart starts a chunk of a lab's text: a heading or a numbered item.
var itemStart = regexp.MustCompile(`(?m)^(## |\d+\. )`)

// cliVersionBound is a claim about which AWS CLI versions have a command.
var cliVersionBound = regexp.MustCompile(`(?i)(aws[- ]cli/?|CLI) ?2\.1\d`)

// TestMoveTaskComesWithItsFallback: `aws sqs start-message-move-task` is
// missing from older AWS CLIs (Debian 12's 2.9 answers "Invalid choice"), so
// wherever a lab step or a check's hint gives it, the same item gives the
// way without it (receive-message, send-message, delete-message) and the
// symptom that says which to use (issue 11 item 3). The text names the
// symptom, not a version boundary it cannot check.
func TestMoveTaskComesWithItsFallback(t *testing.T) {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		t.Fatal(err)
	}
	lib := checks.Library()
	fallback := []string{"Invalid choice", "receive-message", "send-message", "delete-message"}
	seen := 0
	for _, l := range cat.Labs {
		body := string(l.Body)
		starts := append(itemStart.FindAllStringIndex(body, -1), []int{len(body), len(body)})
		var texts []string
		for i := 0; i+1 < len(starts); i++ {
			texts = append(texts, body[starts[i][0]:starts[i+1][0]])
		}
		if m, err := grader.LoadManifest(labs.Content, l.ManifestPath(), lib); err == nil {
			for _, c := range m.Checks {
				texts = append(texts, c.Hints...)
			}
		}
		for _, text := range texts {
			if !strings.Contains(text, "start-message-move-task") {
				continue
			}
			seen++
			if v := cliVersionBound.FindString(text); v != "" {
				t.Errorf("%s names an AWS CLI version bound for the move task (%q): say the symptom (Invalid choice) instead:\n%s", l.Dir, v, text)
			}
			for _, want := range fallback {
				if !strings.Contains(text, want) {
					t.Errorf("%s gives start-message-move-task without %q next to it:\n%s", l.Dir, want, text)
				}
			}
		}
	}
	if seen < 3 {
		t.Errorf("start-message-move-task found in %d items, want lab 4's redrive, lab 5's and the failures check's hint", seen)
	}
}
