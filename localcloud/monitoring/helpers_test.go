package monitoring

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testEnv is the service behind a real listener and an SDK client.
type testEnv struct {
	svc   *Service
	url   string
	dir   string
	cw    *cloudwatch.Client
	clock *clock
}

// base is the fixed time tests start at: 30 s into a minute.
var base = time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute).Add(30 * time.Second)

func newEnv(t testing.TB, mod ...func(*Config)) *testEnv {
	t.Helper()
	ck := &clock{t: base}
	cfg := Config{DataDir: t.TempDir(), Logger: cloudtest.Logger(t), Now: ck.Now, EvaluationInterval: time.Hour}
	for _, m := range mod {
		m(&cfg)
	}
	svc, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { svc.Close() })
	url := cloudtest.Serve(t, svc.Route())
	return &testEnv{svc: svc, url: url, dir: cfg.DataDir, clock: ck,
		cw: cloudwatch.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))}
}

func dims(kv ...string) []types.Dimension {
	var out []types.Dimension
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Dimension{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// put publishes one value of ns/name at t.
func (e *testEnv) put(t testing.TB, ns, name string, v float64, at time.Time, d ...types.Dimension) {
	t.Helper()
	_, err := e.cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns),
		MetricData: []types.MetricDatum{{MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: aws.Time(at), Dimensions: d, Unit: types.StandardUnitCount}}})
	require.NoError(t, err)
}

var errUnknown = errors.New("unknown id")
