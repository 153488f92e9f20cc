package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
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
	static   staticParts
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
		if v.static, err = s.renderStatic(v); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Dir, err)
		}
		c.labs[l.ID] = v
	}
	return c, nil
}

// staticParts are the pieces of a lab page that do not change between page
// views, rendered (and escaped) once when the content is loaded.
type staticParts struct {
	TOC        template.HTML
	Objectives template.HTML
}

func (s *Server) renderStatic(v *labView) (staticParts, error) {
	var p staticParts
	var toc, obj bytes.Buffer
	t := s.pages["lab.html"]
	if err := t.ExecuteTemplate(&toc, "static-toc", map[string]any{"TOC": v.page.TOC, "Quiz": v.quiz != nil}); err != nil {
		return p, err
	}
	if err := t.ExecuteTemplate(&obj, "static-objectives", map[string]any{"Objectives": v.lab.Objectives}); err != nil {
		return p, err
	}
	p.TOC, p.Objectives = template.HTML(toc.String()), template.HTML(obj.String())
	return p, nil
}
