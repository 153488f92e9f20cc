package web

import (
	"archive/zip"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web/progress"
)

const instructorPassword = "correct horse battery"

// classApp is the app with the dashboard and an instructor password.
func classApp(t *testing.T, mutate func(*Config)) *app {
	t.Helper()
	a := newApp(t, func(c *Config) {
		c.Class = &ClassDashboard{Grading: class.Config{Endpoint: c.LocalEndpoint}}
		if mutate != nil {
			mutate(c)
		}
	})
	h, err := HashPassword(instructorPassword)
	require.NoError(t, err)
	require.NoError(t, a.cfg.Store.SetInstructorHash(context.Background(), h))
	return a
}

func sessionCookie(a *app) *http.Cookie {
	u, _ := url.Parse(a.url + "/class")
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == instructorCookie {
			return c
		}
	}
	return nil
}

// TestClassLogin: the dashboard needs the instructor's password; a wrong
// one is refused, and after five wrong ones even the right one is, until
// the window passes (the limiter keys on the connection's address, not a
// header the client could forge). POSTs without the CSRF token are refused.
func TestClassLogin(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := classApp(t, func(c *Config) { c.Now = clock })

	code, _, _ := a.get(t, "/class")
	assert.Equal(t, http.StatusSeeOther, code, "no session: to the login page")
	csrf := a.csrf(t)
	code, _ = a.post(t, "/class/login", url.Values{"password": {instructorPassword}}, "")
	assert.Equal(t, http.StatusForbidden, code, "a login without the CSRF token")

	for i := 0; i < 5; i++ {
		code, body := a.post(t, "/class/login", url.Values{"password": {"guess" + string(rune('a'+i))}}, csrf)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, body, "Wrong password.")
	}
	req, _ := http.NewRequest(http.MethodPost, a.url+"/class/login", strings.NewReader(url.Values{"password": {instructorPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("X-Forwarded-For", "203.0.113.9") // a forged client address changes nothing
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the right password after five wrong ones")
	assert.Nil(t, sessionCookie(a))

	now = now.Add(loginWindow + time.Second)
	code, _ = a.post(t, "/class/login", url.Values{"password": {instructorPassword}}, csrf)
	assert.Equal(t, http.StatusSeeOther, code)
	ck := sessionCookie(a)
	require.NotNil(t, ck, "session cookie")
	code, body, _ := a.get(t, "/class")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Upload or edit a roster")

	// The roster form shows each bad row with its line, and saves the good.
	code, body = a.post(t, "/class/roster", url.Values{"class": {"cs101"}, "csv": {"id,name,target,account\nana,Ana,local,111111111111\n,Nobody,local,1\n"}}, "")
	assert.Equal(t, http.StatusForbidden, code, "a roster upload without the CSRF token")
	code, body = a.post(t, "/class/roster", url.Values{"class": {"cs101"}, "csv": {"id,name,target,account\nana,Ana,local,111111111111\n,<b>x</b>,local,1\n"}}, csrf)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "1 learner ready; 2 problems")
	assert.Contains(t, body, "line 3, column 1 (id): missing id")
	assert.Contains(t, body, `line 3, column 4 (account): account &#34;1&#34; is not a 12-digit account id`)

	code, body, _ = a.get(t, "/class?edit=cs101")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "ana,Ana,local,111111111111\n,&lt;b&gt;x&lt;/b&gt;,local,1\n</textarea>", "the saved roster, to edit")

	// A run's page compares it with the class's run before.
	ctx := context.Background()
	at := now
	for i, pts := range []float64{2, 4, 4, 1} {
		p := pts
		run := &class.Run{ID: fmt.Sprintf("r%d", i+1), Started: at.Add(time.Duration(i) * time.Minute), Labs: []class.LabInfo{{Lab: "lab1", Max: 4}}}
		require.NoError(t, a.cfg.Store.StartClassRun(ctx, "cs101", run))
		require.NoError(t, a.cfg.Store.RecordClassLearner(ctx, run.ID, 0, class.LearnerResult{ID: "ana", Status: class.StatusGraded, Points: &p, Max: 4,
			Labs: []class.LabScore{{Lab: "lab1", Points: &p, Max: 4}}, GradedAt: run.Started}, ""))
		if run.ID == "r4" {
			break // still grading
		}
		run.Finished = run.Started.Add(time.Second)
		require.NoError(t, a.cfg.Store.FinishClassRun(ctx, run))
	}
	code, body, _ = a.get(t, "/class/runs/r2")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Changes since the previous run (r1)")
	assert.Contains(t, body, "ana: 2 → 4 (up)")
	code, body, _ = a.get(t, "/class/runs/r2/export.zip")
	assert.Equal(t, http.StatusOK, code)
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	sum, err := fs.ReadFile(zr, "summary.md")
	require.NoError(t, err)
	assert.Contains(t, string(sum), "## Changes since the previous run (r1)", "the zip's summary is the page's")
	assert.Contains(t, string(sum), "ana: 2 → 4")
	code, body, _ = a.get(t, "/class/runs/r3")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Changes since the previous run (r2)</h2>\n<p class=\"changes\">Nothing changed.</p>", "not a heading over nothing")
	code, body, _ = a.get(t, "/class/runs/r4")
	assert.Equal(t, http.StatusOK, code)
	assert.NotContains(t, body, "Changes since", "a run not finished has no changes to show yet (ana's 1 point so far is not a score down)")

	code, _ = a.post(t, "/class/logout", nil, csrf)
	assert.Equal(t, http.StatusSeeOther, code)
	code, _, _ = a.get(t, "/class")
	assert.Equal(t, http.StatusSeeOther, code, "logged out")
}

func TestClassPasswordHash(t *testing.T) {
	_, err := HashPassword("short")
	assert.Error(t, err)
	h, err := HashPassword(instructorPassword)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(h), "$2a$12$"), "bcrypt, cost 12: %s", h)
	assert.NotContains(t, string(h), instructorPassword)
}

// TestClassChecksTakesAList: the dashboard's Labs field takes "all" or a
// list of labs as an instructor types it, spaces and all.
func TestClassChecksTakesAList(t *testing.T) {
	store, err := progress.Open(context.Background(), filepath.Join(t.TempDir(), "progress.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	srv, err := New(Config{Content: labs.Content, Store: store, Library: checks.Library(), ConfigPath: filepath.Join(t.TempDir(), "config.json"), LocalEndpoint: "http://127.0.0.1:1"})
	require.NoError(t, err)
	one, err := srv.classChecks("lab1")
	require.NoError(t, err)
	two, err := srv.classChecks("lab2")
	require.NoError(t, err)
	for _, typed := range []string{"lab1,lab2", "lab1, lab2", " lab2 ,lab1"} {
		both, err := srv.classChecks(typed)
		require.NoError(t, err, typed)
		assert.Len(t, both, len(one)+len(two), typed)
	}
	all, err := srv.classChecks("all")
	require.NoError(t, err)
	assert.Greater(t, len(all), len(one)+len(two))
	_, err = srv.classChecks("lab9")
	assert.ErrorContains(t, err, `no checks for "lab9"`)
}
