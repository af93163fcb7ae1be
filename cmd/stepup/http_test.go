package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeStore answers Ping with whatever the test sets.
type fakeStore struct {
	mu  sync.Mutex
	err error
}

func (f *fakeStore) Ping(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *fakeStore) set(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func TestReadyzFollowsTheStore(t *testing.T) {
	st := &fakeStore{}
	var log logSink
	h := newHandler(st, newMetrics(), slog.New(slog.NewTextHandler(&log, nil)), nil)
	probe := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, string(body)
	}

	if code, body := probe(); code != http.StatusOK || body != readyBody {
		t.Fatalf("ready store: %d %q", code, body)
	}
	const secretPath = "/var/lib/stepup/journal-00000000000000000007.wal"
	st.set(errors.New("memdb: journal write failed: write " + secretPath + ": no space left on device"))
	for range 3 {
		code, body := probe()
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unavailable"`) {
			t.Errorf("failing store: %d %q", code, body)
		}
		if strings.Contains(body, secretPath) || strings.Contains(body, "no space") {
			t.Errorf("the body leaks the store's error: %q", body)
		}
	}
	if n := strings.Count(log.String(), "not ready"); n != 1 || !strings.Contains(log.String(), "no space left on device") {
		t.Errorf("want the cause logged once for three failed probes, got %d:\n%s", n, log.String())
	}
	st.set(nil)
	if code, _ := probe(); code != http.StatusOK {
		t.Errorf("recovered store: %d", code)
	}
	if !strings.Contains(log.String(), "ready again") {
		t.Errorf("the recovery is not logged:\n%s", log.String())
	}
}

func TestMetricsCountErrorsByCode(t *testing.T) {
	st := &fakeStore{err: errors.New("down")}
	m, log := newMetrics(), slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(newHandler(st, m, log, nil))
	defer srv.Close()
	metrics := httptest.NewServer(metricsHandler(m, log))
	defer metrics.Close()
	for range 2 {
		if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d", code)
		}
	}
	_, body := get(t, metrics.URL+"/metrics")
	if want := `stepup_http_requests_total{code="503",handler="/readyz"} 2`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q:\n%s", want, body)
	}
}

// A panic is a bug, but the client still gets an answer: a 500, counted,
// with the panic and its stack in the log, not a dropped connection.
func TestAPanicIsAServerErrorNotADroppedConnection(t *testing.T) {
	var logged strings.Builder
	m, log := newMetrics(), slog.New(slog.NewTextHandler(&logged, nil))
	app := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var claims *struct{ Issuer string }
		_ = claims.Issuer // what zitadel/oidc did with an id_token_hint of JSON null
	})
	srv := httptest.NewServer(newHandler(&fakeStore{}, m, log, app))
	defer srv.Close()
	metrics := httptest.NewServer(metricsHandler(m, log))
	defer metrics.Close()
	if code, body := get(t, srv.URL+"/authorize"); code != http.StatusInternalServerError || !strings.Contains(body, "Internal Server Error") {
		t.Fatalf("a panicking handler answered %d %q, want 500", code, body)
	}
	if !strings.Contains(logged.String(), "a handler panicked") || !strings.Contains(logged.String(), "nil pointer") {
		t.Errorf("the log does not name the panic:\n%s", logged.String())
	}
	if _, body := get(t, metrics.URL+"/metrics"); !strings.Contains(body, `stepup_http_requests_total{code="500",handler="app"} 1`) {
		t.Errorf("/metrics does not count the 500:\n%s", body)
	}
}
