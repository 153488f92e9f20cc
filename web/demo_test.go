package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/demo"
	"github.com/labkit-dev/labkit/kit/demo/demotest"
)

// demoClient drives the demo page over HTTP as the page's script does.
type demoClient struct {
	t    *testing.T
	a    *app
	csrf string
}

func newDemoClient(t *testing.T, d *demo.Demo, mutate func(*Config)) *demoClient {
	a := newApp(t, func(c *Config) {
		c.Demo = d
		if mutate != nil {
			mutate(c)
		}
	})
	st, body, _ := a.get(t, "/demo")
	require.Equal(t, http.StatusOK, st, body)
	m := csrfMeta.FindStringSubmatch(body)
	require.NotNil(t, m, "the demo page carries a CSRF token")
	return &demoClient{t: t, a: a, csrf: m[1]}
}

// control presses a control and returns the status and the answer's text.
func (c *demoClient) control(action string, form url.Values, csrf string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.a.url+"/demo/control/"+action, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.a.client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var out struct{ Message, Error string }
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Message + out.Error
}

func (c *demoClient) press(action string, form url.Values) string {
	c.t.Helper()
	st, msg := c.control(action, form, c.csrf)
	require.Equal(c.t, http.StatusOK, st, "%s: %s", action, msg)
	c.t.Logf("%s: %s", action, msg)
	return msg
}

// frames reads the page's event stream until ok accepts a frame.
func (c *demoClient) until(what string, within time.Duration, ok func(demo.Frame) bool) demo.Frame {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.a.url+"/demo/events", nil)
	resp, err := c.a.client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	require.Equal(c.t, "text/event-stream", resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	var last demo.Frame
	for sc.Scan() {
		data, found := strings.CutPrefix(sc.Text(), "data: ")
		if !found {
			continue
		}
		var f demo.Frame
		require.NoError(c.t, json.Unmarshal([]byte(data), &f))
		if ok(f) {
			return f
		}
		last = f
	}
	c.t.Fatalf("%s: not within %v; last frame: score %+v, nodes %+v, log %q", what, within, last.Score, last.Nodes, last.Log)
	return last
}

// TestDemoControlsOverHTTP is the demo's story, driven through the page's
// own endpoints: the same spike with accounting down leaves the monolith
// with inconsistent orders and the decoupled design with none once
// accounting is back and its dead-letter queue is redriven; a poison
// message ends in the dead-letter queue and is redriven.
func TestDemoControlsOverHTTP(t *testing.T) {
	c := newDemoClient(t, demotest.Start(t), nil)

	// The guards first: a POST without the CSRF token, an unknown control.
	st, _ := c.control("reset", nil, "")
	assert.Equal(t, http.StatusForbidden, st, "a control without the CSRF token")
	st, msg := c.control("format-disk", nil, c.csrf)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, msg, "no demo control")
	st, msg = c.control("spike", url.Values{"orders": {"100000"}}, c.csrf)
	assert.Equal(t, http.StatusBadRequest, st, "a spike beyond the demo's bound")
	assert.Contains(t, msg, "orders=")

	c.press("accounting-down", nil)
	c.until("accounting shown down", 5*time.Second, func(f demo.Frame) bool { return f.Switches.AccountingDown })
	c.press("spike", url.Values{"orders": {"30"}, "rate": {"30"}})
	f := c.until("the accounting messages dead-lettered", time.Minute, func(f demo.Frame) bool {
		return f.Busy == "" && f.Nodes["accDLQ"].Depth == 30 && f.Score["monolith"].Failed == 30
	})
	mono, dec := f.Score["monolith"], f.Score["decoupled"]
	assert.Equal(t, 30, dec.Accepted, "the decoupled design accepts every order while accounting is down")
	assert.Equal(t, 0, mono.Accepted, "the monolith answers no order while accounting is down")
	assert.Equal(t, 30, mono.Stored)
	assert.Equal(t, 30, mono.Inconsistent, "stored and applied by inventory, never by accounting")
	assert.Equal(t, 30, dec.Inconsistent, "not yet applied by accounting...")
	assert.Equal(t, 30, dec.Waiting, "...but waiting in its dead-letter queue")

	c.press("accounting-up", nil)
	assert.Contains(t, c.press("redrive", nil), "30 from accounting-orders-dlq")
	f = c.until("the decoupled design consistent after recovery and redrive", time.Minute, func(f demo.Frame) bool {
		return f.Score["decoupled"].Complete == 30 && f.Score["decoupled"].Inconsistent == 0 && f.Nodes["accDLQ"].Depth == 0
	})
	assert.Equal(t, 30, f.Score["monolith"].Inconsistent, "nothing retries the monolith's failed calls")
	assert.Greater(t, f.Cost.USD, 0.0)

	c.press("poison", nil)
	c.until("the poison message in the inventory DLQ", time.Minute, func(f demo.Frame) bool { return f.Nodes["invDLQ"].Depth == 1 })
	assert.Contains(t, c.press("redrive", nil), "1 from inventory-orders-dlq")
	c.until("the poison message moved back to its queue", 30*time.Second, func(f demo.Frame) bool {
		return f.Nodes["invDLQ"].Depth == 0
	})
	// Still poison: the worker fails it again and it returns to the DLQ.
	c.until("the poison message back in the DLQ", time.Minute, func(f demo.Frame) bool { return f.Nodes["invDLQ"].Depth == 1 })
}

// TestDemoReadOnlyWhenServingAClass: on a non-loopback address /demo is
// read-only, whoever has the class's access token; the controls are the
// logged-in instructor's, at /class/demo.
func TestDemoReadOnlyWhenServingAClass(t *testing.T) {
	const tok = "0123456789abcdef0123"
	rec := &recordingDemo{}
	a := classApp(t, func(c *Config) { c.Hosted, c.Token, c.Demo = true, tok, rec })
	st, body, _ := a.get(t, "/demo?token="+tok)
	require.Equal(t, http.StatusSeeOther, st)
	st, body, _ = a.get(t, "/demo")
	require.Equal(t, http.StatusOK, st, body)
	assert.Contains(t, body, "Read-only")
	assert.Contains(t, body, "<fieldset disabled>")
	m := csrfMeta.FindStringSubmatch(body)
	require.NotNil(t, m)
	c := &demoClient{t: t, a: a, csrf: m[1]}
	st, msg := c.control("reset", nil, m[1])
	assert.Equal(t, http.StatusForbidden, st)
	assert.Contains(t, msg, "instructor")

	// A learner (the class token, no instructor session) at the instructor's address.
	st, _, _ = a.get(t, "/class/demo")
	assert.Equal(t, http.StatusSeeOther, st, "to the login page")
	st, _ = a.post(t, "/class/demo/control/reset", nil, m[1])
	assert.Equal(t, http.StatusSeeOther, st, "a control without an instructor session")
	assert.Empty(t, rec.done, "no control ran for anyone but the instructor")

	// The instructor logs in: the page has its controls, and they run.
	st, _ = a.post(t, "/class/login", url.Values{"password": {instructorPassword}}, m[1])
	require.Equal(t, http.StatusSeeOther, st)
	st, body, _ = a.get(t, "/class/demo")
	require.Equal(t, http.StatusOK, st)
	assert.NotContains(t, body, "<fieldset disabled>")
	assert.Contains(t, body, `data-action="/class/demo/control"`)
	st, _ = a.post(t, "/class/demo/control/reset", nil, "")
	assert.Equal(t, http.StatusForbidden, st, "the instructor's control without the CSRF token")
	st, msg = a.post(t, "/class/demo/control/spike", url.Values{"orders": {"5"}}, m[1])
	assert.Equal(t, http.StatusOK, st, msg)
	assert.Equal(t, []string{"spike orders=5"}, rec.done)
}

// recordingDemo records the controls it is asked to run.
type recordingDemo struct{ done []string }

func (*recordingDemo) Watch(ctx context.Context) <-chan []byte { return make(chan []byte) }
func (r *recordingDemo) Do(_ context.Context, action string, args map[string]string) (string, error) {
	r.done = append(r.done, action+" orders="+args["orders"])
	return "done", nil
}

// TestDemoPageWithoutADemo: the labs' own web app (lab up) has no demo:
// the page says how to start one, and its endpoints answer 404.
func TestDemoPageWithoutADemo(t *testing.T) {
	a := newApp(t, nil)
	st, body, _ := a.get(t, "/demo")
	require.Equal(t, http.StatusOK, st)
	assert.Contains(t, body, "No demo is running here")
	assert.Contains(t, body, "<fieldset disabled>")
	st, _, _ = a.get(t, "/demo/events")
	assert.Equal(t, http.StatusNotFound, st)
	c := &demoClient{t: t, a: a, csrf: csrfMeta.FindStringSubmatch(body)[1]}
	st, msg := c.control("spike", nil, c.csrf)
	assert.Equal(t, http.StatusNotFound, st)
	assert.Contains(t, msg, "lab demo")
}
