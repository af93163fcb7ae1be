package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Lifetimes bound what the provider issues.
type Lifetimes struct {
	AccessToken  time.Duration
	IDToken      time.Duration
	RefreshToken time.Duration
	Code         time.Duration
	AuthRequest  time.Duration
}

// Options configure a Provider. Every field is required except Now and Log.
type Options struct {
	Issuer    string // the public URL, without a trailing slash
	Store     store.Store
	Keys      *keys.Ring
	Scheme    *acr.Scheme
	Engine    *stepup.Engine
	Sessions  *stepup.Sessions
	Flows     *stepup.Flows
	Lifetimes Lifetimes
	// CryptoKey encrypts authorization codes and opaque access tokens.
	CryptoKey [32]byte
	// Session returns the browser's SSO session, or stepup.ErrNoSession.
	Session func(*http.Request) (*store.Session, error)
	// FlowBinding reads and SetFlowBinding sets the browser's flow cookie.
	FlowBinding    func(*http.Request) string
	SetFlowBinding func(w http.ResponseWriter, value string)
	// Origin tells where a browser's request comes from (its address
	// behind trusted proxies, its user agent, its device cookie), for the
	// engine's signals; nil: nowhere known.
	Origin func(*http.Request) stepup.Origin
	// SignInPath and StepUpPath are the hosted pages a flow is sent to.
	SignInPath string
	StepUpPath string
	// Reviews holds a sign-in the rules send to review until a person
	// decides (stepup.Tracker.Hold), while the browser waits on
	// ReviewPath. Nil: a review refuses the sign-in, as a block does.
	Reviews    Reviews
	ReviewPath string
	// Decisions stores the final decision of each sign-in the rules took
	// part in, keyed by the authorization request (stepup.Tracker.Record);
	// nil: decisions are only logged.
	Decisions Decisions
	Now       func() time.Time
	Log       *slog.Logger
}

// Provider is stepup's OpenID Provider.
type Provider struct {
	opts    Options
	store   store.Store
	keys    *keys.Ring
	op      op.OpenIDProvider
	intents sealCrypto // sign-out questions (logout.go)
	sidKey  []byte     // names sessions in ID tokens (sid)
	handler http.Handler
	now     func() time.Time
	log     *slog.Logger
}

const (
	flowStartPath = "/flow/start"
	signedOutPath = "/signed-out"
)

// New builds the provider.
func New(opts Options) (*Provider, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Store == nil || opts.Keys == nil || opts.Scheme == nil || opts.Engine == nil || opts.Sessions == nil ||
		opts.Flows == nil || opts.Session == nil || opts.FlowBinding == nil || opts.SetFlowBinding == nil {
		return nil, errors.New("oidc: a required option is missing")
	}
	p := &Provider{opts: opts, store: opts.Store, keys: opts.Keys, now: opts.Now, log: opts.Log}
	crypto, err := newSealCrypto(opts.CryptoKey, cryptoAD)
	if err != nil {
		return nil, err
	}
	if p.intents, err = newSealCrypto(opts.CryptoKey, signOutAD); err != nil {
		return nil, err
	}
	p.sidKey = deriveKey(opts.CryptoKey, "stepup oidc sid v1")
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                opts.CryptoKey,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          supportedScopes,
		SupportedClaims:          supportedClaims,
		DefaultLogoutRedirectURI: signedOutPath,
	}, storage{p}, op.StaticIssuer(opts.Issuer), op.WithAllowInsecure(),
		// Authenticated encryption for codes and opaque tokens: the
		// default also decrypts unauthenticated AES-CFB, which accepts
		// forged strings.
		op.WithCrypto(crypto),
		// Hints are ID tokens stepup issued, in any algorithm it signs
		// with; zitadel/oidc accepts RS256, ES256 and PS256 by default,
		// which refuses an EdDSA client's own ID token.
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(opts.Keys.Algorithms()...)))
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p.op = provider
	endpoints := op.Endpoints{
		Authorization: op.NewEndpoint("/authorize"),
		Token:         op.NewEndpoint("/oauth/token"),
		Introspection: op.NewEndpoint("/oauth/introspect"),
		Userinfo:      op.NewEndpoint("/userinfo"),
		Revocation:    op.NewEndpoint("/oauth/revoke"),
		EndSession:    op.NewEndpoint("/end_session"),
		JwksURI:       op.NewEndpoint("/keys"),
	}
	srv := &server{LegacyServer: op.NewLegacyServer(provider, endpoints), p: p}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+flowStartPath, p.flowStart)
	mux.HandleFunc("GET "+signedOutPath, signedOut)
	mux.HandleFunc("GET "+signOutPath, p.signOut)
	mux.HandleFunc("POST "+signOutPath, p.signOut)
	endpointsHandler := op.RegisterServer(srv, endpoints)
	mux.Handle("/", endpointsHandler)
	mux.Handle(endpoints.Userinfo.Relative(), bearerChallenge(endpointsHandler))
	for _, e := range []*op.Endpoint{endpoints.Token, endpoints.Revocation} {
		mux.Handle(e.Relative(), clientEndpoint(opts.Issuer, endpointsHandler))
	}
	mux.Handle(endpoints.Introspection.Relative(), clientEndpoint(opts.Issuer, callerWithSecret(endpointsHandler)))
	// Discovery and the endpoints read the issuer from the request
	// context. (Continue, called from the hosted pages, runs outside this
	// interceptor: nothing it calls reads the issuer so.)
	p.handler = p.withOrigin(op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(mux))
	return p, nil
}

// Handler serves the provider's endpoints.
func (p *Provider) Handler() http.Handler { return p.handler }

var supportedClaims = []string{
	"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp", "sid",
	"name", "preferred_username", "email", "email_verified",
}

// Reviews keeps the sign-ins held for review, as action records a person
// decides on through the track API.
type Reviews interface {
	// Hold records the decision under key, once, and returns the state:
	// stepup.StateReviewRequired, StateReviewSucceeded or
	// StateReviewFailed.
	Hold(ctx context.Context, userID, action, key string, d stepup.Decision) (string, error)
}

// Decisions keeps the final decisions of sign-ins.
type Decisions interface {
	Record(ctx context.Context, userID, action, key string, d stepup.Decision) error
}

// randomID returns 128 random bits, base64url.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// errUserDisabled refuses what an account an operator disabled asks for.
var errUserDisabled = errors.New("oidc: the account is disabled")

// activeUser returns the user userID if the account exists and is not
// disabled. A disabled account keeps its sessions and grants in the store,
// so that enabling it again restores them, but none of them counts while
// it is disabled: no sign-in by session, no code, no refresh, no userinfo,
// no active introspection.
func (p *Provider) activeUser(ctx context.Context, userID string) (*store.User, error) {
	u, err := p.store.Users().Get(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("oidc: user: %w", err)
	}
	if u.Disabled {
		return nil, errUserDisabled
	}
	return u, nil
}

// userinfo fills the claims the scopes grant to an active user.
func (p *Provider) userinfo(ctx context.Context, info *oidc.UserInfo, userID string, scopes []string) error {
	u, err := p.activeUser(ctx, userID)
	if err != nil {
		return err
	}
	info.Subject = u.ID
	for _, s := range scopes {
		switch s {
		case oidc.ScopeProfile:
			info.PreferredUsername = u.Username
			info.Name = u.DisplayName
		case oidc.ScopeEmail:
			info.Email = u.Email
			info.EmailVerified = oidc.Bool(u.EmailVerified)
		}
	}
	return nil
}
