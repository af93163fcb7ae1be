package oidc

import (
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

// client is a stored relying party as zitadel/oidc sees it.
type client struct {
	rec     *store.Client
	idToken time.Duration
}

var _ op.Client = client{}

func (c client) GetID() string                        { return c.rec.ID }
func (c client) RedirectURIs() []string               { return c.rec.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string     { return c.rec.PostLogoutRedirectURIs }
func (c client) LoginURL(id string) string            { return flowStartPath + "?id=" + id }
func (c client) IDTokenLifetime() time.Duration       { return c.idToken }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }

// DevMode lets zitadel/oidc accept http redirect URIs, which stepup's
// configuration allows only on loopback hosts (RFC 8252); any other http
// redirect URI keeps it off. Exact matching is unaffected.
func (c client) DevMode() bool {
	for _, u := range c.rec.RedirectURIs {
		if strings.HasPrefix(u, "http://") {
			if _, loopback := op.HTTPLoopbackOrLocalhost(u); !loopback {
				return false
			}
		}
	}
	return true
}

func (c client) ApplicationType() op.ApplicationType {
	if c.rec.SecretHash == "" {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is none for a public client, which must use PKCE (stepup
// requires PKCE S256 of every client anyway), else client_secret_basic or
// client_secret_post.
func (c client) AuthMethod() oidc.AuthMethod {
	if c.rec.SecretHash == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes are the client's registered grants (code and refresh_token
// when it registered none).
func (c client) GrantTypes() []oidc.GrantType {
	if len(c.rec.GrantTypes) == 0 {
		return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	}
	out := make([]oidc.GrantType, len(c.rec.GrantTypes))
	for i, g := range c.rec.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}

func (c client) AccessTokenType() op.AccessTokenType {
	if c.rec.AccessTokenFormat == "opaque" {
		return op.AccessTokenTypeBearer
	}
	return op.AccessTokenTypeJWT
}

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed allows the scopes stepup knows; others are dropped.
func (c client) IsScopeAllowed(scope string) bool { return slices.Contains(supportedScopes, scope) }

var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}
