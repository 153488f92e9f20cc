package lambda

import (
	"os"
	"path/filepath"
)

// systemEnviron is the part of a function's environment that names system
// places. Windows programs need SystemRoot (Go's crypto and networking
// load system DLLs through it), a PATH of the system folders and a place
// for temporary files; AWS's Linux paths mean nothing here.
func systemEnviron(dir string) []string {
	path := dir
	vars := []string{"TZ=UTC"}
	if root := os.Getenv("SystemRoot"); root != "" {
		path += ";" + filepath.Join(root, "System32") + ";" + root
		vars = append(vars, "SystemRoot="+root)
	}
	vars = append(vars, "PATH="+path)
	for _, k := range []string{"TEMP", "TMP", "USERPROFILE", "LOCALAPPDATA"} {
		if v := os.Getenv(k); v != "" {
			vars = append(vars, k+"="+v)
		}
	}
	return vars
}
