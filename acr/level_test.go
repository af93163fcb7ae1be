package acr

import "testing"

func TestLevelOrderIsTotal(t *testing.T) {
	levels := Levels()
	for i, lo := range levels {
		for j, hi := range levels {
			if got, want := hi.Satisfies(lo), j >= i; got != want {
				t.Errorf("%v.Satisfies(%v) = %v, want %v", hi, lo, got, want)
			}
		}
	}
	if None.Satisfies(OneFactor) {
		t.Error("None satisfies OneFactor")
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		ok   bool
	}{
		{"urn:stepup:acr:1fa", OneFactor, true},
		{"urn:stepup:acr:mfa", MFA, true},
		{"phr", PhishingResistant, true},
		{"PHRH", PhishingResistantHardware, true},
		{"URN:StepUp:ACR:MFA", MFA, true}, // RFC 8141 §3.1: "urn" and the namespace are case-insensitive
		{"urn:stepup:acr:", None, false},
		{"urn:okta:loa:2fa:any", None, false},
		{"", None, false},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLevelTextRoundTrip(t *testing.T) {
	for _, l := range append(Levels(), None) {
		b, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Level
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("round trip of %v gave %v, %v", l, back, err)
		}
	}
}

func TestParseMethod(t *testing.T) {
	if m, err := ParseMethod("passkey"); err != nil || m != Passkey {
		t.Errorf("ParseMethod(passkey) = %v, %v", m, err)
	}
	if _, err := ParseMethod("carrier-pigeon"); err == nil {
		t.Error("ParseMethod accepted an unknown method")
	}
}

func FuzzParseLevel(f *testing.F) {
	f.Add("urn:stepup:acr:mfa")
	f.Add("phrh")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err != nil {
			return
		}
		b, _ := l.MarshalText()
		if back, err := ParseLevel(string(b)); err != nil || back != l {
			t.Fatalf("%q parsed to %v but its value %q parses to %v, %v", s, l, b, back, err)
		}
	})
}
