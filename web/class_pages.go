package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/web/progress"
)

// ClassDashboard configures the instructor dashboard at /class.
type ClassDashboard struct {
	// Grading is the template of every run started from the dashboard;
	// its Checks are chosen per run (the labs picked), OnCheck is the
	// dashboard's own.
	Grading class.Config
	// Context bounds runs started from the dashboard (they outlive the
	// request that started them); default context.Background().
	Context context.Context
}

var classIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

type classHomeView struct {
	CSRF    string
	Classes []classSummary
	Errors  []class.RowError
	Class   string
	Saved   int
	// Roster is the CSV in the form's text area (a class being edited).
	Roster string
}

type classSummary struct {
	ID       string
	Learners int
	Problems int
	Runs     []runLink
}

type runLink struct {
	ID          string
	Started     time.Time
	Finished    time.Time
	Interrupted bool
}

// classHome lists the classes; ?edit=ID puts that class's roster in the
// form to edit.
func (s *Server) classHome(c *gin.Context) {
	v := classHomeView{}
	if id := c.Query("edit"); id != "" {
		raw, err := s.cfg.Store.Roster(c.Request.Context(), id)
		if err != nil {
			errorPage(c, http.StatusInternalServerError, "%v", err)
			return
		}
		v.Class, v.Roster = id, string(raw)
	}
	s.renderClassHome(c, http.StatusOK, v)
}

func (s *Server) renderClassHome(c *gin.Context, status int, v classHomeView) {
	ctx := c.Request.Context()
	ids, err := s.cfg.Store.Classes(ctx)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	for _, id := range ids {
		cs := classSummary{ID: id}
		if raw, err := s.cfg.Store.Roster(ctx, id); err == nil && raw != nil {
			if ros, err := class.ParseRoster(bytes.NewReader(raw)); err == nil {
				cs.Learners, cs.Problems = len(ros.Learners), len(ros.Errors)
			}
		}
		runs, err := s.cfg.Store.ClassRuns(ctx, id)
		if err != nil {
			errorPage(c, http.StatusInternalServerError, "%v", err)
			return
		}
		for _, r := range runs {
			_, live := s.live.Load(r.ID)
			stale := !live && r.Interrupted(s.cfg.Now().Add(-class.RunStale))
			cs.Runs = append(cs.Runs, runLink{r.ID, r.Started, r.Finished, stale})
		}
		v.Classes = append(v.Classes, cs)
	}
	v.CSRF = s.csrfToken(c)
	s.render(c, status, "class_home.html", "Class grading", "class", v)
}

// classUploadRoster saves a roster (a file or pasted text) and shows its
// row errors; the good rows are graded, the bad ones listed.
func (s *Server) classUploadRoster(c *gin.Context) {
	id := strings.TrimSpace(c.PostForm("class"))
	if !classIDPattern.MatchString(id) {
		s.renderClassHome(c, http.StatusBadRequest, classHomeView{Errors: []class.RowError{{Msg: "class name: 1-64 letters, digits, '.', '_' or '-'"}}})
		return
	}
	raw := []byte(c.PostForm("csv"))
	if fh, err := c.FormFile("roster"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err == nil {
			raw, err = io.ReadAll(io.LimitReader(f, class.MaxRosterBytes+1))
			f.Close()
		}
		if err != nil {
			errorPage(c, http.StatusBadRequest, "read the roster: %v", err)
			return
		}
	}
	ros, err := class.ParseRoster(bytes.NewReader(raw))
	if err != nil {
		s.renderClassHome(c, http.StatusBadRequest, classHomeView{Class: id, Errors: []class.RowError{{Msg: err.Error()}}})
		return
	}
	if err := s.cfg.Store.SaveRoster(c.Request.Context(), id, raw); err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	s.renderClassHome(c, http.StatusOK, classHomeView{Class: id, Errors: ros.Errors, Saved: len(ros.Learners), Roster: string(raw)})
}

// classStartRun grades the class's saved roster in the background and
// sends the browser to the run's live matrix.
func (s *Server) classStartRun(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("class")
	raw, err := s.cfg.Store.Roster(ctx, id)
	if err != nil || raw == nil {
		s.notFound(c, "There is no class "+id+": upload its roster first.")
		return
	}
	ros, err := class.ParseRoster(bytes.NewReader(raw))
	if err != nil {
		errorPage(c, http.StatusBadRequest, "roster: %v", err)
		return
	}
	checks, err := s.classChecks(c.PostForm("lab"))
	if err != nil {
		errorPage(c, http.StatusBadRequest, "%v", err)
		return
	}
	prev, err := s.cfg.Store.LatestClassRun(ctx, id)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	runID := time.Now().UTC().Format("20060102T150405.000Z")
	started := make(chan struct{})
	s.runInBackground(runID, ros, checks, func(ctx context.Context, cfg class.Config, lr *liveRun) error {
		_, err := class.GradeRoster(ctx, cfg, ros, prev, class.Selection{}, runID, startedHistory{s.cfg.Store, started}, id, lr.learner)
		return err
	})
	select { // the run page reads the run from the history
	case <-started:
	case <-ctx.Done():
	}
	c.Redirect(http.StatusSeeOther, "/class/runs/"+runID)
}

// runInBackground runs grade (a run of class classID) outside the request,
// bounded by the dashboard's context, with the run's live matrix fed by
// the config's OnCheck and grade's learners.
func (s *Server) runInBackground(runID string, ros *class.Roster, checks []*grader.Check, grade func(context.Context, class.Config, *liveRun) error) {
	lr := newLiveRun(ros.Learners)
	s.live.Store(runID, lr)
	cfg := s.cfg.Class.Grading
	cfg.Checks = checks
	cfg.OnCheck = lr.check
	rctx := s.cfg.Class.Context
	if rctx == nil {
		rctx = context.Background()
	}
	go func() {
		if err := grade(rctx, cfg, lr); err != nil {
			s.log.ErrorContext(rctx, "class run", "run", runID, "err", err)
		}
		lr.add(classEvent{Kind: "done"})
	}()
}

// startedHistory signals once the run is in the history.
type startedHistory struct {
	*progress.Store
	started chan struct{}
}

func (h startedHistory) StartClassRun(ctx context.Context, classID string, run *class.Run) error {
	defer close(h.started)
	return h.Store.StartClassRun(ctx, classID, run)
}

// classChecks are the checks of the labs picked ("all", "lab1", "lab1,lab2").
func (s *Server) classChecks(which string) ([]*grader.Check, error) {
	ct, err := s.currentContent()
	if err != nil {
		return nil, err
	}
	which = strings.ReplaceAll(which, " ", "") // "lab1, lab2" as typed
	var out []*grader.Check
	for _, l := range ct.catalog.Labs {
		v := ct.labs[l.ID]
		if v.manifest == nil {
			continue
		}
		if which == "" || which == "all" || strings.Contains(","+which+",", ","+l.ID+",") {
			out = append(out, v.manifest.Checks...)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no checks for %q", which)
	}
	return out, nil
}

type matrixView struct {
	Run  *class.Run
	Live bool
	// Interrupted: the run's process stopped before it finished; the
	// page offers to resume it (a POST carrying CSRF).
	Interrupted bool
	CSRF        string
	Graded      int      // learners with a result so far
	Left        int      // learners of the roster without one
	Checks      []string // lab/check
	Rows        []matrixRow
	Summary     class.Summary
	Buckets     []bucket
	Finished    bool
	NotGraded   []matrixRow // unreachable learners and grader errors, with why
}

type bucket struct {
	Label string
	Count int
}

type matrixRow struct {
	ID, Name, Status, Total, Message string
	Cells                            []matrixCell
}

type matrixCell struct {
	Key, Status string
}

// classRun shows a run's learners x checks matrix; a run in progress
// fills in live (class.js reads the events).
func (s *Server) classRun(c *gin.Context) {
	run, ok := s.loadRun(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	prev, err := s.previousRun(ctx, run)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	interrupted, err := s.interrupted(ctx, run.ID)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	v := matrixView{Run: run, Finished: !run.Finished.IsZero(), Summary: class.Summarize(run, prev),
		Interrupted: interrupted, CSRF: s.csrfToken(c), Graded: len(run.Learners)}
	// Rows for the learners not graded yet: pending while this process
	// grades them, not graded when the run was interrupted.
	lv, live := s.live.Load(run.ID)
	switch {
	case live:
		v.Live = run.Finished.IsZero()
		addUngraded(run, lv.(*liveRun).learners, "pending")
	case interrupted:
		if ros, err := s.classRoster(ctx, run.ID); err == nil {
			addUngraded(run, ros.Learners, "not graded")
		}
		v.Left = len(run.Learners) - v.Graded
	}
	for i := 10; i >= 0; i-- {
		label := fmt.Sprintf("%d-%d%%", i*10, i*10+9)
		if i == 10 {
			label = "100%"
		}
		v.Buckets = append(v.Buckets, bucket{label, v.Summary.Buckets[i]})
	}
	seen := map[string]bool{}
	for _, l := range run.Learners {
		for _, r := range l.Results {
			if k := r.Lab + "/" + r.CheckID; !seen[k] {
				seen[k] = true
				v.Checks = append(v.Checks, k)
			}
		}
	}
	if cs, err := s.classChecks(labList(run)); err == nil {
		for _, ch := range cs {
			if k := ch.Lab + "/" + ch.ID; !seen[k] {
				seen[k] = true
				v.Checks = append(v.Checks, k)
			}
		}
	}
	for _, l := range run.Learners {
		row := matrixRow{ID: l.ID, Name: l.Name, Status: l.Status, Total: totalCell(l), Message: l.Message}
		got := map[string]string{}
		for _, r := range l.Results {
			got[r.Lab+"/"+r.CheckID] = string(r.Status)
		}
		for _, k := range v.Checks {
			st := got[k]
			if st == "" && l.Status != class.StatusGraded && l.Status != "pending" {
				st = "ungraded" // unreachable, grader error, or an interrupted run's: the status says why
			}
			row.Cells = append(row.Cells, matrixCell{Key: l.ID + "|" + k, Status: st})
		}
		v.Rows = append(v.Rows, row)
		if l.Status == class.StatusUnreachable || l.Status == class.StatusGraderError {
			v.NotGraded = append(v.NotGraded, row)
		}
	}
	s.render(c, http.StatusOK, "class_run.html", "Run "+run.ID, "class", v)
}

// addUngraded adds a row with status for each of learners run has no
// result for.
func addUngraded(run *class.Run, learners []class.Learner, status string) {
	for _, l := range learners {
		if _, ok := run.Learner(l.ID); !ok {
			run.Learners = append(run.Learners, class.LearnerResult{ID: l.ID, Name: l.Name, Status: status})
		}
	}
}

// classRoster is the saved roster of the class run runID belongs to.
func (s *Server) classRoster(ctx context.Context, runID string) (*class.Roster, error) {
	classID, err := s.cfg.Store.ClassOfRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	raw, err := s.cfg.Store.Roster(ctx, classID)
	if err != nil {
		return nil, err
	}
	ros, err := class.ParseRoster(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("roster of class %s: %w", classID, err)
	}
	return ros, nil
}

// previousRun is the finished run of the same class before run (nil when
// none), for the summary's changes.
func (s *Server) previousRun(ctx context.Context, run *class.Run) (*class.Run, error) {
	classID, err := s.cfg.Store.ClassOfRun(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	runs, err := s.cfg.Store.ClassRuns(ctx, classID)
	if err != nil {
		return nil, err
	}
	for _, r := range runs { // newest first
		if r.Started.Before(run.Started) && !r.Finished.IsZero() {
			return s.cfg.Store.ClassRun(ctx, r.ID)
		}
	}
	return nil, nil
}

func labList(run *class.Run) string {
	var ls []string
	for _, l := range run.Labs {
		ls = append(ls, l.Lab)
	}
	return strings.Join(ls, ",")
}

func (s *Server) loadRun(c *gin.Context) (*class.Run, bool) {
	run, err := s.cfg.Store.ClassRun(c.Request.Context(), c.Param("run"))
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return nil, false
	}
	if run == nil {
		s.notFound(c, "There is no run "+c.Param("run")+".")
		return nil, false
	}
	return run, true
}

// classLearner shows one learner's results in a run: evidence and hints.
func (s *Server) classLearner(c *gin.Context) {
	run, ok := s.loadRun(c)
	if !ok {
		return
	}
	l, ok := run.Learner(c.Param("learner"))
	if !ok {
		s.notFound(c, "There is no learner "+c.Param("learner")+" in this run.")
		return
	}
	s.render(c, http.StatusOK, "class_learner.html", l.ID, "class", struct {
		Run     *class.Run
		Learner class.LearnerResult
	}{run, l})
}

// classGradebook downloads a run's gradebook.csv, the same bytes as the
// command line's.
func (s *Server) classGradebook(c *gin.Context) {
	run, ok := s.loadRun(c)
	if !ok {
		return
	}
	var b bytes.Buffer
	if err := class.WriteGradebookCSV(&b, run); err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="gradebook-`+run.ID+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// classExport downloads a zip of every file the command line writes.
func (s *Server) classExport(c *gin.Context) {
	run, ok := s.loadRun(c)
	if !ok {
		return
	}
	prev, err := s.previousRun(c.Request.Context(), run)
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	var b bytes.Buffer
	if err := class.WriteZip(&b, run, prev); err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="class-run-`+run.ID+`.zip"`)
	c.Data(http.StatusOK, "application/zip", b.Bytes())
}
