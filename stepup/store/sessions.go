package store

import (
	"context"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// Session is an SSO session at stepup: a user and the verifications they
// completed, from which the session's level, amr and auth_time follow.
type Session struct {
	ID string // a hash of the cookie value, never the cookie itself
	// Lineage names the session for as long as it lasts, while its ID
	// changes with each new token (stepup.Sessions.Elevate): ID tokens
	// name the session by it (sid). Empty in sessions stored before it
	// was kept: the ID stands in.
	Lineage       string
	UserID        string
	Verifications []Verification
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
	Version       uint64
}

// Name is the session's lasting name: its Lineage, or its ID if it has
// none.
func (s *Session) Name() string {
	if s.Lineage != "" {
		return s.Lineage
	}
	return s.ID
}

// Verification is one completed verification of one factor.
type Verification struct {
	Method          acr.Method
	AuthenticatorID string
	AMR             []string
	UserVerified    bool      // a WebAuthn ceremony with the UV flag
	HardwareBound   bool      // a device-bound key
	Level           acr.Level // what an upstream sign-in proves by its trust mapping
	At              time.Time
}

// Sessions keeps SSO sessions.
type Sessions interface {
	// Create stores a new session; ErrNotFound if the user does not exist.
	Create(ctx context.Context, s *Session) error
	Get(ctx context.Context, id string) (*Session, error)
	ListByUser(ctx context.Context, userID string) ([]*Session, error)
	// Update replaces the session if s.Version matches (see
	// Users.Update); ErrNotFound if s.UserID names a user who does not
	// exist, as in Create.
	Update(ctx context.Context, s *Session) error
	Delete(ctx context.Context, id string) error
	// DeleteByUser ends every session of a user and says how many it ended.
	DeleteByUser(ctx context.Context, userID string) (int, error)
}

// Challenge is one pending verification of one factor: a code sent, WebAuthn
// options issued, a push waiting. It is single use.
type Challenge struct {
	ID          string
	Method      acr.Method
	UserID      string
	SessionID   string
	FlowID      string
	SecretHash  []byte // a hash of the code, when there is one
	Data        []byte // e.g. WebAuthn session data, stored verbatim
	Attempts    int
	MaxAttempts int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Version     uint64
}

// Challenges keeps pending challenges. Create and Update give ErrNotFound
// if UserID is set and the user does not exist; it may be empty, as in a
// passkey sign-in that has not yet learnt who the user is.
type Challenges interface {
	Create(ctx context.Context, c *Challenge) error
	Get(ctx context.Context, id string) (*Challenge, error)
	// ListByUser returns the user's live challenges, in no particular
	// order: what a push device fetches, and what bounds the pushes a
	// user is sent. Challenges without a UserID are never listed.
	ListByUser(ctx context.Context, userID string) ([]*Challenge, error)
	// Update replaces the challenge if c.Version matches (see Users.Update).
	Update(ctx context.Context, c *Challenge) error
	// Attempt spends one attempt before the caller checks a guess: it
	// increments Attempts and returns the challenge while Attempts was
	// below MaxAttempts, and gives ErrConflict once they are spent (a
	// MaxAttempts of 0 allows none). Of any number of concurrent guesses,
	// at most MaxAttempts get to compare. It increments Version too, so an
	// Update from a copy read before it fails and cannot undo the attempt.
	Attempt(ctx context.Context, id string) (*Challenge, error)
	// Consume returns the challenge and deletes it in one step: of any
	// number of concurrent calls, exactly one gets it; the others get
	// ErrNotFound.
	Consume(ctx context.Context, id string) (*Challenge, error)
	Delete(ctx context.Context, id string) error
}

// ActionReviewRequired is the State of an action record that waits for a
// person's review (ListAwaitingReview).
const ActionReviewRequired = "REVIEW_REQUIRED"

// ActionRecord is a tracked action (a sign-in, a payment) and the decision
// made for it. IdempotencyKey is unique per (UserID, Action) when set.
type ActionRecord struct {
	ID             string
	UserID         string
	Action         string
	IdempotencyKey string
	State          string // the decision outcome and what followed
	Data           []byte // the caller's custom data (JSON)
	Decision       []byte // matched rules and signal values (JSON)
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	Version        uint64
}

// Actions keeps action records.
type Actions interface {
	// Create stores a new record; ErrConflict if the ID, or the
	// idempotency key for this user and action, is taken; ErrNotFound if
	// the user does not exist.
	Create(ctx context.Context, a *ActionRecord) error
	Get(ctx context.Context, id string) (*ActionRecord, error)
	GetByIdempotencyKey(ctx context.Context, userID, action, key string) (*ActionRecord, error)
	// ListByUser returns the user's records, newest first, at most limit
	// (0: DefaultLimit).
	ListByUser(ctx context.Context, userID string, limit int) ([]*ActionRecord, error)
	// ListByAction returns the records of an action, of every user,
	// newest first, at most limit (0: DefaultLimit): what a simulation of
	// new rules replays.
	ListByAction(ctx context.Context, action string, limit int) ([]*ActionRecord, error)
	// ListAwaitingReview returns the records of an action whose State is
	// ActionReviewRequired, newest first, at most limit (0:
	// DefaultLimit): the decisions waiting for a person, however many
	// records came after them.
	ListAwaitingReview(ctx context.Context, action string, limit int) ([]*ActionRecord, error)
	// Update replaces the record if a.Version matches (see
	// Users.Update); ErrNotFound if a.UserID names a user who does not
	// exist, as in Create.
	Update(ctx context.Context, a *ActionRecord) error
}
