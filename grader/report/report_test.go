package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

var results = []grader.Result{
	{Lab: "lab1", CheckID: "exists", Title: "Table exists", Status: grader.Pass, Points: 2, Max: 2, Duration: 3 * time.Millisecond},
	{Lab: "lab1", CheckID: "pitr", Title: "PITR on", Status: grader.Fail, Max: 1, Reason: "PITR is DISABLED", Hints: []string{"durability matters", "aws dynamodb update-continuous-backups"}},
	{Lab: "lab2", CheckID: "api", Title: "API", Status: grader.Error, Max: 3, Reason: "throttled"},
	{Lab: "lab2", CheckID: "routes", Title: "Routes", Status: grader.Skipped, Max: 2, Reason: "needs api"},
}

func TestTextShowsVerdictsAndFirstHint(t *testing.T) {
	var buf bytes.Buffer
	tx := &Text{W: &buf}
	for _, r := range results {
		tx.Result(r)
	}
	tx.Summary(results)
	out := buf.String()
	for _, want := range []string{"PASS  lab1/exists", "FAIL  lab1/pitr", "PITR is DISABLED", "hint: durability matters", "(more help: --hints)", "ERROR", "costs no points", "SKIP", "1 passed, 1 failed, 1 could not be decided, 1 skipped  score 2/5"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "update-continuous-backups") {
		t.Errorf("second hint shown without AllHints:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour codes without Color")
	}
}

func TestJSONRoundTrips(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, results); err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 4 || doc.Summary.Failed != 1 || doc.Results[1].Hints[1] != "aws dynamodb update-continuous-backups" {
		t.Errorf("got %+v", doc)
	}
}

func TestJUnitCountsPerLab(t *testing.T) {
	var buf bytes.Buffer
	if err := JUnit(&buf, results); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Fails != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Errorf("got tests=%d failures=%d errors=%d skipped=%d suites=%d", doc.Tests, doc.Fails, doc.Errors, doc.Skipped, len(doc.Suites))
	}
	if doc.Suites[0].Cases[1].Failure == nil || doc.Suites[0].Cases[1].Failure.Message != "PITR is DISABLED" {
		t.Errorf("failure case: %+v", doc.Suites[0].Cases[1])
	}
}
