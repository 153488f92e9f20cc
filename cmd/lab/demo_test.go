package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/":           "http://127.0.0.1:8080/demo",
		"http://10.0.0.5:8080/?token=abc1": "http://10.0.0.5:8080/demo?token=abc1",
	} {
		assert.Equal(t, want, demoURL(in))
	}
}

// TestDemoWithoutACloudAtEndpoint: --endpoint names a cloud that is not
// there: a clear error before anything is deployed.
func TestDemoWithoutACloudAtEndpoint(t *testing.T) {
	var out, errb bytes.Buffer
	err := runDemo(context.Background(), []string{"--endpoint", "http://127.0.0.1:1", "--web-addr", "127.0.0.1:0", "--data", t.TempDir()}, &out, &errb)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no local cloud answers at http://127.0.0.1:1")
	assert.NotContains(t, out.String(), "deploying")
}
