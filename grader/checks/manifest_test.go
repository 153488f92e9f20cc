package checks_test

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
)

// steps are the step ids of LABCONTRACT.md, by lab.
var steps = map[string][]string{
	"lab1": {"create-table", "durability"},
	"lab2": {"roles", "functions", "api", "try-it"},
	"lab3": {"stream", "topic-queues", "publisher", "try-it"},
	"lab4": {"downstream", "workers", "failures"},
	"lab5": {"logs", "spike", "alarms"},
}

func loadManifests(t testing.TB) map[string]*grader.Manifest {
	t.Helper()
	fsys := os.DirFS("../../labs")
	files, err := fs.Glob(fsys, "week1/*/checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*grader.Manifest{}
	for _, f := range files {
		m, err := grader.LoadManifest(fsys, f, checks.Library())
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
		out[m.Lab] = m
	}
	return out
}

func TestManifests(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	for lab := range steps {
		if ms[lab] == nil {
			t.Errorf("no manifest for %s", lab)
		}
	}
	for lab, m := range ms {
		used := map[string]bool{}
		for _, c := range m.Checks {
			used[c.Step] = true
			if !slices.Contains(steps[lab], c.Step) {
				t.Errorf("%s: check %s: step %q is not one of %v", c.Pos, c.ID, c.Step, steps[lab])
			}
			if len(c.Hints) != 2 {
				t.Errorf("%s: check %s: got %d hints, want 2 (a nudge, then a direct pointer)", c.Pos, c.ID, len(c.Hints))
			}
			if c.Proves == "" || c.Points <= 0 {
				t.Errorf("%s: check %s: want proves and points", c.Pos, c.ID)
			}
			if c.Kind.Functional {
				if c.Timeout == 0 {
					t.Errorf("%s: functional check %s has no timeout", c.Pos, c.ID)
				}
				if !strings.Contains(strings.Join(c.Hints, " "), "TODO(lab") {
					t.Errorf("%s: functional check %s: no hint points at a starter TODO", c.Pos, c.ID)
				}
			}
		}
		for _, s := range steps[lab] {
			if !used[s] {
				t.Errorf("%s: step %s has no check", path.Base(m.Path), s)
			}
		}
	}
}

// TestCallsAreIAMActions keeps every kind's Calls in the form `lab policy`
// turns into a policy.
func TestCallsAreIAMActions(t *testing.T) {
	t.Parallel()
	for _, k := range checks.Library().Kinds() {
		if len(k.Calls) == 0 {
			t.Errorf("kind %s declares no Calls", k.Name)
		}
		for _, c := range k.Calls {
			svc, op, ok := strings.Cut(c, ":")
			if !ok || svc == "" || op == "" || strings.ContainsAny(c, "* ") {
				t.Errorf("kind %s: call %q is not service:Action", k.Name, c)
			}
		}
	}
}
