package stepup

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stepup-auth/stepup/stepup/signals"
)

// ThrottledError says a sign-in or a registration was refused, before any
// password was checked, because its account or its network address failed
// (or registered) too often. It names no cause: an account and an address
// look alike to the user.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("stepup: too many attempts; retry in %s", e.RetryAfter)
}

// ErrAccountLocked means an account failed LockAfter sign-ins in a row and
// takes no more attempts until an operator unlocks it (stepup users
// unlock). Unknown usernames lock the same way, so a lock says nothing
// about whether an account exists; but only an existing account's lock is
// kept in the store, so after a restart, which forgets the others, a
// name still locked is one that exists. Telling so takes a hundred
// guesses at the name, spread over a day by the delays, and a restart.
var ErrAccountLocked = errors.New("stepup: account locked after too many failed sign-ins")

// ThrottlePolicy bounds failed sign-ins. A zero field takes its value from
// DefaultThrottlePolicy.
type ThrottlePolicy struct {
	// FreeFailures is how many consecutive failures of one account cost
	// nothing; each one after waits FirstDelay, doubled per failure, up to
	// MaxDelay.
	FreeFailures int
	FirstDelay   time.Duration
	MaxDelay     time.Duration
	// LockAfter is how many consecutive failures lock an account.
	LockAfter int
	// IPFailures is how many failures one network address may make within
	// IPWindow. IPv6 addresses count per /64, what one host usually holds.
	IPFailures int
	IPWindow   time.Duration
	// MaxAccounts bounds the failure counters kept, and separately the
	// locks; MaxAddresses bounds the address windows. The least recently
	// used entries go first.
	MaxAccounts  int
	MaxAddresses int
}

// DefaultThrottlePolicy follows NIST SP 800-63B §5.2.2: at most 100
// consecutive failures per account, with delays before that. Five free
// failures leave room for typos; the delays grow to 15 minutes, so reaching
// the lock takes an attacker about a day per account.
func DefaultThrottlePolicy() ThrottlePolicy {
	return ThrottlePolicy{
		FreeFailures: 5,
		FirstDelay:   time.Second,
		MaxDelay:     15 * time.Minute,
		LockAfter:    100,
		IPFailures:   20,
		IPWindow:     time.Minute,
		MaxAccounts:  100_000,
		MaxAddresses: 100_000,
	}
}

func (p ThrottlePolicy) withDefaults() ThrottlePolicy {
	d := DefaultThrottlePolicy()
	if p.FreeFailures <= 0 {
		p.FreeFailures = d.FreeFailures
	}
	if p.FirstDelay <= 0 {
		p.FirstDelay = d.FirstDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.LockAfter <= 0 {
		p.LockAfter = d.LockAfter
	}
	if p.IPFailures <= 0 {
		p.IPFailures = d.IPFailures
	}
	if p.IPWindow <= 0 {
		p.IPWindow = d.IPWindow
	}
	if p.MaxAccounts <= 0 {
		p.MaxAccounts = d.MaxAccounts
	}
	if p.MaxAddresses <= 0 {
		p.MaxAddresses = d.MaxAddresses
	}
	return p
}

// Throttle limits failed sign-ins per account and per network address.
//
// It lives in memory: each replica of stepup keeps its own counters, so
// behind a load balancer an attacker gets up to the limits once per
// replica, and a restart forgets them. An existing account's lock does not
// depend on it: Accounts also keeps the account's run of failures in the
// user record, which replicas share and restarts keep. Memory is
// bounded by the Max fields of the policy; an attacker able to fail from
// enough addresses to fill them pushes out older counters, which costs
// them far more attempts than it gives back.
//
// The address limit is a sliding window of the last IPFailures failure
// times, kept by hand: golang.org/x/time/rate is a token bucket, which
// lets a full burst through and then refills, so it allows nearly twice
// the limit in any one window, and it would still need the bounded map
// of limiters that is most of this code.
type Throttle struct {
	policy ThrottlePolicy
	now    func() time.Time

	mu       sync.Mutex
	accounts *lru[*accountFailures] // consecutive failures per account
	locked   *lru[time.Time]        // locked accounts, with when they locked
	ips      *lru[*ipFailures]      // recent failure times per address
	// registrations are the recent registration times per address, in
	// windows of their own: a burst of sign-ups behind one address (a
	// class, an office) must not keep its users from signing in.
	registrations *lru[*ipFailures]
}

type accountFailures struct {
	count int
	last  time.Time
}

// ipFailures holds the times of the last failures from one address,
// oldest first, at most IPFailures of them.
type ipFailures struct {
	times []time.Time
}

// NewThrottle returns a throttle; a nil now means time.Now.
func NewThrottle(p ThrottlePolicy, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	p = p.withDefaults()
	return &Throttle{
		policy:   p,
		now:      now,
		accounts: newLRU[*accountFailures](p.MaxAccounts),
		locked:   newLRU[time.Time](p.MaxAccounts),
		ips:      newLRU[*ipFailures](p.MaxAddresses),

		registrations: newLRU[*ipFailures](p.MaxAddresses),
	}
}

// Begin admits one sign-in attempt for account (a canonical username) from
// ip, or refuses it with a *ThrottledError or ErrAccountLocked. An admitted
// attempt counts as a failure at once, so that parallel guesses cannot
// all pass before the first has failed; Succeeded takes it back. An empty
// ip (a listener without addresses) skips the address limit.
func (t *Throttle) Begin(account, ip string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if _, ok := t.locked.peek(account); ok {
		return ErrAccountLocked
	}
	a, _ := t.accounts.get(account)
	if a != nil && a.count >= t.policy.LockAfter {
		// The lock moves out of the counters, where churn could push it
		// out, into a set of its own.
		t.accounts.remove(account)
		t.locked.put(account, now)
		return ErrAccountLocked
	}
	var wait time.Duration
	if a != nil && a.count >= t.policy.FreeFailures {
		wait = a.last.Add(t.delay(a.count)).Sub(now)
	}
	key := signals.AddressKey(ip)
	var w *ipFailures
	if key != "" {
		w, _ = t.ips.get(key)
		if w != nil {
			w.prune(now, t.policy.IPWindow)
			if len(w.times) >= t.policy.IPFailures {
				wait = max(wait, w.times[0].Add(t.policy.IPWindow).Sub(now))
			}
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}

	if a == nil {
		a = &accountFailures{}
		t.accounts.put(account, a)
	}
	// The attempt that reaches LockAfter may still have the right
	// password; the lock falls on the one after it.
	a.count++
	a.last = now
	if key != "" {
		if w == nil {
			w = &ipFailures{}
			t.ips.put(key, w)
		}
		w.times = append(w.times, now)
		if n := len(w.times); n > t.policy.IPFailures {
			w.times = w.times[n-t.policy.IPFailures:]
		}
	}
	return nil
}

// Registering admits one registration from ip, or refuses it with a
// *ThrottledError when the address has used up its window: IPFailures
// registrations within IPWindow, made or not, counted apart from failed
// sign-ins. Names tried for registration tell which exist, and accounts
// made in bulk are a cost too.
func (t *Throttle) Registering(ip string) error {
	key := signals.AddressKey(ip)
	if key == "" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	w, _ := t.registrations.get(key)
	if w == nil {
		w = &ipFailures{}
		t.registrations.put(key, w)
	}
	w.prune(now, t.policy.IPWindow)
	if len(w.times) >= t.policy.IPFailures {
		return &ThrottledError{RetryAfter: w.times[0].Add(t.policy.IPWindow).Sub(now)}
	}
	w.times = append(w.times, now)
	return nil
}

// Succeeded records that the attempt Begin admitted had the right
// password: the account's consecutive failures start again from zero, and
// the attempt no longer counts against the address.
func (t *Throttle) Succeeded(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts.remove(account)
	if key := signals.AddressKey(ip); key != "" {
		if w, ok := t.ips.peek(key); ok && len(w.times) > 0 {
			w.times = w.times[:len(w.times)-1]
		}
	}
}

// Abandon takes back an attempt Begin admitted that checked no password
// (its request ended first): it was no guess, so it counts as no failure,
// and unlike Succeeded it leaves the failures before it standing.
func (t *Throttle) Abandon(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.accounts.peek(account); ok && a.count > 0 {
		a.count--
	}
	if key := signals.AddressKey(ip); key != "" {
		if w, ok := t.ips.peek(key); ok && len(w.times) > 0 {
			w.times = w.times[:len(w.times)-1]
		}
	}
}

// Unlock clears an account's lock and failures: what an operator, or a
// completed password reset, does.
func (t *Throttle) Unlock(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.locked.remove(account)
	t.accounts.remove(account)
}

// delay is how long an account with count consecutive failures waits
// after the last one.
func (t *Throttle) delay(count int) time.Duration {
	n := count - t.policy.FreeFailures
	if n >= 40 { // beyond any cap, and before the shift overflows
		return t.policy.MaxDelay
	}
	return min(t.policy.FirstDelay<<n, t.policy.MaxDelay)
}

func (w *ipFailures) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(w.times) && !now.Before(w.times[i].Add(window)) {
		i++
	}
	w.times = w.times[i:]
}

// lru is a map bounded to max entries that drops the least recently used
// one when full. It is not safe for concurrent use.
type lru[V any] struct {
	max   int
	order *list.List // of *lruEntry[V], most recent first
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the value of key and marks it used.
func (c *lru[V]) get(key string) (V, bool) {
	e, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).val, true
}

// peek returns the value of key without marking it used.
func (c *lru[V]) peek(key string) (V, bool) {
	e, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	return e.Value.(*lruEntry[V]).val, true
}

func (c *lru[V]) put(key string, v V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, val: v})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruEntry[V]).key)
	}
}

func (c *lru[V]) remove(key string) {
	if e, ok := c.items[key]; ok {
		c.order.Remove(e)
		delete(c.items, key)
	}
}

func (c *lru[V]) len() int { return len(c.items) }
