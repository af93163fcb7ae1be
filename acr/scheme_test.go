package acr

import (
	"slices"
	"testing"
)

func newScheme(t *testing.T, aliases map[string]Level) *Scheme {
	t.Helper()
	s, err := NewScheme(aliases)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemeAliases(t *testing.T) {
	s := newScheme(t, map[string]Level{"gold": PhishingResistant, "urn:okta:loa:2fa:any": PhishingResistant})
	for value, want := range map[string]Level{
		"urn:stepup:acr:mfa": MFA,
		"http://schemas.openid.net/pape/policies/2007/06/multi-factor": MFA,
		"phrh":                 PhishingResistantHardware,
		"gold":                 PhishingResistant,
		"urn:okta:loa:2fa:any": PhishingResistant, // the operator overrides a well-known alias
	} {
		if got, ok := s.Level(value); !ok || got != want {
			t.Errorf("Level(%q) = %v, %v; want %v", value, got, ok, want)
		}
	}
	if _, ok := s.Level("mfa"); ok {
		t.Error("a short name is not an ACR value a relying party may send")
	}
	for _, bad := range []map[string]Level{
		{"": MFA}, {"two words": MFA}, {"urn:stepup:acr:mfa": OneFactor}, {"x": None}, {"y": Level(9)},
		{"URN:stepup:acr:phr": OneFactor}, // the namespace is case-insensitive (RFC 8141 §3.1)
		// A well-known value may not be lowered: a relying party asking
		// for "phishing-resistant" must never get it for a password.
		{"http://schemas.openid.net/pape/policies/2007/06/phishing-resistant": OneFactor},
		{"phrh": PhishingResistant},
	} {
		if _, err := NewScheme(bad); err == nil {
			t.Errorf("NewScheme(%v) accepted a bad alias", bad)
		}
	}
	values := s.Values()
	if !slices.Equal(values[:4], []string{"urn:stepup:acr:1fa", "urn:stepup:acr:mfa", "urn:stepup:acr:phr", "urn:stepup:acr:phrh"}) ||
		!slices.Contains(values, "gold") {
		t.Errorf("Values() = %v", values)
	}
}

func TestACRValuesFirstSupportedValueIsTheTarget(t *testing.T) {
	s := newScheme(t, nil)
	tests := []struct {
		param string
		want  Level
		ok    bool
	}{
		{"urn:stepup:acr:mfa", MFA, true},
		{"unknown urn:stepup:acr:phr urn:stepup:acr:1fa", PhishingResistant, true},
		{"  urn:okta:loa:2fa:any   phrh ", MFA, true},
		{"unknown also-unknown", None, false}, // ignored, never an error
		{"", None, false},
	}
	for _, tt := range tests {
		got, ok := s.Target(ParseACRValues(tt.param))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Target(%q) = %v, %v; want %v, %v", tt.param, got, ok, tt.want, tt.ok)
		}
	}
}

// A voluntary request is answered with the level reached, named as the
// relying party named it when it asked for exactly that level.
func TestClaimSaysTheLevelReached(t *testing.T) {
	s := newScheme(t, map[string]Level{"gold": PhishingResistant})
	tests := []struct {
		reached   Level
		requested []string
		want      string
	}{
		{MFA, nil, "urn:stepup:acr:mfa"},
		{MFA, []string{"urn:okta:loa:2fa:any"}, "urn:okta:loa:2fa:any"},
		{PhishingResistant, []string{"urn:stepup:acr:mfa"}, "urn:stepup:acr:phr"}, // more than asked: what was proven
		{PhishingResistant, []string{"urn:stepup:acr:1fa", "urn:okta:loa:2fa:any"}, "urn:stepup:acr:phr"},
		{PhishingResistant, []string{"urn:stepup:acr:mfa", "gold"}, "gold"},
		{MFA, []string{"gold"}, "urn:stepup:acr:mfa"}, // not reached: the real level
		{None, []string{"urn:stepup:acr:1fa"}, ""},
	}
	for _, tt := range tests {
		if got := s.Claim(tt.reached, tt.requested); got != tt.want {
			t.Errorf("Claim(%v, %v) = %q, want %q", tt.reached, tt.requested, got, tt.want)
		}
	}
}

// An essential request is answered with one of its values (Core
// §5.5.1.1), never one above the level reached.
func TestEssentialClaimNamesARequestedValueNeverAboveTheLevel(t *testing.T) {
	s := newScheme(t, map[string]Level{"gold": PhishingResistant})
	tests := []struct {
		reached   Level
		requested []string
		want      string
	}{
		{MFA, []string{"urn:okta:loa:2fa:any"}, "urn:okta:loa:2fa:any"},
		{PhishingResistant, []string{"urn:stepup:acr:1fa", "urn:okta:loa:2fa:any"}, "urn:okta:loa:2fa:any"},
		{MFA, []string{"gold"}, ""},
		{MFA, []string{"gold", "urn:stepup:acr:1fa"}, "urn:stepup:acr:1fa"},
		{None, []string{"urn:stepup:acr:1fa"}, ""},
	}
	for _, tt := range tests {
		if got := s.EssentialClaim(tt.reached, tt.requested); got != tt.want {
			t.Errorf("EssentialClaim(%v, %v) = %q, want %q", tt.reached, tt.requested, got, tt.want)
		}
	}
}

func TestLowestOfEssentialValues(t *testing.T) {
	s := newScheme(t, nil)
	if l, ok := s.Lowest([]string{"urn:stepup:acr:phr", "x", "urn:stepup:acr:mfa"}); !ok || l != MFA {
		t.Errorf("Lowest = %v, %v; want mfa", l, ok)
	}
	if _, ok := s.Lowest([]string{"x"}); ok {
		t.Error("Lowest of unknown values found a level")
	}
}

// FuzzACRValues: any acr_values parameter gives a level or none, never a
// panic, and the target is the level of the first understood value.
func FuzzACRValues(f *testing.F) {
	f.Add("urn:stepup:acr:mfa")
	f.Add("x urn:okta:loa:2fa:any phrh")
	f.Add("\x00 \t urn:stepup:acr:")
	s, err := NewScheme(map[string]Level{"gold": PhishingResistant})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, param string) {
		values := ParseACRValues(param)
		got, ok := s.Target(values)
		var first Level
		found := false
		for _, v := range values {
			if l, k := s.Level(v); k {
				first, found = l, true
				break
			}
		}
		if ok != found || got != first {
			t.Fatalf("Target(%q) = %v, %v; first understood value is %v, %v", param, got, ok, first, found)
		}
		claim := s.Claim(got, values)
		if l, k := s.Level(claim); ok && (!k || !got.Satisfies(l)) {
			t.Fatalf("Claim(%v, %q) = %q names a level above the one reached", got, param, claim)
		}
	})
}

// The zero Scheme and a nil one understand what NewScheme(nil) does: the
// built-in values and the well-known aliases, so neither fails closed on
// every value nor panics.
func TestZeroAndNilSchemesAreTheDefault(t *testing.T) {
	for name, s := range map[string]*Scheme{"zero": {}, "nil": nil} {
		if l, ok := s.Level("urn:stepup:acr:mfa"); !ok || l != MFA {
			t.Errorf("%s scheme: Level(mfa) = %v, %v", name, l, ok)
		}
		if l, ok := s.Level("phr"); !ok || l != PhishingResistant {
			t.Errorf("%s scheme: Level(phr) = %v, %v", name, l, ok)
		}
		if got := s.Claim(MFA, []string{"urn:stepup:acr:mfa"}); got != "urn:stepup:acr:mfa" {
			t.Errorf("%s scheme: Claim = %q", name, got)
		}
		if !slices.Equal(s.Values(), newScheme(t, nil).Values()) {
			t.Errorf("%s scheme: Values() = %v", name, s.Values())
		}
	}
}
