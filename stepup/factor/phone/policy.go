package phone

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrCountryNotAllowed is wrapped by the error for a valid number of a
// country this deployment does not send to. Its text is safe to show.
var ErrCountryNotAllowed = errors.New("phone: text messages cannot be sent to numbers of this country")

// Policy says which numbers a deployment accepts for SMS: where national
// input is dialled from, and which countries it sends to.
type Policy struct {
	defaultRegion string
	allowed       map[string]bool
}

// NewPolicy makes a Policy. defaultRegion (ISO 3166-1 alpha-2, e.g. "DE")
// is the region national input is read in; it may be empty, and then only
// international input is accepted. allowed lists the regions numbers may
// belong to.
//
// An empty allowed means defaultRegion only, never every country: SMS
// pumping sends to ranges in countries the deployment has no users in, so
// each further country is a decision the operator makes. With neither
// set, NewPolicy fails. Every bad code is reported at once.
func NewPolicy(defaultRegion string, allowed []string) (*Policy, error) {
	supported := phonenumbers.GetSupportedRegions()
	var errs []error
	p := &Policy{defaultRegion: strings.ToUpper(defaultRegion), allowed: map[string]bool{}}
	if p.defaultRegion != "" && !supported[p.defaultRegion] {
		errs = append(errs, fmt.Errorf("phone: default region %q is not an ISO 3166-1 alpha-2 code with a numbering plan", defaultRegion))
	}
	for i, r := range allowed {
		u := strings.ToUpper(strings.TrimSpace(r))
		if !supported[u] {
			errs = append(errs, fmt.Errorf("phone: allowed region %d (%q) is not an ISO 3166-1 alpha-2 code with a numbering plan", i, r))
			continue
		}
		p.allowed[u] = true
	}
	if len(allowed) == 0 {
		if p.defaultRegion == "" {
			errs = append(errs, errors.New("phone: no allowed regions and no default region: list the countries to send to"))
		} else {
			p.allowed[p.defaultRegion] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Regions returns the allowed regions, sorted.
func (p *Policy) Regions() []string {
	rs := make([]string, 0, len(p.allowed))
	for r := range p.allowed {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return rs
}

// Check refuses a number whose region is not allowed, wrapping
// ErrCountryNotAllowed. Non-geographic numbers (region "001") are never
// allowed.
func (p *Policy) Check(n Number) error {
	if !p.allowed[n.Region] {
		return fmt.Errorf("%w: %s", ErrCountryNotAllowed, n.Region)
	}
	return nil
}

// Parse parses raw with the policy's default region and checks it.
func (p *Policy) Parse(raw string) (Number, error) {
	n, err := Parse(raw, p.defaultRegion)
	if err != nil {
		return Number{}, err
	}
	if err := p.Check(n); err != nil {
		return Number{}, err
	}
	return n, nil
}
