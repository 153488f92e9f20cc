package lambda

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Runtimes. Lambda accepts every runtime of its Runtime enum that is not
// deprecated; the local cloud runs provided.* and go1.x functions from
// their bootstrap, Python and Node.js functions with the python3 and node
// found on this machine's PATH (through the Runtime API loops under
// runtimes/), and keeps the others (Java, .NET, Ruby) without running them:
// their invocations fail with Runtime.InvalidEntrypoint saying so.

//go:embed runtimes/bootstrap.py runtimes/bootstrap.js
var runtimeScripts embed.FS

// Languages the local cloud starts a function in.
const (
	langBootstrap = ""       // the zip's bootstrap executable
	langPython    = "python" // python3 runtimes/bootstrap.py
	langNode      = "node"   // node runtimes/bootstrap.js
	langNone      = "none"   // kept, not run
)

type runtimeInfo struct {
	execEnv string // AWS_EXECUTION_ENV
	lang    string
}

func rt(name, lang string) runtimeInfo { return runtimeInfo{"AWS_Lambda_" + name, lang} }

// supportedRuntimes are the runtimes CreateFunction accepts.
var supportedRuntimes = map[string]runtimeInfo{
	"provided.al2023": rt("provided.al2023", langBootstrap),
	"provided.al2":    rt("provided.al2", langBootstrap),
	"provided":        rt("provided", langBootstrap),
	"go1.x":           rt("go1.x", langBootstrap),
	"python3.8":       rt("python3.8", langPython),
	"python3.9":       rt("python3.9", langPython),
	"python3.10":      rt("python3.10", langPython),
	"python3.11":      rt("python3.11", langPython),
	"python3.12":      rt("python3.12", langPython),
	"python3.13":      rt("python3.13", langPython),
	"nodejs16.x":      rt("nodejs16.x", langNode),
	"nodejs18.x":      rt("nodejs18.x", langNode),
	"nodejs20.x":      rt("nodejs20.x", langNode),
	"nodejs22.x":      rt("nodejs22.x", langNode),
	"java8.al2":       rt("java8.al2", langNone),
	"java11":          rt("java11", langNone),
	"java17":          rt("java17", langNone),
	"java21":          rt("java21", langNone),
	"dotnet8":         rt("dotnet8", langNone),
	"ruby3.2":         rt("ruby3.2", langNone),
	"ruby3.3":         rt("ruby3.3", langNone),
}

// deprecatedRuntimes are enum values Lambda no longer accepts for creating
// or updating functions, with the runtime its message recommends.
var deprecatedRuntimes = map[string]string{
	"python2.7": "python3.12", "python3.6": "python3.12", "python3.7": "python3.12",
	"nodejs": "nodejs20.x", "nodejs4.3": "nodejs20.x", "nodejs4.3-edge": "nodejs20.x", "nodejs6.10": "nodejs20.x",
	"nodejs8.10": "nodejs20.x", "nodejs10.x": "nodejs20.x", "nodejs12.x": "nodejs20.x", "nodejs14.x": "nodejs20.x",
	"java8": "java21", "dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8", "dotnetcore2.1": "dotnet8",
	"dotnetcore3.1": "dotnet8", "dotnet6": "dotnet8", "ruby2.5": "ruby3.3", "ruby2.7": "ruby3.3",
}

// runtimeVersion is how INIT_START names a runtime: its family, a colon
// and its version (provided:al2023, python:3.12, nodejs:20, java:21).
func runtimeVersion(runtime string) string {
	for _, family := range []string{"python", "nodejs", "java", "dotnet", "ruby"} {
		if v, ok := strings.CutPrefix(runtime, family); ok {
			return family + ":" + strings.TrimSuffix(v, ".x")
		}
	}
	return strings.Replace(runtime, ".", ":", 1)
}

// checkRuntime answers Lambda's error for a runtime CreateFunction or
// UpdateFunctionConfiguration cannot use.
func checkRuntime(runtime string) error {
	if _, ok := supportedRuntimes[runtime]; ok {
		return nil
	}
	if next, ok := deprecatedRuntimes[runtime]; ok {
		return protocol.Errorf("InvalidParameterValueException", "The runtime parameter of %s is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or updating functions.", runtime, next)
	}
	names := make([]string, 0, len(supportedRuntimes)+len(deprecatedRuntimes))
	for n := range supportedRuntimes {
		names = append(names, n)
	}
	for n := range deprecatedRuntimes {
		names = append(names, n)
	}
	sort.Strings(names)
	return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", truncate(runtime, 64), strings.Join(names, ", "))
}

// interpreterProbe is how the local cloud asks an interpreter on PATH for
// its own executable (a version manager's shim needs the environment the
// local cloud runs in; the function's environment is AWS's, not it).
var interpreterProbe = map[string][]string{
	langPython: {"python3", "-c", "import sys; print(sys.executable)"},
	langNode:   {"node", "-e", "console.log(process.execPath)"},
}

// interpreter finds the executable for lang once per service.
func (s *Service) interpreter(lang string) (string, error) {
	s.entryMu.Lock()
	defer s.entryMu.Unlock()
	key := "interpreter:" + lang
	if p, ok := s.interpreters[key]; ok {
		return p, s.entries[key]
	}
	probe := interpreterProbe[lang]
	path, err := exec.LookPath(probe[0])
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out []byte
		out, err = exec.CommandContext(ctx, path, probe[1:]...).Output()
		cancel()
		if p := strings.TrimSpace(string(out)); err == nil && p != "" {
			path = p
		}
	}
	if err != nil {
		err = fmt.Errorf("the local cloud runs %s functions with %s from PATH, and none runs here (%v)", lang, probe[0], err)
	}
	s.interpreters[key], s.entries[key] = path, err
	return path, err
}

// runtimeScript writes a runtime loop under the data directory once and
// returns its path.
func (s *Service) runtimeScript(name string) (string, error) {
	s.entryMu.Lock()
	defer s.entryMu.Unlock()
	path := filepath.Join(s.cfg.DataDir, "lambda", "runtimes", name)
	if _, ok := s.interpreters["script:"+name]; ok {
		return path, nil
	}
	b, err := runtimeScripts.ReadFile("runtimes/" + name)
	if err != nil {
		return "", fmt.Errorf("read runtime %s: %w", name, err)
	}
	if err := writeFile(path, b); err != nil {
		return "", fmt.Errorf("write runtime %s: %w", name, err)
	}
	s.interpreters["script:"+name] = path
	return path, nil
}

// launcher is the command that starts f's environment from its unpacked
// code in dir, or the reason it cannot start.
func (s *Service) launcher(f *function, dir, reqID string) (*exec.Cmd, *fnError, error) {
	lang := supportedRuntimes[f.Runtime].lang
	switch lang {
	case langBootstrap:
		path := entrypoint(f, dir)
		if problem := s.checkEntrypointCached(path); problem != nil {
			return nil, entrypointError(reqID, f.Name, path, problem), nil
		}
		return exec.Command(path), nil, nil
	case langNone:
		return nil, &fnError{Type: "Runtime.InvalidEntrypoint", Message: fmt.Sprintf("RequestId: %s Error: the local cloud keeps %s functions but does not run them: it runs provided.*, go1.x, python3.x and nodejs functions", reqID, f.Runtime)}, nil
	}
	interp, err := s.interpreter(lang)
	if err != nil {
		return nil, &fnError{Type: "Runtime.InvalidEntrypoint", Message: fmt.Sprintf("RequestId: %s Error: %v", reqID, err)}, nil
	}
	script, err := s.runtimeScript(map[string]string{langPython: "bootstrap.py", langNode: "bootstrap.js"}[lang])
	if err != nil {
		return nil, nil, err
	}
	return exec.Command(interp, script), nil, nil
}

// interpreterEnviron is what an interpreted runtime adds to the function's
// environment: its code and its layers on the module search path, where
// AWS extracts layers under /opt (python/ and python/lib/pythonX.Y/
// site-packages; nodejs/node_modules and nodejs/nodeNN/node_modules), a
// later layer before an earlier one as its files would win in /opt.
func (s *Service) interpreterEnviron(f *function, dir string) []string {
	lang := supportedRuntimes[f.Runtime].lang
	if lang != langPython && lang != langNode {
		return nil
	}
	layers := s.layerDirs(f)
	slices.Reverse(layers)
	var paths []string
	switch lang {
	case langPython:
		paths = append(paths, dir)
		for _, l := range layers {
			paths = append(paths, filepath.Join(l, "python", "lib", f.Runtime, "site-packages"), filepath.Join(l, "python"))
		}
		return []string{"PYTHONPATH=" + strings.Join(paths, string(os.PathListSeparator)), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"}
	default:
		paths = append(paths, filepath.Join(dir, "node_modules"))
		major := strings.TrimSuffix(strings.TrimPrefix(f.Runtime, "nodejs"), ".x")
		for _, l := range layers {
			paths = append(paths, filepath.Join(l, "nodejs", "node"+major, "node_modules"), filepath.Join(l, "nodejs", "node_modules"))
		}
		return []string{"NODE_PATH=" + strings.Join(paths, string(os.PathListSeparator))}
	}
}

// layerDirs unpacks the function's layer versions (each once, beside its
// zip) and returns their directories in the function's order; a version
// deleted since the function named it is left out.
func (s *Service) layerDirs(f *function) []string {
	var dirs []string
	for _, ref := range f.Layers {
		m := layerARNRE.FindStringSubmatch(ref.Arn)
		if m == nil {
			continue
		}
		zip := filepath.Join(s.cfg.DataDir, "lambda", "layers", m[2], m[1], m[3], m[4]+".zip")
		dir := strings.TrimSuffix(zip, ".zip")
		if err := unpack(zip, dir); err != nil {
			s.log.Warn("lambda layer not unpacked", "function", f.Name, "layer", ref.Arn, "err", err)
			continue
		}
		dirs = append(dirs, dir)
	}
	return dirs
}
