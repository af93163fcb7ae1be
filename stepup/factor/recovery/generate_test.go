package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/store"
)

// shown is how a code is shown: Crockford's base32 in lower case, which
// has no i, l, o or u.
var shown = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)

func TestGenerate(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	codes := e.generate(t, u)
	if len(codes) != 10 {
		t.Fatalf("%d codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !shown.MatchString(c) {
			t.Errorf("code %q is not xxxxx-xxxxx in lower-case Crockford base32", c)
		}
		if seen[c] {
			t.Errorf("code %q is given twice", c)
		}
		seen[c] = true
	}
	lists := e.lists(t, u)
	if len(lists) != 1 {
		t.Fatalf("%d recovery authenticators, want 1", len(lists))
	}
	a := lists[0]
	if a.Name != "Recovery codes" || !a.Verified || a.UserID != u.ID || !a.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("the authenticator is %+v", a)
	}
	if n := recovery.Remaining(a); n != 10 {
		t.Errorf("Remaining = %d, want 10", n)
	}
	for _, c := range codes {
		plain := strings.ReplaceAll(c, "-", "")
		for _, form := range []string{c, plain, strings.ToUpper(plain), c[:5], c[6:]} {
			if bytes.Contains(a.Data, []byte(form)) || bytes.Contains(a.Secret, []byte(form)) || strings.Contains(a.Name, form) {
				t.Errorf("the stored record holds %q of code %q in clear", form, c)
			}
		}
	}
}

// TestGenerateRandom: codes are drawn from Rand, and a source that repeats
// itself is refused rather than giving equal codes.
func TestGenerateRandom(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	var seq []byte
	for i := range 200 {
		seq = append(seq, byte(i))
	}
	codes, err := e.factor(t, e.st.Authenticators(), testKey, bytes.NewReader(seq)).Generate(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Byte b is letter b mod 32 of the alphabet.
	if want := []string{"01234-56789", "abcde-fghjk", "mnpqr-stvwx", "yz012-34567"}; !equalPrefix(codes, want) {
		t.Errorf("codes %v, want them to start %v", codes, want)
	}
	_, err = e.factor(t, e.st.Authenticators(), testKey, bytes.NewReader(make([]byte, 1000))).Generate(context.Background(), u.ID)
	if err == nil {
		t.Fatal("Generate made ten codes from a source of zeros")
	}
}

func equalPrefix(got, want []string) bool {
	if len(got) < len(want) {
		return false
	}
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestRegenerateInvalidatesOld(t *testing.T) {
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	old := e.generate(t, u)
	fresh := e.generate(t, u)
	if lists := e.lists(t, u); len(lists) != 1 {
		t.Fatalf("%d recovery authenticators after generating twice, want 1", len(lists))
	}
	for _, c := range old {
		if _, err := e.verify(u, c); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("old code %s after regenerating: %v, want ErrWrongAnswer", c, err)
		}
	}
	if _, err := e.verify(u, fresh[0]); err != nil {
		t.Fatalf("a new code: %v", err)
	}
}

func TestNewOptions(t *testing.T) {
	st := factortest.NewStore(t, nil)
	for _, tc := range []struct {
		name string
		o    recovery.Options
		want string // in the error; empty: no error
	}{
		{"Valid", recovery.Options{Authenticators: st.Authenticators(), Key: testKey}, ""},
		{"NoAuthenticators", recovery.Options{Key: testKey}, "Authenticators is required"},
		{"ShortKey", recovery.Options{Authenticators: st.Authenticators(), Key: testKey[:31]}, "Key has 31 bytes"},
		{"NoKey", recovery.Options{Authenticators: st.Authenticators()}, "Key has 0 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := recovery.New(tc.o)
			switch {
			case tc.want == "" && (err != nil || f == nil):
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error saying %q", err, tc.want)
			case err != nil && !strings.HasPrefix(err.Error(), "recovery: "):
				t.Errorf("the error %q does not start with the package name", err)
			}
		})
	}
}

func TestRemaining(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    *store.Authenticator
		want int
	}{
		{"Nil", nil, 0},
		{"OtherMethod", &store.Authenticator{Method: acr.TOTP, Data: append([]byte{1}, make([]byte, 64)...)}, 0},
		{"Empty", &store.Authenticator{Method: acr.RecoveryCode, Data: []byte{1}}, 0},
		{"Two", &store.Authenticator{Method: acr.RecoveryCode, Data: append([]byte{1}, make([]byte, 64)...)}, 2},
		{"Truncated", &store.Authenticator{Method: acr.RecoveryCode, Data: append([]byte{1}, make([]byte, 63)...)}, 0},
		{"OtherVersion", &store.Authenticator{Method: acr.RecoveryCode, Data: append([]byte{2}, make([]byte, 64)...)}, 0},
		{"NoData", &store.Authenticator{Method: acr.RecoveryCode}, 0},
	} {
		if got := recovery.Remaining(tc.a); got != tc.want {
			t.Errorf("%s: Remaining = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestUnconfirmedList: a list not marked Verified (which Generate never
// stores, but another version or an import might) is no recovery code.
func TestUnconfirmedList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u := factortest.NewUser(t, e.st, "alice")
	a := &store.Authenticator{ID: "imported", UserID: u.ID, Method: acr.RecoveryCode, Data: append([]byte{1}, make([]byte, 64)...)}
	if err := e.st.Authenticators().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow-1"}); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("BeginVerify with an unconfirmed list: %v, want ErrNotEnrolled", err)
	}
}
