package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDataDirFor checks each OS's convention (the values are what
// os.UserHomeDir, os.UserConfigDir and os.UserCacheDir answer there).
func TestDataDirFor(t *testing.T) {
	noEnv := func(string) string { return "" }
	xdg := func(k string) string {
		if k == "XDG_DATA_HOME" {
			return filepath.Join("x", "data")
		}
		return ""
	}
	tests := []struct {
		name, goos                string
		getenv                    func(string) string
		home, config, cache, want string
	}{
		{"linux", "linux", noEnv, filepath.Join("h", "ann"), filepath.Join("h", "ann", ".config"), filepath.Join("h", "ann", ".cache"), filepath.Join("h", "ann", ".local", "share", "labkit")},
		{"linux with XDG_DATA_HOME", "linux", xdg, filepath.Join("h", "ann"), "", "", filepath.Join("x", "data", "labkit")},
		{"macOS", "darwin", noEnv, filepath.Join("Users", "ann"), filepath.Join("Users", "ann", "Library", "Application Support"), filepath.Join("Users", "ann", "Library", "Caches"), filepath.Join("Users", "ann", "Library", "Application Support", "labkit")},
		{"Windows", "windows", noEnv, filepath.Join("C:", "Users", "ann"), filepath.Join("C:", "Users", "ann", "AppData", "Roaming"), filepath.Join("C:", "Users", "ann", "AppData", "Local"), filepath.Join("C:", "Users", "ann", "AppData", "Local", "labkit")},
		{"no home", "linux", noEnv, "", "", "", ".labkit"},
		{"Windows without LocalAppData", "windows", noEnv, "", "", "", ".labkit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, dataDirFor(tt.goos, tt.getenv, tt.home, tt.config, tt.cache))
		})
	}
}
