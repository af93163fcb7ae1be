package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/store"
)

// grant is what a token response is issued for.
type grant struct {
	client   *store.Client
	userID   string
	scopes   []string
	acr      string
	amr      []string
	authTime time.Time
	nonce    string
	session  string // the SSO session signed in with, for the sid claim
}

// CodeExchange redeems a code once. The code names its authorization
// request (it is the request's id, sealed by sealCrypto), so the client,
// redirect_uri and PKCE are checked first, and a request that fails them
// burns nothing: a client retrying with another authentication style is
// not a replay. The tokens are minted next, and the code is redeemed with
// them in one store step, so that a replay finds them and revokes them
// (RFC 6749 §4.1.2), and a code is never spent on tokens that were not
// stored. A code_verifier outside RFC 7636's syntax is refused before the
// code is even read; none at all is refused for a request that had a
// challenge, and one is refused for a request that had none (RFC 9700
// §4.8.2), which only a client with PKCE optional can make.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	p := s.p
	if r.Data.CodeVerifier != "" && !codeVerifierSyntax.MatchString(r.Data.CodeVerifier) {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)")
	}
	invalid := oidc.ErrInvalidGrant().WithDescription("the code is invalid or expired")
	arID, err := p.op.Crypto().Decrypt(r.Data.Code)
	if err != nil {
		return nil, invalid
	}
	rec, err := p.store.AuthRequests().Get(ctx, arID)
	switch {
	case err != nil || !rec.Done:
		return nil, invalid
	case rec.ClientID != r.Client.GetID():
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was issued to another client")
	case rec.RedirectURI != r.Data.RedirectURI:
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not match the authorization request")
	}
	if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authRequest{rec}.GetCodeChallenge()); err != nil {
		return nil, err
	}
	codeHash := hashToken(r.Data.Code)
	if !equalHash(rec.CodeHash, codeHash) { // not this request's code: nothing to sign or revoke
		return nil, invalid
	}
	if rec.Redeemed {
		return nil, p.replayed(ctx, rec, codeHash)
	}
	if !p.now().Before(rec.CodeIssuedAt.Add(p.opts.Lifetimes.Code)) {
		return nil, oidc.ErrInvalidGrant().WithDescription("the code is expired")
	}
	if err := p.grantable(ctx, rec.UserID); err != nil {
		return nil, err
	}
	cl, err := p.store.Clients().Get(ctx, rec.ClientID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	g := grant{client: cl, userID: rec.UserID, scopes: rec.Scopes, acr: rec.ACR, amr: rec.AMR, authTime: rec.AuthTime,
		nonce: rec.Nonce, session: rec.SessionID}
	var family *store.RefreshFamily
	refresh := ""
	if slices.Contains(g.scopes, oidc.ScopeOfflineAccess) && allowsRefresh(cl) {
		family, refresh = p.newFamily(g, rec.SessionID)
	}
	at := p.newAccessToken(g, family)
	resp, err := p.mint(ctx, g, at, refresh)
	if err != nil {
		return nil, err
	}
	spent, err := p.store.AuthRequests().Redeem(ctx, rec.ID, codeHash, at, family)
	switch {
	case errors.Is(err, store.ErrConflict) && spent != nil:
		// A concurrent exchange of the same code won.
		return nil, p.replayed(ctx, spent, codeHash)
	case errors.Is(err, store.ErrNotFound):
		return nil, invalid
	case err != nil:
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return resp, nil
}

// replayed answers a code whose request, spent, is its tombstone: the
// tokens the first exchange issued are revoked, however late the replay
// comes while the tombstone lives. A code that is not the request's
// revokes nothing.
func (p *Provider) replayed(ctx context.Context, spent *store.AuthRequest, codeHash string) error {
	if !equalHash(spent.CodeHash, codeHash) {
		return oidc.ErrInvalidGrant().WithDescription("the code is invalid or expired")
	}
	p.revokeIssued(ctx, spent)
	return oidc.ErrInvalidGrant().WithDescription("the code was already used; the tokens issued from it are revoked")
}

// grantable refuses tokens for a user whose account is disabled or gone.
func (p *Provider) grantable(ctx context.Context, userID string) error {
	switch _, err := p.activeUser(ctx, userID); {
	case errors.Is(err, errUserDisabled), errors.Is(err, store.ErrNotFound):
		return oidc.ErrInvalidGrant().WithDescription("the account is disabled")
	case err != nil:
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// allowsRefresh reports whether a client may hold refresh tokens: it
// registered the refresh_token grant, or no grants at all.
func allowsRefresh(cl *store.Client) bool {
	return len(cl.GrantTypes) == 0 || slices.Contains(cl.GrantTypes, string(oidc.GrantTypeRefreshToken))
}

// newFamily returns a new refresh token family for a grant and its first
// token: "<family id>.<secret>", stored only as a hash.
func (p *Provider) newFamily(g grant, sessionID string) (*store.RefreshFamily, string) {
	now := p.now()
	id := randomID()
	token := id + "." + randomID() + randomID()
	return &store.RefreshFamily{
		ID: id, ClientID: g.client.ID, UserID: g.userID, SessionID: sessionID, TokenHash: hashToken(token),
		Scopes: g.scopes, Audience: []string{g.client.ID}, ACR: g.acr, AMR: g.amr, AuthTime: g.authTime,
		CreatedAt: now, ExpiresAt: now.Add(p.opts.Lifetimes.RefreshToken),
	}, token
}

// revokeIssued revokes what the first exchange of a replayed code issued.
func (p *Provider) revokeIssued(ctx context.Context, spent *store.AuthRequest) {
	if err := p.store.AccessTokens().Delete(ctx, spent.AccessTokenID); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.log.Error("oidc: revoking the access token of a replayed code", "err", err)
	}
	if spent.RefreshFamilyID != "" {
		if err := p.store.RefreshFamilies().Revoke(ctx, spent.RefreshFamilyID); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.log.Error("oidc: revoking the refresh tokens of a replayed code", "err", err)
		}
	}
}

// newAccessToken returns the record of a new access token for a grant, of
// family if it is not nil.
func (p *Provider) newAccessToken(g grant, family *store.RefreshFamily) *store.AccessToken {
	now := p.now()
	at := &store.AccessToken{
		ID: randomID(), ClientID: g.client.ID, Subject: g.userID, Audience: []string{g.client.ID}, Scopes: g.scopes,
		ACR: g.acr, AMR: g.amr, AuthTime: g.authTime, CreatedAt: now, ExpiresAt: now.Add(p.opts.Lifetimes.AccessToken),
	}
	if family != nil {
		at.RefreshFamilyID = family.ID
	}
	return at
}

// mint signs the token response for at: the access token, an ID token, and
// the refresh token, if any. It stores nothing: the caller stores at with
// the step that issues it, and sends the response only if that succeeds.
func (p *Provider) mint(ctx context.Context, g grant, at *store.AccessToken, refresh string) (*op.Response, error) {
	resp := &oidc.AccessTokenResponse{TokenType: oidc.BearerToken, ExpiresIn: uint64(p.opts.Lifetimes.AccessToken / time.Second),
		Scope: g.scopes, RefreshToken: refresh}
	var err error
	if resp.AccessToken, err = p.accessToken(ctx, g, at); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if resp.IDToken, err = p.idToken(ctx, g, resp.AccessToken, at.CreatedAt); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	out := op.NewResponse(resp)
	// RFC 6749 §5.1: token responses must not be cached.
	out.Header.Set("Cache-Control", "no-store")
	out.Header.Set("Pragma", "no-cache")
	return out, nil
}

// accessToken returns the access token for at: an RFC 9068 JWT
// (typ at+jwt) carrying acr, amr and auth_time, or for a client configured
// with opaque tokens, a random handle resolved by introspection.
func (p *Provider) accessToken(ctx context.Context, g grant, at *store.AccessToken) (string, error) {
	if g.client.AccessTokenFormat == "opaque" {
		// zitadel/oidc reads "<id>:<subject>" encrypted with its crypto
		// key as an opaque token, for userinfo and introspection.
		return p.op.Crypto().Encrypt(at.ID + ":" + at.Subject)
	}
	claims := map[string]any{
		"iss": p.opts.Issuer, "sub": at.Subject, "aud": at.Audience, "client_id": at.ClientID,
		"exp": at.ExpiresAt.Unix(), "iat": at.CreatedAt.Unix(), "jti": at.ID,
		"scope": strings.Join(at.Scopes, " "), "auth_time": at.AuthTime.Unix(),
	}
	if at.ACR != "" {
		claims["acr"] = at.ACR
	}
	if len(at.AMR) > 0 { // a JSON array of strings, or no claim: never null
		claims["amr"] = at.AMR
	}
	return p.sign(ctx, g.client, "at+jwt", claims)
}

// idToken returns the ID token: acr, amr and auth_time always (stepup's
// sign-ins are always about a level), nonce when the request had one, and
// sid, the SSO session's public name, by which end_session knows a hint of
// the browser's session (OpenID Connect Front-Channel Logout §3).
func (p *Provider) idToken(ctx context.Context, g grant, accessToken string, now time.Time) (string, error) {
	key, err := p.keys.Signer(ctx, g.client.SigningAlgorithm)
	if err != nil {
		return "", err
	}
	atHash, err := oidc.ClaimHash(accessToken, key.SignatureAlgorithm())
	if err != nil {
		return "", err
	}
	claims := map[string]any{
		"iss": p.opts.Issuer, "sub": g.userID, "aud": []string{g.client.ID}, "azp": g.client.ID,
		"exp": now.Add(p.opts.Lifetimes.IDToken).Unix(), "iat": now.Unix(),
		"auth_time": g.authTime.Unix(), "at_hash": atHash,
	}
	if g.acr != "" {
		claims["acr"] = g.acr
	}
	if len(g.amr) > 0 { // a JSON array of strings, or no claim: never null
		claims["amr"] = g.amr
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if g.session != "" {
		claims["sid"] = p.sid(g.session)
	}
	var info oidc.UserInfo
	if err := p.userinfo(ctx, &info, g.userID, g.scopes); err != nil {
		return "", err
	}
	if info.PreferredUsername != "" {
		claims["preferred_username"] = info.PreferredUsername
	}
	if info.Email != "" {
		claims["email"], claims["email_verified"] = info.Email, bool(info.EmailVerified)
	}
	return p.sign(ctx, g.client, "JWT", claims)
}

// sign signs claims with the client's algorithm and a typ header.
func (p *Provider) sign(ctx context.Context, cl *store.Client, typ string, claims map[string]any) (string, error) {
	key, err := p.keys.Signer(ctx, cl.SigningAlgorithm)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(key.JOSE(), (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", fmt.Errorf("oidc: signer: %w", err)
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// family returns the live family of a refresh token, checking the token
// against the family's current hash.
func (p *Provider) family(ctx context.Context, token string) (*store.RefreshFamily, error) {
	id, _, ok := strings.Cut(token, ".")
	if !ok {
		return nil, store.ErrNotFound
	}
	f, err := p.store.RefreshFamilies().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.Revoked || f.TokenHash != hashToken(token) {
		return nil, store.ErrNotFound
	}
	return f, nil
}

// equalHash compares token hashes in constant time.
func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
