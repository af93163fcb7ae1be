package stepup

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/password"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// cheapParams make tests fast; they are valid, only weak.
var cheapParams = password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}

func newAccounts(t *testing.T, p AccountPolicy, tp ThrottlePolicy) (*Accounts, store.Store, *conformance.Clock) {
	t.Helper()
	clock := conformance.NewClock()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock.Now, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if p.Password == (password.Params{}) {
		p.Password = cheapParams
	}
	return NewAccounts(st.Users(), p, NewThrottle(tp, clock.Now), clock.Now, nil), st, clock
}

func TestCanonicalUsername(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"alice", "alice"},
		{"  Alice\t\n", "alice"},
		{"ALICE@Example.COM", "alice@example.com"},
		{"Émile", "émile"},
		{"abc", "abc"},
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
		{strings.Repeat("é", 64), strings.Repeat("é", 64)}, // characters, not bytes
		{"ab", ""},
		{"  ab  ", ""},
		{strings.Repeat("x", 65), ""},
		{"al ice", ""},
		{"al\u00a0ice", ""}, // no-break space
		{"al\x00ice", ""},
		{"al\u200bice", ""}, // zero-width space
		{"al\u202eice", ""}, // right-to-left override
		{"al\xffice", ""},
		{"", ""},
		// RFC 8265's UsernameCaseMapped: width and case mapped, NFC, and
		// invisible characters refused, so look-alikes are one name or none.
		{"ＡＤＭＩＮ", "admin"},
		{"e\u0301mile", "émile"},
		{"admin\u034f", ""}, // combining grapheme joiner
		{"admin\u3164", ""}, // Hangul filler
		{"\u2800admin", ""}, // braille blank
		{"admin\u00ad", ""}, // soft hyphen
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := CanonicalUsername(tc.in)
			if tc.want == "" {
				var ie *InputError
				if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidUsername) || ie.Reason == "" {
					t.Fatalf("CanonicalUsername(%q) = %q, %v; want an *InputError with a reason", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("CanonicalUsername(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzCanonicalUsername(f *testing.F) {
	for _, s := range []string{"Alice", " bob ", "al ice", "ÉMILE", "\u212a", "a\u0301bc", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CanonicalUsername(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidUsername) {
				t.Fatalf("error %v does not wrap ErrInvalidUsername", err)
			}
			return
		}
		if n := utf8.RuneCountInString(got); n < MinUsernameLength || n > MaxUsernameLength {
			t.Fatalf("%q → %q of %d characters", s, got, n)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
			t.Fatalf("%q → %q with an invisible character", s, got)
		}
		// Canonical names are fixed points, or a stored name could not
		// be found by itself.
		if again, err := CanonicalUsername(got); err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v", s, got, again, err)
		}
	})
}

func TestRegister(t *testing.T) {
	a, st, clock := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	ctx := context.Background()
	u, err := a.Register(ctx, " Alice ", "correct horse", "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Users().GetByUsername(ctx, "alice")
	if err != nil {
		t.Fatalf("the user is not stored under the canonical name: %v", err)
	}
	if stored.ID != u.ID || !stored.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("stored %+v, returned %+v", stored, u)
	}
	if id, err := base64.RawURLEncoding.DecodeString(u.ID); err != nil || len(id) != 16 {
		t.Fatalf("user id %q is not 16 bytes in base64url", u.ID)
	}
	if ok, err := password.Verify(stored.PasswordHash, "correct horse"); !ok || err != nil {
		t.Fatalf("the stored hash does not verify the password: %v", err)
	}
	if password.NeedsRehash(stored.PasswordHash, cheapParams) {
		t.Fatal("the hash was not made with the policy's parameters")
	}
	other, err := a.Register(ctx, "bob", "correct horse", "")
	if err != nil || other.ID == u.ID {
		t.Fatalf("second user: %+v, %v", other, err)
	}
	if _, err := a.Register(ctx, "ALICE", "another password", ""); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("the same name in other case: %v, want ErrUsernameTaken", err)
	}
}

func TestRegisterRefusesBadInput(t *testing.T) {
	a, _, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	for _, tc := range []struct {
		name, username, password string
		want                     error
	}{
		{"short name", "al", "long enough", ErrInvalidUsername},
		{"space in name", "al ice", "long enough", ErrInvalidUsername},
		{"seven characters", "alice", "1234567", ErrInvalidPassword},
		{"seven characters in 14 bytes", "alice", "ééééééé", ErrInvalidPassword},
		{"too long", "alice", strings.Repeat("x", password.MaxPasswordLength+1), ErrInvalidPassword},
		{"the username", "Alice2026", "alice2026", ErrInvalidPassword},
		{"the username padded", "alice2026", " ALICE2026 ", ErrInvalidPassword},
		// NIST SP 800-63B §5.1.1.2: commonly used, expected values.
		{"a common password", "alice", "Password", ErrInvalidPassword},
		{"a common password, in digits", "alice", "12345678", ErrInvalidPassword},
		{"a common password, normalised first", "alice", "ｑｗｅｒｔｙｕｉｏｐ", ErrInvalidPassword},
		{"one character repeated", "alice", "aaaaaaaaaa", ErrInvalidPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Register(context.Background(), tc.username, tc.password, "")
			var ie *InputError
			if !errors.Is(err, tc.want) || !errors.As(err, &ie) || ie.Reason == "" {
				t.Fatalf("Register = %v, want an *InputError wrapping %v", err, tc.want)
			}
		})
	}
	// No composition rules, and the maximum is accepted.
	for i, pw := range []string{"lowercaseonly", "éèêëéèêë", strings.Repeat("xy", password.MaxPasswordLength/2)} {
		if _, err := a.Register(context.Background(), fmt.Sprint("user", i), pw, ""); err != nil {
			t.Errorf("password of %d bytes refused: %v", len(pw), err)
		}
	}
}

func TestMinPasswordLengthIsConfigurable(t *testing.T) {
	a, _, _ := newAccounts(t, AccountPolicy{MinPasswordLength: 12}, ThrottlePolicy{})
	_, err := a.Register(context.Background(), "alice", "elevenchars", "")
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "12") {
		t.Fatalf("an 11-character password with a minimum of 12: %v", err)
	}
	if _, err := a.Register(context.Background(), "alice", "twelve chars", ""); err != nil {
		t.Fatal(err)
	}
}

func TestAuthenticate(t *testing.T) {
	a, st, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{FreeFailures: 1000})
	ctx := context.Background()
	alice, err := a.Register(ctx, "alice", "correct horse", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Authenticate(ctx, "  ALICE ", "correct horse", "192.0.2.1")
	if err != nil || u.ID != alice.ID {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	if err := st.Users().Create(ctx, &store.User{ID: "nopw", Username: "nopassword"}); err != nil {
		t.Fatal(err)
	}
	disabled, _ := a.Register(ctx, "carol", "correct horse", "")
	disabled.Disabled = true
	if err := st.Users().Update(ctx, disabled); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, username, password string }{
		{"wrong password", "alice", "Correct horse"},
		{"unknown user", "mallory", "correct horse"},
		{"no password", "nopassword", "correct horse"},
		{"disabled", "carol", "correct horse"},
		{"empty password", "alice", ""},
		{"invalid username", "a", "correct horse"},
		{"over-long password", "alice", strings.Repeat("x", password.MaxPasswordLength+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := a.Authenticate(ctx, tc.username, tc.password, "192.0.2.1")
			if u != nil || err != ErrBadCredentials {
				t.Fatalf("Authenticate = %+v, %v; want exactly ErrBadCredentials", u, err)
			}
		})
	}
}

// An unknown username must cost as much as a wrong password, or the
// response time tells which accounts exist.
func TestAuthenticateUnknownUserTakesAsLong(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real argon2id work")
	}
	a, _, _ := newAccounts(t, AccountPolicy{Password: password.DefaultParams()},
		ThrottlePolicy{FreeFailures: 1000, IPFailures: 1000})
	ctx := context.Background()
	if _, err := a.Register(ctx, "alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	timed := func(username string) time.Duration {
		start := time.Now()
		if _, err := a.Authenticate(ctx, username, "wrong password", ""); err != ErrBadCredentials {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	// Taken in turns, so that both see the same load from whatever else
	// runs on the machine (other packages' tests, under go test ./...).
	var knowns, unknowns []time.Duration
	for range 7 {
		knowns = append(knowns, timed("alice"))
		unknowns = append(unknowns, timed("mallory"))
	}
	known, unknown := median(knowns), median(unknowns)
	if unknown < known/3 {
		t.Fatalf("unknown user %v, wrong password %v: the difference tells who has an account", unknown, known)
	}
}

func TestAuthenticateIsThrottled(t *testing.T) {
	a, _, clock := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	ctx := context.Background()
	if _, err := a.Register(ctx, "alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	for _, username := range []string{"alice", "mallory"} {
		for range 5 {
			if _, err := a.Authenticate(ctx, username, "guess", "192.0.2.1"); err != ErrBadCredentials {
				t.Fatalf("%s: %v", username, err)
			}
		}
		// Even the right password waits: the throttle answers first.
		_, err := a.Authenticate(ctx, username, "correct horse", "192.0.2.1")
		var te *ThrottledError
		if !errors.As(err, &te) || te.RetryAfter != time.Second {
			t.Fatalf("%s, sixth attempt: %v, want a 1s wait", username, err)
		}
	}
	clock.Advance(time.Second)
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// The success reset alice's count: five new failures are free again.
	for range 5 {
		if _, err := a.Authenticate(ctx, "alice", "guess", "192.0.2.2"); err != ErrBadCredentials {
			t.Fatal(err)
		}
	}
}

func TestAuthenticateRehashes(t *testing.T) {
	old, st, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	ctx := context.Background()
	u, err := old.Register(ctx, "alice", "correct horse", "")
	if err != nil {
		t.Fatal(err)
	}
	stronger := cheapParams
	stronger.Iterations = 2
	a := NewAccounts(st.Users(), AccountPolicy{Password: stronger}, nil, nil, nil)
	got, err := a.Authenticate(ctx, "alice", "correct horse", "")
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := st.Users().Get(ctx, u.ID)
	if password.NeedsRehash(stored.PasswordHash, stronger) || stored.Version != u.Version+1 || got.Version != stored.Version {
		t.Fatalf("hash not upgraded: %s (version %d, returned %d)", stored.PasswordHash, stored.Version, got.Version)
	}
	if _, err := a.Authenticate(ctx, "alice", "correct horse", ""); err != nil {
		t.Fatalf("with the upgraded hash: %v", err)
	}

	// Losing the update to a concurrent change still signs in.
	racing := NewAccounts(conflictingUsers{st.Users()}, AccountPolicy{Password: cheapParams}, nil, nil, nil)
	if _, err := racing.Authenticate(ctx, "alice", "correct horse", ""); err != nil {
		t.Fatalf("a rehash that lost a race: %v", err)
	}
}

// conflictingUsers loses every update, as if another request had always
// changed the user first.
type conflictingUsers struct{ store.Users }

func (conflictingUsers) Update(context.Context, *store.User) error { return store.ErrConflict }

// NIST SP 800-63B §5.1.1.2: passwords are normalised (NFKC) before they
// are hashed, so one password typed with a composed or a decomposed accent
// is one password; a hash made of the raw form before normalisation still
// signs in, and is made again from the normalised form.
func TestPasswordsAreNormalised(t *testing.T) {
	a, st, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	ctx := context.Background()
	composed, decomposed := "caf\u00e9 society", "cafe\u0301 society"
	if _, err := a.Register(ctx, "alice", composed, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "alice", decomposed, ""); err != nil {
		t.Errorf("signing in with the decomposed spelling of a composed password: %v", err)
	}

	// A hash of the raw decomposed form, as stored before normalisation.
	raw, err := password.Hash(decomposed, cheapParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Users().Create(ctx, &store.User{ID: "bob-id", Username: "bob", PasswordHash: raw}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, "bob", decomposed, ""); err != nil {
		t.Fatalf("a password hashed before normalisation: %v", err)
	}
	stored, _ := st.Users().Get(ctx, "bob-id")
	if ok, _ := password.Verify(stored.PasswordHash, composed); !ok {
		t.Error("the old hash was not made again from the normalised password")
	}
	if _, err := a.Authenticate(ctx, "bob", composed, ""); err != nil {
		t.Errorf("the composed spelling after the rehash: %v", err)
	}
}

// Registrations have an address limit like failed sign-ins, so names
// cannot be probed, nor accounts made, in bulk; counted apart, so a burst
// of sign-ups behind one address keeps nobody from signing in.
func TestRegistrationCountsAgainstTheAddress(t *testing.T) {
	a, _, clock := newAccounts(t, AccountPolicy{}, ThrottlePolicy{IPFailures: 3, IPWindow: time.Minute})
	ctx := context.Background()
	for i := range 3 {
		if _, err := a.Register(ctx, fmt.Sprint("user", i), "correct horse", "192.0.2.1"); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	var throttled *ThrottledError
	if _, err := a.Register(ctx, "user3", "correct horse", "192.0.2.1"); !errors.As(err, &throttled) {
		t.Fatalf("a fourth registration in the window: %v, want a *ThrottledError", err)
	}
	if _, err := a.Register(ctx, "user0", "correct horse", "192.0.2.1"); !errors.As(err, &throttled) {
		t.Fatalf("probing a taken name over the limit: %v, want a *ThrottledError, not an answer", err)
	}
	if _, err := a.Authenticate(ctx, "user0", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("a sign-in from the same address: %v, want it to go on", err)
	}
	if _, err := a.Register(ctx, "user4", "correct horse", "198.51.100.7"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := a.Register(ctx, "user5", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// At most one password hash per CPU runs at once: each holds its memory
// for its whole run. A request that cannot wait gives up with its context.
func TestPasswordHashesWaitForASlot(t *testing.T) {
	a, _, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{FreeFailures: 1})
	if _, err := a.Register(context.Background(), "alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	for range cap(a.hashing) { // every slot busy
		a.hashing <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with every slot busy: %v, want the context's deadline", err)
	}
	<-a.hashing // one slot frees
	// The attempt that checked no password counted as no failure: with one
	// free failure, a counted one would make this one wait.
	if _, err := a.Authenticate(context.Background(), "alice", "correct horse", "192.0.2.1"); err != nil {
		t.Fatalf("with a free slot: %v", err)
	}
	if len(a.hashing) != cap(a.hashing)-1 {
		t.Errorf("%d slots held after the sign-in, want %d: a slot leaked", len(a.hashing), cap(a.hashing)-1)
	}
}

// The limit on a password's length holds as typed and as normalised: NFKC
// can shorten a password, and one too long as typed could never sign in.
func TestPasswordLengthLimitHoldsAsTyped(t *testing.T) {
	a, _, _ := newAccounts(t, AccountPolicy{}, ThrottlePolicy{})
	long := strings.Repeat("cafe\u0301 ", 147) // 1,029 bytes as typed, 882 in NFKC
	if len(long) <= password.MaxPasswordLength || len(normalizePassword(long)) > password.MaxPasswordLength {
		t.Fatalf("the example is %d bytes, %d normalised", len(long), len(normalizePassword(long)))
	}
	if _, err := a.Register(context.Background(), "alice", long, ""); !errors.Is(err, ErrInvalidPassword) {
		t.Fatalf("Register with a password too long as typed: %v, want ErrInvalidPassword", err)
	}
}

// An account's run of failed sign-ins is kept in the store: a restart
// (a new throttle, empty) does not unlock it, and a success clears it.
func TestAccountLockSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	policy := ThrottlePolicy{FreeFailures: 1000, LockAfter: 3, IPFailures: 1000}
	a, st, clock := newAccounts(t, AccountPolicy{}, policy)
	if _, err := a.Register(ctx, "alice", "correct horse", ""); err != nil {
		t.Fatal(err)
	}
	// Two failures, then a success: the count starts again.
	for range 2 {
		if _, err := a.Authenticate(ctx, "alice", "guess", "192.0.2.1"); err != ErrBadCredentials {
			t.Fatal(err)
		}
	}
	if _, err := a.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := a.Authenticate(ctx, "alice", "guess", "192.0.2.1"); err != ErrBadCredentials {
			t.Fatal(err)
		}
	}
	restarted := NewAccounts(st.Users(), AccountPolicy{Password: cheapParams}, NewThrottle(policy, clock.Now), clock.Now, nil)
	if _, err := restarted.Authenticate(ctx, "alice", "correct horse", "192.0.2.1"); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("after a restart, the right password: %v, want ErrAccountLocked", err)
	}
	u, err := st.Users().GetByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if f := u.Failures.ByMethod[acr.Password]; f.Count != 3 || !f.Last.Equal(clock.Now()) {
		t.Fatalf("stored password failures %+v, want 3 at the last failure", f)
	}
}
