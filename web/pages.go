package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web/progress"
)

//go:embed templates
var templateFiles embed.FS

var funcs = template.FuncMap{
	"pct": func(p, max float64) int {
		if max == 0 {
			return 0
		}
		return int(p/max*100 + 0.5)
	},
	"num":   num,
	"count": plural.Count, // {{count .N "learner" "learners"}}
	"node":  diagramNode,
	"symbol": func(status string) string {
		if v, ok := map[string]string{"pass": "✓", "fail": "✗", "error": "!", "skipped": "–", "ungraded": "∅"}[status]; ok {
			return v
		}
		return "·"
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("Jan 2 15:04:05")
	},
	"statusLabel": func(s grader.Status) string {
		return map[grader.Status]string{grader.Pass: "Passed", grader.Fail: "Failed", grader.Error: "Could not decide", grader.Skipped: "Skipped"}[s]
	},
}

// num formats points: 2, 2.5.
func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }

// parseTemplates parses each page together with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// pageData is what every page's layout needs.
type pageData struct {
	Title  string
	CSRF   string
	Target string
	Nav    string
	Body   any
}

func (s *Server) render(c *gin.Context, status int, page, title, nav string, body any) {
	t := s.pages[page]
	var buf bytes.Buffer
	data := pageData{Title: title, CSRF: s.csrfToken(c), Target: s.targetLabel(), Nav: nav, Body: body}
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "could not render the page")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (s *Server) notFound(c *gin.Context, msg string) {
	s.render(c, http.StatusNotFound, "notfound.html", "Not found", "", msg)
}

func (s *Server) contentOr500(c *gin.Context) (*content, bool) {
	ct, err := s.currentContent()
	if err != nil {
		s.render(c, http.StatusInternalServerError, "notfound.html", "Lab content error", "", "The lab content has an error: "+err.Error())
		return nil, false
	}
	return ct, true
}

type labCard struct {
	Lab        *labs.Lab
	Points     float64
	Max        float64
	Status     string // "not-started", "in-progress", "done"
	Knowledge  bool
	CheckCount int
}

type weekView struct {
	Week int
	Labs []labCard
}

func (s *Server) home(c *gin.Context) {
	ct, ok := s.contentOr500(c)
	if !ok {
		return
	}
	var weeks []weekView
	for _, l := range ct.catalog.Labs {
		if len(weeks) == 0 || weeks[len(weeks)-1].Week != l.Week {
			weeks = append(weeks, weekView{Week: l.Week})
		}
		v := ct.labs[l.ID]
		card := s.labCard(c.Request.Context(), v, s.progressOf(c.Request.Context(), v))
		weeks[len(weeks)-1].Labs = append(weeks[len(weeks)-1].Labs, card)
	}
	s.render(c, http.StatusOK, "home.html", "Labs", "home", weeks)
}

// labCard totals a learner's progress on a lab. st is the learner's
// current verdicts on the lab's checks (see progress.Store.LabProgress).
func (s *Server) labCard(ctx context.Context, v *labView, st map[string]progress.CheckState) labCard {
	card := labCard{Lab: v.lab, Status: "not-started", Knowledge: v.quiz != nil}
	if v.manifest != nil {
		card.Max += v.manifest.Points()
		card.CheckCount = len(v.manifest.Checks)
		for _, cs := range st {
			card.Points += cs.Points
		}
		if len(st) > 0 {
			card.Status = "in-progress"
		}
	}
	if v.quiz != nil {
		card.Max += v.quiz.Points()
		if q, ok, err := s.cfg.Store.LatestQuiz(ctx, s.cfg.Learner, v.lab.ID); err == nil && ok {
			card.Points += q.Score
			card.Status = "in-progress"
		}
	}
	if card.Max > 0 && card.Points >= card.Max {
		card.Status = "done"
	}
	return card
}

// progressOf reads the learner's verdicts on a lab's checks; a lab without
// checks has none. Errors are logged and shown as no progress.
func (s *Server) progressOf(ctx context.Context, v *labView) map[string]progress.CheckState {
	if v.manifest == nil {
		return nil
	}
	st, err := s.cfg.Store.LabProgress(ctx, s.cfg.Learner, v.lab.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "read progress", "lab", v.lab.ID, "err", err)
	}
	return st
}

type stepView struct {
	ID, Title     string
	Passed, Total int
}

type labPageView struct {
	Lab       *labs.Lab
	Card      labCard
	HTML      template.HTML
	Static    staticParts
	PageTitle string
	TOC       any
	Steps     []stepView
	Quiz      *grader.Quiz
	Answers   map[string]string
	Graded    []grader.QuizAnswer
	Prev      *labs.Lab
	Next      *labs.Lab
	CSRF      string
}

// stepViews counts the passed checks of each step of a lab.
func stepViews(v *labView, st map[string]progress.CheckState) []stepView {
	if v.manifest == nil {
		return nil
	}
	var out []stepView
	for _, step := range v.lab.Steps {
		sv := stepView{ID: step.ID, Title: step.Title}
		for _, ch := range v.manifest.Step(step.ID) {
			sv.Total++
			if st[ch.ID].Status == grader.Pass {
				sv.Passed++
			}
		}
		out = append(out, sv)
	}
	return out
}

func (s *Server) labPage(c *gin.Context) {
	ct, ok := s.contentOr500(c)
	if !ok {
		return
	}
	v, ok := ct.labs[c.Param("lab")]
	if !ok {
		s.notFound(c, "There is no lab "+c.Param("lab")+".")
		return
	}
	ctx := c.Request.Context()
	st := s.progressOf(ctx, v)
	view := labPageView{Lab: v.lab, Card: s.labCard(ctx, v, st), HTML: s.withEndpoint(v.page.HTML), Static: v.static, PageTitle: v.page.Title, TOC: v.page.TOC, Quiz: v.quiz, CSRF: s.csrfToken(c)}
	view.Steps = stepViews(v, st)
	if v.quiz != nil {
		if q, ok, _ := s.cfg.Store.LatestQuiz(ctx, s.cfg.Learner, v.lab.ID); ok {
			view.Answers = q.Answers
			_, view.Graded = v.quiz.Grade(q.Answers)
		}
	}
	for i, l := range ct.catalog.Labs {
		if l.ID == v.lab.ID {
			if i > 0 {
				view.Prev = ct.catalog.Labs[i-1]
			}
			if i+1 < len(ct.catalog.Labs) {
				view.Next = ct.catalog.Labs[i+1]
			}
		}
	}
	s.render(c, http.StatusOK, "lab.html", v.lab.Title, "lab", view)
}

// labFile serves a lab's own files (diagrams, images). Only a few safe
// types are served; markdown sources and manifests are not.
var servedTypes = map[string]bool{".svg": true, ".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true}

func (s *Server) labFile(c *gin.Context) {
	ct, ok := s.contentOr500(c)
	if !ok {
		return
	}
	v, ok := ct.labs[c.Param("lab")]
	name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
	if !ok || !servedTypes[path.Ext(name)] || strings.Contains(name, "..") {
		s.notFound(c, "No such lab file.")
		return
	}
	b, err := fs.ReadFile(ct.fs, path.Join(v.lab.Dir, name))
	if err != nil {
		s.notFound(c, "No such lab file.")
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, mime.TypeByExtension(path.Ext(name)), b)
}

func (s *Server) highlightCSS(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", []byte(s.css))
}

type attemptsView struct {
	Attempts []progress.Attempt
	Lab      string
}

func (s *Server) attemptsPage(c *gin.Context) {
	lab := c.Query("lab")
	as, err := s.cfg.Store.Attempts(c.Request.Context(), s.cfg.Learner, lab, 50)
	if err != nil {
		s.log.ErrorContext(c.Request.Context(), "list attempts", "err", err)
		c.String(http.StatusInternalServerError, "could not read your attempts")
		return
	}
	s.render(c, http.StatusOK, "attempts.html", "Attempts", "attempts", attemptsView{Attempts: as, Lab: lab})
}

func (s *Server) submitQuiz(c *gin.Context) {
	ct, ok := s.contentOr500(c)
	if !ok {
		return
	}
	v, ok := ct.labs[c.Param("lab")]
	if !ok || v.quiz == nil {
		s.notFound(c, "This lab has no knowledge check.")
		return
	}
	answers := map[string]string{}
	for _, q := range v.quiz.Questions {
		if a := c.PostForm("q-" + q.ID); a != "" {
			answers[q.ID] = a
		}
	}
	results, _ := v.quiz.Grade(answers)
	sum := grader.Summarize(results)
	ctx := c.Request.Context()
	if err := s.cfg.Store.RecordQuiz(ctx, s.cfg.Learner, v.lab.ID, progress.QuizResult{Answers: answers, Score: sum.Points, Max: sum.Max, At: time.Now()}); err != nil {
		s.log.ErrorContext(ctx, "record quiz", "err", err)
		c.String(http.StatusInternalServerError, "could not save your answers")
		return
	}
	c.Redirect(http.StatusSeeOther, "/labs/"+v.lab.ID+"#knowledge-check")
}
