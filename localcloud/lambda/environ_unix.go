//go:build unix

package lambda

import "path/filepath"

// systemEnviron is the part of a function's environment that names system
// places: what provided.al2023 sets on AWS.
func systemEnviron(dir string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/opt/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:" + dir + ":" + filepath.Join(dir, "lib") + ":/opt/lib",
	}
}
