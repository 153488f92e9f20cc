package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labkit-dev/labkit/kit/demo/demotest"
)

// evalUntil evaluates expr in the page until it returns true.
func evalUntil(t *testing.T, ctx context.Context, what, expr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (last error %v)", what, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBrowserDemoSpikeMovesFiguresAndChart opens /demo at a projector's
// 1280x720, takes accounting down, fires a small spike from the page's own
// controls and sees the diagram's figures, the scoreboard and the chart move.
func TestBrowserDemoSpikeMovesFiguresAndChart(t *testing.T) {
	a := newApp(t, func(c *Config) { c.Demo = demotest.Start(t) })
	// The browser second, so that it closes first (cleanups run last in,
	// first out) and its event stream lets the test server close.
	ctx := browser(t, chromedp.WindowSize(1280, 720))
	step(t, ctx, "open the demo",
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(a.url+"/demo"),
		chromedp.WaitVisible(chromedp.CSS("#live.on")),
	)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#fig-api").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if got != "0" {
		t.Errorf("the API shows %q requests/s before any traffic, want 0", got)
	}
	viewportPNG(t, ctx, "demo-idle-1280x720")
	step(t, ctx, "take accounting down",
		chromedp.Click(chromedp.CSS("#btn-accounting")),
		chromedp.WaitVisible(chromedp.CSS(`#btn-accounting[aria-pressed="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.node.down[data-node="accounting"]`)),
	)
	step(t, ctx, "fire a spike",
		chromedp.SetValue(chromedp.CSS(`input[name="orders"]`), "40"),
		chromedp.SetValue(chromedp.CSS(`input[name="rate"]`), "20"),
		chromedp.Click(chromedp.CSS(`button[data-action="spike"]`)),
	)
	evalUntil(t, ctx, "the API's figure moves", `Number(document.querySelector("#fig-api").textContent) > 0`, 20*time.Second)
	evalUntil(t, ctx, "the chart draws accepted orders",
		`(() => { const l = document.querySelector("#chart").dataset.last; return !!l && JSON.parse(l).accepted > 0 })()`, 20*time.Second)
	viewportPNG(t, ctx, "demo-spike-accounting-down-1280x720")
	evalUntil(t, ctx, "the monolith's inconsistent orders on the scoreboard",
		`Number(document.querySelector('[data-score="monolith.inconsistent"]').textContent) === 40`, 30*time.Second)
	evalUntil(t, ctx, "the accounting DLQ fills", `Number(document.querySelector("#fig-accDLQ").textContent) > 0`, 30*time.Second)
	last, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#chart").dataset.last`))
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Accepted, Completed, Monolith int }
	if err := json.Unmarshal([]byte(last), &p); err != nil || p.Accepted != 40 || p.Completed != 0 {
		t.Errorf("the chart's last point %s: want 40 accepted, 0 completed while accounting is down (err %v)", last, err)
	}
	viewportPNG(t, ctx, "demo-dlq-1280x720")
	// A 4K projector: the same page, everything scaled up.
	step(t, ctx, "4K", chromedp.EmulateViewport(3840, 2160))
	evalUntil(t, ctx, "the chart redrawn at 4K", `document.querySelector("#chart").width >= 2000`, 10*time.Second)
	viewportPNG(t, ctx, "demo-dlq-3840x2160")
}

// viewportPNG saves what the 1280x720 viewport shows as a PNG under the
// test's artifact directory (go test -artifacts keeps it).
func viewportPNG(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}
