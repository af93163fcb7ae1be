package store

import (
	"context"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// Client is a registered OpenID Connect relying party.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             string // empty for a public client
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	MinimumACR             string // the lowest level a sign-in to this client reaches
	Methods                []acr.Method
	AccessTokenFormat      string // "jwt" or "opaque"
	SigningAlgorithm       string
	// ShowsReasons: the step-up page shows the stepup_reason this client
	// sends; others' are ignored, so that a link anyone can make does not
	// put its words on the page.
	ShowsReasons bool
	// PKCEOptional: an authorization request of this confidential client
	// may leave PKCE out if it carries a nonce (RFC 9700 §2.1.1).
	PKCEOptional bool
	Source       string // "config" or "admin": who manages it
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      uint64
}

// Clients keeps relying parties.
type Clients interface {
	Create(ctx context.Context, c *Client) error
	Get(ctx context.Context, id string) (*Client, error)
	Update(ctx context.Context, c *Client) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*Client, error)
}

// APIKey is a key for the server or admin API, keyed by its public id; only
// a hash of its secret is kept.
type APIKey struct {
	ID         string
	Hash       string
	Name       string
	Kind       string // "server" or "admin"
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	Version    uint64
}

// APIKeys keeps API keys.
type APIKeys interface {
	Create(ctx context.Context, k *APIKey) error
	Get(ctx context.Context, id string) (*APIKey, error)
	Update(ctx context.Context, k *APIKey) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, p Page) ([]*APIKey, error)
}
