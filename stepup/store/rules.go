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
	State       string // "next", "active" or "retired"
	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   time.Time
	ExpiresAt   time.Time // when a retired key may be forgotten
	Version     uint64
}

// SigningKeys keeps signing keys.
type SigningKeys interface {
	Create(ctx context.Context, k *SigningKey) error
	Get(ctx context.Context, id string) (*SigningKey, error)
	Update(ctx context.Context, k *SigningKey) error
	List(ctx context.Context) ([]*SigningKey, error)
	Delete(ctx context.Context, id string) error
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
