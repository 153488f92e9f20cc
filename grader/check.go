package grader

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Check is one check of a lab, as its manifest declares it.
type Check struct {
	Lab    string
	ID     string
	Title  string
	Step   string
	Points float64
	Proves string
	Hints  []string
	Needs  []string
	// Suspects are checks whose failure would make this one fail too
	// without being its fault (API Gateway's own 500 when it may not invoke
	// the function). Unlike Needs they do not stop it from running: it runs
	// after them, and when it fails the way a broken prerequisite makes it
	// fail (Outcome.Downstream) while a suspect failed, its reason names
	// the suspect first.
	Suspects []string
	Timeout  time.Duration
	Kind     *Kind
	Params   Params
	// Pos is where the manifest declares the check ("labs/week1/.../checks.yaml:12").
	Pos string
}

// Kind is a kind of check in the library: the code behind every check that
// names it in a manifest.
type Kind struct {
	Name string
	// Doc says what a check of this kind proves.
	Doc string
	// Params lists the parameters a manifest may give; Required ones must be.
	Params []Param
	// Calls are the AWS API actions the kind makes ("dynamodb:DescribeTable"),
	// from which `lab policy` builds the grader's least-privilege policy.
	Calls []string
	// Functional kinds send test traffic to the learner's API.
	Functional bool
	// Validate checks a manifest's parameters beyond presence; may be nil.
	Validate func(p Params) error
	// Run decides. It gets the parameters with ${name} references expanded.
	Run func(ctx context.Context, env *Env, p Params) Outcome
}

// Param declares one parameter of a Kind.
type Param struct {
	Name     string
	Required bool
	Doc      string
}

// Params are a check's parameters from its manifest.
type Params map[string]any

// String returns a string parameter, or def when absent.
func (p Params) String(name, def string) string {
	switch v := p[name].(type) {
	case string:
		return v
	case nil:
		return def
	default:
		return fmt.Sprint(v)
	}
}

// Int returns an integer parameter, or def when absent or not a number.
func (p Params) Int(name string, def int) int {
	switch v := p[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case uint64:
		return int(v)
	case float64:
		return int(v)
	default:
		return def
	}
}

// Float returns a number parameter, or def.
func (p Params) Float(name string, def float64) float64 {
	switch v := p[name].(type) {
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case float64:
		return v
	default:
		return def
	}
}

// Bool returns a boolean parameter, or def.
func (p Params) Bool(name string, def bool) bool {
	if v, ok := p[name].(bool); ok {
		return v
	}
	return def
}

// Strings returns a list-of-strings parameter (a single string is a list of one).
func (p Params) Strings(name string) []string {
	switch v := p[name].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	default:
		return nil
	}
}

// Library is the set of check kinds manifests may name.
type Library struct {
	kinds map[string]*Kind
}

// NewLibrary returns a library holding kinds.
func NewLibrary(kinds ...Kind) *Library {
	l := &Library{kinds: map[string]*Kind{}}
	for _, k := range kinds {
		l.Register(k)
	}
	return l
}

// Register adds a kind; a second kind of the same name replaces the first.
func (l *Library) Register(k Kind) {
	kk := k
	l.kinds[k.Name] = &kk
}

// Kind returns the kind named name.
func (l *Library) Kind(name string) (*Kind, bool) {
	k, ok := l.kinds[name]
	return k, ok
}

// Kinds returns every kind, sorted by name.
func (l *Library) Kinds() []*Kind {
	out := make([]*Kind, 0, len(l.kinds))
	for _, k := range l.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Env is what checks run against: the learner's account and API, and the
// names they chose for their resources.
type Env struct {
	// AWS reaches the learner's account (real AWS or the local cloud).
	AWS aws.Config
	// Names maps name keys ("ordersTable") to the learner's resource names;
	// manifests refer to them as ${ordersTable}.
	Names map[string]string
	// HTTP sends functional checks' traffic; its transport enforces where
	// traffic may go.
	HTTP *http.Client
	// PollInterval is how often functional checks look again while they
	// wait for an effect; default 100 ms.
	PollInterval time.Duration
	// RunID marks this run's test traffic (header X-Lab-Grader-Run and
	// customer ids "grader-<RunID>-...").
	RunID string
	Log   *slog.Logger

	facts sync.Map // key -> *fact, see Fact

	finalMu sync.Mutex
	finals  []final // see Finally
}

type final struct {
	key string
	f   func(context.Context)
}

// Finally registers f to run once, after every check of the run has
// finished (Run calls it before it returns), under key: a second
// registration with the same key is ignored. Checks use it to clean up
// what a whole run left, once instead of check by check (the grader's test
// orders, whose messages the learner's workers may still be processing).
// f gets a context that is not cancelled with the run's; it must bound its
// own time.
func (e *Env) Finally(key string, f func(ctx context.Context)) {
	e.finalMu.Lock()
	defer e.finalMu.Unlock()
	for _, x := range e.finals {
		if x.key == key {
			return
		}
	}
	e.finals = append(e.finals, final{key, f})
}

// runFinally runs the registered Finally functions in the order they were
// registered; one that panics is logged and the others still run.
func (e *Env) runFinally(ctx context.Context) {
	e.finalMu.Lock()
	fs := e.finals
	e.finals = nil
	e.finalMu.Unlock()
	for _, x := range fs {
		func() {
			defer func() {
				if p := recover(); p != nil && e.Log != nil {
					e.Log.Error("clean-up panicked", "key", x.key, "panic", p, "stack", string(debug.Stack()))
				}
			}()
			x.f(context.WithoutCancel(ctx))
		}()
	}
}

type fact struct {
	once sync.Once
	v    any
	err  error
}

// Fact computes a value once per run and shares it between checks (the API
// endpoint found in the account, a table's description...). Concurrent
// callers with the same key wait for the first.
func Fact[T any](env *Env, key string, compute func() (T, error)) (T, error) {
	f, _ := env.facts.LoadOrStore(key, &fact{})
	ff := f.(*fact)
	ff.once.Do(func() { ff.v, ff.err = compute() })
	if ff.err != nil {
		var zero T
		return zero, ff.err
	}
	return ff.v.(T), nil
}

var nameRef = regexp.MustCompile(`\$\{([A-Za-z][A-Za-z0-9_.-]*)\}`)

// Expand replaces ${key} in s with the learner's name for key; unknown keys
// are left as written.
func (e *Env) Expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return nameRef.ReplaceAllStringFunc(s, func(m string) string {
		key := m[2 : len(m)-1]
		if v, ok := e.Names[key]; ok {
			return v
		}
		return m
	})
}

func (e *Env) expandParams(p Params) Params {
	out := make(Params, len(p))
	for k, v := range p {
		switch vv := v.(type) {
		case string:
			out[k] = e.Expand(vv)
		case []any:
			l := make([]any, len(vv))
			for i, x := range vv {
				if s, ok := x.(string); ok {
					l[i] = e.Expand(s)
				} else {
					l[i] = x
				}
			}
			out[k] = l
		default:
			out[k] = v
		}
	}
	return out
}
