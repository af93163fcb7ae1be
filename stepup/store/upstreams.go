package store

import (
	"context"
	"time"
)

// UpstreamLink ties an identity at an upstream OpenID Provider to a stepup
// user. It is keyed by the upstream's issuer and subject together: a
// subject is unique only within its issuer (OpenID Connect Core §2), and
// an email address is not an identity at all, so nothing else may find the
// link.
type UpstreamLink struct {
	Issuer  string
	Subject string
	UserID  string
	// Upstream is the configured upstream's id the link was made through,
	// for the operator's eyes; the key is Issuer and Subject.
	Upstream  string
	CreatedAt time.Time
	Version   uint64
}

// UpstreamLinks keeps the links of upstream identities to users.
type UpstreamLinks interface {
	// Create stores a new link with Version 1. ErrConflict when the
	// (Issuer, Subject) pair is linked already; ErrNotFound when the user
	// does not exist.
	Create(ctx context.Context, l *UpstreamLink) error
	Get(ctx context.Context, issuer, subject string) (*UpstreamLink, error)
	ListByUser(ctx context.Context, userID string) ([]*UpstreamLink, error)
	Delete(ctx context.Context, issuer, subject string) error
}
