package acr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of an Introspector.
const (
	// DefaultIntrospectionCacheTTL is how long an Introspector answers a
	// token from its cache before asking again: a token revoked at the
	// authorization server is still taken for at most this long.
	DefaultIntrospectionCacheTTL = 30 * time.Second
	// DefaultIntrospectionTimeout bounds one introspection request.
	DefaultIntrospectionTimeout = 10 * time.Second
)

// maxIntrospectionResponse caps the body read from the endpoint: an
// answer is a few hundred bytes, and a larger one is no answer.
const maxIntrospectionResponse = 1 << 20

// IntrospectorConfig configures an Introspector. Issuer is required.
type IntrospectorConfig struct {
	// Issuer is the authorization server's issuer: an answer that has an
	// iss must carry exactly this one.
	Issuer string
	// Audience is this API's identifier, which the answer's aud (a string
	// or a list) must contain. Required: many authorization servers let
	// any client introspect any token, and without it a token issued for
	// another API would do.
	Audience string
	// Scheme maps the acr of the answer to a Level; nil means
	// NewScheme(nil).
	Scheme *Scheme
	// HTTPClient asks the endpoint; nil means a client that follows no
	// redirect (a redirect is an error).
	HTTPClient *http.Client
	// Timeout bounds each request to the endpoint: 0 means
	// DefaultIntrospectionTimeout.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed for exp, nbf, iat and auth_time: 0
	// means DefaultLeeway, a negative value none at all.
	Leeway time.Duration
	// CacheSize bounds the cache of active answers: 0 means
	// DefaultCacheSize, a negative value no cache. It is rounded as
	// VerifierConfig.CacheSize is.
	CacheSize int
	// CacheTTL is how long an active answer is kept, never past the
	// token's exp: 0 means DefaultIntrospectionCacheTTL, a negative value
	// no cache. An inactive answer is never kept, so a token becomes
	// valid as soon as the server says so.
	CacheTTL time.Duration
}

// Introspector checks opaque access tokens by asking the authorization
// server's introspection endpoint (RFC 7662), and applies to the answer
// the checks a Verifier applies to a JWT's claims. It is a TokenVerifier,
// so Middleware takes it as it takes a Verifier. Create it with
// NewIntrospector; it is safe for concurrent use.
type Introspector struct {
	endpoint string
	auth     string // the Authorization header
	issuer   string
	audience string
	scheme   *Scheme
	client   *http.Client
	timeout  time.Duration
	leeway   time.Duration
	now      func() time.Time
	cache    *tokenCache // nil: no cache
	cacheTTL time.Duration

	// Requests to the endpoint: one per token at a time, shared by the
	// requests that carry it (calls), and at most maxInFlight in all
	// (slots), so that a flood of bad tokens, which no cache keeps, cannot
	// flood the authorization server.
	mu    sync.Mutex
	calls map[[32]byte]*introspectionCall
	slots chan struct{}
}

// maxInFlight bounds the introspection requests an Introspector makes at
// once; beyond it, Verify answers an error without ErrInvalidToken (503 from
// Middleware).
const maxInFlight = 64

// introspectionCall is one request to the endpoint, which the requests for
// the same token wait on.
type introspectionCall struct {
	done   chan struct{}
	claims *Claims
	err    error
}

// NewIntrospector returns an Introspector that asks endpoint, the
// authorization server's introspection endpoint (stepup's discovery
// document names it introspection_endpoint), authenticating as the client
// clientID with clientSecret (client_secret_basic). endpoint must be https,
// or http on localhost, 127.0.0.1 or [::1] only: the client secret and the
// tokens travel in it.
func NewIntrospector(endpoint, clientID, clientSecret string, c IntrospectorConfig) (*Introspector, error) {
	var errs []error
	if err := checkEndpoint(endpoint); err != nil {
		errs = append(errs, err)
	}
	if clientID == "" {
		errs = append(errs, errors.New("acr: introspector: client id is required"))
	}
	if c.Issuer == "" {
		errs = append(errs, errors.New("acr: introspector: issuer is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("acr: introspector: audience is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// RFC 6749 §2.3.1: the client id and secret are form-urlencoded
	// before they are joined by ':', so either may hold a ':'.
	creds := url.QueryEscape(clientID) + ":" + url.QueryEscape(clientSecret)
	in := &Introspector{
		endpoint: endpoint, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(creds)),
		issuer: c.Issuer, audience: c.Audience, scheme: c.Scheme, client: c.HTTPClient,
		timeout: c.Timeout, leeway: c.Leeway, now: c.Now, cacheTTL: c.CacheTTL,
		calls: map[[32]byte]*introspectionCall{}, slots: make(chan struct{}, maxInFlight),
	}
	if in.client == nil {
		in.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if in.timeout <= 0 {
		in.timeout = DefaultIntrospectionTimeout
	}
	in.leeway = leewayOf(in.leeway)
	if in.now == nil {
		in.now = time.Now
	}
	if in.cacheTTL == 0 {
		in.cacheTTL = DefaultIntrospectionCacheTTL
	}
	if in.cacheTTL > 0 {
		in.cache = cacheOf(c.CacheSize)
	}
	return in, nil
}

// checkEndpoint refuses an endpoint that is not https, or http on the
// loopback, by the rule the key set's URLs follow (checkFetchURL).
func checkEndpoint(endpoint string) error {
	if err := checkFetchURL(endpoint); err != nil {
		return fmt.Errorf("acr: introspector: endpoint must be https, or http on localhost: %w", err)
	}
	return nil
}

// Now is the time by the introspector's clock (IntrospectorConfig.Now),
// which Middleware checks a Requirement's MaxAge against.
func (in *Introspector) Now() time.Time { return in.now() }

// introspection is the member of an introspection answer (RFC 7662 §2.2)
// read first: the rest of an inactive answer is not read.
type introspection struct {
	Active    json.RawMessage `json:"active"`
	TokenType string          `json:"token_type"`
}

// Verify asks the introspection endpoint about raw and returns its claims.
// The answer must be active, have an iss equal to the issuer if it has
// one, an aud containing the audience if one is configured, an exp in the
// future, no nbf, iat or auth_time in the future (nor an auth_time after
// iat), and a sub, as Verifier.Verify asks of a JWT.
//
// An inactive answer, and any refusal, wraps ErrInvalidToken. An endpoint
// that cannot be reached, that answers other than 200, or whose answer is
// not an introspection answer (no boolean active) gives an error without
// ErrInvalidToken: the token may be good.
//
// An active answer is kept for IntrospectorConfig.CacheTTL, at most until
// the token's exp: a token revoked meanwhile is still taken until then.
func (in *Introspector) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > MaxTokenLength {
		return nil, invalid("longer than %d bytes", MaxTokenLength)
	}
	sum := hashToken(raw)
	if in.cache != nil {
		if c := in.cache.get(sum, in.now()); c != nil {
			return c, nil
		}
	}
	in.mu.Lock()
	call, joined := in.calls[sum]
	if !joined {
		call = &introspectionCall{done: make(chan struct{})}
		in.calls[sum] = call
	}
	in.mu.Unlock()
	if !joined {
		// The request serves everyone waiting: the first caller leaving
		// must not fail it for the others (it is bounded by the timeout).
		call.claims, call.err = in.ask(context.WithoutCancel(ctx), raw, sum)
		in.mu.Lock()
		delete(in.calls, sum)
		in.mu.Unlock()
		close(call.done)
	}
	select {
	case <-call.done:
		return call.claims, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("acr: introspection: %w", ctx.Err())
	}
}

// ask makes the one request for a token, within the bound of requests in
// flight, and caches an active answer.
func (in *Introspector) ask(ctx context.Context, raw string, sum [32]byte) (*Claims, error) {
	select {
	case in.slots <- struct{}{}:
		defer func() { <-in.slots }()
	default:
		return nil, fmt.Errorf("acr: introspection: %d requests already in flight", maxInFlight)
	}
	c, err := in.introspect(ctx, raw)
	if err != nil {
		return nil, err
	}
	if in.cache != nil {
		now := in.now()
		in.cache.put(sum, c, now.Add(in.cacheTTL), now)
	}
	return c, nil
}

// introspect is Verify without the cache.
func (in *Introspector) introspect(ctx context.Context, raw string) (*Claims, error) {
	if raw == "" {
		return nil, invalid("empty token")
	}
	ctx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	form := url.Values{"token": {raw}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("acr: introspection: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", in.auth)
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("acr: introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("acr: introspection: the endpoint answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionResponse+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("acr: introspection: reading the answer: %w", err)
	case len(body) > maxIntrospectionResponse:
		return nil, fmt.Errorf("acr: introspection: the answer is over %d bytes", maxIntrospectionResponse)
	}
	var ans introspection
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("acr: introspection: the answer: %w", err)
	}
	switch string(ans.Active) {
	case "true":
	case "false":
		return nil, invalid("inactive")
	default:
		return nil, fmt.Errorf("acr: introspection: the answer's active is %q, not a boolean", ans.Active)
	}
	// token_type_hint is only a hint (RFC 7662 §2.1): a server may answer
	// active for a refresh token, which is no bearer access token.
	if t := ans.TokenType; t != "" && !strings.EqualFold(t, "Bearer") && !strings.EqualFold(t, "access_token") {
		return nil, invalid("token_type %q is not an access token", t)
	}
	tc := &tokenClaims{}
	if err := json.Unmarshal(body, tc); err != nil {
		return nil, fmt.Errorf("acr: introspection: the answer: %w", err)
	}
	if tc.Issuer == "" {
		tc.Issuer = in.issuer // the server that answered is the issuer
	}
	switch {
	case tc.Issuer != "" && tc.Issuer != in.issuer:
		return nil, invalid("iss %q is not %q", tc.Issuer, in.issuer)
	case !slices.Contains(tc.Audience, in.audience):
		return nil, invalid("aud %q does not contain %q", []string(tc.Audience), in.audience)
	default:
		return tc.check(in.now(), in.leeway, in.scheme)
	}
}
