// Command loadtrack drives the track API of a running stepup as a load
// test: each operation tracks one action (POST
// /v1/users/{userId}/actions/{action}) with a server API key, over one
// keep-alive connection per worker, each with a fresh idempotency key so that every
// call is a decision and a durable action record.
//
//	loadtrack -url http://localhost:8080 -key su_server_... -users 1000 -workers 64 -duration 10s
//
// It prints decisions per second, the states seen, and latency
// percentiles. Every loop is bounded in count and time.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://localhost:8080", "stepup's public URL")
	key := flag.String("key", os.Getenv("STEPUP_LOAD_KEY"), "a server API key (or STEPUP_LOAD_KEY)")
	action := flag.String("action", "payment", "the action tracked")
	users := flag.Int("users", 1000, "how many distinct users the calls spread over")
	workers := flag.Int("workers", 64, "concurrent calls")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	maxOps := flag.Int("max", 2_000_000, "stop after this many calls")
	flag.Parse()
	if *key == "" {
		fmt.Fprintln(os.Stderr, "loadtrack: -key (or STEPUP_LOAD_KEY) is required")
		os.Exit(2)
	}
	r, err := run(*base, *key, *action, max(*users, 1), max(*workers, 1), *duration, *maxOps)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtrack:", err)
		os.Exit(2)
	}
	r.print(os.Stdout)
	if r.errors > 0 {
		os.Exit(1)
	}
}

// result is what a run measured.
type result struct {
	ops, errors int64
	elapsed     time.Duration
	latencies   []time.Duration
	states      map[string]int64
	firstError  string
}

func run(base, key, action string, users, workers int, duration time.Duration, maxOps int) (*result, error) {
	callers := make([]*caller, workers)
	for w := range callers {
		c, err := newCaller(base, key, action)
		if err != nil {
			return nil, err
		}
		callers[w] = c
	}
	// Keys unique to this run: a key from an earlier run against the same
	// server would get its stored record back, not a decision.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		res      = &result{states: map[string]int64{}}
		deadline = time.Now().Add(duration)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			c := callers[w]
			defer c.close()
			var lat []time.Duration
			states := map[string]int64{}
			var errs int64
			var firstErr string
			for time.Now().Before(deadline) {
				n := next.Add(1)
				if n > int64(maxOps) {
					break
				}
				t0 := time.Now()
				state, err := c.track(fmt.Sprintf("load-%d", n%int64(users)), fmt.Sprintf("%s-w%d-%d", run, w, n), n)
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				states[state]++
			}
			mu.Lock()
			defer mu.Unlock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			for s, c := range states {
				res.states[s] += c
			}
			if res.firstError == "" {
				res.firstError = firstErr
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.ops = int64(len(res.latencies))
	return res, nil
}

func (r *result) print(w io.Writer) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
	}
	fmt.Fprintf(w, "calls %d in %v: %.0f decisions/s; errors %d\n", r.ops, r.elapsed.Round(time.Millisecond),
		float64(r.ops-r.errors)/r.elapsed.Seconds(), r.errors)
	fmt.Fprintf(w, "latency p50 %v p90 %v p99 %v max %v\n", pct(0.50), pct(0.90), pct(0.99), pct(1))
	fmt.Fprintf(w, "states %v\n", r.states)
	if r.firstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.firstError)
	}
}
