package submission_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/localcloud"
)

const (
	learnerAccount = "123456789012"
	graderAccount  = "210987654321"
	region         = "us-east-1"
	root           = "../.."
)

// cloud is a local cloud served in-process on a loopback listener.
type cloud struct {
	endpoint string
	addr     string
}

func startCloud(t testing.TB) cloud {
	t.Helper()
	// Alarms are evaluated every quarter second, so lab 5's alarm-fires
	// check waits only for its one-minute periods.
	c, err := localcloud.New(localcloud.Config{DataDir: t.TempDir(), AlarmEvaluationInterval: 250 * time.Millisecond})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; c.Close() })
	return cloud{endpoint: "http://" + ln.Addr().String(), addr: ln.Addr().String()}
}

func (c cloud) config(account string) aws.Config {
	return aws.Config{Region: region, BaseEndpoint: aws.String(c.endpoint), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider(account, "x", "")}
}

// solved deploys the reference up to lab in the learner's account, as
// `lab solve` does.
func solved(t testing.TB, c cloud, lab string) *kit.Kit {
	t.Helper()
	var out io.Writer
	if testing.Verbose() {
		out = os.Stderr
	}
	k := &kit.Kit{AWS: c.config(learnerAccount), Root: root, Out: out}
	require.NoError(t, k.Solve(context.Background(), lab))
	return k
}

// export runs what `lab submit` runs and returns the archive's bytes.
func export(t testing.TB, c cloud, names map[string]string) []byte {
	t.Helper()
	a, err := submission.Export(context.Background(), c.config(learnerAccount), submission.ExportOptions{Endpoint: c.endpoint, Names: names})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, submission.Write(&buf, a))
	return buf.Bytes()
}

func statuses(rs []grader.Result) map[string]grader.Status {
	m := map[string]grader.Status{}
	for _, r := range rs {
		m[r.Lab+"/"+r.CheckID] = r.Status
	}
	return m
}
