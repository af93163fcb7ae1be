package store

import (
	"context"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// User is a stepup account, local or linked to an upstream identity.
// Username and Email are unique among users when set; the store compares
// them exactly, so callers store them in a canonical form (lower case).
type User struct {
	ID            string
	Username      string
	Email         string
	EmailVerified bool
	Phone         string // E.164
	PhoneVerified bool
	DisplayName   string
	PasswordHash  string // an encoded password hash; empty without a local password
	Attributes    map[string]string
	Disabled      bool
	// Failures are the failed verifications of the user's factors since
	// their last success, which factor.Limiter keeps; stored, so that a
	// restart forgets none.
	Failures  Failures
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   uint64 // set by the store; Update checks it
}

// Failures counts a user's failed verifications.
type Failures struct {
	// Consecutive counts the failures of every factor since the last
	// success of any: the account locks when it reaches its limit.
	Consecutive int
	// ByMethod counts each method's failures since its own last success.
	ByMethod map[acr.Method]MethodFailures
	// LockedAt is when the account locked, zero while it is not.
	LockedAt time.Time
}

// MethodFailures counts one method's failures, and says when the last was.
type MethodFailures struct {
	Count int
	Last  time.Time
}

// Users keeps user accounts.
type Users interface {
	// Create stores a new user with Version 1. ErrConflict when the ID,
	// the username or the email is taken.
	Create(ctx context.Context, u *User) error
	Get(ctx context.Context, id string) (*User, error)
	GetByUsername(ctx context.Context, username string) (*User, error)
	GetByEmail(ctx context.Context, email string) (*User, error)
	// Update replaces the user if u.Version is the stored version, and
	// increments u.Version. ErrConflict on a stale version or a taken
	// username or email; ErrNotFound if the user is gone.
	Update(ctx context.Context, u *User) error
	// Delete removes the user and, in the same step, everything that is
	// theirs: authenticators, devices, sessions, challenges, action
	// records, authorization requests, refresh token families and access
	// tokens (by Subject).
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*User, error)
}

// Authenticator is one enrolled factor of one user: a passkey credential, a
// TOTP secret, a phone number. Method-specific state that no query needs
// lives in Data.
type Authenticator struct {
	ID             string
	UserID         string
	Method         acr.Method
	Name           string
	CredentialID   []byte // WebAuthn credential id; unique among authenticators when set
	PublicKey      []byte
	Secret         []byte // encrypted by the caller before it reaches the store
	Destination    string // the email address or phone number a code goes to
	AAGUID         []byte
	SignCount      uint32
	BackupEligible bool
	BackupState    bool
	Counter        uint64 // the last accepted TOTP step; see AdvanceCounter
	Verified       bool   // enrollment confirmed
	Data           []byte
	CreatedAt      time.Time
	LastUsedAt     time.Time
	Version        uint64
}

// Authenticators keeps users' enrolled factors.
type Authenticators interface {
	// Create stores a new authenticator with Version 1. ErrConflict when
	// the ID or the credential id is taken; ErrNotFound when the user
	// does not exist.
	Create(ctx context.Context, a *Authenticator) error
	Get(ctx context.Context, id string) (*Authenticator, error)
	GetByCredentialID(ctx context.Context, credentialID []byte) (*Authenticator, error)
	ListByUser(ctx context.Context, userID string) ([]*Authenticator, error)
	// Update replaces the authenticator if a.Version matches (see
	// Users.Update); ErrNotFound if a.UserID names a user who does not
	// exist, as in Create. It never changes Counter: only AdvanceCounter does.
	Update(ctx context.Context, a *Authenticator) error
	// AdvanceCounter sets Counter to `to` only if `to` is greater than the
	// stored Counter, else ErrConflict: a TOTP step, once accepted, can
	// never be accepted again, however many requests race.
	AdvanceCounter(ctx context.Context, id string, to uint64) error
	Delete(ctx context.Context, id string) error
}

// Device is a browser or app a user signed in from, recognised by a device
// id (a signed cookie, or an id the caller passes).
type Device struct {
	UserID    string
	ID        string
	Name      string
	UserAgent string
	LastIP    string
	FirstSeen time.Time
	LastSeen  time.Time
	Version   uint64
}

// Devices keeps the devices of each user, keyed by (UserID, ID).
type Devices interface {
	// Create stores a new device with Version 1; ErrConflict if the user
	// already has a device with that ID, ErrNotFound if the user does not exist.
	Create(ctx context.Context, d *Device) error
	Get(ctx context.Context, userID, id string) (*Device, error)
	ListByUser(ctx context.Context, userID string) ([]*Device, error)
	// Update replaces the device with d's UserID and ID if d.Version
	// matches (see Users.Update): a device never moves to another user.
	Update(ctx context.Context, d *Device) error
	Delete(ctx context.Context, userID, id string) error
}
