package upstream

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Forwarding is what a Provider asks the upstream for when the relying
// party asks stepup for a level.
type Forwarding string

// The forwarding modes (config.ForwardACR).
const (
	ForwardNever Forwarding = "never"
	ForwardAsIs  Forwarding = "forward"
	ForwardMap   Forwarding = "map"
)

// Config is one upstream.
type Config struct {
	ID, Name               string
	Issuer                 string
	ClientID, ClientSecret string
	Scopes                 []string
	// RedirectURI is stepup's callback for this upstream, registered there.
	RedirectURI string
	Claims      ClaimNames
	LinkByEmail bool
	Trust       Trust
	Forward     Forwarding
	// ACRMap is ForwardMap's table, from stepup level to upstream value.
	ACRMap map[acr.Level]string
	// HTTPClient talks to the upstream; nil: a client with a 10 s timeout.
	HTTPClient *http.Client
	Now        func() time.Time
}

// Provider is one upstream OpenID Provider.
type Provider struct {
	cfg Config

	mu    sync.Mutex
	party rp.RelyingParty // built on first use, after discovery
	// failed and failure are the last failed discovery: for
	// retryDiscovery after it, every sign-in gets that error at once,
	// rather than each waiting on the lock for its own timeout.
	failed  time.Time
	failure error
}

// retryDiscovery is how long a failed discovery is answered from memory.
const retryDiscovery = 5 * time.Second

// New returns the upstream of cfg. It does not contact the upstream: its
// discovery document is fetched on first use, and again after a failure,
// so that stepup starts while an upstream is down.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.ID == "", cfg.Issuer == "", cfg.ClientID == "", cfg.RedirectURI == "":
		return nil, errors.New("upstream: ID, Issuer, ClientID and RedirectURI are required")
	case cfg.Forward == ForwardMap && len(cfg.ACRMap) == 0:
		return nil, errors.New("upstream: forwarding by map needs an ACRMap")
	}
	if cfg.Forward == "" {
		cfg.Forward = ForwardNever
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ID
	}
	return &Provider{cfg: cfg}, nil
}

// ID names the upstream in URLs.
func (p *Provider) ID() string { return p.cfg.ID }

// Name is the sign-in button's label.
func (p *Provider) Name() string { return p.cfg.Name }

// LinkByEmail says a new identity of this upstream may take over the user
// of its verified email.
func (p *Provider) LinkByEmail() bool { return p.cfg.LinkByEmail }

// relyingParty returns the rp client, running discovery on first use.
// PKCE and the nonce are ours (rp.WithPKCE would keep the verifier in a
// cookie of its own, unbound to the flow), and the nonce is checked by
// the verifier against the one the context carries.
func (p *Provider) relyingParty(ctx context.Context) (rp.RelyingParty, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.party != nil {
		return p.party, nil
	}
	if now := p.cfg.Now(); p.failure != nil && now.Before(p.failed.Add(retryDiscovery)) && !now.Before(p.failed) {
		return nil, p.failure
	}
	party, err := rp.NewRelyingPartyOIDC(ctx, p.cfg.Issuer, p.cfg.ClientID, p.cfg.ClientSecret, p.cfg.RedirectURI, p.cfg.Scopes,
		rp.WithHTTPClient(p.cfg.HTTPClient),
		rp.WithVerifierOpts(rp.WithNonce(nonceFrom), rp.WithIssuedAtOffset(time.Minute)),
		rp.WithSigningAlgsFromDiscovery(),
	)
	if err != nil {
		p.failed, p.failure = p.cfg.Now(), fmt.Errorf("upstream: %s: discovery: %w", p.cfg.ID, err)
		return nil, p.failure
	}
	p.party = party
	return party, nil
}

type nonceKey struct{}

// nonceFrom is the nonce the ID token must carry: the one of the attempt
// being finished. An empty one would match a token without a nonce, so
// Exchange never runs without one.
func nonceFrom(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey{}).(string)
	return n
}

// ACRValues are the acr_values to ask the upstream for, for a flow that
// needs level and whose relying party sent requested.
func (p *Provider) ACRValues(level acr.Level, requested []string) []string {
	switch p.cfg.Forward {
	case ForwardAsIs:
		return requested
	case ForwardMap:
		// The upstream's value for the level needed, or for the lowest
		// level above it that the map names: asking for less would be
		// asking for a sign-in stepup would have to step up anyway.
		for l := level; l <= acr.PhishingResistantHardware; l++ {
			if v, ok := p.cfg.ACRMap[l]; ok && l >= acr.OneFactor {
				return []string{v}
			}
		}
	}
	return nil
}

// AuthURL is the upstream's authorization URL for one attempt: the code
// flow with state, nonce and PKCE S256 of verifier, acr_values (none when
// empty), and max_age when maxAge is not negative: the upstream must not
// answer with an older sign-in of its own than the flow can count.
func (p *Provider) AuthURL(ctx context.Context, state, nonce, verifier string, acrValues []string, maxAge time.Duration) (string, error) {
	party, err := p.relyingParty(ctx)
	if err != nil {
		return "", err
	}
	opts := []rp.AuthURLOpt{
		rp.WithCodeChallenge(oidc.NewSHACodeChallenge(verifier)),
		rp.AuthURLOpt(rp.WithURLParam("nonce", nonce)),
	}
	if len(acrValues) > 0 {
		opts = append(opts, rp.AuthURLOpt(rp.WithURLParam("acr_values", strings.Join(acrValues, " "))))
	}
	if maxAge >= 0 {
		opts = append(opts, rp.AuthURLOpt(rp.WithURLParam("max_age", strconv.FormatInt(int64(maxAge/time.Second), 10))))
		if maxAge < time.Second {
			// Some providers (Cognito) ignore max_age but honour
			// prompt=login.
			opts = append(opts, rp.WithPrompt(oidc.PromptLogin))
		}
	}
	return rp.AuthURL(state, party, opts...), nil
}

// ErrNonce means the ID token's nonce is not the attempt's: a token meant
// for another sign-in, replayed into this one.
var ErrNonce = errors.New("upstream: the ID token's nonce is not this sign-in's")

// Exchange redeems code with verifier and verifies the ID token: issuer,
// audience, signature, expiry and nonce. It returns who signed in and the
// verification the trust map makes of it.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (stepup.UpstreamIdentity, store.Verification, error) {
	if nonce == "" {
		return stepup.UpstreamIdentity{}, store.Verification{}, errors.New("upstream: an exchange needs the attempt's nonce")
	}
	party, err := p.relyingParty(ctx)
	if err != nil {
		return stepup.UpstreamIdentity{}, store.Verification{}, err
	}
	ctx = context.WithValue(ctx, nonceKey{}, nonce)
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, party, rp.WithCodeVerifier(verifier))
	switch {
	case errors.Is(err, oidc.ErrNonceInvalid):
		return stepup.UpstreamIdentity{}, store.Verification{}, fmt.Errorf("%w: %w", ErrNonce, err)
	case err != nil:
		return stepup.UpstreamIdentity{}, store.Verification{}, fmt.Errorf("upstream: %s: code exchange: %w", p.cfg.ID, err)
	}
	payload, err := payloadOf(tokens.IDToken)
	if err != nil {
		return stepup.UpstreamIdentity{}, store.Verification{}, err
	}
	c, err := ParseClaims(payload, p.cfg.Claims)
	if err != nil {
		return stepup.UpstreamIdentity{}, store.Verification{}, err
	}
	return c.Identity(p.cfg.ID), p.cfg.Trust.Verify(c, p.cfg.Now()), nil
}

// payloadOf returns the payload of a compact JWS that rp has verified.
func payloadOf(jws string) ([]byte, error) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return nil, errors.New("upstream: the ID token is not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("upstream: ID token payload: %w", err)
	}
	return b, nil
}
