package stepup

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
// in: without surrounding spaces, in lower case. Spaces inside, control
// and other invisible characters are refused, since two names that look
// the same must not be two accounts.
//
// Unicode normalisation (NFC) would also merge the composed and decomposed
// spellings of an accented letter, but needs golang.org/x/text; until
// then such names stay distinct, as they are in most browsers' autofill.
func CanonicalUsername(s string) (string, error) {
	invalid := func(reason string) (string, error) {
		return "", &InputError{Err: ErrInvalidUsername, Reason: reason}
	}
	// Before ToLower, which would turn invalid bytes into U+FFFD.
	if !utf8.ValidString(s) {
		return invalid("must be valid text")
	}
	s = strings.ToLower(strings.TrimSpace(s))
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalid("must not contain spaces or invisible characters")
		}
	}
	if n := utf8.RuneCountInString(s); n < MinUsernameLength || n > MaxUsernameLength {
		return invalid(fmt.Sprintf("must be %d to %d characters long", MinUsernameLength, MaxUsernameLength))
	}
	return s, nil
}

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
	return &Accounts{users: users, policy: p, throttle: t, now: now, rand: random}
}

// Register creates a local account. Input that breaks a rule is an
// *InputError; a username in use is ErrUsernameTaken.
func (a *Accounts) Register(ctx context.Context, username, pw string) (*store.User, error) {
	name, err := CanonicalUsername(username)
	if err != nil {
		return nil, err
	}
	if err := a.checkNewPassword(name, pw); err != nil {
		return nil, err
	}
	hash, err := password.Hash(pw, a.policy.Password, a.rand)
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
// generous maximum, no composition rules, and no password that is the
// username. (A check against breached-password lists belongs here too; it
// comes with a source of such lists.)
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
	}
	return nil
}

// Authenticate checks a username and password from the network address
// ip. Every failure of the credentials is ErrBadCredentials, and costs
// the same time whether the account exists or not. Too many failures give
// a *ThrottledError or ErrAccountLocked before any password is checked.
// Other errors are faults of the store or of a stored hash.
func (a *Accounts) Authenticate(ctx context.Context, username, pw, ip string) (*store.User, error) {
	name, err := CanonicalUsername(username)
	if err != nil || pw == "" || len(pw) > password.MaxPasswordLength {
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
	if errors.Is(err, store.ErrNotFound) {
		password.DummyVerify(pw, a.policy.Password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: authenticate: %w", err)
	}
	if u.PasswordHash == "" {
		password.DummyVerify(pw, a.policy.Password)
		return nil, ErrBadCredentials
	}
	ok, err := password.Verify(u.PasswordHash, pw)
	if err != nil {
		return nil, fmt.Errorf("stepup: authenticate user %s: %w", u.ID, err)
	}
	// A disabled account is refused only after the full check, so its
	// answer takes as long as any other.
	if !ok || u.Disabled {
		return nil, ErrBadCredentials
	}
	a.throttle.Succeeded(name, ip)
	if password.NeedsRehash(u.PasswordHash, a.policy.Password) {
		return a.rehash(ctx, u, pw)
	}
	return u, nil
}

// rehash upgrades a stored hash to the current parameters while the
// password is at hand. Losing a race to another change of the user is
// fine: the next sign-in tries again.
func (a *Accounts) rehash(ctx context.Context, u *store.User, pw string) (*store.User, error) {
	hash, err := password.Hash(pw, a.policy.Password, a.rand)
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
