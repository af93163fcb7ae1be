package sendlimit_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

var t0 = time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)

// dest is a destination with its region: a phone number and its country.
type dest struct{ to, region string }

func (d dest) String() string { return d.to }

// num makes the i-th of many distinct German mobile numbers.
func num(i int) dest { return dest{fmt.Sprintf("+49151%08d", i), "DE"} }

var fr = dest{"+33612345678", "FR"}

// allow sends to d through lim.
func allow(lim *sendlimit.Limiter, d dest, at time.Time) error { return lim.Allow(d.to, d.region, at) }

func newLimiter(t *testing.T, l sendlimit.Limits) *sendlimit.Limiter {
	t.Helper()
	lim, err := sendlimit.NewLimiter(l)
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

// roomy limits everything far beyond a test's sends, so that the test
// sees only the limit it sets.
func roomy() sendlimit.Limits {
	big := []sendlimit.Window{{Max: 1 << 20, Period: time.Second}}
	return sendlimit.Limits{Cooldown: time.Nanosecond, Destination: big, Region: big, Global: big}
}

type send struct {
	n     dest
	at    time.Duration   // after t0
	scope sendlimit.Scope // "" means allowed
	retry time.Duration   // when refused
}

func runSends(t *testing.T, lim *sendlimit.Limiter, sends []send) {
	t.Helper()
	for i, s := range sends {
		err := allow(lim, s.n, t0.Add(s.at))
		if s.scope == "" {
			if err != nil {
				t.Fatalf("send %d to %s at +%s: %v", i, s.n, s.at, err)
			}
			continue
		}
		var le *sendlimit.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("send %d to %s at +%s: err = %v, want a %s limit", i, s.n, s.at, err, s.scope)
		}
		if le.Scope != s.scope || le.RetryAfter != s.retry {
			t.Fatalf("send %d to %s at +%s: %v; want %s limit, retry after %s", i, s.n, s.at, err, s.scope, s.retry)
		}
		if !errors.Is(err, sendlimit.ErrTooManyMessages) {
			t.Fatalf("%v does not wrap ErrTooManyMessages", err)
		}
	}
}

func TestLimiterCooldown(t *testing.T) {
	l := roomy()
	l.Cooldown = 30 * time.Second
	a, b := num(1), num(2)
	runSends(t, newLimiter(t, l), []send{
		{n: a, at: 0},
		{n: b, at: time.Second}, // another number is not held back
		{n: a, at: 29 * time.Second, scope: sendlimit.ScopeCooldown, retry: time.Second},
		{n: a, at: 30 * time.Second},
		{n: a, at: 30*time.Second + 1, scope: sendlimit.ScopeCooldown, retry: 30*time.Second - 1},
	})
}

func TestLimiterDestination(t *testing.T) {
	l := roomy()
	l.Destination = []sendlimit.Window{{Max: 3, Period: 10 * time.Minute}, {Max: 10, Period: 24 * time.Hour}}
	a := num(1)
	sends := []send{
		{n: a, at: 0},
		{n: a, at: time.Minute},
		{n: a, at: 2 * time.Minute},
		{n: a, at: 3 * time.Minute, scope: sendlimit.ScopeDestination, retry: 7 * time.Minute},
		{n: num(2), at: 3 * time.Minute},
		{n: a, at: 10 * time.Minute}, // the send at 0 has left the window
		{n: a, at: 10*time.Minute + 1, scope: sendlimit.ScopeDestination, retry: time.Minute - 1},
	}
	// Six more, each four minutes apart so that the ten-minute window
	// never fills, bring the day to ten.
	for i := range 6 {
		sends = append(sends, send{n: a, at: time.Duration(14+4*i) * time.Minute})
	}
	sends = append(sends,
		send{n: a, at: 50 * time.Minute, scope: sendlimit.ScopeDestination, retry: 24*time.Hour - 50*time.Minute},
		send{n: a, at: 24 * time.Hour},
	)
	runSends(t, newLimiter(t, l), sends)
}

func TestLimiterRegion(t *testing.T) {
	l := roomy()
	l.Region = []sendlimit.Window{{Max: 2, Period: time.Minute}}
	l.Regions = map[string][]sendlimit.Window{"FR": {{Max: 1, Period: time.Hour}}}
	runSends(t, newLimiter(t, l), []send{
		{n: num(1), at: 0},
		{n: num(2), at: 10 * time.Second},
		{n: num(3), at: 20 * time.Second, scope: sendlimit.ScopeRegion, retry: 40 * time.Second},
		{n: fr, at: 20 * time.Second}, // France counts apart
		{n: dest{"+33698765432", "FR"}, at: 30 * time.Second, scope: sendlimit.ScopeRegion, retry: time.Hour - 10*time.Second},
		{n: num(3), at: time.Minute},
	})
}

func TestLimiterGlobal(t *testing.T) {
	l := roomy()
	l.Global = []sendlimit.Window{{Max: 3, Period: time.Minute}}
	runSends(t, newLimiter(t, l), []send{
		{n: num(1), at: 0},
		{n: fr, at: time.Second},
		{n: num(2), at: 2 * time.Second},
		{n: dest{"+447400123456", "GB"}, at: 3 * time.Second, scope: sendlimit.ScopeGlobal, retry: 57 * time.Second},
		{n: num(3), at: time.Minute},
	})
}

// TestLimiterSlides checks the window slides send by send rather than
// resetting at fixed boundaries.
func TestLimiterSlides(t *testing.T) {
	l := roomy()
	l.Destination = []sendlimit.Window{{Max: 2, Period: time.Minute}}
	a := num(1)
	runSends(t, newLimiter(t, l), []send{
		{n: a, at: 0},
		{n: a, at: 40 * time.Second},
		{n: a, at: 59 * time.Second, scope: sendlimit.ScopeDestination, retry: time.Second},
		{n: a, at: 60 * time.Second},
		{n: a, at: 99 * time.Second, scope: sendlimit.ScopeDestination, retry: time.Second},
		{n: a, at: 100 * time.Second},
		{n: a, at: 119 * time.Second, scope: sendlimit.ScopeDestination, retry: time.Second},
	})
}

// TestLimiterRefusalCountsNothing checks that a refused send uses up no
// limit: neither hammering a number in its cool-down, nor a send refused
// by the global limit, counts against the number or its country.
func TestLimiterRefusalCountsNothing(t *testing.T) {
	l := roomy()
	l.Cooldown = time.Second
	l.Destination = []sendlimit.Window{{Max: 2, Period: time.Hour}}
	l.Regions = map[string][]sendlimit.Window{"FR": {{Max: 1, Period: time.Hour}}}
	l.Global = []sendlimit.Window{{Max: 2, Period: time.Minute}}
	lim := newLimiter(t, l)
	a := num(1)
	if err := allow(lim, a, t0); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := allow(lim, a, t0.Add(time.Millisecond*time.Duration(i%999+1)/2)); err == nil {
			t.Fatalf("send %d in the cool-down allowed", i)
		}
	}
	if err := allow(lim, a, t0.Add(time.Second)); err != nil {
		t.Fatalf("second send after refused ones: %v", err)
	}
	// The global limit is full: France is refused, and must not have
	// spent its one send an hour.
	if err := allow(lim, fr, t0.Add(2*time.Second)); err == nil {
		t.Fatal("global limit not applied")
	}
	if err := allow(lim, fr, t0.Add(time.Minute+time.Second)); err != nil {
		t.Fatalf("France after a refused send: %v", err)
	}
}

func TestLimiterEvictsOldest(t *testing.T) {
	const max = 100
	l := roomy()
	l.Cooldown = time.Hour
	l.MaxDestinations = max
	lim := newLimiter(t, l)
	deadline := time.Now().Add(10 * time.Second)
	for i := range 20 * max {
		if err := allow(lim, num(i), t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatalf("number %d: %v", i, err)
		}
		if got := lim.Destinations(); got > max {
			t.Fatalf("after %d numbers, %d tracked; want at most %d", i+1, got, max)
		}
		if time.Now().After(deadline) {
			t.Fatal("too slow")
		}
	}
	now := t0.Add(20 * max * time.Millisecond)
	// The latest max numbers are remembered and still cooling down.
	for i := 19 * max; i < 20*max; i++ {
		if err := allow(lim, num(i), now); err == nil {
			t.Fatalf("number %d, among the latest, forgotten", i)
		}
	}
	// The oldest were forgotten: their cool-down no longer holds them.
	if err := allow(lim, num(0), now); err != nil {
		t.Fatalf("number 0, the oldest, still remembered: %v", err)
	}
}

// TestLimiterEvictsLeastRecentlySent checks that a send to a number makes
// it the newest, so the number evicted is the one sent to least recently,
// not the one first seen: otherwise a number being bombed loses its
// history as soon as it is the oldest entry.
func TestLimiterEvictsLeastRecentlySent(t *testing.T) {
	l := roomy()
	l.Cooldown = time.Second
	l.Destination = []sendlimit.Window{{Max: 2, Period: time.Hour}}
	l.MaxDestinations = 3
	a, b, c, d := num(1), num(2), num(3), num(4)
	runSends(t, newLimiter(t, l), []send{
		{n: a, at: 0},
		{n: b, at: time.Second},
		{n: c, at: 2 * time.Second},
		{n: a, at: 3 * time.Second}, // a is now the newest, b the oldest
		{n: d, at: 4 * time.Second}, // evicts b
		{n: a, at: 5 * time.Second, scope: sendlimit.ScopeDestination, retry: time.Hour - 5*time.Second},
		{n: b, at: 5 * time.Second},
		{n: b, at: 6 * time.Second}, // b starts afresh: its first send was forgotten
	})
}

func TestLimiterConcurrent(t *testing.T) {
	l := roomy()
	l.Cooldown = time.Minute
	l.Global = []sendlimit.Window{{Max: 50, Period: time.Minute}}
	lim := newLimiter(t, l)
	var allowed, sameAllowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if allow(lim, num(1), t0) == nil {
					sameAllowed.Add(1)
				}
				if allow(lim, num(1000+g*100+i), t0) == nil {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := sameAllowed.Load(); got != 1 {
		t.Errorf("one number allowed %d times at once, want 1", got)
	}
	if got := allowed.Load() + sameAllowed.Load(); got != 50 {
		t.Errorf("%d sends allowed in total, want the global 50", got)
	}
}

func TestNewLimiter(t *testing.T) {
	lim := newLimiter(t, sendlimit.Limits{})
	a := num(1)
	if err := allow(lim, a, t0); err != nil {
		t.Fatal(err)
	}
	var le *sendlimit.LimitError
	if err := allow(lim, a, t0.Add(29*time.Second)); !errors.As(err, &le) || le.Scope != sendlimit.ScopeCooldown {
		t.Errorf("zero Limits: err = %v, want the default 30 s cool-down", err)
	}
	if err := allow(lim, a, t0.Add(30*time.Second)); err != nil {
		t.Errorf("zero Limits, after 30 s: %v", err)
	}

	_, err := sendlimit.NewLimiter(sendlimit.Limits{
		Cooldown:        -time.Second,
		Destination:     []sendlimit.Window{{Max: 0, Period: time.Minute}},
		Region:          []sendlimit.Window{},
		Global:          []sendlimit.Window{{Max: 1, Period: 0}},
		Regions:         map[string][]sendlimit.Window{"XX": {{Max: 0, Period: time.Minute}}},
		MaxDestinations: -1,
	})
	if err == nil {
		t.Fatal("invalid limits accepted")
	}
	for _, key := range []string{"'cooldown'", "'destination[0]'", "'region'", "'global[0]'", "'regions.XX[0]'", "'max_destinations'"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}
