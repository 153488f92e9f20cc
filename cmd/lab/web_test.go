package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebAllowHost: the web app of `lab web` and `lab up` answers to
// loopback and to the names given with --allow-host, and refuses any other
// Host (DNS rebinding) with 403.
func TestWebAllowHost(t *testing.T) {
	for _, cmd := range []string{"web", "up"} {
		t.Run(cmd, func(t *testing.T) { testWebAllowHost(t, cmd) })
	}
}

func testWebAllowHost(t *testing.T, cmd string) {
	addr := freeAddr(t)
	dir := t.TempDir()
	args := []string{cmd, "--web-addr", addr, "--data", dir, "--config", filepath.Join(dir, "c.json"),
		"--allow-host", "lab.example.org", "--allow-host", "lab3.example.org", "--log-level", "error"}
	if cmd == "up" {
		args = append(args, "--cloud-addr", freeAddr(t))
	}
	out, _ := startLab(t, args...)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "labs ready") {
		require.True(t, time.Now().Before(deadline), "lab web never said it was ready")
		time.Sleep(20 * time.Millisecond)
	}
	_, port, _ := strings.Cut(addr, ":")
	for host, want := range map[string]int{
		addr: 200, "localhost:" + port: 200, "lab.example.org:" + port: 200, "lab3.example.org": 200,
		"rebind.attacker.example:" + port: 403, "example.org:" + port: 403,
	} {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/settings", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "Host %s", host)
	}
}
