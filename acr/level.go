package acr

import (
	"fmt"
	"strings"
)

// Level is an assurance level. The zero value, None, means no authentication.
// Levels compare with <, or better with Satisfies.
type Level int

// The built-in levels, lowest first.
const (
	None                      Level = iota // no authentication
	OneFactor                              // one factor, e.g. a password or an upstream sign-in
	MFA                                    // two factors of different kinds, or a user-verifying passkey
	PhishingResistant                      // a user-verifying passkey or security key
	PhishingResistantHardware              // as PhishingResistant, with a device-bound (hardware) key
)

// levelValues are the ACR values of the built-in levels, indexed by Level.
var levelValues = [...]string{
	None:                      "",
	OneFactor:                 "urn:stepup:acr:1fa",
	MFA:                       "urn:stepup:acr:mfa",
	PhishingResistant:         "urn:stepup:acr:phr",
	PhishingResistantHardware: "urn:stepup:acr:phrh",
}

// Levels lists the levels a session can reach, lowest first.
func Levels() []Level {
	return []Level{OneFactor, MFA, PhishingResistant, PhishingResistantHardware}
}

// String returns the level's ACR value ("urn:stepup:acr:mfa"), or "none".
func (l Level) String() string {
	if l == None {
		return "none"
	}
	if l < None || int(l) >= len(levelValues) {
		return fmt.Sprintf("acr.Level(%d)", int(l))
	}
	return levelValues[l]
}

// Satisfies reports whether a session at level l meets the requirement want.
func (l Level) Satisfies(want Level) bool { return l >= want }

// ParseLevel turns an ACR value into a Level. It accepts the full value
// ("urn:stepup:acr:mfa") and the short name after the last colon ("mfa"),
// compared without regard to case. Aliases configured by an operator are
// resolved by the caller before ParseLevel: an unknown value is an error here.
func ParseLevel(s string) (Level, error) {
	// RFC 8141 §3.1: "urn" and the namespace identifier are
	// case-insensitive, so the whole value is compared folded.
	short := strings.TrimPrefix(strings.ToLower(s), "urn:stepup:acr:")
	for l := OneFactor; int(l) < len(levelValues); l++ {
		if short == strings.TrimPrefix(levelValues[l], "urn:stepup:acr:") {
			return l, nil
		}
	}
	return None, fmt.Errorf("acr: unknown level %q (want one of 1fa, mfa, phr, phrh)", s)
}

// MarshalText encodes the level as its ACR value.
func (l Level) MarshalText() ([]byte, error) {
	if l == None {
		return []byte{}, nil
	}
	if l < None || int(l) >= len(levelValues) {
		return nil, fmt.Errorf("acr: invalid level %d", int(l))
	}
	return []byte(levelValues[l]), nil
}

// UnmarshalText decodes an ACR value with ParseLevel; empty text is None.
func (l *Level) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*l = None
		return nil
	}
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
