package sendlimit

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTooManyMessages is wrapped by every *LimitError. Its text is safe to
// show to a user.
var ErrTooManyMessages = errors.New("sendlimit: too many messages; wait a little and try again")

// Window is a sliding-window limit: at most Max sends in any Period.
type Window struct {
	Max    int
	Period time.Duration
}

func (w Window) String() string { return fmt.Sprintf("%d per %s", w.Max, w.Period) }

// Scope names what a limit counts.
type Scope string

// The scopes of the limits.
const (
	ScopeCooldown    Scope = "cooldown"    // one destination, between two sends
	ScopeDestination Scope = "destination" // one phone number or email address
	ScopeRegion      Scope = "region"      // one country
	ScopeGlobal      Scope = "global"      // every send
)

// Limits configure a Limiter. A zero field takes its value from
// DefaultLimits; no limit can be turned off, only set.
type Limits struct {
	// Cooldown is the least time between two sends to one destination: the
	// resend cool-down.
	Cooldown time.Duration
	// Destination limits the sends to one destination.
	Destination []Window
	// Region limits the sends to one country, for countries not in
	// Regions. It applies only to sends that name a region.
	Region []Window
	// Regions overrides Region for the countries it names (upper case ISO 3166-1
	// alpha-2), for example lower for a country a deployment has few
	// users in, or higher for its home country.
	Regions map[string][]Window
	// Global limits every send together.
	Global []Window
	// MaxDestinations bounds the destinations tracked; past it the one sent
	// to least recently is forgotten.
	MaxDestinations int
}

// DefaultLimits returns the limits a zero Limits field falls back to.
//
// NIST SP 800-63B sets no limit on sends, only on failed verifications.
// These follow OWASP's advice against SMS pumping and what SMS providers'
// fraud guards apply: a short cool-down between two sends to one number
// (30 s, as long as a delayed SMS usually takes to arrive), a few per
// destination in minutes and a handful more per day (3 per 10 minutes,
// 10 per day: a user retrying a lost code is served, a number being
// bombed gets at most ten), and caps per country and overall per minute so
// that an attack on many numbers costs at most a bounded sum per minute
// (30 per country, 100 overall). Size Region, Regions and Global to a
// deployment's traffic; the point is a ceiling, not the exact value.
// MaxDestinations of 65,536 costs at most about 30 MB (measured with
// every number holding ten sends) and, at the global 100 per minute,
// remembers every number sent to in the last 11 hours: a number is
// forgotten, and its limits start afresh, only after 65,536 others were
// sent to since, which the global limit makes slow.
func DefaultLimits() Limits {
	return Limits{
		Cooldown:        30 * time.Second,
		Destination:     []Window{{3, 10 * time.Minute}, {10, 24 * time.Hour}},
		Region:          []Window{{30, time.Minute}},
		Global:          []Window{{100, time.Minute}},
		MaxDestinations: 1 << 16,
	}
}

// LimitError is the error of a refused send.
type LimitError struct {
	Scope Scope
	// Region is the number's region for ScopeRegion, empty otherwise.
	Region string
	Limit  Window
	// RetryAfter is how long until this limit would let a send through;
	// another limit may still refuse it then.
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	where := string(e.Scope)
	if e.Region != "" {
		where += " " + e.Region
	}
	return fmt.Sprintf("sendlimit: %s limit of %s reached; retry after %s", where, e.Limit, e.RetryAfter)
}

// Unwrap returns ErrTooManyMessages.
func (e *LimitError) Unwrap() error { return ErrTooManyMessages }

// Limiter counts sends in memory against the limits of a Limits. It
// is safe for concurrent use. One Limiter serves one process; counts are
// lost on restart.
type Limiter struct {
	cooldown        Window
	dest            []Window
	region          []Window
	regions         map[string][]Window
	global          []Window
	maxDestinations int

	// One mutex so that a send is checked against every scope and counted
	// in every scope at once; a refused send counts nowhere.
	mu        sync.Mutex
	byDest    map[string]*list.Element // of *destLog, most recent send first
	destOrder *list.List
	byRegion  map[string]*sendLog
	all       sendLog
}

type destLog struct {
	dest string
	log  sendLog
}

// NewLimiter makes a Limiter, reporting every invalid limit at once.
func NewLimiter(l Limits) (*Limiter, error) {
	d := DefaultLimits()
	if l.Cooldown == 0 {
		l.Cooldown = d.Cooldown
	}
	if l.Destination == nil {
		l.Destination = d.Destination
	}
	if l.Region == nil {
		l.Region = d.Region
	}
	if l.Global == nil {
		l.Global = d.Global
	}
	if l.MaxDestinations == 0 {
		l.MaxDestinations = d.MaxDestinations
	}
	var errs []error
	check := func(name string, ws []Window) {
		if len(ws) == 0 {
			errs = append(errs, fmt.Errorf("sendlimit: limits: '%s' must have at least one window", name))
		}
		for i, w := range ws {
			if w.Max < 1 || w.Period <= 0 {
				errs = append(errs, fmt.Errorf("sendlimit: limits: '%s[%d]' must allow at least 1 in a positive period but it's %d per %s", name, i, w.Max, w.Period))
			}
		}
	}
	if l.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("sendlimit: limits: 'cooldown' must be positive but it's %s", l.Cooldown))
	}
	check("destination", l.Destination)
	check("region", l.Region)
	check("global", l.Global)
	regions := map[string][]Window{}
	for r, ws := range l.Regions {
		if r == "" {
			errs = append(errs, errors.New("sendlimit: limits: 'regions' has an empty key"))
		}
		check("regions."+r, ws)
		regions[r] = ws
	}
	if l.MaxDestinations < 1 {
		errs = append(errs, fmt.Errorf("sendlimit: limits: 'max_destinations' must be positive but it's %d", l.MaxDestinations))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Limiter{
		cooldown:        Window{1, l.Cooldown},
		dest:            l.Destination,
		region:          l.Region,
		regions:         regions,
		global:          l.Global,
		maxDestinations: l.MaxDestinations,
		byDest:          map[string]*list.Element{},
		destOrder:       list.New(),
		byRegion:        map[string]*sendLog{},
		all:             newSendLog(l.Global),
	}, nil
}

// Allow counts a send to dest, of region (a phone number's country; empty
// for an email address), at now, or refuses it with a *LimitError for the
// first limit it would exceed (cool-down, destination, region, global, in
// that order) without counting it anywhere. Call it right before handing
// the message to a sender. An allowed send stays counted when the sender
// then fails: the provider may have sent, and charged, it anyway, and a
// failing provider must not turn into a retry storm.
//
// Regions are kept for ever, so region must come from a bounded set (the
// numbering plans' regions); dest may be anything, and is forgotten past
// MaxDestinations.
func (l *Limiter) Allow(dest, region string, now time.Time) error {
	if dest == "" {
		return errors.New("sendlimit: Allow needs a destination")
	}
	t := now.UnixNano()
	regionWindows := l.regions[region]
	if regionWindows == nil {
		regionWindows = l.region
	}

	l.mu.Lock()
	defer l.mu.Unlock()

	var dl *destLog
	if e, ok := l.byDest[dest]; ok {
		dl = e.Value.(*destLog)
	}
	var rl *sendLog
	if region != "" {
		rl = l.byRegion[region]
	}
	if dl != nil {
		if _, wait, ok := dl.log.exceedsAny([]Window{l.cooldown}, t); ok {
			return &LimitError{Scope: ScopeCooldown, Limit: l.cooldown, RetryAfter: wait}
		}
		if w, wait, ok := dl.log.exceedsAny(l.dest, t); ok {
			return &LimitError{Scope: ScopeDestination, Limit: w, RetryAfter: wait}
		}
	}
	if rl != nil {
		if w, wait, ok := rl.exceedsAny(regionWindows, t); ok {
			return &LimitError{Scope: ScopeRegion, Region: region, Limit: w, RetryAfter: wait}
		}
	}
	if w, wait, ok := l.all.exceedsAny(l.global, t); ok {
		return &LimitError{Scope: ScopeGlobal, Limit: w, RetryAfter: wait}
	}

	if dl == nil {
		if l.destOrder.Len() >= l.maxDestinations {
			oldest := l.destOrder.Back()
			delete(l.byDest, oldest.Value.(*destLog).dest)
			l.destOrder.Remove(oldest)
		}
		dl = &destLog{dest: dest, log: newSendLog(append([]Window{l.cooldown}, l.dest...))}
		l.byDest[dest] = l.destOrder.PushFront(dl)
	} else {
		l.destOrder.MoveToFront(l.byDest[dest])
	}
	dl.log.add(t)
	if rl == nil && region != "" {
		// Regions come from a bounded set (Allow), so they are not
		// evicted.
		r := newSendLog(regionWindows)
		rl = &r
		l.byRegion[region] = rl
	}
	if rl != nil {
		rl.add(t)
	}
	l.all.add(t)
	return nil
}

// Destinations returns how many destinations the Limiter tracks.
func (l *Limiter) Destinations() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.destOrder.Len()
}

// sendLog holds the times of the latest sends, at most keep of them: the
// largest Max of its windows, enough to decide every window exactly. It
// grows with the sends made, so a number sent to once holds one time
// whatever the limits say.
type sendLog struct {
	times []int64 // oldest first
	keep  int
}

func newSendLog(ws []Window) sendLog {
	keep := 1
	for _, w := range ws {
		keep = max(keep, w.Max)
	}
	return sendLog{keep: keep}
}

func (s *sendLog) add(t int64) {
	if len(s.times) == s.keep {
		// append reallocates once the front is used up: amortised O(1).
		s.times = s.times[1:]
	}
	s.times = append(s.times, t)
}

// exceedsAny reports whether one more send at t would break a window of
// ws, which one (the one with the longest wait when several are), and how
// long until it would not.
func (s *sendLog) exceedsAny(ws []Window, t int64) (Window, time.Duration, bool) {
	var worst Window
	var wait time.Duration
	hit := false
	for _, w := range ws {
		if len(s.times) < w.Max {
			continue
		}
		// The Max-th latest send still inside the window means Max sends
		// are in it already.
		nth := s.times[len(s.times)-w.Max]
		if free := nth + int64(w.Period); free > t {
			if d := time.Duration(free - t); !hit || d > wait {
				worst, wait, hit = w, d, true
			}
		}
	}
	return worst, wait, hit
}
