package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/labs"
)

// browser starts headless Chromium (Debian's package) for a test and returns
// a tab's context. Without Chromium the test skips on a laptop and fails in
// CI, which installs it.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
		}
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser outside any timeout
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text reads the visible text of the first element sel matches, waiting
// (up to 20 s) until one exists. It asks the page in JavaScript rather than
// through chromedp.Text: that one looks the node up by its DevTools node id,
// and a DOM.documentUpdated handled between the lookup and the read (the
// page's own navigation, or a late event of the last one on a loaded
// machine) invalidates every id, failing the test with "No node with given
// id found" (seen on TestBrowserOtherOriginsCannotSwitchTarget at load ~30).
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	// null while nothing matches; "" for a hidden element, as chromedp.Text.
	expr := `(() => { const e = document.querySelector(` + jsString(sel) + `); if (!e) return null;
		return (e.offsetWidth || e.offsetHeight || e.getClientRects().length) ? e.innerText : ''; })()`
	deadline := time.Now().Add(20 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		s, err := chromedp.Run(sctx, chromedp.Evaluate[*string](expr))
		cancel()
		if err == nil && s != nil {
			return *s
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %s: no element within 20 s (last error %v)", sel, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the page under the test's artifact directory
// (go test -artifacts keeps it).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // 100: a PNG (any other quality is a JPEG)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func TestBrowserCheckButtonStreamsResults(t *testing.T) {
	a := newApp(t, nil)
	ctx := browser(t)
	step(t, ctx, "open the lab",
		chromedp.Navigate(a.url+"/labs/lab1"),
		chromedp.WaitVisible(chromedp.CSS(`button.check-button[data-step="make"]`)),
		chromedp.Click(chromedp.CSS(`button.check-button[data-step="make"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.check[data-step="make"] .summary`)),
	)
	results := text(t, ctx, `.check[data-step="make"] .check-results`)
	// innerText applies the badges' text-transform, so compare case-blind.
	for _, want := range []string{"It is made", "Passed", "It is tuned", "Failed", "not tuned", "tune it <b>now</b>", "1 passed, 1 failed"} {
		if !strings.Contains(strings.ToLower(results), strings.ToLower(want)) {
			t.Errorf("results lack %q:\n%s", want, results)
		}
	}
	screenshot(t, ctx, "lab-after-check")
	if got := text(t, ctx, ".toc-score"); !strings.Contains(got, "2 / 3 points") {
		t.Errorf("the sidebar shows %q right after the check, want 2 / 3 points", got)
	}
	if got := text(t, ctx, `.steps li[data-step="make"] .step-count`); got != "1/2" {
		t.Errorf("the step count shows %q right after the check, want 1/2", got)
	}

	// Progress is kept: reload, and the home page and sidebar show it.
	step(t, ctx, "reload", chromedp.Navigate(a.url+"/labs/lab1"), chromedp.WaitVisible(chromedp.CSS(".toc-score")))
	if got := text(t, ctx, ".toc-score"); !strings.Contains(got, "2 / 3 points") {
		t.Errorf("after reload the lab shows %q, want 2 / 3 points", got)
	}
	step(t, ctx, "home", chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.CSS(".card")))
	if got := text(t, ctx, ".cards"); !strings.Contains(got, "2 / 3 points") {
		t.Errorf("home shows %q, want 2 / 3 points", got)
	}
	screenshot(t, ctx, "home-with-progress")
}

func TestBrowserKnowledgeCheck(t *testing.T) {
	a := newApp(t, nil)
	ctx := browser(t)
	step(t, ctx, "answer and submit",
		chromedp.Navigate(a.url+"/labs/lab0"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="q-compute"][value="lambda"]`)),
		chromedp.Click(chromedp.CSS(`input[name="q-compute"][value="lambda"]`)),
		chromedp.Click(chromedp.CSS(`.quiz button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.feedback`)),
	)
	fb := text(t, ctx, ".feedback")
	if !strings.Contains(fb, "Right.") || !strings.Contains(fb, "The team knows Lambda.") {
		t.Errorf("feedback: got %q", fb)
	}
	screenshot(t, ctx, "quiz-graded")
}

func TestBrowserKeyboardReachesCheckButton(t *testing.T) {
	a := newApp(t, nil)
	ctx := browser(t)
	step(t, ctx, "open", chromedp.Navigate(a.url+"/labs/lab1"), chromedp.WaitVisible(chromedp.CSS("button.check-button")))
	// Tab through the page until the first check button has focus, then press Enter.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for i := 0; i < 60; i++ {
		if err := chromedp.Do(sctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		focused, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.activeElement && document.activeElement.dataset ? (document.activeElement.dataset.step || "") : ""`))
		if err != nil {
			t.Fatal(err)
		}
		if focused == "make" {
			step(t, ctx, "press enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`.check[data-step="make"] .summary`)))
			return
		}
	}
	t.Fatal("the check button cannot be reached with the keyboard")
}

// TestBrowserCopyButtonHidesNoCode opens lab 2, whose curl commands are
// longer than the code column, and checks that no copy button overlaps any
// code block's text: the button sits in a bar above its block (it used to
// float over the end of the visible lines). A screenshot records the look.
func TestBrowserCopyButtonHidesNoCode(t *testing.T) {
	a := newApp(t, func(c *Config) { c.Content, c.Library = labs.Content, checks.Library() })
	ctx := browser(t)
	step(t, ctx, "open lab 2",
		chromedp.Navigate(a.url+"/labs/lab2"),
		chromedp.WaitVisible(chromedp.CSS(`.codebar .copy`)),
	)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// For every copy button: does its box intersect its code block's <pre>?
	// And is there a block whose lines are wider than the block (so the
	// test covers long lines)?
	got, err := chromedp.Run(sctx, chromedp.Evaluate[map[string]int](`(() => {
		let buttons = 0, overlaps = 0, long = 0;
		for (const btn of document.querySelectorAll(".prose .copy")) {
			buttons++;
			const pre = btn.closest(".codeblock").querySelector("pre");
			const b = btn.getBoundingClientRect(), p = pre.getBoundingClientRect();
			if (b.left < p.right && b.right > p.left && b.top < p.bottom && b.bottom > p.top) overlaps++;
			if (pre.scrollWidth > pre.clientWidth && long++ === 0) btn.closest(".codeblock").id = "first-long-block";
		}
		return {buttons, overlaps, long};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "lab2-copy-buttons")
	png, err := chromedp.Run(sctx, chromedp.Screenshot(chromedp.CSS("#first-long-block")))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.ArtifactDir(), "lab2-long-code-block.png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if got["buttons"] == 0 || got["long"] == 0 {
		t.Fatalf("lab 2 has %d copy buttons and %d code blocks wider than the page; want some of each", got["buttons"], got["long"])
	}
	if got["overlaps"] != 0 {
		t.Errorf("%d of %d copy buttons lie over their code block", got["overlaps"], got["buttons"])
	}
}
