package submission_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/submission"
)

func TestRoundTripSolved(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	src := startCloud(t)
	solved(t, src, "all")
	b := export(t, src, nil)
	list, err := submission.Checks([]string{"all"})
	require.NoError(t, err)
	want := submission.GradeAccount(ctx, src.config(learnerAccount), nil, src.addr, list, nil)

	a, err := submission.Read(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	dst := startCloud(t)
	require.NoError(t, submission.Import(ctx, dst.config(graderAccount), dst.endpoint, a))
	got := submission.GradeAccount(ctx, dst.config(graderAccount), a.Manifest.Names, dst.addr, list, nil)
	for _, r := range got {
		t.Logf("%s/%s %s %s", r.Lab, r.CheckID, r.Status, r.Reason)
	}
	assert.Equal(t, statuses(want), statuses(got))
}

func TestSandboxGradesLikeTheOriginal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	src := startCloud(t)
	solved(t, src, "lab2")
	path := filepath.Join(t.TempDir(), "submission.zip")
	require.NoError(t, os.WriteFile(path, export(t, src, nil), 0o600))
	list, err := submission.Checks([]string{"lab1", "lab2"})
	require.NoError(t, err)
	want := submission.GradeAccount(ctx, src.config(learnerAccount), nil, src.addr, list, nil)
	got, err := sandbox(t).Grade(ctx, path, []string{"lab1", "lab2"})
	require.NoError(t, err)
	assert.Equal(t, statuses(want), statuses(got))
}
