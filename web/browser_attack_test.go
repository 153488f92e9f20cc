package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/labs"
)

// rebindPage is the attacker's page once its name resolves to the app: for
// the browser, /settings is same-origin, so it reads the token and posts.
const rebindPage = `<!doctype html><title>cute cats</title><p id="out">running</p><script>
(async () => {
  const out = document.getElementById('out');
  try {
    const r = await fetch('/settings');
    const m = (await r.text()).match(/name="csrf" value="([0-9a-f]+)"/);
    const body = new URLSearchParams({target: 'aws', profile: 'course', region: 'eu-west-1', csrf: m ? m[1] : ''});
    const p = await fetch('/settings', {method: 'POST', body});
    out.textContent = 'done read=' + r.status + ' token=' + !!m + ' post=' + p.status;
  } catch (e) { out.textContent = 'done ' + e; }
})();
</script>`

// crossPage is a page of another origin (another port on 127.0.0.1: the
// same site, so SameSite cookies go along) posting to the app blind.
const crossPage = `<!doctype html><title>cute dogs</title><p id="out">running</p>
<form id="f" method="post" action="%[1]s/settings"><input name="target" value="aws"><input name="profile" value="course">
<input name="region" value="eu-west-1"><input name="csrf" value="guessed"></form><script>
const body = new URLSearchParams({target: 'aws', profile: 'course', region: 'eu-west-1', csrf: 'guessed'});
fetch('%[1]s/settings', {method: 'POST', mode: 'no-cors', credentials: 'include', body})
  .catch(() => {}).finally(() => document.getElementById('f').submit());
</script>`

// TestBrowserOtherOriginsCannotSwitchTarget: a rebinding page (its name
// mapped to 127.0.0.1 by the browser's resolver, its requests reaching the
// app with Host rebind.attacker.example) and a page of another origin try
// to switch the learner's target to their real AWS profile.
func TestBrowserOtherOriginsCannotSwitchTarget(t *testing.T) {
	a := newApp(t, func(c *Config) { c.AWSConfigFile = writeAWSConfig(t) })
	appURL, err := url.Parse(a.url)
	require.NoError(t, err)
	toApp := httputil.NewSingleHostReverseProxy(appURL) // keeps the browser's Host
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rebind":
			fmt.Fprint(w, rebindPage)
		case "/cross":
			fmt.Fprintf(w, crossPage, a.url)
		default:
			toApp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(evil.Close)
	_, evilPort, _ := strings.Cut(strings.TrimPrefix(evil.URL, "http://"), ":")

	ctx := browser(t, chromedp.Flag("host-resolver-rules", "MAP rebind.attacker.example 127.0.0.1"))
	// The learner has the app open: the browser holds its cookies.
	step(t, ctx, "open the app", chromedp.Navigate(a.url+"/settings"), chromedp.WaitVisible(chromedp.CSS("form.settings")))

	step(t, ctx, "the rebinding page runs",
		chromedp.Navigate("http://rebind.attacker.example:"+evilPort+"/rebind"),
		chromedp.Poll[chromedp.Void](`document.getElementById('out').textContent.startsWith('done')`, chromedp.WithPollingTimeout(15*time.Second)))
	got := text(t, ctx, "#out")
	t.Logf("rebinding page: %s", got)
	assert.Contains(t, got, "read=403", "the rebinding page could read /settings")
	assert.Contains(t, got, "token=false", "the rebinding page read the CSRF token")
	assertLocalTarget(t, a, "after the rebinding page")

	step(t, ctx, "open the cross-origin page", chromedp.Navigate(evil.URL+"/cross"))
	// The page navigates itself (the form post): wait for the app's answer.
	waitJS(t, ctx, `location.href.startsWith(`+jsString(a.url)+`) && document.body && document.body.innerText.length > 0`)
	assert.Contains(t, text(t, ctx, "body"), "cross-origin request refused", "the form post from another origin")
	assertLocalTarget(t, a, "after the cross-origin page")
}

func assertLocalTarget(t *testing.T, a *app, when string) {
	t.Helper()
	c, err := labs.LoadConfig(a.cfg.ConfigPath)
	require.NoError(t, err)
	assert.NotEqual(t, "aws", c.Target, "%s the target is the learner's AWS profile %q", when, c.Profile)
}

// waitJS polls a JavaScript predicate until it is true, across the page's
// own navigations (which destroy the context a chromedp.Poll runs in).
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: last %v %v", expr, ok, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
