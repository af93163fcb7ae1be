package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// pinger is what readiness asks of the store.
type pinger interface {
	Ping(ctx context.Context) error
}

// metrics is the process's own Prometheus registry, so that nothing a
// library registers globally is exported by accident.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stepup_http_requests_total",
			Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stepup_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by handler and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"handler", "code"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests,
		m.duration,
	)
	return m
}

// instrument counts and times the requests h answers under the label
// handler=name. Names are fixed route names, never request paths, so the
// number of series stays bounded.
func (m *metrics) instrument(name string, h http.Handler) http.Handler {
	labels := prometheus.Labels{"handler": name}
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(labels),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels), h))
}

// newHandler returns the public listener's routes: liveness, readiness, and
// everything else to app (the OpenID Provider and the hosted pages).
// Metrics are served apart (metricsHandler), off the public listener.
func newHandler(store pinger, m *metrics, log *slog.Logger, app http.Handler) http.Handler {
	mux := http.NewServeMux()
	route := func(path string, h http.Handler) { mux.Handle("GET "+path, m.instrument(path, h)) }
	route("/healthz", http.HandlerFunc(healthz))
	route("/readyz", &readiness{store: store, log: log})
	if app != nil {
		mux.Handle("/", m.instrument("app", recoverPanics(log, app)))
	}
	return mux
}

// recoverPanics answers a request whose handler panicked with a 500 and
// logs the panic with its stack. net/http recovers too, but by dropping the
// connection, which a client sees as a network failure, and it logs outside
// the structured log. A panic is a bug, so the log says so at error level.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // the handler's own way to cut a response short
				panic(v)
			}
			log.Error("http: a handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v),
				"stack", string(debug.Stack()))
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// metricsHandler serves /metrics on the metrics listener.
func metricsHandler(m *metrics, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.instrument("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError),
		Registry: m.registry, // counts its own errors
	})))
	return mux
}

// healthz answers 200 while the process can serve HTTP at all.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

// pingTimeout bounds a readiness check, so that a hung store makes the
// probe fail rather than hang.
const pingTimeout = 2 * time.Second

// readiness answers 200 while the store answers, 503 otherwise. The body
// names the failing component only: the store's error can hold file names
// and addresses, so it goes to the log, once per change.
type readiness struct {
	store pinger
	log   *slog.Logger

	mu      sync.Mutex
	failing string // the store error last logged; "" while ready
}

const (
	readyBody   = `{"status":"ready"}` + "\n"
	unreadyBody = `{"status":"unavailable","reason":"the store is not answering; the cause is in the stepup log"}` + "\n"
)

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	err := rd.store.Ping(ctx)
	rd.note(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, unreadyBody)
		return
	}
	_, _ = io.WriteString(w, readyBody)
}

// note logs when readiness changes, not on every probe.
func (rd *readiness) note(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	rd.mu.Lock()
	changed := msg != rd.failing
	rd.failing = msg
	rd.mu.Unlock()
	switch {
	case !changed:
	case err != nil:
		rd.log.Error("not ready: the store is not answering", "err", err)
	default:
		rd.log.Info("ready again: the store answers")
	}
}
