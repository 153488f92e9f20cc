package kit

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtractSources(t *testing.T) {
	src := fstest.MapFS{
		"go.mod":                     {Data: []byte("module example.com/m\n")},
		"solutions/fn/main.go":       {Data: []byte("package main\nfunc main() {}\n")},
		"starter/fn/testdata/a.json": {Data: []byte("{}")},
	}
	base := t.TempDir()
	// Concurrent first runs (two lab commands at once) agree on one copy.
	dirs := make([]string, 4)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Go(func() {
			d, err := extractSources(src, base)
			assert.NoError(t, err)
			dirs[i] = d
		})
	}
	wg.Wait()
	for _, d := range dirs[1:] {
		require.Equal(t, dirs[0], d)
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], "solutions", "fn", "main.go"))
	require.NoError(t, err)
	assert.Equal(t, "package main\nfunc main() {}\n", string(b))
	assert.FileExists(t, filepath.Join(dirs[0], "starter", "fn", "testdata", "a.json"))
	ents, err := os.ReadDir(base)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary folder is left behind")

	// A second run reuses the copy without writing it again.
	mark := filepath.Join(dirs[0], "solutions", "fn", "main.go")
	require.NoError(t, os.WriteFile(mark, []byte("edited"), 0o644))
	d, err := extractSources(src, base)
	require.NoError(t, err)
	assert.Equal(t, dirs[0], d)
	b, _ = os.ReadFile(mark)
	assert.Equal(t, "edited", string(b))

	// Other sources (another version of lab) get their own copy.
	src["solutions/fn/main.go"] = &fstest.MapFile{Data: []byte("package main\nfunc main() { println() }\n")}
	d2, err := extractSources(src, base)
	require.NoError(t, err)
	assert.NotEqual(t, d, d2)
}

// TestBuiltinSourcesAreTheModules: what the binary carries is the module's
// go.mod and every function's sources, so a prebuilt lab builds the same
// functions as a clone.
func TestBuiltinSourcesAreTheModules(t *testing.T) {
	root := t.TempDir()
	d, err := builtinRoot(root)
	require.NoError(t, err)
	assert.Equal(t, modulePath, modOf(filepath.Join(d, "go.mod")))
	for _, sub := range sourceDirs {
		for _, from := range []string{"solutions", "starter"} {
			want := filepath.Join("..", from, filepath.FromSlash(sub))
			if _, err := os.Stat(want); err != nil {
				continue // no starter for the downstream services and the monolith
			}
			ents, err := os.ReadDir(want)
			require.NoError(t, err)
			for _, e := range ents {
				if e.IsDir() {
					continue
				}
				wantB, err := os.ReadFile(filepath.Join(want, e.Name()))
				require.NoError(t, err)
				gotB, err := os.ReadFile(filepath.Join(d, from, filepath.FromSlash(sub), e.Name()))
				require.NoError(t, err, "%s/%s/%s is not in the binary", from, sub, e.Name())
				assert.Equal(t, wantB, gotB)
			}
		}
	}
}
