package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
)

// classEvent is one update of a run's matrix, sent over SSE.
type classEvent struct {
	Kind    string `json:"kind"` // check, learner or done
	Learner string `json:"learner,omitempty"`
	Check   string `json:"check,omitempty"` // lab/check
	Status  string `json:"status,omitempty"`
	Total   string `json:"total,omitempty"`
}

// liveRun is a run in progress: its events so far, and a channel closed
// (and replaced) whenever one is added.
type liveRun struct {
	// learners are the roster's, so rows exist before they are graded.
	learners []class.Learner

	mu      sync.Mutex
	events  []classEvent
	changed chan struct{}
	done    bool
}

func newLiveRun(learners []class.Learner) *liveRun {
	return &liveRun{learners: learners, changed: make(chan struct{})}
}

func (l *liveRun) add(e classEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	if e.Kind == "done" {
		l.done = true
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// since returns the events after the first n, whether the run is done, and
// a channel closed at the next change.
func (l *liveRun) since(n int) ([]classEvent, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]classEvent(nil), l.events[n:]...), l.done, l.changed
}

func (l *liveRun) check(learner string, r grader.Result) {
	l.add(classEvent{Kind: "check", Learner: learner, Check: r.Lab + "/" + r.CheckID, Status: string(r.Status)})
}

func (l *liveRun) learner(r class.LearnerResult) {
	l.add(classEvent{Kind: "learner", Learner: r.ID, Status: r.Status, Total: totalCell(r)})
}

func totalCell(r class.LearnerResult) string {
	if r.Points == nil {
		return "—"
	}
	return fmt.Sprintf("%s / %s", num(*r.Points), num(r.Max))
}

// classEvents streams a run's matrix updates: what happened so far, then
// each change, then "done". A finished run sends "done" at once.
func (s *Server) classEvents(c *gin.Context) {
	v, ok := s.live.Load(c.Param("run"))
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	send := func(e classEvent) {
		b, _ := json.Marshal(e)
		fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", e.Kind, b)
	}
	if !ok {
		send(classEvent{Kind: "done"})
		c.Writer.Flush()
		return
	}
	lr := v.(*liveRun)
	n := 0
	for {
		evs, done, changed := lr.since(n)
		for _, e := range evs {
			send(e)
		}
		n += len(evs)
		c.Writer.Flush()
		if done {
			return
		}
		select {
		case <-changed:
		case <-c.Request.Context().Done():
			return
		}
	}
}
