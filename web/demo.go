package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// DemoRunner is the classroom demo (package kit/demo) as the web app uses it.
type DemoRunner interface {
	// Watch sends JSON frames of the demo's figures, the latest first,
	// until ctx ends.
	Watch(ctx context.Context) <-chan []byte
	// Do runs a control and says what it did.
	Do(ctx context.Context, action string, args map[string]string) (string, error)
}

// demoData is what the demo page needs.
type demoData struct {
	CSRF     string
	Running  bool
	Controls bool   // this visitor may press the controls
	Action   string // where the controls post: /demo/control or /class/demo/control
	ReadOnly string // why not, when not
}

// demoControls reports whether /demo's controls are open to this request:
// on a laptop (loopback) to its user; when the app serves a class, /demo is
// read-only and the controls are the instructor's, at /class/demo behind
// the dashboard's login.
func (s *Server) demoControls() (bool, string) {
	if s.cfg.Hosted {
		return false, "Read-only: this app serves a class. The controls are the instructor's, at /class/demo (instructor login)."
	}
	return true, ""
}

func (s *Server) demoPage(c *gin.Context) {
	ok, why := s.demoControls()
	s.renderDemo(c, demoData{Controls: ok, Action: "/demo/control", ReadOnly: why})
}

// demoInstructorPage is the demo with its controls for the logged-in
// instructor (the route is behind requireInstructor).
func (s *Server) demoInstructorPage(c *gin.Context) {
	s.renderDemo(c, demoData{Controls: true, Action: "/class/demo/control"})
}

func (s *Server) renderDemo(c *gin.Context, data demoData) {
	data.CSRF, data.Running = s.csrfToken(c), s.cfg.Demo != nil
	data.Controls = data.Controls && data.Running
	var buf bytes.Buffer
	if err := s.pages["demo.html"].ExecuteTemplate(&buf, "demo", data); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render demo page", "err", err)
		c.String(http.StatusInternalServerError, "could not render the page")
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// demoEvents streams the demo's frames as server-sent events.
func (s *Server) demoEvents(c *gin.Context) {
	if s.cfg.Demo == nil {
		c.String(http.StatusNotFound, "no demo is running: start one with `lab demo`")
		return
	}
	ctx := c.Request.Context()
	w := c.Writer
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	w.Flush()
	frames := s.cfg.Demo.Watch(ctx)
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case f, ok := <-frames:
			if !ok {
				return
			}
			if _, err := fmt.Fprintf(w, "event: frame\ndata: %s\n\n", f); err != nil {
				return
			}
			w.Flush()
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			w.Flush()
		}
	}
}

// demoControl runs one control (CSRF-checked like every POST).
func (s *Server) demoControl(c *gin.Context) {
	if ok, why := s.demoControls(); !ok && s.cfg.Demo != nil {
		c.JSON(http.StatusForbidden, gin.H{"error": why})
		return
	}
	s.demoInstructorControl(c)
}

// demoInstructorControl runs a control (for the logged-in instructor when
// routed under /class).
func (s *Server) demoInstructorControl(c *gin.Context) {
	if s.cfg.Demo == nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "no demo is running: start one with `lab demo`"})
		return
	}
	args := map[string]string{}
	for _, k := range []string{"orders", "rate"} {
		if v := c.PostForm(k); v != "" {
			args[k] = v
		}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Minute)
	defer cancel()
	msg, err := s.cfg.Demo.Do(ctx, c.Param("action"), args)
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": msg})
}

// diagramNodeData places one part of the demo's diagram.
type diagramNodeData struct {
	ID          string
	X, Y        int
	Title, Unit string
}

func diagramNode(id string, x, y int, title, unit string) diagramNodeData {
	return diagramNodeData{ID: id, X: x, Y: y, Title: title, Unit: unit}
}
