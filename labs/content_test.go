package labs_test

import (
	"errors"
	"io/fs"
	"regexp"
	"testing"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
)

var checkMarker = regexp.MustCompile(`(?m)^\[\[check ([a-z0-9-]+)\]\]\s*$`)

// TestShippedContentIsValid loads the course as the binary ships it: every
// lab's front matter, check manifest and quiz must parse, every check button
// must name a step that has checks, and every step must have a button.
func TestShippedContentIsValid(t *testing.T) {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Labs) == 0 {
		t.Fatal("no labs in the shipped content")
	}
	lib := checks.Library()
	for _, l := range cat.Labs {
		t.Run(l.ID, func(t *testing.T) {
			m, err := grader.LoadManifest(labs.Content, l.ManifestPath(), lib)
			hasManifest := err == nil
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			q, err := grader.LoadQuiz(labs.Content, l.QuizPath())
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if l.Knowledge && q == nil {
				t.Errorf("%s is a knowledge check but has no quiz.yaml", l.Dir)
			}
			if !hasManifest {
				return
			}
			if m.Lab != l.ID {
				t.Errorf("%s says lab %q, the lab is %q", l.ManifestPath(), m.Lab, l.ID)
			}
			buttons := map[string]bool{}
			for _, mm := range checkMarker.FindAllSubmatch(l.Body, -1) {
				step := string(mm[1])
				buttons[step] = true
				if step != "all" && len(m.Step(step)) == 0 {
					t.Errorf("%s/lab.md has a check button for step %q, which has no checks in %s", l.Dir, step, l.ManifestPath())
				}
			}
			for _, s := range l.Steps {
				if len(m.Step(s.ID)) > 0 && !buttons[s.ID] {
					t.Errorf("%s/lab.md: step %q has checks but no [[check %s]] button", l.Dir, s.ID, s.ID)
				}
			}
			known := map[string]bool{}
			for _, s := range l.Steps {
				known[s.ID] = true
			}
			for _, c := range m.Checks {
				if !known[c.Step] {
					t.Errorf("%s: check %q belongs to step %q, which lab.md's front matter does not list", c.Pos, c.ID, c.Step)
				}
			}
		})
	}
}
