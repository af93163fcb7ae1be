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
