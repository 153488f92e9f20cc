//go:build !learner

package starter_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStarterWiringMatchesSolutions keeps the starter's given code from drifting away from
// the reference: each function's main.go and the logger package are the solution's, with
// solutions/ imports read as starter/ ones.
func TestStarterWiringMatchesSolutions(t *testing.T) {
	t.Parallel()
	files := []string{
		"order-authorizer/main.go", "order-intake/main.go", "order-publisher/main.go",
		"inventory-worker/main.go", "accounting-worker/main.go",
		"internal/lambdalog/lambdalog.go", "internal/lambdalog/lambdalog_test.go",
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			starter, err := os.ReadFile(filepath.FromSlash(f))
			if err != nil {
				t.Fatal(err)
			}
			solution, err := os.ReadFile(filepath.Join("..", "solutions", filepath.FromSlash(f)))
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(string(solution), "labkit/solutions/", "labkit/starter/")
			if string(starter) != want {
				t.Errorf("starter/%s differs from solutions/%s (beyond the import paths): copy the solution's", f, f)
			}
		})
	}
}
