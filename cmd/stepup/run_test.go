package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// runCmd runs stepup in-process with args and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout bool   // usage on stdout rather than stderr
		mention  string // also in the output
	}{
		{name: "no command", args: nil, code: exitUsage},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, mention: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, code: exitOK, inStdout: true},
		{name: "--help", args: []string{"--help"}, code: exitOK, inStdout: true},
		{name: "config without subcommand", args: []string{"config"}, code: exitUsage, mention: "stepup config validate"},
		{name: "unknown config subcommand", args: []string{"config", "check"}, code: exitUsage, mention: `unknown command "check"`},
		{name: "unknown flag", args: []string{"serve", "--port", "80"}, code: exitUsage, mention: "-port"},
		{name: "stray argument", args: []string{"config", "validate", "stepup.yaml"}, code: exitUsage, mention: `unexpected argument "stepup.yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			usageOut, other := stderr, stdout
			if tt.inStdout {
				usageOut, other = stdout, stderr
			}
			if !strings.Contains(usageOut, "Usage") {
				t.Errorf("no usage in the expected stream: %q", usageOut)
			}
			if other != "" {
				t.Errorf("unexpected output on the other stream: %q", other)
			}
			if !strings.Contains(stdout+stderr, tt.mention) {
				t.Errorf("output does not mention %q:\n%s%s", tt.mention, stdout, stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCmd(t, "version")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "stepup ") || !strings.Contains(stdout, runtime.Version()) {
		t.Errorf("version output %q lacks the name or the Go version", stdout)
	}
}

func TestVersionFromLinkerFlag(t *testing.T) {
	old := version
	version = "v9.8.7"
	t.Cleanup(func() { version = old })
	if _, stdout, _ := runCmd(t, "version"); !strings.HasPrefix(stdout, "stepup v9.8.7\n") {
		t.Errorf("version output %q does not start with the -X version", stdout)
	}
}
