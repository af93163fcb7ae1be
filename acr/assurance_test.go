package acr

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestAssessLevels(t *testing.T) {
	pwd := Verification{Method: Password, At: at(0)}
	totp := Verification{Method: TOTP, At: at(1)}
	sms := Verification{Method: SMS, At: at(1)}
	syncedUV := Verification{Method: Passkey, At: at(2), UserVerified: true}
	syncedUP := Verification{Method: Passkey, At: at(2)}
	boundUV := Verification{Method: Passkey, At: at(2), UserVerified: true, HardwareBound: true}
	keyUP := Verification{Method: SecurityKey, At: at(2)}
	recovery := Verification{Method: RecoveryCode, At: at(1)}
	upstreamMFA := Verification{Method: Upstream, At: at(0), Level: MFA, AMR: []string{"pwd", "otp"}}

	tests := []struct {
		name string
		vs   []Verification
		want Level
	}{
		{"nothing", nil, None},
		{"password alone is 1fa", []Verification{pwd}, OneFactor},
		{"TOTP alone is 1fa", []Verification{totp}, OneFactor},
		{"password and TOTP are mfa", []Verification{pwd, totp}, MFA},
		{"password and SMS are mfa", []Verification{pwd, sms}, MFA},
		{"password and a recovery code are mfa", []Verification{pwd, recovery}, MFA},
		{"two possession factors are not mfa", []Verification{totp, sms}, OneFactor},
		{"the same kind twice is not mfa", []Verification{pwd, {Method: Password, At: at(3)}}, OneFactor},
		{"a user-verifying synced passkey is phr", []Verification{syncedUV}, PhishingResistant},
		{"a user-verifying device-bound passkey is phrh", []Verification{boundUV}, PhishingResistantHardware},
		{"a passkey without UV alone is 1fa", []Verification{syncedUP}, OneFactor},
		{"a passkey without UV and a password are phr", []Verification{pwd, syncedUP}, PhishingResistant},
		{"a security key without UV and a password are phrh", []Verification{pwd, keyUP}, PhishingResistantHardware},
		{"a security key without UV and TOTP are 1fa", []Verification{keyUP, totp}, OneFactor},
		{"an SMS code never reaches phr", []Verification{pwd, sms, totp}, MFA},
		{"an upstream counts at its trusted level", []Verification{upstreamMFA}, MFA},
		{"an upstream with a passkey step-up", []Verification{upstreamMFA, syncedUV}, PhishingResistant},
		{"an untrusted upstream proves nothing", []Verification{{Method: Upstream, At: at(0)}}, OneFactor},
		{"an upstream 1fa sign-in and a TOTP are mfa", []Verification{{Method: Upstream, At: at(0), Level: OneFactor}, totp}, MFA},
		{"an untrusted upstream and a TOTP are 1fa", []Verification{{Method: Upstream, At: at(0)}, totp}, OneFactor},
		{"an upstream 1fa sign-in and a password are 1fa", []Verification{{Method: Upstream, At: at(0), Level: OneFactor}, pwd}, OneFactor},
		{"an upstream 1fa sign-in, a password and a TOTP are mfa", []Verification{{Method: Upstream, At: at(0), Level: OneFactor}, pwd, totp}, MFA},
		{"an upstream 1fa sign-in and a synced passkey are phr", []Verification{{Method: Upstream, At: at(0), Level: OneFactor}, syncedUP}, PhishingResistant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assess(tt.vs, time.Time{})
			if got.Level != tt.want {
				t.Fatalf("level %v, want %v (amr %v)", got.Level, tt.want, got.AMR)
			}
			if (got.Level >= MFA) != slices.Contains(got.AMR, AMRMulti) {
				t.Errorf("amr %v: mfa must be there exactly when the level is mfa or above", got.AMR)
			}
		})
	}
}

func TestAssessCountsOnlyFreshVerifications(t *testing.T) {
	vs := []Verification{{Method: Password, At: at(0)}, {Method: TOTP, At: at(10)}}
	if got := Assess(vs, at(5)); got.Level != OneFactor || !got.AuthTime.Equal(at(10)) || slices.Contains(got.AMR, "pwd") {
		t.Fatalf("with the password older than max_age: %+v, want 1fa from TOTP alone at +10m", got)
	}
	if got := Assess(vs, at(0)); got.Level != MFA || !got.AuthTime.Equal(at(10)) {
		t.Fatalf("with both fresh: %+v, want mfa reached at +10m", got)
	}
	if got := Assess(vs, at(11)); got.Level != None || !got.AuthTime.IsZero() || got.AMR != nil {
		t.Fatalf("with nothing fresh: %+v, want the zero Assurance", got)
	}
}

// TestOutOfBandNeverPhishingResistant: a code or link sent by email or
// text, or a push, with a password or with each other, reaches mfa and
// never phr: each can be relayed by a phishing page.
func TestOutOfBandNeverPhishingResistant(t *testing.T) {
	oob := []Method{EmailOTP, EmailMagicLink, SMS, WhatsApp, Push}
	pwd := Verification{Method: Password, At: at(0)}
	for _, m := range oob {
		if got := Assess([]Verification{pwd, {Method: m, At: at(1)}}, at(0)).Level; got != MFA {
			t.Errorf("password and %s: %s, want mfa", m, got)
		}
		if got := Assess([]Verification{{Method: m, At: at(1)}}, at(0)).Level; got != OneFactor {
			t.Errorf("%s alone: %s, want 1fa", m, got)
		}
	}
	var all []Verification
	for i, m := range oob {
		all = append(all, Verification{Method: m, At: at(i + 1)})
	}
	if got := Assess(append(all, pwd), at(0)).Level; got != MFA {
		t.Errorf("every out-of-band factor together with a password: %s, want mfa", got)
	}
}

func TestAMRTable(t *testing.T) {
	tests := []struct {
		v    Verification
		want []string
	}{
		{Verification{Method: Password}, []string{"pwd"}},
		{Verification{Method: TOTP}, []string{"otp"}},
		{Verification{Method: SMS}, []string{"otp", "sms"}},
		{Verification{Method: Push}, []string{"swk", "user"}},
		{Verification{Method: EmailOTP}, []string{"otp"}},
		{Verification{Method: EmailMagicLink}, []string{"otp"}},
		{Verification{Method: WhatsApp}, []string{"otp"}},
		{Verification{Method: Passkey}, []string{"pop", "user", "swk"}},
		{Verification{Method: Passkey, UserVerified: true}, []string{"pop", "user", "swk", "mfa"}},
		{Verification{Method: Passkey, HardwareBound: true}, []string{"pop", "user", "hwk"}},
		{Verification{Method: SecurityKey, UserVerified: true}, []string{"hwk", "pop", "user", "mfa"}},
		{Verification{Method: Upstream, AMR: []string{"pwd", "pwd"}}, []string{"pwd"}},
	}
	for _, tt := range tests {
		if got := AMR(tt.v); !slices.Equal(got, tt.want) {
			t.Errorf("AMR(%+v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	for _, m := range Methods() {
		if _, ok := methodAMR[m]; !ok {
			t.Errorf("method %s has no amr entry", m)
		}
		if _, ok := methodKind[m]; !ok {
			t.Errorf("method %s has no factor kind", m)
		}
	}
}

// Only methods of the table prove anything: an unknown or missing method
// counted as a factor kind of its own would make a password mfa.
func TestAssessIgnoresUnknownMethods(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	pw := Verification{Method: Password, At: at}
	for name, vs := range map[string][]Verification{
		"no method":                   {pw, {At: at.Add(time.Second)}},
		"unknown method":              {pw, {Method: "FIDO_U2F", At: at.Add(time.Second)}},
		"upstream level out of range": {pw, {Method: Upstream, Level: Level(42), At: at.Add(time.Second)}},
	} {
		got := Assess(vs, time.Time{})
		if got.Level != OneFactor || slices.Contains(got.AMR, AMRMulti) {
			t.Errorf("%s: %v with amr %v, want 1fa without mfa", name, got.Level, got.AMR)
		}
	}
	if got := Assess([]Verification{{At: at}}, time.Time{}); got.Level != None || !got.AuthTime.IsZero() {
		t.Errorf("a verification of no method alone: %+v, want nothing", got)
	}
}
