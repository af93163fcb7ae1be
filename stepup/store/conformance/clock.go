package conformance

import (
	"sync"
	"time"
)

// Start is the instant every Clock starts at.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a fake clock for the store under test. It stands still until
// Advance moves it, so expiry is tested without sleeping. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at Start.
func NewClock() *Clock { return NewClockAt(Start) }

// NewClockAt returns a Clock at t: at time.Now() for a test whose tokens
// a library checks against the real time.
func NewClockAt(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d. A negative d moves it back, which the suite
// uses to show that a swept record is deleted rather than hidden.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
