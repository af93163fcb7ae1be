package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// serve runs the server until ctx ends or SIGTERM or SIGINT arrives, then
// lets requests in flight finish within server.shutdown_timeout and closes
// the store.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [--config FILE]")
	file := configFlag(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	path := config.Path(*file)
	cfg, problems, ok := loadConfig(path, stderr)
	if !ok {
		return exitFail
	}

	log := newLogger(cfg.Log, stderr)
	// Libraries that log through the global slog (zitadel/oidc) get the
	// same level and format.
	slog.SetDefault(log)
	for _, p := range problems {
		log.Warn("configuration problem", "problem", p.String())
	}
	if path == "" {
		log.Info("no configuration file; using the built-in defaults")
	} else {
		log.Info("configuration loaded", "file", path)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	// After the first signal, a second one kills the process at once.
	context.AfterFunc(ctx, stop)

	// The journal waits for the disk in a blocking system call. With a
	// single P (one CPU in the affinity mask or the cgroup), the scheduler
	// hands the P on only after sysmon notices, so requests idle behind
	// each sync: measured on one core, 490 flows/s with one P, 1,050 with
	// two. Set only when lower, so Go's own updates stay on otherwise.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	st, err := openStore(cfg.Store, log)
	if err != nil {
		log.Error("cannot open the store", "err", err)
		return exitFail
	}
	app, err := newApp(ctx, cfg, st, log, nil)
	if err != nil {
		log.Error("cannot start the OpenID Provider", "err", err)
		st.Close()
		return exitFail
	}
	code := serveHTTP(ctx, cfg.Server, st, app, log)
	if err := st.Close(); err != nil {
		log.Error("closing the store failed", "err", err)
		return exitFail
	}
	log.Info("stopped")
	return code
}

func openStore(c config.Store, log *slog.Logger) (store.Store, error) {
	switch c.Backend {
	case "memdb":
		// The absolute path in the log: a relative folder under another
		// working directory would otherwise look like lost data.
		dir, _ := filepath.Abs(c.Memdb.Dir)
		log.Info("opening the store", "backend", "memdb", "dir", dir)
		return memdb.Open(memdb.Options{
			Dir:           c.Memdb.Dir,
			SnapshotEvery: c.Memdb.SnapshotEvery,
			SweepInterval: c.Memdb.SweepInterval,
			Logger:        log,
		})
	default:
		// config rejects unknown backends; this is a missing case here.
		return nil, fmt.Errorf("store backend %q is not built into this binary", c.Backend)
	}
}

// serveHTTP listens on c.Listen, and on c.MetricsListen for /metrics if it
// is set, and serves until ctx ends or a server fails. The public listener
// is logged last: its "listening" line means that everything is up.
func serveHTTP(ctx context.Context, c config.Server, st pinger, app http.Handler, log *slog.Logger) int {
	m := newMetrics()
	var servers []*httpServer
	if c.MetricsListen != "" {
		servers = append(servers, &httpServer{name: "serving metrics", addr: c.MetricsListen, handler: metricsHandler(m, log)})
	}
	servers = append(servers, &httpServer{name: "listening", addr: c.Listen, handler: newHandler(st, m, log, app)})
	for i, s := range servers {
		if err := s.listen(c, log); err != nil {
			log.Error("cannot listen", "addr", s.addr, "err", err)
			for _, started := range servers[:i] {
				started.ln.Close() // not served yet: Server.Close would not close it
			}
			return exitFail
		}
	}
	type stop struct {
		s   *httpServer
		err error
	}
	stopped := make(chan stop, len(servers))
	for _, s := range servers {
		go func() { stopped <- stop{s, s.srv.Serve(s.ln)} }()
		// The actual address: with port 0 the kernel picks one.
		log.Info(s.name, "addr", s.ln.Addr().String())
	}

	code, running := exitOK, len(servers)
	select {
	case st := <-stopped:
		log.Error("an HTTP server stopped", "addr", st.s.addr, "err", st.err)
		code, running = exitFail, running-1
	case <-ctx.Done():
		log.Info("shutting down", "cause", context.Cause(ctx), "timeout", c.ShutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	var (
		wg     sync.WaitGroup
		cutOff atomic.Bool
	)
	for _, s := range servers { // at once: each gets the whole timeout
		wg.Go(func() {
			if err := s.srv.Shutdown(sctx); err != nil {
				log.Error("requests still running at the shutdown timeout were cut off", "addr", s.addr, "err", err)
				_ = s.srv.Close()
				cutOff.Store(true)
			}
		})
	}
	wg.Wait()
	if cutOff.Load() {
		code = exitFail
	}
	for ; running > 0; running-- {
		if st := <-stopped; !errors.Is(st.err, http.ErrServerClosed) {
			log.Error("an HTTP server stopped", "addr", st.s.addr, "err", st.err)
			code = exitFail
		}
	}
	return code
}

// httpServer is one of the listeners serveHTTP runs.
type httpServer struct {
	name    string // what the log says once it listens
	addr    string
	handler http.Handler
	ln      net.Listener
	srv     *http.Server
}

func (s *httpServer) listen(c config.Server, log *slog.Logger) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return nil
}
