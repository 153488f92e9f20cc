package cloudtest

import (
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// APIError asserts that err is an AWS API error with exactly this code and
// message, as an SDK client decodes it.
func APIError(t testing.TB, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae, "want %s", code)
	assert.Equal(t, code, ae.ErrorCode())
	assert.Equal(t, msg, ae.ErrorMessage())
}
