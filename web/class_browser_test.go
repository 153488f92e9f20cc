package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/web/progress"
)

// silentAddr accepts connections and never answers: a learner's account
// there stays pending until the grader's probe gives up.
func silentAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}

// TestBrowserClassDashboard drives the instructor dashboard in Chromium
// against a local cloud holding a small class: a wrong password is
// refused, the session cookie has its flags, the run's matrix fills in live,
// and the gradebook the browser downloads is the command line's.
func TestBrowserClassDashboard(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + ln.Addr().String()
	cloud, err := localcloud.New(localcloud.Config{DataDir: t.TempDir(), Endpoint: endpoint})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { cloud.Serve(cctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; cloud.Close() })
	for _, acct := range []string{"210000000001", "210000000002"} {
		k := &kit.Kit{AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credentials.NewStaticCredentialsProvider(acct, "x", "")}, Root: ".."}
		require.NoError(t, k.Solve(ctx, "lab1"))
	}
	roster := "id,name,target,account,endpoint\n" +
		"ana,Ana,local,210000000001,\n" +
		"ben,Ben,local,210000000002,\n" +
		"cy,Cy,local,210000000003,\n" + // nothing built: every check fails, a real 0
		"dee,Dee,local,210000000004,http://" + silentAddr(t) + "\n" + // unreachable after the probe's timeout
		",Nobody,local,1,\n"

	store, err := progress.Open(ctx, filepath.Join(t.TempDir(), "progress.db"))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	grading := class.Config{Endpoint: endpoint, ProbeTimeout: 6 * time.Second}
	srv, err := New(Config{Content: labs.Content, Store: store, Library: checks.Library(), ConfigPath: filepath.Join(t.TempDir(), "config.json"),
		LocalEndpoint: endpoint, Class: &ClassDashboard{Grading: grading, Context: ctx}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h, err := HashPassword(instructorPassword)
	require.NoError(t, err)
	require.NoError(t, store.SetInstructorHash(ctx, h))

	b := browser(t)
	step(t, b, "a wrong password",
		chromedp.Navigate(ts.URL+"/class"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "not the password"),
		chromedp.Submit(chromedp.CSS(`form.class-login`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	)
	assert.Equal(t, "Wrong password.", text(t, b, "p.error"))
	screenshot(t, b, "class-login")
	assert.Nil(t, browserCookie(t, b, ts.URL), "no session after a wrong password")

	step(t, b, "the right password",
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), instructorPassword),
		chromedp.Submit(chromedp.CSS(`form.class-login`)),
		chromedp.WaitVisible(chromedp.CSS(`form.roster-form`)),
	)
	ck := browserCookie(t, b, ts.URL)
	require.NotNil(t, ck, "session cookie after login")
	assert.True(t, ck.HTTPOnly, "HttpOnly")
	assert.Equal(t, network.CookieSameSiteStrict, ck.SameSite)
	assert.Equal(t, "/class", ck.Path)
	assert.False(t, ck.Secure, "not over plain http (Secure is set under TLS)")
	seen, err := chromedp.Run(b, chromedp.Evaluate[string](`document.cookie`))
	require.NoError(t, err)
	assert.NotContains(t, seen, instructorCookie, "page scripts cannot read the session")

	step(t, b, "upload the roster",
		chromedp.SetValue(chromedp.CSS(`input[name="class"]`), "cs101"),
		chromedp.SetValue(chromedp.CSS(`textarea[name="csv"]`), roster),
		chromedp.Submit(chromedp.CSS(`form.roster-form`)),
		chromedp.WaitVisible(chromedp.CSS(`.roster-errors`)),
	)
	assert.Contains(t, text(t, b, ".roster-saved"), "4 learners ready; 2 problems")
	assert.Contains(t, text(t, b, ".roster-errors"), "line 6, column 1 (id): missing id")
	screenshot(t, b, "class-home")

	step(t, b, "start a run of lab 1",
		chromedp.SetValue(chromedp.CSS(`.class-card[data-class="cs101"] input[name="lab"]`), "lab1"),
		chromedp.Submit(chromedp.CSS(`.class-card[data-class="cs101"] form.start-run`)),
		chromedp.WaitVisible(chromedp.CSS(`table.matrix`)),
	)
	live, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector(".run-state").dataset.live`))
	require.NoError(t, err)
	assert.Equal(t, "true", live, "the run page opens while dee is still pending")
	step(t, b, "the matrix fills in",
		chromedp.WaitVisible(chromedp.CSS(`.run-state.finished`)),
	)
	cells, err := chromedp.Run(b, chromedp.Evaluate[map[string]string](
		`Object.fromEntries(Array.from(document.querySelectorAll("td[data-cell]")).map(c => [c.dataset.cell, c.className.replace("cell cell-", "") + " " + c.textContent]))`))
	require.NoError(t, err)
	for _, ch := range []string{"table-active", "table-key", "table-on-demand", "table-pitr", "table-tagged"} {
		for _, l := range []string{"ana", "ben"} {
			assert.Equal(t, "pass ✓", cells[l+"|lab1/"+ch], "%s %s", l, ch)
		}
		assert.Contains(t, []string{"fail ✗", "skipped –"}, cells["cy|lab1/"+ch], "cy %s", ch)
		assert.Equal(t, "ungraded ∅", cells["dee|lab1/"+ch], "dee %s: unreachable, so never pending once the run is over", ch)
	}
	statuses, err := chromedp.Run(b, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("tr[data-learner] .status")).map(s => s.textContent).join(",")`))
	require.NoError(t, err)
	assert.Equal(t, "graded,graded,graded,unreachable", statuses)
	screenshot(t, b, "class-matrix")

	runs, err := store.ClassRuns(ctx, "cs101")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	got, err := chromedp.Run(b, chromedp.Evaluate[string](fmt.Sprintf(`fetch("/class/runs/%s/gradebook.csv").then(r => r.text())`, runs[0].ID), chromedp.EvalAwaitPromise))
	require.NoError(t, err)

	// What the command line (`lab class grade`) writes for the same roster.
	ros, err := class.ParseRoster(strings.NewReader(roster))
	require.NoError(t, err)
	grading.Checks, err = srv.classChecks("lab1")
	require.NoError(t, err)
	cli, err := class.GradeRoster(ctx, grading, ros, nil, class.Selection{}, "cli", nil, "", nil)
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, class.WriteGradebookCSV(&want, cli))
	assert.Equal(t, withoutGradedAt(t, want.String()), withoutGradedAt(t, got))

	// The zip of every file: the same gradebook, the summary with the
	// run's changes, and each learner's reports.
	z64, err := chromedp.Run(b, chromedp.Evaluate[string](fmt.Sprintf(`fetch("/class/runs/%s/export.zip").then(r => r.arrayBuffer()).then(b => btoa(Array.from(new Uint8Array(b), c => String.fromCharCode(c)).join("")))`, runs[0].ID), chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	zb, err := base64.StdEncoding.DecodeString(z64)
	require.NoError(t, err)
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	require.NoError(t, err)
	inZip := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		inZip[f.Name] = string(body)
	}
	assert.Equal(t, got, inZip["gradebook.csv"], "the zip's gradebook is the one downloaded")
	assert.Contains(t, inZip["summary.md"], "4 learners: 3 graded, 0 grader errors, 1 unreachable")
	for _, l := range []string{"ana", "ben", "cy"} {
		for _, f := range []string{"report.json", "junit.xml", "results.json"} {
			assert.NotEmpty(t, inZip[l+"/"+f], "%s/%s in the zip", l, f)
		}
	}
	assert.NotContains(t, inZip, "dee/results.json", "no Gradescope score for an unreachable learner")

	step(t, b, "the finished run's summary",
		chromedp.Click(chromedp.CSS(`.run-state a.show-summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.score-stats`)),
	)
	assert.Contains(t, text(t, b, ".run-state"), "Finished. 3 graded, 0 grader errors, 1 unreachable.")
	assert.Contains(t, text(t, b, ".score-stats"), "graded learners only")
	assert.Contains(t, text(t, b, "ul.not-graded"), "dee: unreachable: ", "the finished run says why dee has no grade")
	dee, err := chromedp.Run(b, chromedp.Evaluate[[]int](`[document.querySelectorAll('tr[data-learner="dee"] td[data-cell]').length, document.querySelectorAll('tr[data-learner="dee"] td.cell-ungraded').length]`))
	require.NoError(t, err)
	require.Len(t, dee, 2)
	assert.Positive(t, dee[0])
	assert.Equal(t, dee[0], dee[1], "every one of dee's cells on the finished run's page is 'not graded'")
}

// withoutGradedAt drops the graded_at column (and the message of an
// unreachable learner, which quotes the SDK's request id).
func withoutGradedAt(t *testing.T, s string) [][]string {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	for i, r := range rows {
		if i > 0 && r[len(r)-3] == class.StatusUnreachable {
			r[len(r)-1] = "(unreachable)"
		}
		rows[i] = append(r[:len(r)-2:len(r)-2], r[len(r)-1])
	}
	return rows
}

func browserCookie(t *testing.T, b context.Context, base string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Run(b, chromedp.Action[*network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (*network.GetCookiesResult, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/class"}})
		return &r, err
	}))
	require.NoError(t, err)
	for _, c := range res.Cookies {
		if c.Name == instructorCookie {
			return c
		}
	}
	return nil
}
