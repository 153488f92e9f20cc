package web

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web/progress"
)

// testContent is a small course: a lab with checks and a knowledge lab.
var testContent = fstest.MapFS{
	"week1/lab1-table/lab.md": {Data: []byte(`---
lab: lab1
week: 1
order: 1
title: The table
steps:
  - {id: make, title: Make it}
---
# The table

## Step 1: Make it

Run it.

[[check make]]

<script>alert("x")</script>

[[check all]]
`)},
	"week1/lab1-table/checks.yaml": {Data: []byte(`lab: lab1
checks:
  - id: made
    title: It is made
    step: make
    kind: test.verdict
    points: 2
    params: {verdict: pass, name: "${ordersTable}"}
  - id: tuned
    title: It is tuned
    step: make
    kind: test.verdict
    points: 1
    hints: [tune it <b>now</b>]
    params: {verdict: fail}
`)},
	"week1/lab1-table/diagram.svg": {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
	"week1/lab0-quiz/lab.md":       {Data: []byte("---\nlab: lab0\nweek: 1\norder: 0\ntitle: The call\nknowledge: true\n---\nRead the brief.\n")},
	"week1/lab0-quiz/quiz.yaml": {Data: []byte(`lab: lab0
questions:
  - id: compute
    prompt: Which compute?
    answer: lambda
    explanation: The team knows Lambda.
    choices:
      - {id: ec2, text: EC2, why: Servers to run.}
      - {id: lambda, text: Lambda, why: Serverless.}
`)},
}

func testLibrary() *grader.Library {
	return grader.NewLibrary(grader.Kind{
		Name:   "test.verdict",
		Params: []grader.Param{{Name: "verdict", Required: true}, {Name: "name"}},
		Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
			if p.String("verdict", "") == "pass" {
				return grader.Passf("saw %s", p.String("name", ""))
			}
			return grader.Failf("not tuned")
		},
	})
}

type app struct {
	url    string
	client *http.Client
	cfg    Config
}

func newApp(t *testing.T, mutate func(*Config)) *app {
	t.Helper()
	dir := t.TempDir()
	store, err := progress.Open(context.Background(), filepath.Join(dir, "progress.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := Config{Content: testContent, Store: store, Library: testLibrary(), ConfigPath: filepath.Join(dir, "config.json"),
		LocalEndpoint: "http://127.0.0.1:1"}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	return &app{url: ts.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, cfg: cfg}
}

func (a *app) get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := a.client.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return resp.StatusCode, b.String(), resp.Header
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([0-9a-f]+)">`)

func (a *app) csrf(t *testing.T) string {
	t.Helper()
	_, body, _ := a.get(t, "/labs/lab1")
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf token in the lab page")
	}
	return m[1]
}

func (a *app) post(t *testing.T, path string, form url.Values, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return resp.StatusCode, b.String()
}

func TestPagesRenderSafely(t *testing.T) {
	a := newApp(t, nil)
	code, body, h := a.get(t, "/")
	if code != 200 || !strings.Contains(body, "The table") || !strings.Contains(body, "The call") {
		t.Fatalf("home: got %d, want 200 listing both labs:\n%s", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP: got %q", csp)
	}
	code, body, _ = a.get(t, "/labs/lab1")
	if code != 200 {
		t.Fatalf("lab page: got %d", code)
	}
	for _, want := range []string{`class="check-button" data-step="make"`, `data-step="all"`, `href="#step-1-make-it"`, `data-lab="lab1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("lab page lacks %s", want)
		}
	}
	if strings.Contains(body, `<script>alert`) {
		t.Errorf("raw HTML from markdown reached the page")
	}
	if code, _, _ := a.get(t, "/labs/nope"); code != 404 {
		t.Errorf("unknown lab: got %d, want 404", code)
	}
}

func TestLabFilesServeOnlyAssets(t *testing.T) {
	a := newApp(t, nil)
	tests := []struct {
		path string
		want int
	}{
		{"/labs/lab1/files/diagram.svg", 200},
		{"/labs/lab1/files/lab.md", 404},
		{"/labs/lab1/files/checks.yaml", 404},
		{"/labs/lab1/files/../lab0-quiz/quiz.yaml", 404},
	}
	for _, tt := range tests {
		if code, _, _ := a.get(t, tt.path); code != tt.want {
			t.Errorf("GET %s: got %d, want %d", tt.path, code, tt.want)
		}
	}
}

func TestCheckButtonStreamsResultsAndKeepsProgress(t *testing.T) {
	a := newApp(t, nil)
	if code, _ := a.post(t, "/labs/lab1/check", url.Values{"step": {"make"}}, ""); code != http.StatusForbidden {
		t.Errorf("POST without CSRF: got %d, want 403", code)
	}
	if code, _ := a.post(t, "/labs/lab1/check", url.Values{"step": {"make"}}, "0123"); code != http.StatusForbidden {
		t.Errorf("POST with a forged CSRF token: got %d, want 403", code)
	}
	code, body := a.post(t, "/labs/lab1/check", url.Values{"step": {"make"}}, a.csrf(t))
	if code != 200 {
		t.Fatalf("check: got %d %s", code, body)
	}
	for _, want := range []string{"event: start", "Running 2 checks against", "event: result", `"checkId":"made","status":"pass"`, `"checkId":"tuned","status":"fail"`, "event: done", "saw Orders", "tune it \\u0026lt;b\\u0026gt;now"} {
		if !strings.Contains(body, want) {
			t.Errorf("stream lacks %q:\n%s", want, body)
		}
	}
	_, home, _ := a.get(t, "/")
	if !strings.Contains(home, "2 / 3 points") {
		t.Errorf("home does not show progress 2/3 after the check")
	}
	_, attempts, _ := a.get(t, "/attempts")
	if !strings.Contains(attempts, "It is made") || !strings.Contains(attempts, "not tuned") {
		t.Errorf("attempts page lacks the results:\n%s", attempts)
	}
}

func TestNamesFromLearnerConfig(t *testing.T) {
	a := newApp(t, nil)
	if err := labs.SaveConfig(a.cfg.ConfigPath, labs.Config{Names: map[string]string{"ordersTable": "ShopOrders"}}); err != nil {
		t.Fatal(err)
	}
	_, body := a.post(t, "/labs/lab1/check", url.Values{"step": {"make"}}, a.csrf(t))
	if !strings.Contains(body, "saw ShopOrders") {
		t.Errorf("the check did not use the learner's table name:\n%s", body)
	}
}

func TestQuizGradedWithExplanations(t *testing.T) {
	a := newApp(t, nil)
	code, _ := a.post(t, "/labs/lab0/quiz", url.Values{"q-compute": {"ec2"}, "csrf": {a.csrf(t)}}, "")
	if code != http.StatusSeeOther {
		t.Fatalf("quiz post: got %d, want 303", code)
	}
	_, body, _ := a.get(t, "/labs/lab0")
	for _, want := range []string{"Not the best choice.", "Servers to run.", "The team knows Lambda.", `value="ec2" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("graded quiz lacks %q", want)
		}
	}
}

func TestSettingsStoreTargetNeverKeys(t *testing.T) {
	a := newApp(t, func(c *Config) { c.AWSConfigFile = writeAWSConfig(t) })
	_, page, _ := a.get(t, "/settings")
	if !strings.Contains(page, `<option value="course"`) || !strings.Contains(page, `<option value="default"`) {
		t.Errorf("settings page does not list the profiles")
	}
	if strings.Contains(page, "AKIA") || strings.Contains(page, "secret") {
		t.Errorf("settings page shows key material")
	}
	code, _ := a.post(t, "/settings", url.Values{"target": {"aws"}, "profile": {"course"}, "region": {"eu-west-1"}, "csrf": {a.csrf(t)}}, "")
	if code != http.StatusSeeOther {
		t.Fatalf("save: got %d, want 303", code)
	}
	c, err := labs.LoadConfig(a.cfg.ConfigPath)
	if err != nil || c.Target != "aws" || c.Profile != "course" || c.Region != "eu-west-1" {
		t.Errorf("saved config: got %+v, %v", c, err)
	}
	// The app sees the change it (or the CLI) made after it first read the file.
	if _, page, _ := a.get(t, "/"); !strings.Contains(page, "AWS profile course in eu-west-1") {
		t.Errorf("after saving, the page still shows the old target")
	}
	if err := labs.SaveConfig(a.cfg.ConfigPath, labs.Config{Target: "aws", Profile: "default", Region: "us-west-2"}); err != nil {
		t.Fatal(err)
	}
	if _, page, _ := a.get(t, "/"); !strings.Contains(page, "AWS profile default in us-west-2") {
		t.Errorf("a change made outside the app (lab names set, an editor) is not seen")
	}
	if code, _ := a.post(t, "/settings", url.Values{"target": {"aws"}, "profile": {"x; rm -rf"}, "region": {"eu-west-1"}, "csrf": {a.csrf(t)}}, ""); code != 400 {
		t.Errorf("bad profile name: got %d, want 400", code)
	}
}

func writeAWSConfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "config")
	os.WriteFile(p, []byte("[default]\nregion = us-east-1\n[profile course]\nregion = eu-west-1\naws_secret_access_key = secret\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\n"), 0o600)
	return p
}

func TestHostedNeedsToken(t *testing.T) {
	if _, err := New(Config{Content: testContent, Library: testLibrary(), Hosted: true, Token: "short"}); err == nil {
		t.Errorf("a hosted app accepted a short token")
	}
	a := newApp(t, func(c *Config) { c.Hosted, c.Token = true, "0123456789abcdef0123" })
	if code, _, _ := a.get(t, "/"); code != http.StatusUnauthorized {
		t.Errorf("no token: got %d, want 401", code)
	}
	if code, _, _ := a.get(t, "/?token=wrong-token-wrong-token"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: got %d, want 401", code)
	}
	code, _, h := a.get(t, "/?token=0123456789abcdef0123")
	if code != http.StatusSeeOther || strings.Contains(h.Get("Location"), "token") {
		t.Errorf("right token: got %d to %q, want a redirect that drops the token from the URL", code, h.Get("Location"))
	}
	if code, _, _ := a.get(t, "/"); code != 200 {
		t.Errorf("after the token cookie: got %d, want 200", code)
	}
	code, _ = a.post(t, "/settings", url.Values{"target": {"aws"}, "region": {"us-east-1"}, "csrf": {a.csrf(t)}}, "")
	if code != 400 {
		t.Errorf("hosted app switching to AWS: got %d, want 400", code)
	}
}

// TestLabPagesShowTheLocalCloudAddress renders the real lab 1 with a local
// cloud on another port: the commands name that address, as the header
// does, not the default 127.0.0.1:4566 (issue 11 item 6).
func TestLabPagesShowTheLocalCloudAddress(t *testing.T) {
	for _, tt := range []struct{ endpoint, want, notWant string }{
		{"http://127.0.0.1:4599", "--endpoint-url http://127.0.0.1:4599", "127.0.0.1:4566"},
		{"http://127.0.0.1:4566", "--endpoint-url http://127.0.0.1:4566", "127.0.0.1:4599"},
	} {
		a := newApp(t, func(c *Config) {
			c.Content, c.Library, c.LocalEndpoint = labs.Content, checks.Library(), tt.endpoint
		})
		code, body, _ := a.get(t, "/labs/lab1")
		if code != 200 {
			t.Fatalf("lab 1: got %d", code)
		}
		if !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) {
			t.Errorf("local cloud at %s: want %q and no %q in the page", tt.endpoint, tt.want, tt.notWant)
		}
	}
}
