package phone

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
)

// The send limits are sendlimit's; these names keep a caller of phone in
// one package.
type (
	Window     = sendlimit.Window
	Scope      = sendlimit.Scope
	LimitError = sendlimit.LimitError
	// Limits configure a Limiter; see sendlimit.Limits. The keys of
	// Regions are ISO 3166-1 alpha-2 codes, in either case.
	Limits = sendlimit.Limits
)

// The scopes of the limits.
const (
	ScopeCooldown    = sendlimit.ScopeCooldown
	ScopeDestination = sendlimit.ScopeDestination
	ScopeRegion      = sendlimit.ScopeRegion
	ScopeGlobal      = sendlimit.ScopeGlobal
)

// ErrTooManyMessages is wrapped by every *LimitError. Its text is safe to
// show to a user.
var ErrTooManyMessages = sendlimit.ErrTooManyMessages

// DefaultLimits returns the limits a zero Limits field falls back to; see
// sendlimit.DefaultLimits for the reasons.
func DefaultLimits() Limits { return sendlimit.DefaultLimits() }

// Limiter counts sends to phone numbers against the limits of a Limits,
// each number's country counting as its region. It is safe for concurrent
// use. One Limiter serves one process; counts are lost on restart.
type Limiter struct {
	sends *sendlimit.Limiter
}

// NewLimiter makes a Limiter, reporting every invalid limit at once, and
// among them every key of Regions that is not a region with a numbering
// plan.
func NewLimiter(l Limits) (*Limiter, error) {
	var errs []error
	supported := phonenumbers.GetSupportedRegions()
	regions := make(map[string][]Window, len(l.Regions))
	for r, ws := range l.Regions {
		u := strings.ToUpper(r)
		if !supported[u] {
			errs = append(errs, fmt.Errorf("phone: limits: 'regions' key %q is not an ISO 3166-1 alpha-2 code with a numbering plan", r))
		}
		regions[u] = ws
	}
	l.Regions = regions
	sends, err := sendlimit.NewLimiter(l)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Limiter{sends: sends}, nil
}

// Allow counts a send to n at now, or refuses it with a *LimitError for
// the first limit it would exceed (cool-down, destination, region, global,
// in that order) without counting it anywhere; see sendlimit.Limiter.Allow.
//
// n must come from Parse; a Number without E164 or Region is refused.
func (l *Limiter) Allow(n Number, now time.Time) error {
	if n.E164 == "" || n.Region == "" {
		return errors.New("phone: Allow needs a number from Parse")
	}
	return l.sends.Allow(n.E164, n.Region, now)
}

// Destinations returns how many numbers the Limiter tracks.
func (l *Limiter) Destinations() int { return l.sends.Destinations() }
