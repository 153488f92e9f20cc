package web

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/grader/class"
)

// A run is interrupted when the process grading it stopped (lab web was
// killed or restarted) before it finished: its heartbeat in the history
// is older than class.RunStale. The run page says so and offers to resume
// it: the learners it has no result for are graded into the same run,
// which then finishes. Runs still beating (another lab web, or a `lab
// class grade` on the same data folder) are never taken over.

// interrupted reports whether run (unfinished, not graded by this
// process) has stopped beating.
func (s *Server) interrupted(ctx context.Context, runID string) (bool, error) {
	if _, live := s.live.Load(runID); live {
		return false, nil
	}
	info, ok, err := s.cfg.Store.ClassRunState(ctx, runID)
	if err != nil || !ok {
		return false, err
	}
	return info.Interrupted(s.cfg.Now().Add(-class.RunStale)), nil
}

// classResumeRun resumes an interrupted run in the background and sends
// the browser to its live matrix.
func (s *Server) classResumeRun(c *gin.Context) {
	ctx := c.Request.Context()
	run, ok := s.loadRun(c)
	if !ok {
		return
	}
	if !run.Finished.IsZero() {
		errorPage(c, http.StatusConflict, "Run %s is finished; start a new run to grade the class again.", run.ID)
		return
	}
	ros, err := s.classRoster(ctx, run.ID)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	checks, err := s.classChecks(labList(run))
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	if _, live := s.live.Load(run.ID); !live {
		now := s.cfg.Now()
		claimed, err := s.cfg.Store.ClaimClassRun(ctx, run.ID, now, now.Add(-class.RunStale))
		if err != nil {
			errorPage(c, http.StatusInternalServerError, "%v", err)
			return
		}
		if !claimed {
			errorPage(c, http.StatusConflict, "Run %s cannot be resumed: another lab process is still grading it (it said so less than %s ago).", run.ID, class.RunStale)
			return
		}
		s.runInBackground(run.ID, ros, checks, func(ctx context.Context, cfg class.Config, lr *liveRun) error {
			_, err := class.ResumeRoster(ctx, cfg, ros, run, s.cfg.Store, lr.learner)
			return err
		})
	}
	c.Redirect(http.StatusSeeOther, "/class/runs/"+run.ID)
}
