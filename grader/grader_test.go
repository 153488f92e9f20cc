package grader

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func testLibrary() *Library {
	return NewLibrary(
		Kind{Name: "always", Params: []Param{{Name: "verdict", Required: true, Doc: "pass or fail"}, {Name: "table"}},
			Run: func(ctx context.Context, env *Env, p Params) Outcome {
				if p.String("verdict", "") == "pass" {
					return Passf("table %s", p.String("table", ""))
				}
				return Failf("told to fail")
			}},
		Kind{Name: "panics", Run: func(ctx context.Context, env *Env, p Params) Outcome { panic("boom") }},
		Kind{Name: "hangs", Run: func(ctx context.Context, env *Env, p Params) Outcome { <-ctx.Done(); return Outcome{} }},
		Kind{Name: "parts", Run: func(ctx context.Context, env *Env, p Params) Outcome {
			return FromParts([]Part{{Name: "a", Passed: true}, {Name: "b", Passed: true}, {Name: "c"}, {Name: "d", Passed: true}})
		}},
	)
}

func TestParseManifestErrorsNameFileAndLine(t *testing.T) {
	lib := testLibrary()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown kind", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: always\n    params: {verdict: pass}\n  - id: b\n    title: B\n    kind: nosuch\n", "checks.yaml:7: check \"b\": unknown kind \"nosuch\""},
		{"missing param", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: always\n", "checks.yaml:3: check \"a\": kind always needs parameter \"verdict\""},
		{"unknown param", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: always\n    params: {verdict: pass, colour: red}\n", "checks.yaml:3: check \"a\": kind always has no parameter \"colour\""},
		{"duplicate id", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n  - id: a\n    title: A2\n    kind: panics\n", "checks.yaml:6: check id \"a\" is already used on line 3"},
		{"unknown field", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n    pionts: 3\n", "checks.yaml:6:"},
		{"syntax", "lab: l1\nchecks:\n  - id: a\n   title: [unclosed\n", "checks.yaml:"},
		{"needs unknown", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n    needs: [zz]\n", "checks.yaml:3: check \"a\" needs \"zz\""},
		{"no lab", "checks: []\n", "checks.yaml:1: missing `lab:`"},
		{"suspects unknown", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n    suspects: [zz]\n", "checks.yaml:3: check \"a\" suspects \"zz\""},
		{"wait circle", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n    suspects: [b]\n  - id: b\n    title: B\n    kind: panics\n    needs: [a]\n", "checks.yaml:3: checks wait for each other in a circle (needs and suspects): a -> b -> a"},
		{"bad timeout", "lab: l1\nchecks:\n  - id: a\n    title: A\n    kind: panics\n    timeout: soon\n", "checks.yaml:3: check \"a\": bad timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest("checks.yaml", []byte(tt.yaml), lib)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseManifestKeepsDeclarations(t *testing.T) {
	m, err := ParseManifest("x/checks.yaml", []byte(`lab: lab1
title: The table
checks:
  - id: exists
    title: Table exists
    step: create
    kind: always
    points: 2
    hints: [look again, run describe-table]
    timeout: 5s
    params: {verdict: pass, table: "${ordersTable}"}
  - id: keys
    title: Keys
    step: create
    kind: always
    points: 1
    needs: [exists]
    params: {verdict: fail}
`), testLibrary())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Checks), 2; got != want {
		t.Fatalf("got %d checks, want %d", got, want)
	}
	c := m.Checks[0]
	if c.Pos != "x/checks.yaml:4" || c.Timeout != 5*time.Second || len(c.Hints) != 2 || c.Step != "create" || c.Lab != "lab1" {
		t.Errorf("got %+v", c)
	}
	if got := m.Points(); got != 3 {
		t.Errorf("points: got %v, want 3", got)
	}
	if got := len(m.Step("create")); got != 2 {
		t.Errorf("step checks: got %d, want 2", got)
	}
}

func TestRunVerdicts(t *testing.T) {
	lib := testLibrary()
	k := func(name string) *Kind { kk, _ := lib.Kind(name); return kk }
	checks := []*Check{
		{Lab: "l", ID: "ok", Title: "OK", Points: 2, Kind: k("always"), Params: Params{"verdict": "pass", "table": "${ordersTable}"}},
		{Lab: "l", ID: "bad", Title: "Bad", Points: 3, Kind: k("always"), Params: Params{"verdict": "fail"}, Hints: []string{"h1", "h2"}},
		{Lab: "l", ID: "after-bad", Title: "After", Points: 1, Kind: k("always"), Params: Params{"verdict": "pass"}, Needs: []string{"bad"}},
		{Lab: "l", ID: "after-ok", Title: "After ok", Points: 1, Kind: k("always"), Params: Params{"verdict": "pass"}, Needs: []string{"ok"}},
		{Lab: "l", ID: "panic", Title: "Panics", Points: 5, Kind: k("panics")},
		{Lab: "l", ID: "hang", Title: "Hangs", Points: 5, Kind: k("hangs"), Timeout: 20 * time.Millisecond},
		{Lab: "l", ID: "parts", Title: "Parts", Points: 4, Kind: k("parts")},
		{Lab: "l", ID: "after-panic", Title: "After panic", Points: 9, Kind: k("always"), Params: Params{"verdict": "pass"}, Needs: []string{"panic"}},
	}
	env := &Env{Names: map[string]string{"ordersTable": "MyOrders"}}
	var mu sync.Mutex
	var streamed []string
	rs := Run(context.Background(), env, checks, 2, func(r Result) {
		mu.Lock()
		streamed = append(streamed, r.CheckID)
		mu.Unlock()
	})
	want := map[string]Status{"ok": Pass, "bad": Fail, "after-bad": Skipped, "after-ok": Pass, "panic": Error, "hang": Error, "parts": Fail, "after-panic": Error}
	for _, r := range rs {
		if r.Status != want[r.CheckID] {
			t.Errorf("%s: got %s (%s), want %s", r.CheckID, r.Status, r.Reason, want[r.CheckID])
		}
	}
	if len(streamed) != len(checks) {
		t.Errorf("streamed %d results, want %d", len(streamed), len(checks))
	}
	if got := rs[0].Evidence; len(got) != 1 || got[0] != "table MyOrders" {
		t.Errorf("params not expanded from names: evidence %q", got)
	}
	if rs[1].Points != 0 || len(rs[1].Hints) != 2 {
		t.Errorf("failed check: got points %v hints %v, want 0 and the hints", rs[1].Points, rs[1].Hints)
	}
	if !strings.Contains(rs[2].Reason, `"bad"`) {
		t.Errorf("skip reason %q should name the check it needs", rs[2].Reason)
	}
	if !strings.Contains(rs[4].Reason, "bug in the grader") {
		t.Errorf("panic reason: %q", rs[4].Reason)
	}
	if rs[6].Points != 3 {
		t.Errorf("partial credit: got %v, want 3 of 4", rs[6].Points)
	}
	s := Summarize(rs)
	if s.Passed != 2 || s.Failed != 2 || s.Errored != 3 || s.Skipped != 1 {
		t.Errorf("summary counts: %+v", s)
	}
	if s.Max != 2+3+1+1+4 || s.Points != 2+1+3 {
		t.Errorf("summary points: got %v/%v, want 6/11 (errors never cost points)", s.Points, s.Max)
	}
}

func TestRedact(t *testing.T) {
	for _, in := range []string{
		"Authorization: Bearer v1.web.1790000000.abcdefghijklmnopqrstuvwxyz012345",
		`{"TOKEN_SECRET":"s3cr3t-value-123"}`,
		"key ASIAABCDEFGHIJKLMNOP used",
		"sent token v1.mobile.1790000000.abcdefghijklmnopqrstuv",
	} {
		out := Redact(in)
		for _, secret := range []string{"abcdefghijklmnop", "s3cr3t", "ASIAABCDEFGHIJKLMNOP"} {
			if strings.Contains(out, secret) {
				t.Errorf("Redact(%q) = %q still contains %q", in, out, secret)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("Redact(%q) = %q, want a [redacted] mark", in, out)
		}
	}
	if got := Redact("table Orders is ACTIVE"); got != "table Orders is ACTIVE" {
		t.Errorf("Redact changed harmless text: %q", got)
	}
}

// TestRunCallsFinallyOnceAfterEveryCheck: a clean-up registered by several
// checks under one key runs once, after the last check finished (not
// cancelled with a run whose context ended), and one that panics does not
// stop the next.
func TestRunCallsFinallyOnceAfterEveryCheck(t *testing.T) {
	var mu sync.Mutex
	finished, calls := 0, map[string]int{}
	var seenFinished []int
	lib := NewLibrary(Kind{Name: "registers", Run: func(ctx context.Context, env *Env, p Params) Outcome {
		env.Finally("panics", func(context.Context) { panic("boom") })
		env.Finally("clean", func(ctx context.Context) {
			mu.Lock()
			defer mu.Unlock()
			calls["clean"]++
			seenFinished = append(seenFinished, finished)
			if ctx.Err() != nil {
				t.Errorf("clean-up got an ended context: %v", ctx.Err())
			}
		})
		mu.Lock()
		finished++
		mu.Unlock()
		return Passf("ok")
	}})
	k, _ := lib.Kind("registers")
	var list []*Check
	for i := range 5 {
		list = append(list, &Check{Lab: "l", ID: string(rune('a' + i)), Kind: k})
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := Run(ctx, &Env{}, list, 3, func(Result) {})
	cancel()
	if len(rs) != 5 {
		t.Fatalf("got %d results", len(rs))
	}
	if calls["clean"] != 1 || len(seenFinished) != 1 || seenFinished[0] != 5 {
		t.Errorf("clean-up ran %d times, seeing %v checks finished; want once, after all 5", calls["clean"], seenFinished)
	}
}

// TestSuspectNamedFirst: a check that fails the way a broken prerequisite
// makes it fail (Outcome.Downstream) names its failed suspect first; a
// failure of its own kind, a suspect that passed, or one not in the run
// change nothing, and the suspect never stops the check from running.
func TestSuspectNamedFirst(t *testing.T) {
	lib := NewLibrary(
		Kind{Name: "verdict", Params: []Param{{Name: "v", Required: true}}, Run: func(ctx context.Context, env *Env, p Params) Outcome {
			if p.String("v", "") == "pass" {
				return Passf("ok")
			}
			return Failf("the permission is missing")
		}},
		Kind{Name: "api", Params: []Param{{Name: "downstream"}}, Run: func(ctx context.Context, env *Env, p Params) Outcome {
			o := Failf("POST /orders got 500 Internal Server Error")
			o.Downstream = p.String("downstream", "") == "yes"
			return o
		}},
	)
	k := func(name string) *Kind { kk, _ := lib.Kind(name); return kk }
	const blamed = `check "perm" (Permission) failed, and that failure explains this one: fix it first. What this check saw: POST /orders got 500`
	for _, tc := range []struct {
		name, suspect, downstream string
		withSuspect               bool
		want                      string
	}{
		{"downstream failure, suspect failed", "fail", "yes", true, blamed},
		{"own failure, suspect failed", "fail", "no", true, "POST /orders got 500"},
		{"downstream failure, suspect passed", "pass", "yes", true, "POST /orders got 500"},
		{"downstream failure, suspect not graded", "fail", "yes", false, "POST /orders got 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &Check{Lab: "l", ID: "api", Title: "API", Kind: k("api"), Params: Params{"downstream": tc.downstream}, Suspects: []string{"perm"}}
			list := []*Check{api}
			if tc.withSuspect {
				list = append(list, &Check{Lab: "l", ID: "perm", Title: "Permission", Kind: k("verdict"), Params: Params{"v": tc.suspect}})
			}
			rs := Run(context.Background(), &Env{}, list, 2, nil)
			if rs[0].Status != Fail || !strings.HasPrefix(rs[0].Reason, tc.want) {
				t.Errorf("got %s %q, want fail starting %q", rs[0].Status, rs[0].Reason, tc.want)
			}
		})
	}
}
