package conformance

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// NewBackend makes a fresh, empty backend location for one test and returns a
// function that opens it. Each call of open opens the same data, so the suite
// can Close a store and open it again to check durability. now is the clock
// the store must use.
type NewBackend func(t *testing.T, now func() time.Time) (open func() (store.Store, error))

// Run runs the whole suite. Each subtest opens its own backend with
// newBackend and closes every store it opened when it ends.
func Run(t *testing.T, newBackend NewBackend) {
	groups := []struct {
		name string
		run  func(*testing.T, NewBackend)
	}{
		{"Users", testUsers},
		{"Authenticators", testAuthenticators},
		{"Devices", testDevices},
		{"UpstreamLinks", testUpstreamLinks},
		{"Sessions", testSessions},
		{"Challenges", testChallenges},
		{"Actions", testActions},
		{"AuthRequests", testAuthRequests},
		{"AuthRequests/Redeem", testAuthRequestRedeem},
		{"AccessTokens", testAccessTokens},
		{"RefreshFamilies", testRefreshFamilies},
		{"Clients", testClients},
		{"APIKeys", testAPIKeys},
		{"RuleSets", testRuleSets},
		{"SigningKeys", testSigningKeys},
		{"Audit", testAudit},
		{"Concurrency", testConcurrency},
		{"Expiry", testExpiry},
		{"Durability", testDurability},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newBackend) })
	}
}

// env is one subtest's backend: its clock, the open store and the means to
// reopen it.
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *Clock
	open  func() (store.Store, error)
	s     store.Store
}

// setup opens a fresh backend for t.
func setup(t *testing.T, nb NewBackend) *env {
	t.Helper()
	clock := NewClock()
	e := &env{t: t, ctx: t.Context(), clock: clock, open: nb(t, clock.Now)}
	e.s = e.mustOpen()
	return e
}

func (e *env) mustOpen() store.Store {
	e.t.Helper()
	s, err := e.open()
	if err != nil {
		e.t.Fatalf("opening the store: %v", err)
	}
	if s == nil {
		e.t.Fatalf("opening the store: got a nil store and no error")
	}
	e.t.Cleanup(func() {
		// Stores already closed by reopen are closed again: Close must be
		// safe to call twice. Only the first Close's error is the backend's
		// to explain.
		if err := s.Close(); err != nil && s == e.s {
			e.t.Errorf("closing the store: %v", err)
		}
	})
	return s
}

// reopen closes the store and opens the same data again.
func (e *env) reopen() {
	e.t.Helper()
	if err := e.s.Close(); err != nil {
		e.t.Fatalf("closing the store before reopening it: %v", err)
	}
	e.s = e.mustOpen()
}

func (e *env) now() time.Time { return e.clock.Now() }

// zone is where fixtures keep their times, so that a backend returning the
// same instant in UTC or in time.Local still compares equal while one that
// drops the offset's hours does not.
var zone = time.FixedZone("UTC+2", 2*60*60)

// at returns now+d in zone with a microsecond part, so that a backend
// truncating to seconds or milliseconds fails.
func at(now time.Time, d time.Duration) time.Time {
	return now.Add(d + 123456*time.Microsecond).In(zone)
}

// must fails the test if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// result is the outcome of a read, so that one line can check it:
// read(s.Users().Get(ctx, id)).must(t, "Users.Get").
type result[V any] struct {
	v   V
	err error
}

func read[V any](v V, err error) result[V] { return result[V]{v, err} }

// must fails the test unless the read succeeded with a record, and returns it.
func (r result[V]) must(t *testing.T, what string) V {
	t.Helper()
	must(t, what, r.err)
	if v := reflect.ValueOf(r.v); v.Kind() == reflect.Pointer && v.IsNil() {
		t.Fatalf("%s: got a nil record and no error", what)
	}
	return r.v
}

// wantErr fails the test unless the read failed with want.
func (r result[V]) wantErr(t *testing.T, what string, want error) {
	t.Helper()
	wantErr(t, what, r.err, want)
}

// racers is how many goroutines each race test starts.
const racers = 32

// race calls f(i) for every i below racers, each on its own goroutine. The
// goroutines wait at a barrier until all of them have started, so the calls
// really overlap. race returns each call's error, by i.
func race(f func(i int) error) []error {
	errs := make([]error, racers)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = f(i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// oneWinner checks that exactly one call of a race succeeded and that every
// other failed with loserErr, and returns the winner's index.
func oneWinner(t *testing.T, what string, errs []error, loserErr error) int {
	t.Helper()
	return winners(t, what, errs, loserErr, 1)[0]
}

// winners checks that exactly n calls of a race succeeded and that every
// other failed with loserErr, and returns the winners' indexes.
func winners(t *testing.T, what string, errs []error, loserErr error, n int) []int {
	t.Helper()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, loserErr):
			t.Errorf("%s: racer %d got error %v, want nil or %v", what, i, err, loserErr)
		}
	}
	if len(won) != n {
		t.Fatalf("%s: %d of %d racers succeeded, want exactly %d", what, len(won), len(errs), n)
	}
	return won
}
