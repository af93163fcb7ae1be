package store

import (
	"context"
	"time"
)

// AuthRequest is a pending OpenID Connect authorization request and, once
// the user is through, how they authenticated.
type AuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	ResponseType        string
	ResponseMode        string
	Scopes              []string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	ACRValues           []string
	Claims              []byte // the claims request parameter, as sent
	MaxAge              *time.Duration
	Prompt              []string
	LoginHint           string
	IDTokenHintSubject  string
	UILocales           []string
	// Binding is a hash of the flow cookie of the browser that first
	// opened the request: no other browser may go on with it.
	Binding string

	UserID    string
	SessionID string
	Done      bool
	AuthTime  time.Time
	ACR       string
	AMR       []string

	CreatedAt time.Time
	ExpiresAt time.Time
	Version   uint64
}

// AuthRequests keeps pending authorization requests. Create and Update give
// ErrNotFound if UserID is set and the user does not exist.
type AuthRequests interface {
	Create(ctx context.Context, r *AuthRequest) error
	Get(ctx context.Context, id string) (*AuthRequest, error)
	Update(ctx context.Context, r *AuthRequest) error
	Delete(ctx context.Context, id string) error
}

// AuthCode is an issued authorization code, keyed by a hash of the code. It
// stays after its use, as a tombstone, until it expires, so that a replay is
// recognised and the tokens issued from it revoked (RFC 6749 §4.1.2).
type AuthCode struct {
	Hash          string
	AuthRequestID string

	// Set by Redeem: the tokens the first redemption issues, and when.
	Redeemed        bool
	RedeemedAt      time.Time
	AccessTokenID   string
	RefreshFamilyID string // empty if no refresh token was issued

	CreatedAt time.Time
	// ExpiresAt ends the code and its tombstone alike: the store honours it
	// and nothing else. For a replay to be caught for as long as the access
	// token it issued lives, the tombstone must outlive the code by the
	// access token lifetime. A caller that sets ExpiresAt that far checks
	// the code's own lifetime (from CreatedAt) itself, after Redeem and
	// before issuing anything: the store redeems a code until ExpiresAt.
	ExpiresAt time.Time
}

// AuthCodes keeps authorization codes through their one use, and then as
// tombstones until they expire.
type AuthCodes interface {
	// Create stores a code as given; ErrConflict if the hash is taken, by
	// a code or a tombstone.
	Create(ctx context.Context, c *AuthCode) error
	// Redeem marks the code used by the tokens about to be issued (their
	// ids chosen by the caller beforehand; refreshFamilyID empty if none)
	// and returns it, in one step; the store stamps RedeemedAt. Of any
	// number of concurrent calls exactly one succeeds. A code already
	// redeemed is left as it is and gives ErrConflict together with the
	// stored record (non-nil), so the caller can revoke AccessTokenID and
	// RefreshFamilyID; an unknown or expired code gives ErrNotFound and a
	// nil record, as does any other error.
	Redeem(ctx context.Context, hash, accessTokenID, refreshFamilyID string) (*AuthCode, error)
}

// AccessToken is an issued access token, kept for introspection and
// revocation. Its claims are those of the token.
type AccessToken struct {
	ID              string // jti
	ClientID        string
	Subject         string // the user's id
	Audience        []string
	Scopes          []string
	ACR             string
	AMR             []string
	AuthTime        time.Time
	RefreshFamilyID string
	CreatedAt       time.Time
	ExpiresAt       time.Time
}

// AccessTokens keeps issued access tokens.
type AccessTokens interface {
	// Create stores a token. If RefreshFamilyID is set, the family must
	// exist (else ErrNotFound) and not be revoked (else ErrConflict), checked
	// in the same step: a token minted while a reuse revoked its family
	// must not outlive the revocation.
	Create(ctx context.Context, t *AccessToken) error
	Get(ctx context.Context, id string) (*AccessToken, error)
	Delete(ctx context.Context, id string) error
	// DeleteByFamily revokes every access token minted from one refresh
	// token family and says how many.
	DeleteByFamily(ctx context.Context, familyID string) (int, error)
}

// RefreshFamily is a chain of rotated refresh tokens from one grant. Only
// the newest token (TokenHash) is valid; presenting an older one is reuse.
type RefreshFamily struct {
	ID        string
	ClientID  string
	UserID    string
	SessionID string
	TokenHash string // a hash of the current refresh token
	// PreviousHashes are the hashes of the latest rotated-out tokens,
	// oldest first, at most MaxPreviousHashes: what tells a reused token
	// from one that never belonged to the family.
	PreviousHashes []string
	Generation     uint64 // how many times it rotated
	Scopes         []string
	Audience       []string
	ACR            string
	AMR            []string
	AuthTime       time.Time
	Revoked        bool
	RevokedAt      time.Time
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// MaxPreviousHashes bounds RefreshFamily.PreviousHashes: a token older
// than that many rotations is no longer recognised as reused.
const MaxPreviousHashes = 16

// RefreshFamilies keeps refresh token families.
type RefreshFamilies interface {
	// Create stores a new family; ErrNotFound if the user does not exist.
	Create(ctx context.Context, f *RefreshFamily) error
	Get(ctx context.Context, id string) (*RefreshFamily, error)
	// Rotate replaces the current token hash `from` with `to`, keeps `from`
	// among PreviousHashes, and returns the updated family. If `from` is
	// one of PreviousHashes, a rotated-out token came back: the family is
	// revoked, its access tokens deleted, all in the same step, and Rotate
	// returns ErrConflict. Any other `from` was never the family's token:
	// ErrNotFound, and nothing changes, so that knowing a family's id is
	// not enough to revoke it. A revoked family gives ErrConflict.
	Rotate(ctx context.Context, id, from, to string) (*RefreshFamily, error)
	// Revoke marks the family revoked and deletes its access tokens.
	Revoke(ctx context.Context, id string) error
}
