package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound means the record does not exist, has expired, or was
	// already consumed.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a write lost: a key is taken, a Version is stale,
	// or a compare-and-set found another value.
	ErrConflict = errors.New("store: conflict")
)

// Store is a storage backend: one accessor per aggregate plus the operations
// on the whole store.
type Store interface {
	Users() Users
	Authenticators() Authenticators
	Devices() Devices
	UpstreamLinks() UpstreamLinks
	Sessions() Sessions
	Challenges() Challenges
	Actions() Actions
	AuthRequests() AuthRequests
	AccessTokens() AccessTokens
	RefreshFamilies() RefreshFamilies
	Clients() Clients
	APIKeys() APIKeys
	RuleSets() RuleSets
	SigningKeys() SigningKeys
	Audit() Audit

	// Sweep deletes every expired record and says how many it deleted.
	// Backends also sweep on their own schedule.
	Sweep(ctx context.Context) (int, error)
	// Ping reports whether the store can serve reads and writes.
	Ping(ctx context.Context) error
	// Close releases the store. It is safe to call more than once.
	Close() error
}

// Page selects a slice of a listing ordered by key, compared bytewise: the
// records after the key After (exclusive), at most Limit of them (0 means
// DefaultLimit).
type Page struct {
	After string
	Limit int
}

// DefaultLimit is the page size used when Page.Limit is 0.
const DefaultLimit = 100

// PageLimit returns p.Limit or DefaultLimit.
func (p Page) PageLimit() int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return p.Limit
}

// Live reports whether a record that expires at expiresAt (zero: never) is
// still valid at now. Backends use it so that every one treats the instant
// of expiry the same way: a record is gone at its ExpiresAt.
func Live(expiresAt, now time.Time) bool {
	return expiresAt.IsZero() || now.Before(expiresAt)
}
