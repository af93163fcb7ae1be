package oidc

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

// RefreshToken rotates the refresh token: the presented one is replaced,
// atomically, and presenting a replaced one again revokes the whole family
// (OAuth 2.0 Security BCP §4.14). The new tokens keep the acr, amr and
// auth_time of the sign-in the family began with: refreshing proves
// nothing new about the user.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	p := s.p
	token := r.Data.RefreshToken
	id, _, ok := strings.Cut(token, ".")
	if !ok {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid")
	}
	f, err := p.store.RefreshFamilies().Get(ctx, id)
	if err != nil || f.ClientID != r.Client.GetID() {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid or expired")
	}
	// A disabled account's current token is refused unspent, so that it
	// works again once the account is enabled; so is one asking for more
	// scopes. A rotated-out token, or any of a revoked family, goes on to
	// Rotate, which revokes on reuse, whatever else the request asks (RFC
	// 9700 §4.14.2): a check before it would spare the family and tell a
	// past token from a stranger's string. One that was never the
	// family's is refused here.
	hash := hashToken(token)
	current := !f.Revoked && equalHash(f.TokenHash, hash)
	scopes := f.Scopes
	switch {
	case current:
		if err := p.grantable(ctx, f.UserID); err != nil {
			return nil, err
		}
		if scopes, err = narrowScopes(f.Scopes, r.Data.Scopes); err != nil {
			return nil, err
		}
	case !f.Revoked && !slices.ContainsFunc(f.PreviousHashes, func(h string) bool { return equalHash(h, hash) }):
		// Never the family's: a hash that was neither current nor
		// previous cannot become either, so Rotate need not be asked.
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid or expired")
	}
	cl, err := p.store.Clients().Get(ctx, f.ClientID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	// The new tokens are minted first and stored with the rotation, in one
	// step: the client never loses its refresh token to a failure after
	// the old one was spent. A token that is not the current one cannot
	// rotate, so nothing is signed for it.
	g := grant{client: cl, userID: f.UserID, scopes: scopes, acr: f.ACR, amr: f.AMR, authTime: f.AuthTime, session: f.SessionID}
	next := id + "." + randomID() + randomID()
	at := p.newAccessToken(g, f)
	var resp *op.Response
	if current {
		if resp, err = p.mint(ctx, g, at, next); err != nil {
			return nil, err
		}
	}
	_, err = p.store.RefreshFamilies().Rotate(ctx, id, hash, hashToken(next), at)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used; its grant is revoked")
	case errors.Is(err, store.ErrNotFound):
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid or expired")
	case err != nil:
		return nil, oidc.ErrServerError().WithParent(err)
	case resp == nil:
		// The family rotated from a token that was not its current one
		// when read: only a store breaking its promise gets here.
		return nil, oidc.ErrServerError().WithParent(errors.New("oidc: a refresh family rotated from a token that was not current"))
	}
	return resp, nil
}

// narrowScopes returns the scopes a refresh asks for, the family's if it
// names none. RFC 6749 §6: "The requested scope MUST NOT include any scope
// not originally granted by the resource owner".
func narrowScopes(granted, asked []string) ([]string, error) {
	if len(asked) == 0 {
		return granted, nil
	}
	for _, sc := range asked {
		if !slices.Contains(granted, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("a refresh cannot add scopes")
		}
	}
	return asked, nil
}
