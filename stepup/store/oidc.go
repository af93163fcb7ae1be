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

// AuthCode is an issued authorization code, keyed by a hash of the code.
type AuthCode struct {
	Hash          string
	AuthRequestID string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// AuthCodes keeps authorization codes until their one use.
type AuthCodes interface {
	// Create stores a code; ErrConflict if the hash is taken.
	Create(ctx context.Context, c *AuthCode) error
	// Consume returns the code and deletes it in one step: exactly one of
	// any number of concurrent calls gets it.
	Consume(ctx context.Context, hash string) (*AuthCode, error)
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
	ID         string
	ClientID   string
	UserID     string
	SessionID  string
	TokenHash  string // a hash of the current refresh token
	Generation uint64 // how many times it rotated
	Scopes     []string
	Audience   []string
	ACR        string
	AMR        []string
	AuthTime   time.Time
	Revoked    bool
	RevokedAt  time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// RefreshFamilies keeps refresh token families.
type RefreshFamilies interface {
	// Create stores a new family; ErrNotFound if the user does not exist.
	Create(ctx context.Context, f *RefreshFamily) error
	Get(ctx context.Context, id string) (*RefreshFamily, error)
	// Rotate replaces the current token hash `from` with `to` and returns
	// the updated family. If `from` is not the current hash, the token was
	// reused: the family is revoked, its access tokens deleted, all in the
	// same step, and Rotate returns ErrConflict. A revoked family gives
	// ErrConflict too.
	Rotate(ctx context.Context, id, from, to string) (*RefreshFamily, error)
	// Revoke marks the family revoked and deletes its access tokens.
	Revoke(ctx context.Context, id string) error
}
