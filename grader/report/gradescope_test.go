package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
)

// The keys Gradescope's autograder specification documents for results.json
// and for one test; anything else is a typo Gradescope would ignore silently.
var (
	gradescopeTop      = map[string]bool{"score": true, "execution_time": true, "output": true, "output_format": true, "test_output_format": true, "test_name_format": true, "visibility": true, "stdout_visibility": true, "extra_data": true, "tests": true, "leaderboard": true}
	gradescopeTestKeys = map[string]bool{"score": true, "max_score": true, "status": true, "name": true, "name_format": true, "number": true, "output": true, "output_format": true, "tags": true, "visibility": true, "extra_data": true}
	visibilities       = map[string]bool{"hidden": true, "after_due_date": true, "after_published": true, "visible": true}
)

func TestGradescopeShape(t *testing.T) {
	rs := append([]grader.Result{}, results...)
	rs = append(rs, grader.Result{Lab: "lab3", CheckID: "parts", Title: "Parts", Status: grader.Fail, Points: 1.0 / 3, Max: 1,
		Reason: "1 of 3 parts failed", Parts: []grader.Part{{Name: "a", Passed: true}, {Name: "b", Detail: "missing"}}, Evidence: []string{"saw x"}})
	var buf bytes.Buffer
	require.NoError(t, Gradescope(&buf, rs, 1500*time.Millisecond))

	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	for k := range raw {
		assert.True(t, gradescopeTop[k], "unknown top-level key %q", k)
	}
	var doc struct {
		Score         *float64         `json:"score"`
		ExecutionTime *float64         `json:"execution_time"`
		Output        string           `json:"output"`
		Visibility    string           `json:"visibility"`
		Stdout        string           `json:"stdout_visibility"`
		Tests         []map[string]any `json:"tests"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.NotNil(t, doc.Score)
	assert.InDelta(t, 2.33, *doc.Score, 0.001, "score: the passing 2 plus a third of a point, errors charged nothing")
	require.NotNil(t, doc.ExecutionTime)
	assert.Equal(t, 2.0, *doc.ExecutionTime, "1.5 s rounds up to whole seconds")
	assert.True(t, visibilities[doc.Visibility], "visibility %q", doc.Visibility)
	assert.True(t, visibilities[doc.Stdout], "stdout_visibility %q", doc.Stdout)
	assert.Contains(t, doc.Output, "1 could not be decided")
	require.Len(t, doc.Tests, len(rs))

	for i, tc := range doc.Tests {
		for k := range tc {
			assert.True(t, gradescopeTestKeys[k], "test %d: unknown key %q", i, k)
		}
		assert.Contains(t, []any{"passed", "failed"}, tc["status"], "test %d status", i)
		assert.IsType(t, "", tc["name"], "test %d name", i)
	}
	want := []struct {
		name, status string
		score, max   any
		output       any
	}{
		{"lab1/exists: Table exists", "passed", 2.0, 2.0, nil},
		{"lab1/pitr: PITR on", "failed", 0.0, 1.0, "PITR is DISABLED\nhint: durability matters\nhint: aws dynamodb update-continuous-backups"},
		{"lab2/api: API", "failed", nil, nil, "The grader could not decide: throttled\nThis costs no points."},
		{"lab2/routes: Routes", "failed", 0.0, 2.0, "Skipped: needs api"},
		{"lab3/parts: Parts", "failed", 0.33, 1.0, "1 of 3 parts failed\n- b missing\nsaw x"},
	}
	for i, w := range want {
		tc := doc.Tests[i]
		assert.Equal(t, w.name, tc["name"])
		assert.Equal(t, w.status, tc["status"], w.name)
		assert.Equal(t, w.score, tc["score"], w.name)
		assert.Equal(t, w.max, tc["max_score"], w.name)
		assert.Equal(t, w.output, tc["output"], w.name)
	}
}

func TestGradescopeEmptyHasTestsArray(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Gradescope(&buf, nil, 0))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
	assert.JSONEq(t, `[]`, string(raw["tests"]))
	assert.JSONEq(t, `0`, string(raw["score"]))
}

func TestGradescopeRefusedSaysWhy(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, GradescopeRefused(&buf, "function code x has no bootstrap", 2*time.Second))
	var doc GradescopeResults
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.NotNil(t, doc.Score)
	assert.Equal(t, 0.0, *doc.Score)
	assert.Empty(t, doc.Tests)
	assert.Equal(t, "Your submission could not be graded: function code x has no bootstrap", doc.Output)
}
