package web

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web/render"
)

// content is the course as the app shows it: labs, their rendered pages,
// check manifests and quizzes.
type content struct {
	fs      fs.FS
	catalog *labs.Catalog
	labs    map[string]*labView
}

// labView is everything the app needs about one lab.
type labView struct {
	lab      *labs.Lab
	page     render.Page
	manifest *grader.Manifest // nil for a lab without account checks
	quiz     *grader.Quiz     // nil for a lab without a knowledge check
}

func (s *Server) loadContent() (*content, error) {
	cat, err := labs.LoadCatalog(s.cfg.Content)
	if err != nil {
		return nil, fmt.Errorf("load labs: %w", err)
	}
	c := &content{fs: s.cfg.Content, catalog: cat, labs: map[string]*labView{}}
	for _, l := range cat.Labs {
		v := &labView{lab: l}
		v.page, err = s.md.Render(l.Body, "/labs/"+l.ID+"/files")
		if err != nil {
			return nil, fmt.Errorf("%s/lab.md: %w", l.Dir, err)
		}
		if m, err := grader.LoadManifest(s.cfg.Content, l.ManifestPath(), s.cfg.Library); err == nil {
			v.manifest = m
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if q, err := grader.LoadQuiz(s.cfg.Content, l.QuizPath()); err == nil {
			v.quiz = q
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, step := range v.page.Steps {
			if step != "all" && v.manifest != nil && len(v.manifest.Step(step)) == 0 {
				return nil, fmt.Errorf("%s/lab.md: a check button names step %q, but %s has no check for it", l.Dir, step, l.ManifestPath())
			}
		}
		c.labs[l.ID] = v
	}
	return c, nil
}
