package store

import (
	"context"
	"time"
)

// RuleSet is one published version of the rules of one action. The store
// keeps every version; Spec is the rules document, whose format belongs to
// the rules package.
type RuleSet struct {
	Action    string
	Version   uint64 // 1 for the first version of an action
	Spec      []byte
	Author    string
	Comment   string
	CreatedAt time.Time
}

// RuleSets keeps the versions of each action's rules.
type RuleSets interface {
	// Publish stores r as the next version of r.Action: r.Version must be
	// the latest version plus one (1 for a new action), else ErrConflict,
	// so two analysts publishing at once cannot overwrite each other.
	Publish(ctx context.Context, r *RuleSet) error
	Latest(ctx context.Context, action string) (*RuleSet, error)
	Get(ctx context.Context, action string, version uint64) (*RuleSet, error)
	// Versions lists the versions of an action, oldest first.
	Versions(ctx context.Context, action string) ([]*RuleSet, error)
	// LatestAll returns the latest version of every action, by action name.
	LatestAll(ctx context.Context) ([]*RuleSet, error)
}

// SigningKey is a token signing key. PrivateKey is encrypted by the caller.
type SigningKey struct {
	ID          string // kid
	Algorithm   string
	PrivateKey  []byte
	PublicKey   []byte // JWK
	State       string // SigningKeyNext, SigningKeyActive or SigningKeyRetired
	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   time.Time
	ExpiresAt   time.Time // when a retired key may be forgotten
	Version     uint64
}

// The states of a signing key. A key is published (in the JWKS) in every
// state, and signs only while active.
const (
	SigningKeyNext    = "next"    // published ahead of use, so verifiers have it before it signs
	SigningKeyActive  = "active"  // signs new tokens
	SigningKeyRetired = "retired" // verifies tokens it signed until ExpiresAt
)

// SigningKeys keeps signing keys.
//
// Each algorithm has at most one active and at most one next key: a Create
// or Update that would make a second is ErrConflict, so two processes
// starting at once cannot both create their own.
//
// A first start Creates, for each algorithm, an active key and then a next
// key (a crash between the two leaves an active key only; the next start
// Creates the missing next key). From then on only Rotate moves keys from
// state to state.
type SigningKeys interface {
	Create(ctx context.Context, k *SigningKey) error
	Get(ctx context.Context, id string) (*SigningKey, error)
	Update(ctx context.Context, k *SigningKey) error
	List(ctx context.Context) ([]*SigningKey, error)
	Delete(ctx context.Context, id string) error
	// Rotate moves the keys of algorithm on by one, in one atomic step,
	// so that a crash leaves either the keys before or the keys after and
	// never zero or two active keys:
	//
	//   - the next key becomes active, with ActivatedAt = now;
	//   - the active key, if there is one, becomes retired, with
	//     RetiredAt = now and ExpiresAt = retiredUntil;
	//   - next is stored as the new next key, with Version 1 (next's
	//     Version is set to 1, as by Create).
	//
	// now is the store's clock, and each changed record's Version goes up
	// by one. next must have that Algorithm and State SigningKeyNext, and
	// retiredUntil must not be zero (a retired key that never expires would
	// be published for ever). If the algorithm has no next key (it never
	// had keys: see the first start above), Rotate is ErrNotFound; if
	// next's ID is taken, ErrConflict. Either way nothing changes.
	//
	// promote is the ID of the next key the caller expects to activate:
	// the one it saw published. If the stored next key is another, someone
	// rotated in between, and Rotate is ErrConflict with nothing changed:
	// a key is never activated that relying parties may not have fetched
	// yet. Of racing rotations from the same state, exactly one wins.
	Rotate(ctx context.Context, algorithm, promote string, next *SigningKey, retiredUntil time.Time) error
}

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	Seq       uint64 // assigned by Append, from 1, without gaps (appends are serialised)
	Time      time.Time
	Type      string
	ActorID   string
	SubjectID string
	ClientID  string
	IP        string
	Data      []byte
}

// Audit keeps the audit trail.
type Audit interface {
	// Append assigns e.Seq (the last Seq plus one) and stores e.
	Append(ctx context.Context, e *AuditEvent) error
	// List returns events with Seq > after, oldest first, at most limit
	// (0: DefaultLimit).
	List(ctx context.Context, after uint64, limit int) ([]*AuditEvent, error)
}
