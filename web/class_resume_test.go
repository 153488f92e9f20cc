package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/localcloud/localtest"
	"github.com/labkit-dev/labkit/web/progress"
)

// dashboardProcess is one `lab web` over a data folder: its own database
// handle, server and grading context, all of which die together.
type dashboardProcess struct {
	*app
	store *progress.Store
	kill  func()
}

func startDashboard(t *testing.T, db string, grading class.Config, now func() time.Time) *dashboardProcess {
	t.Helper()
	store, err := progress.Open(context.Background(), db)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Content: testContent, Store: store, Library: testLibrary(), ConfigPath: filepath.Join(t.TempDir(), "config.json"),
		LocalEndpoint: grading.Endpoint, Now: now, Class: &ClassDashboard{Grading: grading, Context: ctx}}
	srv, err := New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	jar, _ := cookiejar.New(nil)
	p := &dashboardProcess{app: &app{url: ts.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, cfg: cfg},
		store: store}
	// Killed: the database handle goes first (nothing more is written, as
	// when the process dies), then the grading and the server.
	p.kill = func() { store.Close(); cancel(); ts.Close() }
	t.Cleanup(p.kill)
	return p
}

func (p *dashboardProcess) login(t *testing.T) string {
	t.Helper()
	csrf := p.csrf(t)
	code, _ := p.post(t, "/class/login", url.Values{"password": {instructorPassword}}, csrf)
	require.Equal(t, http.StatusSeeOther, code)
	return csrf
}

// TestClassRunResumesAfterRestart starts a run from the dashboard, kills
// the dashboard while a learner's account still hangs, and starts a new
// dashboard on the same database (real SQLite): the run shows as
// interrupted with the learners not graded yet and a button to resume;
// resuming grades only those into the same run and finishes it, keeping
// what was graded before the kill. A finished run, or one another process
// still beats, cannot be resumed.
func TestClassRunResumesAfterRestart(t *testing.T) {
	endpoint, _ := localtest.Serve(t)
	db := filepath.Join(t.TempDir(), "progress.db")
	roster := "id,name,target,account,endpoint\n" +
		"ana,Ana,local,310000000001,\n" +
		"ben,Ben,local,310000000002,http://" + silentAddr(t) + "\n" + // hangs until the probe gives up
		"cy,Cy,local,310000000003,\n" +
		"dee,Dee,local,310000000004,\n"

	first := startDashboard(t, db, class.Config{Endpoint: endpoint, Concurrency: 2, ProbeTimeout: 10 * time.Minute}, nil)
	h, err := HashPassword(instructorPassword)
	require.NoError(t, err)
	require.NoError(t, first.store.SetInstructorHash(context.Background(), h))
	csrf := first.login(t)
	code, _ := first.post(t, "/class/roster", url.Values{"class": {"cs101"}, "csv": {roster}}, csrf)
	require.Equal(t, http.StatusOK, code)
	code, _ = first.post(t, "/class/c/cs101/runs", url.Values{"lab": {"all"}}, csrf)
	require.Equal(t, http.StatusSeeOther, code)
	runs, err := first.store.ClassRuns(context.Background(), "cs101")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	runID := runs[0].ID

	// Ben holds one of the two slots; kill once the other slot has graded
	// someone.
	var before *class.Run
	require.Eventually(t, func() bool {
		before, err = first.store.ClassRun(context.Background(), runID)
		return err == nil && len(before.Learners) >= 1
	}, time.Minute, 20*time.Millisecond)
	first.kill()
	_, benGraded := before.Learner("ben")
	require.False(t, benGraded, "ben's account never answered")

	// Restarted a minute later: the first process's beats are stale.
	later := func() time.Time { return time.Now().Add(time.Minute) }
	second := startDashboard(t, db, class.Config{Endpoint: endpoint, Concurrency: 2, ProbeTimeout: 500 * time.Millisecond}, later)
	killed, err := second.store.ClassRun(context.Background(), runID)
	require.NoError(t, err)
	require.True(t, killed.Finished.IsZero(), "the killed run never finished")
	graded := len(killed.Learners)
	csrf = second.login(t)
	code, body, _ := second.get(t, "/class")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "(interrupted: open it to resume)")
	code, body, _ = second.get(t, "/class/runs/"+runID)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Interrupted: the grading stopped")
	assert.Contains(t, body, "Resume: grade the")
	assert.Contains(t, body, `<td class="status" title="">not graded</td>`, "ben's row")

	code, _ = second.post(t, "/class/runs/"+runID+"/resume", nil, "")
	assert.Equal(t, http.StatusForbidden, code, "resuming needs the CSRF token")
	code, _ = second.post(t, "/class/runs/"+runID+"/resume", nil, csrf)
	require.Equal(t, http.StatusSeeOther, code)
	var after *class.Run
	require.Eventually(t, func() bool {
		after, err = second.store.ClassRun(context.Background(), runID)
		return err == nil && !after.Finished.IsZero()
	}, time.Minute, 20*time.Millisecond, "the resumed run finishes")
	require.Len(t, after.Learners, 4)
	for _, l := range killed.Learners {
		again, ok := after.Learner(l.ID)
		require.True(t, ok)
		assert.Equal(t, l.GradedAt.UnixMilli(), again.GradedAt.UnixMilli(), "%s's grade from before the kill is kept", l.ID)
	}
	ben, _ := after.Learner("ben")
	assert.Equal(t, class.StatusUnreachable, ben.Status)
	for _, id := range []string{"ana", "cy", "dee"} {
		l, _ := after.Learner(id)
		assert.Equal(t, class.StatusGraded, l.Status, id)
		assert.NotEmpty(t, l.Results, id)
	}
	assert.Greater(t, 4, graded, "some learners were left to resume")
	code, body, _ = second.get(t, "/class/runs/"+runID)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Finished. 3 graded, 0 grader errors, 1 unreachable.")
	assert.NotContains(t, body, "Resume: grade the")

	code, _ = second.post(t, "/class/runs/"+runID+"/resume", nil, csrf)
	assert.Equal(t, http.StatusConflict, code, "a finished run")

	// A run another process is grading (it beat a moment ago) is running,
	// not interrupted, and cannot be taken over.
	busy := &class.Run{ID: "busy-run", Started: later(), Labs: killed.Labs}
	require.NoError(t, second.store.StartClassRun(context.Background(), "cs101", busy))
	code, body, _ = second.get(t, "/class/runs/busy-run")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Grading…")
	assert.NotContains(t, body, "Resume: grade the")
	code, _ = second.post(t, "/class/runs/busy-run/resume", nil, csrf)
	assert.Equal(t, http.StatusConflict, code, "a run still beating")
}
