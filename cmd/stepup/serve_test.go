package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// waitLimit bounds every wait in these tests; nothing sleeps.
const waitLimit = 30 * time.Second

// listeningAddr finds the address in the "listening" log line, text or JSON.
var listeningAddr = regexp.MustCompile(`msg"?[=:]"?listening"?[ ,]"?addr"?[=:]"?([0-9.:\[\]]+)`)

// metricsAddr finds the address of the metrics listener in the log.
var metricsAddr = regexp.MustCompile(`msg="?serving metrics"? addr=([0-9.:\[\]]+)`)

// editConfig replaces the first old in the configuration file at path
// with new.
func editConfig(t *testing.T, path, old, new string) {
	t.Helper()
	body := mustRead(t, path)
	if !strings.Contains(body, old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(body, old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// takenAddress returns a loopback address that a listener holds for the
// length of the test.
func takenAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logSink is a server's stderr: it keeps everything written and hands over
// the listen address once the server logs it.
type logSink struct {
	mu   sync.Mutex
	buf  strings.Builder
	addr chan string
	once sync.Once
}

func newLogSink() *logSink { return &logSink{addr: make(chan string, 1)} }

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if m := listeningAddr.FindStringSubmatch(s.buf.String()); m != nil {
		s.once.Do(func() {
			select {
			case s.addr <- m[1]:
			default: // a sink nobody waits on (nil channel)
			}
		})
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// writeConfig writes a configuration that listens on a free port and keeps
// its data in dataDir, with extra appended (further top-level sections).
func writeConfig(t *testing.T, dataDir, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stepup.yaml")
	body := fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  shutdown_timeout: 5s\nstore:\n  memdb:\n    dir: %q\n%s", dataDir, extra)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// server is a `stepup serve` running in-process.
type server struct {
	url    string
	log    *logSink
	cancel context.CancelFunc
	done   chan int
}

// startServer runs `stepup serve --config cfg` and waits until it listens.
// A server the test leaves running is stopped at cleanup.
func startServer(t *testing.T, cfg string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{log: newLogSink(), cancel: cancel, done: make(chan int, 1)}
	go func() { s.done <- run(ctx, []string{"serve", "--config", cfg}, io.Discard, s.log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(waitLimit):
			t.Error("the server did not stop")
		}
	})
	select {
	case addr := <-s.log.addr:
		s.url = "http://" + addr
	case code := <-s.done:
		s.done <- code // for cleanup
		t.Fatalf("serve exited with %d before listening:\n%s", code, s.log)
	case <-time.After(waitLimit):
		t.Fatalf("serve did not log its address:\n%s", s.log)
	}
	return s
}

// stop cancels the server's context, as SIGTERM would, and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for cleanup
		return code
	case <-time.After(waitLimit):
		t.Fatalf("serve did not stop:\n%s", s.log)
		return -1
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// assertUnlocked fails unless the data folder can be opened, which needs
// its lock to be free.
func assertUnlocked(t *testing.T, dir string) {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: dir, SweepInterval: -1})
	if err != nil {
		t.Fatalf("the data folder is still locked: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestServe(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	editConfig(t, cfg, "  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n  metrics_listen: 127.0.0.1:0\n")
	s := startServer(t, cfg)
	m := metricsAddr.FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("serve does not log the metrics address:\n%s", s.log)
	}

	if code, body := get(t, s.url+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body := get(t, s.url+"/readyz")
	var ready struct{ Status string }
	if err := json.Unmarshal([]byte(body), &ready); code != http.StatusOK || err != nil || ready.Status != "ready" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	if code, _ := get(t, s.url+"/nowhere"); code != http.StatusNotFound {
		t.Errorf("/nowhere = %d, want 404", code)
	}
	if code, _ := get(t, s.url+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the public listener = %d, want 404: metrics have a listener of their own", code)
	}
	code, body = get(t, "http://"+m[1]+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		"\ngo_goroutines ",
		"\nprocess_open_fds ",
		"\n" + `stepup_http_requests_total{code="200",handler="/healthz"} 1` + "\n",
		"\n" + `stepup_http_requests_total{code="200",handler="/readyz"} 1` + "\n",
		"\n" + `stepup_http_request_duration_seconds_count{code="200",handler="/healthz"} 1` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}

	if code := s.stop(t); code != exitOK {
		t.Errorf("exit code %d after cancel, want 0:\n%s", code, s.log)
	}
	assertUnlocked(t, dir)
	if log := s.log.String(); !strings.Contains(log, "shutting down") || !strings.Contains(log, "msg=stopped") {
		t.Errorf("the log does not show the shutdown:\n%s", log)
	}
}

func TestServeSecondOnSameDataFolderFails(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	first := startServer(t, cfg)

	var stderr logSink
	code := run(context.Background(), []string{"serve", "--config", cfg}, io.Discard, &stderr)
	if code != exitFail {
		t.Errorf("second serve exited with %d, want %d", code, exitFail)
	}
	if log := stderr.String(); !strings.Contains(log, "in use") || strings.Contains(log, "listening") {
		t.Errorf("second serve does not say the folder is in use:\n%s", log)
	}
	if code, _ := get(t, first.url+"/readyz"); code != http.StatusOK {
		t.Errorf("the first server's /readyz = %d after the second failed", code)
	}
	if code := first.stop(t); code != exitOK {
		t.Errorf("first serve exited with %d", code)
	}
}

func TestServeRefusesInvalidConfig(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	var stderr logSink
	code := run(context.Background(), []string{"serve", "--config", "testdata/three_mistakes.yaml"}, io.Discard, &stderr)
	if code != exitFail {
		t.Errorf("exit code %d, want %d", code, exitFail)
	}
	log := stderr.String()
	for _, want := range []string{"testdata/three_mistakes.yaml:5:", "testdata/three_mistakes.yaml:7:", "testdata/three_mistakes.yaml:10:", "3 errors"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
}

func TestServeStoreOpenFailure(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr logSink
	code := run(context.Background(), []string{"serve", "--config", writeConfig(t, notAFolder, "")}, io.Discard, &stderr)
	if code != exitFail {
		t.Errorf("exit code %d, want %d", code, exitFail)
	}
	var errs []string
	for line := range strings.Lines(stderr.String()) {
		if strings.Contains(line, "level=ERROR") {
			errs = append(errs, line)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "cannot open the store") || !strings.Contains(errs[0], "not a folder") {
		t.Errorf("want one error line about the store, got:\n%s", stderr.String())
	}
}

func TestServeListenFailureReleasesTheStore(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	editConfig(t, cfg, "127.0.0.1:0", takenAddress(t))

	var stderr logSink
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit) // a serve that ignored the error would run on
	defer cancel()
	if code := run(ctx, []string{"serve", "--config", cfg}, io.Discard, &stderr); code != exitFail {
		t.Errorf("exit code %d, want %d", code, exitFail)
	}
	if log := stderr.String(); !strings.Contains(log, "cannot listen") {
		t.Errorf("the log does not say it cannot listen:\n%s", log)
	}
	assertUnlocked(t, dir)
}

func TestServeJSONLog(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, writeConfig(t, dir, "log:\n  format: json\n  level: debug\n"))
	if code := s.stop(t); code != exitOK {
		t.Fatalf("exit code %d", code)
	}
	n := 0
	for line := range strings.Lines(s.log.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
		if rec["level"] == "DEBUG" {
			n++
		}
	}
	if n == 0 {
		t.Errorf("level debug logged no debug line:\n%s", s.log)
	}
}

func TestServeMetricsAddressInUseFails(t *testing.T) {
	t.Setenv(config.EnvVar, "")
	taken := takenAddress(t)
	dir := filepath.Join(t.TempDir(), "data")
	cfg := writeConfig(t, dir, "")
	editConfig(t, cfg, "  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n  metrics_listen: "+taken+"\n")
	var stderr logSink
	if code := run(context.Background(), []string{"serve", "--config", cfg}, io.Discard, &stderr); code != exitFail {
		t.Fatalf("serve with its metrics address taken exited with %d, want %d:\n%s", code, exitFail, stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "cannot listen") || !strings.Contains(log, taken) {
		t.Errorf("the log does not name the address it could not listen on:\n%s", log)
	}
	assertUnlocked(t, dir)
}

// WebAuthn takes no IP address as a site: a public_url on one (fine for
// trying stepup out) serves with passkeys off, and says so.
func TestServeOnAnIPAddressTurnsPasskeysOff(t *testing.T) {
	port := freePort(t)
	cfg := fmt.Sprintf("server:\n  listen: 127.0.0.1:%d\n  public_url: http://127.0.0.1:%d\n  shutdown_timeout: 5s\nstore:\n  memdb:\n    dir: %q\n",
		port, port, t.TempDir())
	path := filepath.Join(t.TempDir(), "stepup.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var log bytes.Buffer
	if code := run(ctx, []string{"serve", "--config", path}, io.Discard, &log); code != exitOK {
		t.Fatalf("serve on an IP address exited %d:\n%s", code, log.String())
	}
	if !strings.Contains(log.String(), "passkeys and security keys are off") {
		t.Errorf("serve did not say passkeys are off:\n%s", log.String())
	}
}
