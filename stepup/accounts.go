package stepup

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/password"
	"github.com/stepup-auth/stepup/stepup/store"
)

var (
	// ErrInvalidUsername and ErrInvalidPassword are wrapped by the
	// *InputError that Register and CanonicalUsername return for input
	// they refuse.
	ErrInvalidUsername = errors.New("stepup: invalid username")
	ErrInvalidPassword = errors.New("stepup: invalid password")
	// ErrUsernameTaken means another account has the username.
	ErrUsernameTaken = errors.New("stepup: username taken")
	// ErrBadCredentials is the one answer to a failed sign-in, whether the
	// username is unknown, the password wrong or the account disabled, so
	// that a sign-in form cannot tell which accounts exist.
	ErrBadCredentials = errors.New("stepup: wrong username or password")
)

// InputError is input refused by a rule the user can fix. Reason is safe
// to show them as is ("must be at least 8 characters").
type InputError struct {
	Err    error // ErrInvalidUsername or ErrInvalidPassword
	Reason string
}

func (e *InputError) Error() string { return e.Err.Error() + ": " + e.Reason }
func (e *InputError) Unwrap() error { return e.Err }

// Username length bounds, in characters.
const (
	MinUsernameLength = 3
	MaxUsernameLength = 64
)

// CanonicalUsername returns the form a username is stored and looked up
// in: the PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) of the name
// without surrounding spaces. It maps full-width letters to their usual
// width, folds case and normalises to NFC, so that "ＡＤＭＩＮ", "Admin" and
// "admin" are one name and a composed "é" is its decomposed spelling; and
// it refuses spaces, controls and invisible characters (a combining
// grapheme joiner, a Hangul filler), since two names that look the same
// must not be two accounts. Letters of different scripts that look alike
// (a Cyrillic "а" in "аdmin") are not caught: that needs the confusables
// of Unicode TR 39.
func CanonicalUsername(s string) (string, error) {
	invalid := func(reason string) (string, error) {
		return "", &InputError{Err: ErrInvalidUsername, Reason: reason}
	}
	if !utf8.ValidString(s) {
		return invalid("must be valid text")
	}
	s, err := precis.UsernameCaseMapped.String(strings.TrimSpace(s))
	if err != nil {
		return invalid("must not contain spaces, symbols or invisible characters")
	}
	if n := utf8.RuneCountInString(s); n < MinUsernameLength || n > MaxUsernameLength {
		return invalid(fmt.Sprintf("must be %d to %d characters long", MinUsernameLength, MaxUsernameLength))
	}
	return s, nil
}

// normalizePassword is the form a password is hashed in: NFKC, as NIST SP
// 800-63B §5.1.1.2 asks, so that the same password typed on keyboards that
// compose accents differently is the same password.
func normalizePassword(pw string) string { return norm.NFKC.String(pw) }

// AccountPolicy is what local accounts require of passwords.
type AccountPolicy struct {
	// Password are the hashing parameters; zero means
	// password.DefaultParams.
	Password password.Params
	// MinPasswordLength is the shortest password in characters; zero
	// means 8, NIST SP 800-63B's floor for a password chosen by the user.
	MinPasswordLength int
}

// Accounts registers local accounts and signs them in with a password.
type Accounts struct {
	users    store.Users
	policy   AccountPolicy
	throttle *Throttle
	now      func() time.Time
	rand     io.Reader
	// hashing bounds the password hashes computed at once. Each holds
	// the policy's memory (19 MiB by default) for its whole run, so a
	// burst of sign-ins from many addresses would hold a burst of memory;
	// and hashing is CPU-bound, so more hashes at once than CPUs finish no
	// sooner.
	hashing chan struct{}
}

// NewAccounts returns the local account service. A nil t means a throttle
// with DefaultThrottlePolicy; now and random default to the real clock and
// crypto/rand.
func NewAccounts(users store.Users, p AccountPolicy, t *Throttle, now func() time.Time, random io.Reader) *Accounts {
	if p.Password == (password.Params{}) {
		p.Password = password.DefaultParams()
	}
	if p.MinPasswordLength <= 0 {
		p.MinPasswordLength = 8
	}
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	if t == nil {
		t = NewThrottle(DefaultThrottlePolicy(), now)
	}
	return &Accounts{users: users, policy: p, throttle: t, now: now, rand: random,
		hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// errNoHashSlot is a request that ended while it waited for a hashing
// slot: no password was checked.
var errNoHashSlot = errors.New("stepup: the request ended while it waited to check a password")

// hash runs fn, a password hash or check, once a hashing slot is free.
func (a *Accounts) hash(ctx context.Context, fn func()) error {
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", errNoHashSlot, ctx.Err())
	}
	defer func() { <-a.hashing }()
	fn()
	return nil
}

// Register creates a local account for a request from the network
// address ip. Input that breaks a rule is an *InputError; a username in use
// is ErrUsernameTaken. Every registration counts against ip's limit of
// registrations (the throttle's address limit, counted apart from failed
// sign-ins), made or not: an address that registers many names is probing
// which exist, or making accounts in bulk. Over the limit, it is a
// *ThrottledError.
func (a *Accounts) Register(ctx context.Context, username, pw, ip string) (*store.User, error) {
	name, err := CanonicalUsername(username)
	if err != nil {
		return nil, err
	}
	// The limit holds for the password as typed, too: Authenticate
	// refuses a longer one before normalising it, so it could never sign in.
	if len(pw) > password.MaxPasswordLength {
		return nil, &InputError{Err: ErrInvalidPassword, Reason: fmt.Sprintf("must be at most %d bytes long", password.MaxPasswordLength)}
	}
	pw = normalizePassword(pw)
	if err := a.checkNewPassword(name, pw); err != nil {
		return nil, err
	}
	if err := a.throttle.Registering(ip); err != nil {
		return nil, err
	}
	var hash string
	if err2 := a.hash(ctx, func() { hash, err = password.Hash(pw, a.policy.Password, a.rand) }); err2 != nil {
		return nil, err2
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: register: %w", err)
	}
	var id [16]byte
	if _, err := io.ReadFull(a.rand, id[:]); err != nil {
		return nil, fmt.Errorf("stepup: register: user id: %w", err)
	}
	now := a.now()
	u := &store.User{
		ID:           base64.RawURLEncoding.EncodeToString(id[:]),
		Username:     name,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	switch err := a.users.Create(ctx, u); {
	case errors.Is(err, store.ErrConflict):
		return nil, ErrUsernameTaken
	case err != nil:
		return nil, fmt.Errorf("stepup: register: %w", err)
	}
	return u, nil
}

// checkNewPassword applies NIST SP 800-63B §5.1.1.2: a minimum length, a
// generous maximum, no composition rules, and none of the values it names
// to refuse: the username, a commonly used password (password.Common), or
// one character repeated.
func (a *Accounts) checkNewPassword(username, pw string) error {
	invalid := func(reason string) error {
		return &InputError{Err: ErrInvalidPassword, Reason: reason}
	}
	switch {
	case utf8.RuneCountInString(pw) < a.policy.MinPasswordLength:
		return invalid(fmt.Sprintf("must be at least %d characters long", a.policy.MinPasswordLength))
	case len(pw) > password.MaxPasswordLength:
		return invalid(fmt.Sprintf("must be at most %d bytes long", password.MaxPasswordLength))
	case strings.EqualFold(strings.TrimSpace(pw), username):
		return invalid("must not be your username")
	case password.Common(pw):
		return invalid("is one of the most used passwords, which attackers try first; choose another")
	case repeated(pw):
		return invalid("must not be one character repeated")
	}
	return nil
}

// repeated reports whether s is one character, repeated.
func repeated(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(r)) == ""
}

// Authenticate checks a username and password from the network address
// ip. Every failure of the credentials is ErrBadCredentials, and costs
// the same time whether the account exists or not. Too many failures give
// a *ThrottledError or ErrAccountLocked before any password is checked.
// Other errors are faults of the store or of a stored hash, or the end of
// ctx while the check waited its turn (which then counts as no attempt).
func (a *Accounts) Authenticate(ctx context.Context, username, raw, ip string) (*store.User, error) {
	name, err := CanonicalUsername(username)
	pw := normalizePassword(raw)
	if err != nil || pw == "" || len(raw) > password.MaxPasswordLength || len(pw) > password.MaxPasswordLength {
		// No account can match, and the answer depends on the input
		// alone: nothing to hash, nothing to count.
		return nil, ErrBadCredentials
	}
	// Every admitted attempt counts as a failure until it succeeds, so a
	// store error below counts too: that errs on the safe side.
	if err := a.throttle.Begin(name, ip); err != nil {
		return nil, err
	}
	u, err := a.users.GetByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.PasswordHash == "" {
		if err := a.dummyVerify(ctx, raw, pw); err != nil {
			a.throttle.Abandon(name, ip) // no password was checked: it was no guess
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: authenticate: %w", err)
	}
	// The account's own count of failures is kept in the store, so a
	// restart does not reset its lock; the throttle's, in memory, also
	// covers usernames that do not exist.
	if u.Failures.ByMethod[acr.Password].Count >= a.throttle.policy.LockAfter {
		a.throttle.Abandon(name, ip)
		return nil, ErrAccountLocked
	}
	ok, legacy, err := a.verify(ctx, u.PasswordHash, raw, pw)
	if errors.Is(err, errNoHashSlot) {
		a.throttle.Abandon(name, ip) // no password was checked: it was no guess
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: authenticate user %s: %w", u.ID, err)
	}
	// A disabled account is refused only after the full check, so its
	// answer takes as long as any other.
	if !ok {
		if err := a.countFailure(ctx, u.ID, 1); err != nil {
			return nil, err
		}
	}
	if !ok || u.Disabled {
		return nil, ErrBadCredentials
	}
	a.throttle.Succeeded(name, ip)
	if u.Failures.ByMethod[acr.Password].Count > 0 {
		if err := a.countFailure(ctx, u.ID, 0); err != nil {
			return nil, err
		}
		if u, err = a.users.Get(ctx, u.ID); err != nil {
			return nil, fmt.Errorf("stepup: authenticate: %w", err)
		}
	}
	if legacy || password.NeedsRehash(u.PasswordHash, a.policy.Password) {
		return a.rehash(ctx, u, pw)
	}
	return u, nil
}

// countFailure adds one to the user's stored count of password failures
// in a row (delta 1), or clears it (delta 0), with a compare-and-set that
// retries when the user changed in between.
func (a *Accounts) countFailure(ctx context.Context, userID string, delta int) error {
	for range 16 {
		u, err := a.users.Get(ctx, userID)
		if err != nil {
			return fmt.Errorf("stepup: count a failed sign-in of user %s: %w", userID, err)
		}
		f := u.Failures.ByMethod[acr.Password]
		if delta == 0 {
			if f.Count == 0 {
				return nil
			}
			delete(u.Failures.ByMethod, acr.Password)
		} else {
			f.Count += delta
			f.Last = a.now()
			if u.Failures.ByMethod == nil {
				u.Failures.ByMethod = map[acr.Method]store.MethodFailures{}
			}
			u.Failures.ByMethod[acr.Password] = f
		}
		switch err := a.users.Update(ctx, u); {
		case err == nil:
			return nil
		case !errors.Is(err, store.ErrConflict):
			return fmt.Errorf("stepup: count a failed sign-in of user %s: %w", userID, err)
		}
	}
	return fmt.Errorf("stepup: count a failed sign-in of user %s: the user keeps changing: %w", userID, store.ErrConflict)
}

// verify checks the normalised password pw against hash and then, if it
// differs, the password as typed (raw): a hash made before passwords were
// normalised holds that form. legacy says raw matched, so the hash should
// be made again from pw.
func (a *Accounts) verify(ctx context.Context, hash, raw, pw string) (ok, legacy bool, err error) {
	herr := a.hash(ctx, func() {
		ok, err = password.Verify(hash, pw)
		if err == nil && !ok && raw != pw {
			ok, err = password.Verify(hash, raw)
			legacy = ok
		}
	})
	if herr != nil {
		return false, false, herr
	}
	return ok, legacy, err
}

// dummyVerify costs what a failed verify of the same input costs, for a
// username with no password to check.
func (a *Accounts) dummyVerify(ctx context.Context, raw, pw string) error {
	return a.hash(ctx, func() {
		password.DummyVerify(pw, a.policy.Password)
		if raw != pw {
			password.DummyVerify(raw, a.policy.Password)
		}
	})
}

// rehash upgrades a stored hash to the current parameters while the
// password is at hand. Losing a race to another change of the user is
// fine: the next sign-in tries again.
func (a *Accounts) rehash(ctx context.Context, u *store.User, pw string) (*store.User, error) {
	var hash string
	var err error
	if herr := a.hash(ctx, func() { hash, err = password.Hash(pw, a.policy.Password, a.rand) }); herr != nil {
		return nil, herr
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: rehash password of user %s: %w", u.ID, err)
	}
	next := *u
	next.PasswordHash = hash
	next.UpdatedAt = a.now()
	switch err := a.users.Update(ctx, &next); {
	case errors.Is(err, store.ErrConflict):
		return u, nil
	case err != nil:
		return nil, fmt.Errorf("stepup: rehash password of user %s: %w", u.ID, err)
	}
	return &next, nil
}
