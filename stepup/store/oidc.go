package store

import (
	"context"
	"time"
)

// AuthRequest is an OpenID Connect authorization request: pending, then,
// once the user is through, how they authenticated and the code issued,
// and once the code is exchanged, its tombstone.
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
	// Reason is why the relying party asks (stepup_reason), shown on the
	// step-up page.
	Reason             string
	IDTokenHintSubject string
	UILocales          []string
	// Binding is a hash of the flow cookie of the browser that first
	// opened the request: no other browser may go on with it.
	Binding string

	UserID    string
	SessionID string // the session's lasting name (Session.Name)
	Done      bool
	AuthTime  time.Time
	ACR       string
	AMR       []string

	// The authorization code, issued with Done: a hash of it (never the
	// code), and when, for the code's own lifetime.
	CodeHash     string
	CodeIssuedAt time.Time
	// Set by Redeem: the tokens the code's one exchange issued, and when.
	// The request stays as the code's tombstone until it expires, so that
	// a replay is recognised and those tokens revoked (RFC 6749 §4.1.2);
	// its ExpiresAt must then outlive the code by the access token
	// lifetime.
	Redeemed        bool
	RedeemedAt      time.Time
	AccessTokenID   string
	RefreshFamilyID string // empty if no refresh token was issued

	CreatedAt time.Time
	ExpiresAt time.Time
	Version   uint64
}

// AuthRequests keeps authorization requests, from /authorize through the
// one exchange of their code. Create and Update give ErrNotFound if UserID
// is set and the user does not exist. Update leaves the fields Redeem sets
// (Redeemed, RedeemedAt, AccessTokenID, RefreshFamilyID) as stored, and of
// a redeemed request also Done, CodeHash, CodeIssuedAt, and an ExpiresAt
// it would bring forward: only Redeem spends a code, nothing unspends one,
// and a tombstone lives as long as it was given.
type AuthRequests interface {
	Create(ctx context.Context, r *AuthRequest) error
	Get(ctx context.Context, id string) (*AuthRequest, error)
	Update(ctx context.Context, r *AuthRequest) error
	Delete(ctx context.Context, id string) error
	// Redeem exchanges the code of request id, whose hash is codeHash,
	// for the tokens about to be issued, in one step: it marks the
	// request redeemed by them (the store stamps RedeemedAt) and stores
	// the access token and, if family is not nil, the new refresh token
	// family, and returns the updated request. Of any number of
	// concurrent calls exactly one succeeds.
	//
	// A request already redeemed is left as it is and gives ErrConflict
	// together with the stored request (non-nil), so the caller can
	// revoke AccessTokenID and RefreshFamilyID; the tokens given are not
	// looked at. A request that is
	// unknown, expired, not Done, or whose CodeHash is not codeHash gives
	// ErrNotFound and no request. Storing the tokens fails as their own
	// Create would (ErrConflict for a taken id, ErrNotFound for a family
	// of a missing user), with no request, and then nothing changes.
	Redeem(ctx context.Context, id, codeHash string, token *AccessToken, family *RefreshFamily) (*AuthRequest, error)
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
	// among PreviousHashes, stores token (the access token issued with
	// `to`; a nil token, or one whose RefreshFamilyID is not id, is an
	// error before anything is read) and returns the updated family, all
	// in one step. If `from` is one of PreviousHashes, a rotated-out token
	// came back: the family is revoked, its access tokens deleted, all in
	// the same step, token is not looked at, and Rotate returns
	// ErrConflict. Any other `from` was never the family's
	// token: ErrNotFound, and nothing changes, so that knowing a family's
	// id is not enough to revoke it. A revoked family gives ErrConflict; a
	// token whose id is taken, ErrConflict, and nothing changes.
	Rotate(ctx context.Context, id, from, to string, token *AccessToken) (*RefreshFamily, error)
	// Revoke marks the family revoked and deletes its access tokens.
	Revoke(ctx context.Context, id string) error
}
