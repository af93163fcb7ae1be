package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/store"
)

// storage is what zitadel/oidc asks of stepup. The token endpoint's code
// and refresh grants are stepup's own (server.go), so the methods that only
// they would call refuse.
type storage struct{ p *Provider }

var _ op.Storage = storage{}

// claimsKey carries the claims parameter, and bindingKey the hash of the
// browser's flow cookie, from Authorize to CreateAuthRequest:
// zitadel/oidc's AuthRequest has no field for either. createdKey carries
// back the request CreateAuthRequest stored, for Authorize to decide on.
type (
	reasonKey  struct{}
	claimsKey  struct{}
	bindingKey struct{}
	createdKey struct{}
)

func (s storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, hintUserID string) (op.AuthRequest, error) {
	now := s.p.now()
	rec := &store.AuthRequest{
		ID:                  randomID(),
		ClientID:            r.ClientID,
		RedirectURI:         r.RedirectURI,
		ResponseType:        string(r.ResponseType),
		ResponseMode:        string(r.ResponseMode),
		Scopes:              r.Scopes,
		State:               r.State,
		Nonce:               r.Nonce,
		CodeChallenge:       r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod),
		ACRValues:           r.ACRValues,
		Prompt:              r.Prompt,
		LoginHint:           r.LoginHint,
		Reason:              s.reason(ctx, r.ClientID),
		IDTokenHintSubject:  hintUserID,
		UILocales:           strings.Fields(r.UILocales.String()),
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.p.opts.Lifetimes.AuthRequest),
	}
	if raw, ok := ctx.Value(claimsKey{}).(string); ok {
		rec.Claims = []byte(raw)
	}
	rec.Binding, _ = ctx.Value(bindingKey{}).(string)
	if r.MaxAge != nil {
		d := time.Duration(*r.MaxAge) * time.Second
		rec.MaxAge = &d
	}
	// prompt=select_account asks the user to choose an account (Core
	// §3.1.2.1): the sign-in page, where any account can sign in, is that
	// choice, so a session counts no more than under prompt=login.
	if slices.Contains(r.Prompt, oidc.PromptSelectAccount) {
		rec.MaxAge = new(time.Duration)
	}
	if err := s.p.store.AuthRequests().Create(ctx, rec); err != nil {
		return nil, fmt.Errorf("oidc: store auth request: %w", err)
	}
	if created, ok := ctx.Value(createdKey{}).(**store.AuthRequest); ok {
		*created = rec
	}
	return authRequest{rec}, nil
}

func (s storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	rec, err := s.p.store.AuthRequests().Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("oidc: auth request: %w", err)
	}
	return authRequest{rec}, nil
}

// AuthRequestByCode is not called: stepup's code exchange redeems codes
// itself, atomically (server.go).
func (s storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errors.New("oidc: codes are redeemed by the code exchange")
}

// SaveAuthCode is not called: a completed request keeps its code's hash
// itself, written with its completion (flow.go).
func (s storage) SaveAuthCode(context.Context, string, string) error {
	return errors.New("oidc: codes are issued with their request's completion")
}

func (s storage) DeleteAuthRequest(ctx context.Context, id string) error {
	err := s.p.store.AuthRequests().Delete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

var errOwnGrant = errors.New("oidc: stepup issues this grant's tokens itself")

func (s storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errOwnGrant
}

func (s storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errOwnGrant
}

func (s storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errOwnGrant
}

func (s storage) TerminateSession(ctx context.Context, userID, clientID string) error { return nil }

// refreshTokenID marks the token ids GetRefreshTokenInfo hands to
// RevokeToken, which zitadel/oidc calls with a user id for both kinds.
const refreshTokenID = "rf:"

// RevokeToken takes a family id only from GetRefreshTokenInfo, which
// comes with a user id. Without one, zitadel/oidc could read no token from
// the string, and the string is the token the client sent (RFC 7009 §2.1:
// "token REQUIRED. The token that the client wants to get revoked"): an
// "rf:" prefix there would revoke a family by its id alone, which is not
// enough (store.RefreshFamilies). A token issued to another client is
// refused with unauthorized_client: the caller did authenticate, and
// invalid_client is "Client authentication failed" (RFC 6749 §5.2).
func (s storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	familyID, isRefresh := "", false
	if userID != "" {
		familyID, isRefresh = strings.CutPrefix(tokenOrID, refreshTokenID)
	} else { // a refresh token itself, or no token at all
		f, err := s.p.family(ctx, tokenOrID)
		if err != nil {
			return nil // RFC 7009: an invalid token is not an error
		}
		familyID, isRefresh = f.ID, true
	}
	if isRefresh {
		f, err := s.p.store.RefreshFamilies().Get(ctx, familyID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return oidc.ErrServerError()
		case f.ClientID != clientID:
			return oidc.ErrUnauthorizedClient().WithDescription("the token was issued to another client")
		}
		if err := s.p.store.RefreshFamilies().Revoke(ctx, familyID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return oidc.ErrServerError()
		}
		return nil
	}
	t, err := s.p.store.AccessTokens().Get(ctx, tokenOrID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return oidc.ErrServerError()
	case t.ClientID != clientID:
		return oidc.ErrUnauthorizedClient().WithDescription("the token was issued to another client")
	}
	if err := s.p.store.AccessTokens().Delete(ctx, tokenOrID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return oidc.ErrServerError()
	}
	return nil
}

func (s storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	f, err := s.p.family(ctx, token)
	if err != nil || f.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return f.UserID, refreshTokenID + f.ID, nil
}

// SigningKey is the default algorithm's key, for what zitadel/oidc signs
// itself; stepup signs tokens with each client's algorithm (tokens.go).
func (s storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.p.keys.Signer(ctx, "")
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (s storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	var algs []jose.SignatureAlgorithm
	for _, a := range s.p.keys.Algorithms() {
		algs = append(algs, jose.SignatureAlgorithm(a))
	}
	return algs, nil
}

func (s storage) KeySet(ctx context.Context) ([]op.Key, error) {
	set, err := s.p.keys.JWKS(ctx)
	if err != nil {
		noteStoreFailure(ctx, err) // else a token read as forged
		return nil, err
	}
	out := make([]op.Key, len(set.Keys))
	for i, k := range set.Keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

// publicKey is a JWKS entry as zitadel/oidc's op.Key.
type publicKey struct{ jose.JSONWebKey }

func (k publicKey) ID() string { return k.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.JSONWebKey.Algorithm)
}
func (k publicKey) Use() string { return k.JSONWebKey.Use }
func (k publicKey) Key() any    { return k.JSONWebKey.Key }

var _ keys.SigningKey // the ring's keys satisfy op.SigningKey as they are

func (s storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	rec, err := s.p.store.Clients().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// An oidc.Error: zitadel/oidc answers any other error with 500.
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, fmt.Errorf("oidc: client %q: %w", id, err)
	}
	return client{rec: rec, idToken: s.p.opts.Lifetimes.IDToken}, nil
}

func (s storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	rec, err := s.p.store.Clients().Get(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			noteStoreFailure(ctx, err) // else a client read as unknown
		}
		return fmt.Errorf("oidc: client %q: %w", id, err)
	}
	if rec.SecretHash == "" || !equalHash(rec.SecretHash, HashClientSecret(secret)) {
		return errors.New("oidc: wrong client secret")
	}
	return nil
}

func (s storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// errTokenInactive is an access token that was revoked, has expired, was
// never issued, is not the subject's or not the asking client's, or
// belongs to an account that is disabled or gone; other errors are the
// store's.
var errTokenInactive = errors.New("oidc: the access token is not active")

// accessToken returns the live stored access token an id and subject name:
// a token that was revoked, has expired, or was never issued is none, even
// when zitadel/oidc could read its id from a signed or encrypted token.
func (s storage) accessToken(ctx context.Context, tokenID, subject string) (*store.AccessToken, error) {
	t, err := s.p.store.AccessTokens().Get(ctx, tokenID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errTokenInactive
	case err != nil:
		return nil, fmt.Errorf("oidc: access token: %w", err)
	case t.Subject != subject:
		return nil, fmt.Errorf("%w: its subject does not match", errTokenInactive)
	}
	return t, nil
}

func (s storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.accessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	err = s.p.userinfo(ctx, info, t.Subject, t.Scopes)
	if errors.Is(err, errUserDisabled) || errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", errTokenInactive, err)
	}
	if err != nil {
		return err
	}
	// How the user authenticated, as in the ID token: the claims
	// parameter may ask for acr in userinfo (Core §5.5), and an essential
	// request of it has been enforced at sign-in.
	if t.ACR != "" {
		info.AppendClaims("acr", t.ACR)
	}
	if len(t.AMR) > 0 { // a JSON array of strings, or no claim: never null
		info.AppendClaims("amr", t.AMR)
	}
	info.AppendClaims("auth_time", t.AuthTime.Unix())
	return nil
}

// SetIntrospectionFromToken describes a live access token to the client it
// was issued to or an audience of it (RFC 7662 §2.2 leaves who may ask to
// the provider; a token is no other client's business). zitadel/oidc
// answers any error as active=false, so a store failure is also noted for
// Introspect (server.go) to answer as a server error.
func (s storage) SetIntrospectionFromToken(ctx context.Context, r *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	err := s.introspection(ctx, r, tokenID, subject, clientID)
	if err != nil && !errors.Is(err, errTokenInactive) {
		noteStoreFailure(ctx, err)
	}
	return err
}

// zitadel/oidc turns some storage errors into a verdict on the request: an
// inactive or invalid token, an unknown client. A store failure is no such
// verdict, so the storage notes it in a slot the endpoint put in the
// context (withFailureSlot), and the endpoint answers it as a server error.
type storeFailureKey struct{}

// withFailureSlot returns ctx with a slot for a store failure, and the slot.
func withFailureSlot(ctx context.Context) (context.Context, *error) {
	slot := new(error)
	return context.WithValue(ctx, storeFailureKey{}, slot), slot
}

// noteStoreFailure puts err in ctx's slot, if it has one.
func noteStoreFailure(ctx context.Context, err error) {
	if slot, ok := ctx.Value(storeFailureKey{}).(*error); ok && *slot == nil {
		*slot = err
	}
}

func (s storage) introspection(ctx context.Context, r *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.accessToken(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	if clientID != t.ClientID && !slices.Contains(t.Audience, clientID) {
		return fmt.Errorf("%w: the client asking is not an audience of it", errTokenInactive)
	}
	switch _, err := s.p.activeUser(ctx, t.Subject); {
	case errors.Is(err, errUserDisabled), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", errTokenInactive, err)
	case err != nil:
		return err
	}
	r.Subject = t.Subject
	r.ClientID = t.ClientID
	r.Scope = t.Scopes
	r.Audience = t.Audience
	r.Expiration = oidc.FromTime(t.ExpiresAt)
	r.IssuedAt = oidc.FromTime(t.CreatedAt)
	r.TokenType = oidc.BearerToken
	r.Claims = map[string]any{"acr": t.ACR, "amr": t.AMR, "auth_time": t.AuthTime.Unix()}
	return nil
}

func (s storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidc: JWT client authentication is not supported")
}

func (s storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidc: the JWT profile grant is not supported")
}

func (s storage) Health(ctx context.Context) error { return s.p.store.Ping(ctx) }

// hashToken is how codes and refresh tokens are keyed in the store.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// HashClientSecret is how a client secret is stored. Secrets are long and
// random (config warns below 32 characters), so a fast hash is enough; a
// password hash would only slow every token request down.
func HashClientSecret(secret string) string { return hashToken("client-secret\x00" + secret) }
