package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/labs"
)

// event is one server-sent event of a check run.
type event struct {
	CheckID string `json:"checkId,omitempty"`
	Status  string `json:"status,omitempty"`
	HTML    string `json:"html"`
	// Score and Steps, on the done event, refresh the page's sidebar.
	Score string            `json:"score,omitempty"`
	Steps map[string]string `json:"steps,omitempty"`
}

// runChecks runs a step's checks (or the whole lab's) and streams each result
// into the page as server-sent events as it finishes.
func (s *Server) runChecks(c *gin.Context) {
	ct, ok := s.contentOr500(c)
	if !ok {
		return
	}
	v, ok := ct.labs[c.Param("lab")]
	if !ok || v.manifest == nil {
		s.notFound(c, "This lab has no checks.")
		return
	}
	step := c.PostForm("step")
	checks := v.manifest.Checks
	if step != "" && step != "all" {
		checks = v.manifest.Step(step)
	}
	if len(checks) == 0 {
		c.String(http.StatusBadRequest, "no checks for step %q", step)
		return
	}
	ctx := c.Request.Context()
	env, spec, err := s.gradingEnv(ctx)
	if err != nil {
		c.String(http.StatusBadRequest, "cannot reach your target: %v", err)
		return
	}
	// One run per lab at a time: functional checks send traffic and count
	// effects, and two runs at once would see each other's.
	muAny, _ := s.runs.LoadOrStore(v.lab.ID, &sync.Mutex{})
	mu := muAny.(*sync.Mutex)
	if !mu.TryLock() {
		c.String(http.StatusConflict, "checks for this lab are already running")
		return
	}
	defer mu.Unlock()

	attempt, err := s.cfg.Store.StartAttempt(ctx, s.cfg.Learner, v.lab.ID, step, spec.Name())
	if err != nil {
		s.log.ErrorContext(ctx, "start attempt", "err", err)
		c.String(http.StatusInternalServerError, "could not record the attempt")
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	send := func(name string, e event) {
		b, _ := json.Marshal(e)
		fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", name, b)
		c.Writer.Flush()
	}
	send("start", event{HTML: fmt.Sprintf("Running %s against the %s…", plural.Count(len(checks), "check", "checks"), spec.Name())})
	results := grader.Run(ctx, env, checks, 0, func(r grader.Result) {
		// Record with a context that outlives a closed tab: a verdict the
		// grader reached is kept even if nobody is watching.
		if err := s.cfg.Store.RecordResult(context.WithoutCancel(ctx), attempt, s.cfg.Learner, r); err != nil {
			s.log.Error("record result", "err", err)
		}
		send("result", event{CheckID: r.CheckID, Status: string(r.Status), HTML: s.fragment("result", r)})
	})
	if err := s.cfg.Store.FinishAttempt(context.WithoutCancel(ctx), attempt, results); err != nil {
		s.log.Error("finish attempt", "err", err)
	}
	done := event{HTML: s.fragment("summary", grader.Summarize(results)), Steps: map[string]string{}}
	st := s.progressOf(ctx, v)
	card := s.labCard(ctx, v, st)
	done.Score = num(card.Points) + " / " + num(card.Max) + " points"
	for _, sv := range stepViews(v, st) {
		done.Steps[sv.ID] = fmt.Sprintf("%d/%d", sv.Passed, sv.Total)
	}
	send("done", done)
}

// fragment renders a partial template to a string.
func (s *Server) fragment(name string, data any) string {
	var buf bytes.Buffer
	if err := s.pages["lab.html"].ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render fragment", "name", name, "err", err)
		return "<li>could not render the result</li>"
	}
	return buf.String()
}

// learnerConfig returns the learner's labkit config. It is re-read only when
// the file changes (the CLI's `lab names set` may change it at any time), so
// a page view does not parse it again.
func (s *Server) learnerConfig() labs.Config {
	if s.cfg.ConfigPath == "" {
		return labs.Config{}
	}
	var stamp string
	if fi, err := os.Stat(s.cfg.ConfigPath); err == nil {
		stamp = fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lcStamp == stamp && s.lcLoaded {
		return s.lc
	}
	c, err := labs.LoadConfig(s.cfg.ConfigPath)
	if err != nil {
		s.log.Warn("read learner config", "err", err)
	}
	s.lc, s.lcStamp, s.lcLoaded = c, stamp, true
	return c
}

func (s *Server) targetSpec(lc labs.Config) target.Spec {
	spec := target.Spec{Kind: lc.Target, Endpoint: lc.Endpoint, Profile: lc.Profile, Region: lc.Region}
	if spec.Kind == "" {
		spec.Kind = "local"
	}
	if spec.Kind == "local" && spec.Endpoint == "" {
		spec.Endpoint = s.cfg.LocalEndpoint
	}
	return spec
}

// withEndpoint writes the learner's local cloud address into lab HTML, whose
// commands name the default one (http://127.0.0.1:4566), so what the page
// shows matches its header. On AWS (or the default address) the HTML is
// unchanged.
func (s *Server) withEndpoint(h template.HTML) template.HTML {
	spec := s.targetSpec(s.learnerConfig())
	if spec.Kind != "local" || spec.Endpoint == "" || spec.Endpoint == target.DefaultLocalEndpoint {
		return h
	}
	return template.HTML(strings.ReplaceAll(string(h), target.DefaultLocalEndpoint, template.HTMLEscapeString(strings.TrimSuffix(spec.Endpoint, "/"))))
}

func (s *Server) targetLabel() string { return s.targetSpec(s.learnerConfig()).Name() }

// gradingEnv builds the grader's environment for the learner's target.
func (s *Server) gradingEnv(ctx context.Context) (*grader.Env, target.Spec, error) {
	lc := s.learnerConfig()
	spec := s.targetSpec(lc)
	cfg, err := target.Config(ctx, spec)
	if err != nil {
		return nil, spec, err
	}
	guard, err := grader.ForTarget(ctx, spec.LocalEndpoint(), s.cfg.AllowPrivate)
	if err != nil {
		return nil, spec, err
	}
	env := &grader.Env{AWS: cfg, Names: lc.ResolvedNames(), HTTP: guard.Client(30 * time.Second),
		RunID: strconv.FormatInt(time.Now().UnixNano(), 36), Log: s.log}
	return env, spec, nil
}
