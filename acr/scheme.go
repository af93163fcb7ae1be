package acr

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Scheme is the set of ACR values a deployment understands: the built-in
// values, the well-known aliases, and the operator's aliases. ACR values are
// compared exactly, as OpenID Connect compares them. The zero Scheme (and a
// nil *Scheme) is NewScheme(nil): the built-in values and the well-known
// aliases.
type Scheme struct {
	values map[string]Level
}

// WellKnownAliases are ACR values of other specifications that mean one of
// stepup's levels, understood unless an operator maps them otherwise.
func WellKnownAliases() map[string]Level {
	return map[string]Level{
		// OpenID EAP ACR Values 1.0.
		"phr":  PhishingResistant,
		"phrh": PhishingResistantHardware,
		// OpenID PAPE 1.0 policies, still sent by many relying parties.
		"http://schemas.openid.net/pape/policies/2007/06/multi-factor":          MFA,
		"http://schemas.openid.net/pape/policies/2007/06/phishing-resistant":    PhishingResistant,
		"http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical": PhishingResistantHardware,
		// Okta's levels, for relying parties moving from Okta.
		"urn:okta:loa:1fa:any": OneFactor,
		"urn:okta:loa:2fa:any": MFA,
	}
}

// NewScheme returns the scheme with the built-in values, the well-known
// aliases and the given aliases, which may raise a well-known one (ask more
// for it) but not lower it, and may not name a built-in value: a value that
// says "phishing-resistant" must never be issued for a password alone.
func NewScheme(aliases map[string]Level) (*Scheme, error) {
	s := &Scheme{values: WellKnownAliases()}
	for _, l := range Levels() {
		s.values[l.String()] = l
	}
	for alias, l := range aliases {
		switch {
		case alias == "" || strings.ContainsAny(alias, " \t\r\n"):
			return nil, fmt.Errorf("acr: alias %q must be non-empty with no white space", alias)
		case strings.HasPrefix(strings.ToLower(alias), "urn:stepup:acr:"):
			return nil, fmt.Errorf("acr: alias %q is in stepup's own namespace", alias)
		case l < OneFactor || l > PhishingResistantHardware:
			return nil, fmt.Errorf("acr: alias %q maps to %v, which is not a level", alias, l)
		case l < WellKnownAliases()[alias]:
			return nil, fmt.Errorf("acr: alias %q is the well-known value for %v; it may not stand for the lower %v",
				alias, WellKnownAliases()[alias], l)
		}
		s.values[alias] = l
	}
	return s, nil
}

// table is the scheme's values. The zero Scheme, and a nil one, are the
// built-in values and the well-known aliases, as NewScheme(nil) makes.
func (s *Scheme) table() map[string]Level {
	if s == nil || s.values == nil {
		return defaultScheme().values
	}
	return s.values
}

var defaultScheme = sync.OnceValue(func() *Scheme {
	s, _ := NewScheme(nil) // no aliases: nothing to refuse
	return s
})

// Level returns the level an ACR value names, and whether it names one.
func (s *Scheme) Level(value string) (Level, bool) {
	l, ok := s.table()[value]
	return l, ok
}

// Values lists every ACR value the scheme understands, for discovery's
// acr_values_supported: the built-in values first, lowest level first, then
// the aliases in lexical order.
func (s *Scheme) Values() []string {
	var builtin, aliases []string
	for _, l := range Levels() {
		builtin = append(builtin, l.String())
	}
	for _, v := range slices.Sorted(maps.Keys(s.table())) {
		if !slices.Contains(builtin, v) {
			aliases = append(aliases, v)
		}
	}
	return append(builtin, aliases...)
}

// ParseACRValues splits an acr_values request parameter: ACR values
// separated by spaces, in order of preference.
func ParseACRValues(param string) []string { return strings.Fields(param) }

// Target returns the level requested by acr_values: the level of the first
// value the scheme understands. Values it does not understand are skipped,
// never an error (acr_values is a voluntary request); with none understood
// it returns None and false.
func (s *Scheme) Target(values []string) (Level, bool) {
	for _, v := range values {
		if l, ok := s.table()[v]; ok {
			return l, true
		}
	}
	return None, false
}

// Lowest returns the lowest level among the values the scheme understands:
// the level that satisfies an essential acr request, which any one of its
// values satisfies.
func (s *Scheme) Lowest(values []string) (Level, bool) {
	lowest, found := None, false
	for _, v := range values {
		if l, ok := s.table()[v]; ok && (!found || l < lowest) {
			lowest, found = l, true
		}
	}
	return lowest, found
}

// Claim returns the acr claim for a session at level reached, given the
// values the relying party requested: the level actually reached, as
// OpenID Connect Core has acr say, named by the first requested value of
// exactly that level (an alias the relying party understands) or else by
// its built-in value. A session that reached phr on a request for mfa says
// phr: the relying party learns what was proven, and any level satisfies
// the lower ones it may check for.
func (s *Scheme) Claim(reached Level, requested []string) string {
	for _, v := range requested {
		if l, ok := s.table()[v]; ok && l == reached {
			return v
		}
	}
	if reached == None {
		return ""
	}
	return reached.String()
}

// EssentialClaim returns the acr claim for a session at level reached
// on an essential request for values: OpenID Connect Core §5.5.1.1 says
// it MUST be one of them, so it is the value with the highest level that
// reached satisfies (the first of equals), and "" if none is.
func (s *Scheme) EssentialClaim(reached Level, values []string) string {
	best, bestLevel := "", None
	for _, v := range values {
		if l, ok := s.table()[v]; ok && reached.Satisfies(l) && l > bestLevel {
			best, bestLevel = v, l
		}
	}
	return best
}
