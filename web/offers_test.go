package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

var hardwareModel = uuid.MustParse("cb69481e-8ff7-4039-93ec-0a2729a154a8")

func testFactors(t *testing.T) Factors {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := seal.New(seal.Key{ID: "k", Secret: [32]byte{1}})
	apps, err := totp.New(totp.Options{Authenticators: st.Authenticators(), Challenges: st.Challenges(), Sealer: sealer, Issuer: "T"})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := recovery.New(recovery.Options{Authenticators: st.Authenticators(), Key: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := passkey.New(passkey.Options{Authenticators: st.Authenticators(), Challenges: st.Challenges(), Users: st.Users(),
		RPID: "localhost", RPOrigins: []string{"http://localhost:8080"}, RPDisplayName: "T",
		HardwareAAGUIDs: []uuid.UUID{hardwareModel}})
	if err != nil {
		t.Fatal(err)
	}
	return Factors{Passkey: keys, TOTP: apps, Recovery: codes, ChangeWindow: 5 * time.Minute, ChangeLevel: acr.MFA}
}

// The step-up page offers exactly the user's methods that bring the
// session to the level, strongest first, and never one that cannot.
func TestOffersOnlyWhatReachesTheLevel(t *testing.T) {
	f := testFactors(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	password := []acr.Verification{{Method: acr.Password, At: now.Add(-time.Minute)}}
	codes, _ := recoveryCodeAuthenticator(t, f, 3)
	app := &store.Authenticator{ID: "app", Method: acr.TOTP, Verified: true}
	synced := &store.Authenticator{ID: "synced", Method: acr.Passkey, Verified: true, BackupEligible: true, AAGUID: make([]byte, 16)}
	bound := &store.Authenticator{ID: "bound", Method: acr.Passkey, Verified: true, BackupEligible: true, AAGUID: hardwareModel[:]}
	unconfirmed := &store.Authenticator{ID: "new", Method: acr.TOTP}
	spent, _ := recoveryCodeAuthenticator(t, f, 0)

	tests := []struct {
		name  string
		have  []acr.Verification
		auths []*store.Authenticator
		flow  stepup.Flow
		want  []acr.Method
	}{
		{"mfa: the strongest first, recovery codes last", password, []*store.Authenticator{codes, app, synced},
			stepup.Flow{Level: acr.MFA}, []acr.Method{acr.Passkey, acr.TOTP, acr.RecoveryCode}},
		{"phr: only a passkey", password, []*store.Authenticator{codes, app, synced},
			stepup.Flow{Level: acr.PhishingResistant}, []acr.Method{acr.Passkey}},
		{"phrh: not a synced passkey", password, []*store.Authenticator{app, synced},
			stepup.Flow{Level: acr.PhishingResistantHardware}, nil},
		{"phrh: a passkey of an allow-listed model", password, []*store.Authenticator{app, synced, bound},
			stepup.Flow{Level: acr.PhishingResistantHardware}, []acr.Method{acr.Passkey}},
		{"the password too old: a code alone is one factor", password, []*store.Authenticator{app, synced},
			stepup.Flow{Level: acr.MFA, Since: now}, []acr.Method{acr.Passkey}},
		{"the client's methods", password, []*store.Authenticator{app, synced},
			stepup.Flow{Level: acr.MFA, Methods: []acr.Method{acr.TOTP}}, []acr.Method{acr.TOTP}},
		{"unconfirmed and spent ones are not offered", password, []*store.Authenticator{unconfirmed, spent},
			stepup.Flow{Level: acr.MFA}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []acr.Method
			for _, o := range f.offers(tt.have, tt.auths, tt.flow, now) {
				if !o.Level.Satisfies(tt.flow.Level) {
					t.Errorf("offers %s at %v, below %v", o.Method, o.Level, tt.flow.Level)
				}
				got = append(got, o.Method)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("offers %v, want %v", got, tt.want)
			}
		})
	}
}

// recoveryCodeAuthenticator returns a recovery-code authenticator with n
// codes left.
func recoveryCodeAuthenticator(t *testing.T, f Factors, n int) (*store.Authenticator, error) {
	t.Helper()
	data := []byte{1}
	for range n {
		data = append(data, make([]byte, 32)...)
	}
	a := &store.Authenticator{ID: "codes", Method: acr.RecoveryCode, Verified: true, Data: data}
	if got := f.Recovery.Remaining(a); got != n {
		t.Fatalf("a list of %d codes counts %d", n, got)
	}
	return a, nil
}

// A change of factors needs a step-up to what the factor gives, but never
// beyond what the user's factors reach; the first factor, a sign-in.
func TestChangeNeeds(t *testing.T) {
	f := testFactors(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	app := &store.Authenticator{ID: "app", Method: acr.TOTP, Verified: true}
	synced := &store.Authenticator{ID: "synced", Method: acr.Passkey, Verified: true, BackupEligible: true}
	codes, _ := recoveryCodeAuthenticator(t, f, 2)
	recovered := []acr.Verification{{Method: acr.Password, At: now.Add(-2 * time.Minute)}, {Method: acr.RecoveryCode, At: now.Add(-time.Minute)}}
	appCode := []acr.Verification{{Method: acr.Password, At: now.Add(-2 * time.Minute)}, {Method: acr.TOTP, At: now.Add(-time.Minute)}}
	oldCode := []acr.Verification{{Method: acr.RecoveryCode, At: now.Add(-time.Hour)}}
	tests := []struct {
		name   string
		auths  []*store.Authenticator
		have   []acr.Verification
		method acr.Method
		want   acr.Level
	}{
		{"the first factor", nil, nil, acr.Passkey, acr.OneFactor},
		{"a passkey beside an app: the app is the most there is", []*store.Authenticator{app}, nil, acr.Passkey, acr.MFA},
		{"a passkey beside a passkey", []*store.Authenticator{synced}, nil, acr.Passkey, acr.PhishingResistant},
		{"an app beside a passkey: at least the configured level", []*store.Authenticator{synced}, nil, acr.TOTP, acr.MFA},
		{"a passkey after a recovery code: what a code reaches", []*store.Authenticator{synced, codes}, recovered, acr.Passkey, acr.MFA},
		{"a passkey after an app's code: still a passkey's level", []*store.Authenticator{synced, app, codes}, appCode, acr.Passkey, acr.PhishingResistant},
		{"a recovery code out of the window does not lower it", []*store.Authenticator{synced, codes}, oldCode, acr.Passkey, acr.PhishingResistant},
	}
	for _, tt := range tests {
		level, since := f.changeNeeds(tt.auths, tt.have, tt.method, now)
		if level != tt.want || !since.Equal(now.Add(-5*time.Minute)) {
			t.Errorf("%s: needs %v since %v, want %v since 5 minutes ago", tt.name, level, since, tt.want)
		}
	}
}

func TestAuthenticatorNameIsFitToShow(t *testing.T) {
	for in, want := range map[string]string{
		"  Work laptop ":                  "Work laptop",
		"a\u202eb\x00c\n":                 "abc",
		strings.Repeat("é", 70):           strings.Repeat("é", 64),
		"\xffPhone":                       "Phone",
		strings.Repeat("x", 63) + "  yyy": strings.Repeat("x", 63),
	} {
		if got := authenticatorName(in); got != want {
			t.Errorf("authenticatorName(%q) = %q, want %q", in, got, want)
		}
	}
}

// A step-up's WebAuthn prompt names only the passkeys that reach the
// level: for phrh, not a synced one.
func TestPasskeysReachingTheLevel(t *testing.T) {
	f := testFactors(t)
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	password := []acr.Verification{{Method: acr.Password, At: now.Add(-time.Minute)}}
	synced := &store.Authenticator{ID: "synced", Method: acr.Passkey, Verified: true, BackupEligible: true, AAGUID: make([]byte, 16)}
	bound := &store.Authenticator{ID: "bound", Method: acr.Passkey, Verified: true}
	key := &store.Authenticator{ID: "key", Method: acr.SecurityKey, Verified: true, BackupEligible: true}
	app := &store.Authenticator{ID: "app", Method: acr.TOTP, Verified: true}
	auths := []*store.Authenticator{synced, bound, key, app}
	for _, tt := range []struct {
		flow stepup.Flow
		want []string
	}{
		{stepup.Flow{Level: acr.PhishingResistant}, []string{"synced", "bound", "key"}},
		{stepup.Flow{Level: acr.PhishingResistantHardware}, []string{"bound", "key"}},
	} {
		if got := f.passkeysReaching(password, auths, tt.flow, now); !slices.Equal(got, tt.want) {
			t.Errorf("for %v: %v, want %v", tt.flow.Level, got, tt.want)
		}
	}
}
