package class_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud"
)

// TestGradeByNamedProfile reaches a learner through a named profile of the
// instructor's AWS config (keys, a session token and an endpoint_url at a
// local cloud), grades lab 1, and then finds neither the profile's secret
// key nor its session token in anything the run wrote.
func TestGradeByNamedProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a local cloud")
	}
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

	// A key id that is not an account id (the profile's AKIA...) acts in the local cloud's
	// default account, 123456789012: build the learner's lab 1 there.
	k := &kit.Kit{AWS: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")}, Root: "../.."}
	require.NoError(t, k.Solve(ctx, "lab1"))

	secret, token := randomHex(t, 20), randomHex(t, 60)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cfgFile, []byte(fmt.Sprintf(`[profile learner-ana]
region = eu-west-1
endpoint_url = %s
aws_access_key_id = AKIAPROFILETEST0001
aws_secret_access_key = %s
aws_session_token = %s
`, endpoint, secret, token)), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	for _, v := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}

	ros, err := class.ParseRoster(strings.NewReader("id,name,target,profile,region\nana,Ana,aws,learner-ana,eu-west-1\nbob,Bob,aws,no-such-profile,eu-west-1\n"))
	require.NoError(t, err)
	require.Empty(t, ros.Errors)
	m, err := grader.LoadManifest(labs.Content, "week1/lab1-orders-table/checks.yaml", checks.Library())
	require.NoError(t, err)
	var logs lockedText
	cfg := class.Config{Checks: m.Checks, Log: newTextLogger(&logs)}
	run, err := class.GradeRoster(ctx, cfg, ros, nil, class.Selection{}, "r1", nil, "", nil)
	require.NoError(t, err)

	ana, bob := run.Learners[0], run.Learners[1]
	require.Equal(t, class.StatusGraded, ana.Status, ana.Message)
	assert.Equal(t, 9.0, *ana.Points)
	assert.Equal(t, class.StatusUnreachable, bob.Status)
	assert.Contains(t, bob.Message, "no-such-profile")
	assert.Nil(t, bob.Points)

	out := filepath.Join(dir, "out")
	require.NoError(t, class.Write(out, run, nil))
	texts := map[string]string{"logs": logs.String()}
	filepath.WalkDir(out, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			texts[p] = string(b)
		}
		return nil
	})
	require.Greater(t, len(texts), 5)
	for name, text := range texts {
		assert.NotContains(t, text, secret, name)
		assert.NotContains(t, text, token, name)
	}
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// lockedText collects log output from many goroutines.
type lockedText struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
