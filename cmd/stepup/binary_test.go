package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/config"
)

// TestBinarySignals builds the real binary and stops it with real signals:
// the in-process tests cannot show that SIGTERM and SIGINT reach serve.
func TestBinarySignals(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	bin := filepath.Join(t.TempDir(), "stepup")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			cfg := writeConfig(t, dir, "")
			cmd, url, log := startBinary(t, bin, cfg)

			if code, body := get(t, url+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz = %d %q", code, body)
			}
			// A second process on the same data folder must refuse to start.
			out, err := exec.Command(bin, "serve", "--config", cfg).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
				t.Errorf("second process: %v, want exit code %d", err, exitFail)
			}
			if want := fmt.Sprintf("in use by process %d", cmd.Process.Pid); !strings.Contains(string(out), want) {
				t.Errorf("second process does not say %q:\n%s", want, out)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Errorf("after %v: %v\n%s", sig, err, log())
				}
			case <-time.After(waitLimit):
				_ = cmd.Process.Kill()
				t.Fatalf("still running %s after %v:\n%s", waitLimit, sig, log())
			}
			assertUnlocked(t, dir)
		})
	}
}

// startBinary starts `bin serve --config cfg` and waits for its address. It
// returns the process, the server's URL and a function that returns the
// process's stderr so far.
func startBinary(t *testing.T, bin, cfg string) (*exec.Cmd, string, func() string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it has exited
	log := newLogSink()
	go func() { _, _ = io.Copy(log, bufio.NewReader(stderr)) }()
	select {
	case addr := <-log.addr:
		return cmd, "http://" + addr, log.String
	case <-time.After(waitLimit):
		t.Fatalf("the binary did not log its address:\n%s", log)
		return nil, "", nil
	}
}
