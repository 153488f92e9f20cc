//go:build !learner

package starter_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStarterWiringMatchesSolutions keeps the starter's given code from drifting away from
// the reference: each function's main.go, order-publisher's provided image.go and the logger
// package are the solution's, with solutions/ imports read as starter/ ones (and the starter's
// "Provided" note left out).
func TestStarterWiringMatchesSolutions(t *testing.T) {
	t.Parallel()
	files := []string{
		"order-authorizer/main.go", "order-intake/main.go", "order-publisher/main.go", "order-publisher/image.go",
		"internal/lambdalog/lambdalog.go", "internal/lambdalog/lambdalog_test.go",
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			starter := read(t, f)
			solution := read(t, filepath.Join("..", "solutions", f))
			want := strings.ReplaceAll(solution, "labkit/solutions/", "labkit/starter/")
			if withoutProvidedNote(starter) != want {
				t.Errorf("starter/%s differs from solutions/%s (beyond the import paths): copy the solution's", f, f)
			}
		})
	}
}

// TestStarterWorkersAreOneWorker: the reference workers are one package
// (solutions/internal/worker) with a config each, while the starter keeps a
// teaching copy per worker. The two starter copies stay the same program:
// accounting-worker's main.go and handler.go are inventory-worker's with the
// service's names, path and status attribute swapped.
func TestStarterWorkersAreOneWorker(t *testing.T) {
	t.Parallel()
	swap := strings.NewReplacer("inventory", "accounting", "Inventory", "Accounting", "INVENTORY", "ACCOUNTING", "/reservations", "/entries")
	for _, f := range []string{"main.go", "handler.go"} {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			inv := read(t, filepath.Join("inventory-worker", f))
			acc := read(t, filepath.Join("accounting-worker", f))
			if got := swap.Replace(inv); got != acc {
				t.Errorf("starter/accounting-worker/%s is not starter/inventory-worker/%s with accounting's names: keep the two copies the same program", f, f)
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutProvidedNote drops the starter's "// Provided: ..." comment line
// (and the blank line after it), which the solution has not.
func withoutProvidedNote(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "// Provided:") {
			if i+1 < len(lines) && lines[i+1] == "" {
				i++ // and the blank line after it
			}
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, "\n")
}
