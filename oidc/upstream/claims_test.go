package upstream

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

var names = ClaimNames{Username: "preferred_username", Email: "email", Name: "name"}

func TestParseClaims(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    Claims
		wantErr string
	}{
		{"keycloak", `{"iss":"https://kc","sub":"s1","nonce":"n","acr":"2","amr":["pwd","otp"],"auth_time":1700000000,"iat":1700000001,
			"email":"A@x.example","email_verified":true,"preferred_username":"a","name":"A"}`,
			Claims{Issuer: "https://kc", Subject: "s1", Nonce: "n", ACR: "2", AMR: []string{"pwd", "otp"},
				AuthTime: time.Unix(1700000000, 0).UTC(), IssuedAt: time.Unix(1700000001, 0).UTC(),
				Email: "A@x.example", EmailVerified: true, Username: "a", Name: "A"}, ""},
		{"cognito's string true", `{"iss":"i","sub":"s","email":"e","email_verified":"true"}`,
			Claims{Issuer: "i", Subject: "s", Email: "e", EmailVerified: true}, ""},
		{"email_verified 1 is no promise", `{"iss":"i","sub":"s","email":"e","email_verified":1}`,
			Claims{Issuer: "i", Subject: "s", Email: "e"}, ""},
		{"email_verified false", `{"iss":"i","sub":"s","email":"e","email_verified":false}`,
			Claims{Issuer: "i", Subject: "s", Email: "e"}, ""},
		{"a profile claim of another type is left out", `{"iss":"i","sub":"s","email":["e"],"name":{"x":1}}`,
			Claims{Issuer: "i", Subject: "s"}, ""},
		{"control characters leave the name", "{\"iss\":\"i\",\"sub\":\"s\",\"name\":\"A\\u0007B\"}",
			Claims{Issuer: "i", Subject: "s", Name: "AB"}, ""},
		{"no sub", `{"iss":"i"}`, Claims{}, "has no sub"},
		{"empty sub", `{"iss":"i","sub":""}`, Claims{}, "sub is empty"},
		{"sub a number", `{"iss":"i","sub":5}`, Claims{}, "sub is not a short string"},
		{"amr a string", `{"iss":"i","sub":"s","amr":"pwd"}`, Claims{}, "amr is not a list"},
		{"auth_time a string", `{"iss":"i","sub":"s","auth_time":"now"}`, Claims{}, "auth_time is not a number"},
		{"auth_time negative", `{"iss":"i","sub":"s","auth_time":-1}`, Claims{}, "auth_time is out of range"},
		{"auth_time huge", `{"iss":"i","sub":"s","auth_time":1e300}`, Claims{}, "auth_time is out of range"},
		{"not an object", `[1]`, Claims{}, "ID token claims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClaims([]byte(tt.payload), names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "upstream: ") {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalClaims(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func equalClaims(a, b Claims) bool {
	return slices.Equal(a.AMR, b.AMR) && a.Issuer == b.Issuer && a.Subject == b.Subject && a.Nonce == b.Nonce &&
		a.ACR == b.ACR && a.AuthTime.Equal(b.AuthTime) && a.IssuedAt.Equal(b.IssuedAt) && a.Email == b.Email &&
		a.EmailVerified == b.EmailVerified && a.Username == b.Username && a.Name == b.Name
}

func TestTrustVerify(t *testing.T) {
	now := time.Unix(1700000100, 0)
	authTime := time.Unix(1700000000, 0)
	kc := Trust{ACR: map[string]acr.Level{"2": acr.MFA}, AMR: []AMRRule{{All: []string{"pwd", "hwk"}, Level: acr.PhishingResistantHardware}}}
	tests := []struct {
		name   string
		trust  Trust
		claims Claims
		level  acr.Level
		amr    []string
		at     time.Time
	}{
		{"nothing trusted", Trust{}, Claims{ACR: "2", AMR: []string{"pwd", "otp"}, AuthTime: authTime}, acr.OneFactor, nil, authTime},
		{"trusted acr", kc, Claims{ACR: "2", AMR: []string{"pwd", "otp"}, AuthTime: authTime}, acr.MFA, []string{"pwd", "otp"}, authTime},
		{"untrusted acr of a trusting upstream", kc, Claims{ACR: "1", AMR: []string{"pwd"}, AuthTime: authTime}, acr.OneFactor, nil, authTime},
		{"trusted amr set", kc, Claims{AMR: []string{"hwk", "pwd", "x"}, AuthTime: authTime}, acr.PhishingResistantHardware, []string{"hwk", "pwd", "x"}, authTime},
		{"part of an amr set", kc, Claims{AMR: []string{"hwk"}, AuthTime: authTime}, acr.OneFactor, nil, authTime},
		{"an empty acr is no key", Trust{ACR: map[string]acr.Level{"": acr.MFA}}, Claims{}, acr.OneFactor, nil, now},
		{"an empty amr set trusts nothing", Trust{AMR: []AMRRule{{Level: acr.MFA}}}, Claims{}, acr.OneFactor, nil, now},
		{"auth_time in the future is now", Trust{}, Claims{AuthTime: now.Add(time.Hour)}, acr.OneFactor, nil, now},
		{"no auth_time: iat", Trust{}, Claims{IssuedAt: authTime}, acr.OneFactor, nil, authTime},
		{"odd amr values are dropped", kc, Claims{ACR: "2", AMR: []string{"pwd", "PWD", "a b", "pwd", strings.Repeat("x", 33)}}, acr.MFA, []string{"pwd"}, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.trust.Verify(tt.claims, now)
			if v.Method != acr.Upstream || v.Level != tt.level || !slices.Equal(v.AMR, tt.amr) || !v.At.Equal(tt.at) {
				t.Errorf("got %s level %s amr %v at %v; want UPSTREAM %s %v %v", v.Method, v.Level, v.AMR, v.At, tt.level, tt.amr, tt.at)
			}
		})
	}
}

func FuzzParseClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"i","sub":"s","acr":"2","amr":["pwd"],"auth_time":1700000000.5,"email":"e","email_verified":"true"}`,
		`{"sub":1e999}`, `{"auth_time":-0}`, `null`, `{"amr":[null]}`, "{\"name\":\"\\ud800\"}",
	} {
		f.Add([]byte(s))
	}
	trust := Trust{ACR: map[string]acr.Level{"2": acr.MFA}, AMR: []AMRRule{{All: []string{"otp"}, Level: acr.MFA}}}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := ParseClaims(payload, names)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "upstream: ") {
				t.Fatalf("error without the package name: %v", err)
			}
			return
		}
		if c.Subject == "" {
			t.Fatal("claims without a subject were accepted")
		}
		for _, s := range []string{c.Email, c.Username, c.Name} {
			if len(s) > maxClaimLength || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
				t.Fatalf("profile claim %q kept", s)
			}
		}
		v := trust.Verify(c, now)
		if v.At.After(now) || v.Level < acr.OneFactor || v.Level > acr.MFA || len(v.AMR) > maxAMRValues {
			t.Fatalf("verification %+v", v)
		}
		if v.Level == acr.OneFactor && len(v.AMR) > 0 {
			t.Fatalf("an untrusted sign-in carries amr %v", v.AMR)
		}
	})
}

func TestACRValues(t *testing.T) {
	requested := []string{"urn:stepup:acr:mfa", "gold"}
	for _, tt := range []struct {
		mode  Forwarding
		level acr.Level
		want  []string
	}{
		{ForwardNever, acr.MFA, nil},
		{ForwardAsIs, acr.MFA, requested},
		{ForwardMap, acr.MFA, []string{"2"}},
		{ForwardMap, acr.OneFactor, []string{"1"}},
		{ForwardMap, acr.PhishingResistant, []string{"3"}},
		// phrh is not in the map and nothing above it is: ask for nothing
		// rather than for less.
		{ForwardMap, acr.PhishingResistantHardware, nil},
	} {
		p, err := New(Config{ID: "kc", Issuer: "https://kc", ClientID: "c", RedirectURI: "https://s/cb", Forward: tt.mode,
			ACRMap: map[acr.Level]string{acr.OneFactor: "1", acr.MFA: "2", acr.PhishingResistant: "3"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ACRValues(tt.level, requested); !slices.Equal(got, tt.want) {
			t.Errorf("%s at %s: %q, want %q", tt.mode, tt.level, got, tt.want)
		}
	}
}

// email_verified speaks of the email claim alone: an address read from
// another claim is never verified by it.
func TestEmailVerifiedOnlyOfTheEmailClaim(t *testing.T) {
	other := names
	other.Email = "preferred_username"
	got, err := ParseClaims([]byte(`{"iss":"i","sub":"s","preferred_username":"boss@corp.example","email_verified":true}`), other)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "boss@corp.example" || got.EmailVerified {
		t.Fatalf("an address from preferred_username: %+v, want it unverified", got)
	}
}
