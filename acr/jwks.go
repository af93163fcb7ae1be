package acr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeySet gives the public keys that may have signed a token. It is the seam
// between token verification and key distribution: tests and offline programs
// use a StaticKeySet, APIs in front of an issuer a RemoteKeySet.
//
// Keys returns the keys whose key ID equals kid, or every key when kid is
// empty (a token without a kid header). Each key returned is public,
// asymmetric and valid, with use "sig" or no use at all; its Algorithm is
// left as published, so the caller must refuse a key whose Algorithm is set
// and differs from the token's alg header.
//
// When no key matches, Keys returns an error wrapping ErrUnknownKey, after at
// most one refresh of the set (if the implementation refreshes, and only when
// its rate limit permits one).
type KeySet interface {
	Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error)
}

// ErrUnknownKey is returned, wrapped, by a KeySet that has no key for the
// token's kid.
var ErrUnknownKey = errors.New("acr: no key for the token's kid")

var (
	_ KeySet = (*StaticKeySet)(nil)
	_ KeySet = (*RemoteKeySet)(nil)
)

// StaticKeySet is a fixed KeySet, for tests and for APIs that are given their
// issuer's keys out of band. It never refreshes.
type StaticKeySet struct {
	keys []jose.JSONWebKey
}

// NewStaticKeySet checks every key of set and returns them as a KeySet. It
// refuses, rather than drops, a key a verifier cannot use: a private or
// symmetric key (a resource server should never hold one), a key whose use is
// not "sig", and an invalid key.
func NewStaticKeySet(set jose.JSONWebKeySet) (*StaticKeySet, error) {
	for i, k := range set.Keys {
		if err := checkVerificationKey(k); err != nil {
			return nil, fmt.Errorf("acr: key %d (kid %q): %w", i, k.KeyID, err)
		}
	}
	return &StaticKeySet{keys: slices.Clone(set.Keys)}, nil
}

// ParseStaticKeySet reads a JWK Set (RFC 7517 §5) from JSON and checks it as
// NewStaticKeySet does.
func ParseStaticKeySet(data []byte) (*StaticKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("acr: parsing JWK set: %w", err)
	}
	return NewStaticKeySet(set)
}

// Keys returns the keys with key ID kid, or all keys when kid is empty.
func (s *StaticKeySet) Keys(_ context.Context, kid string) ([]jose.JSONWebKey, error) {
	return lookup(s.keys, kid)
}

// checkVerificationKey says why k cannot verify a signature, or nil.
func checkVerificationKey(k jose.JSONWebKey) error {
	switch {
	case k.Key == nil:
		return errors.New("invalid key")
	case !k.IsPublic():
		// IsPublic is false for private and symmetric keys alike.
		return errors.New("private or symmetric key; a verifier needs only public keys")
	case !k.Valid():
		return errors.New("invalid key")
	case k.Use != "" && k.Use != "sig":
		return fmt.Errorf("use %q, not \"sig\"", k.Use)
	}
	return nil
}

func lookup(keys []jose.JSONWebKey, kid string) ([]jose.JSONWebKey, error) {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid == "" || k.KeyID == kid {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}
	return out, nil
}

// Defaults of a RemoteKeySet.
const (
	// DefaultTTL is how long a fetched JWK set is used without refetching.
	DefaultTTL = time.Hour
	// DefaultMinRefreshInterval is the least time between two fetches.
	DefaultMinRefreshInterval = 30 * time.Second
	// DefaultFetchTimeout bounds each request to the issuer.
	DefaultFetchTimeout = 10 * time.Second
	// MaxDocumentSize bounds the discovery document and the JWK set read.
	MaxDocumentSize = 1 << 20
)

// RemoteKeySet is a KeySet that follows an OpenID provider's published keys.
// Create it with NewRemoteKeySet; it is safe for concurrent use.
//
// The set is cached for its TTL: DefaultTTL, or a shorter Cache-Control
// max-age sent with the set, so an issuer can announce a rotation; a longer
// max-age is capped, bounding how long a withdrawn key is trusted. Keys
// refetches the set when the TTL has passed, or when no key matches the kid
// asked for; either refetch happens at most once per minimum refresh interval
// (DefaultMinRefreshInterval), so tokens with random kids cannot make it
// hammer the issuer, and a max-age below that interval (or no-store) acts as
// the interval. Concurrent callers share one fetch, which the first caller's
// cancellation does not abort. A failed refetch keeps the last good set in
// service, however old, until a refetch succeeds.
//
// Keys of the published set that cannot verify a signature are dropped: keys
// with a use other than "sig", private and symmetric ("oct") keys, and keys
// go-jose cannot parse or finds invalid.
type RemoteKeySet struct {
	issuer     string
	jwksURI    string
	client     *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration
	timeout    time.Duration

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	expires     time.Time     // when the cached set goes stale
	lastAttempt time.Time     // start of the last fetch, failed or not
	inflight    chan struct{} // closed when the running fetch ends; nil if none
}

// RemoteOption configures a RemoteKeySet.
type RemoteOption func(*RemoteKeySet)

// WithHTTPClient sets the client that fetches discovery and keys
// (default http.DefaultClient).
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(r *RemoteKeySet) { r.client = c }
}

// WithClock sets the time source of the cache (default time.Now).
func WithClock(now func() time.Time) RemoteOption {
	return func(r *RemoteKeySet) { r.now = now }
}

// WithTTL sets how long a fetched set is used before it is refetched
// (default DefaultTTL). A shorter Cache-Control max-age wins.
func WithTTL(d time.Duration) RemoteOption {
	return func(r *RemoteKeySet) { r.ttl = d }
}

// WithMinRefreshInterval sets the least time between two fetches of the set
// (default DefaultMinRefreshInterval).
func WithMinRefreshInterval(d time.Duration) RemoteOption {
	return func(r *RemoteKeySet) { r.minRefresh = d }
}

// WithFetchTimeout bounds each HTTP request (default DefaultFetchTimeout).
func WithFetchTimeout(d time.Duration) RemoteOption {
	return func(r *RemoteKeySet) { r.timeout = d }
}

// NewRemoteKeySet reads issuer's OpenID Provider metadata from
// issuer + "/.well-known/openid-configuration", checks that its issuer is
// exactly the one given (OpenID Connect Discovery §4.3), and fetches the JWK
// set at its jwks_uri. Both URLs must be https, or http on localhost,
// 127.0.0.1 or [::1]. It returns an error if any step fails, so that a
// misconfigured API fails at startup rather than on its first request.
func NewRemoteKeySet(ctx context.Context, issuer string, opts ...RemoteOption) (*RemoteKeySet, error) {
	r := &RemoteKeySet{
		issuer:     issuer,
		client:     http.DefaultClient,
		now:        time.Now,
		ttl:        DefaultTTL,
		minRefresh: DefaultMinRefreshInterval,
		timeout:    DefaultFetchTimeout,
	}
	for _, o := range opts {
		o(r)
	}
	if err := checkFetchURL(issuer); err != nil {
		return nil, fmt.Errorf("acr: issuer: %w", err)
	}
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := r.get(ctx, wellKnown)
	if err != nil {
		return nil, fmt.Errorf("acr: discovery: %w", err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return nil, fmt.Errorf("acr: discovery: %w", err)
	}
	if meta.Issuer != issuer {
		return nil, fmt.Errorf("acr: discovery: issuer %q does not match %q", meta.Issuer, issuer)
	}
	if err := checkFetchURL(meta.JWKSURI); err != nil {
		return nil, fmt.Errorf("acr: discovery: jwks_uri: %w", err)
	}
	r.jwksURI = meta.JWKSURI
	r.mu.Lock()
	r.lastAttempt = r.now()
	r.mu.Unlock()
	keys, expires, err := r.fetch(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.keys, r.expires = keys, expires
	r.mu.Unlock()
	return r, nil
}

// Issuer returns the issuer the set was discovered from.
func (r *RemoteKeySet) Issuer() string { return r.issuer }

// JWKSURI returns the jwks_uri of the issuer's metadata.
func (r *RemoteKeySet) JWKSURI() string { return r.jwksURI }

// Keys returns the keys with key ID kid, or all keys when kid is empty,
// refetching the set as the type's documentation describes.
func (r *RemoteKeySet) Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	r.mu.Lock()
	now := r.now()
	keys, err := lookup(r.keys, kid)
	if err == nil && now.Before(r.expires) {
		r.mu.Unlock()
		return keys, nil
	}
	if err == nil {
		// Stale, but the key is known: refresh in the background and
		// answer now, so that a slow or unreachable issuer delays no
		// request whose key the set already has.
		if r.inflight == nil && now.Sub(r.lastAttempt) >= r.minRefresh {
			r.inflight = make(chan struct{})
			r.lastAttempt = now
			go r.refresh(ctx, r.inflight)
		}
		r.mu.Unlock()
		return keys, nil
	}
	wait := r.inflight
	if wait == nil {
		if now.Sub(r.lastAttempt) < r.minRefresh {
			// Rate limited: serve what we have, stale or not.
			r.mu.Unlock()
			return keys, err
		}
		wait = make(chan struct{})
		r.inflight = wait
		r.lastAttempt = now
		go r.refresh(ctx, wait)
	}
	r.mu.Unlock()

	select {
	case <-wait:
	case <-ctx.Done():
		return nil, fmt.Errorf("acr: waiting for keys: %w", ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return lookup(r.keys, kid)
}

// refresh fetches the set and, on success, replaces the cache. It runs apart
// from the caller that started it, so that caller's cancellation does not
// fail the others waiting on the same fetch.
func (r *RemoteKeySet) refresh(ctx context.Context, done chan struct{}) {
	keys, expires, err := r.fetch(context.WithoutCancel(ctx))
	r.mu.Lock()
	if err == nil {
		r.keys, r.expires = keys, expires
	}
	r.inflight = nil
	r.mu.Unlock()
	close(done)
}

// fetch gets and filters the JWK set, and computes when it goes stale.
func (r *RemoteKeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, time.Time, error) {
	body, header, err := r.get(ctx, r.jwksURI)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("acr: fetching keys: %w", err)
	}
	keys, err := parseRemoteKeys(body)
	if err != nil {
		return nil, time.Time{}, err
	}
	ttl := r.ttl
	if age, ok := maxAge(header.Get("Cache-Control")); ok && age < ttl {
		ttl = age
	}
	return keys, r.now().Add(ttl), nil
}

// parseRemoteKeys reads a JWK set from an issuer, dropping the keys that
// cannot verify a signature. Keys are decoded one by one so that one key of a
// kind go-jose does not know does not hide the others.
func parseRemoteKeys(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("acr: parsing JWK set: %w", err)
	}
	if raw.Keys == nil {
		return nil, errors.New("acr: parsing JWK set: no \"keys\" member")
	}
	var keys []jose.JSONWebKey
	for _, m := range raw.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(m) != nil || checkVerificationKey(k) != nil {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// maxAge reads the max-age directive of a Cache-Control header. no-store and
// no-cache count as max-age=0.
func maxAge(cc string) (time.Duration, bool) {
	for d := range strings.SplitSeq(cc, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return 0, true
		case "max-age":
			s, err := strconv.ParseUint(strings.Trim(value, `"`), 10, 32)
			if err != nil {
				return 0, false
			}
			return time.Duration(s) * time.Second, true
		}
	}
	return 0, false
}

// get fetches u with a timeout, requiring 200 OK and a body of at most
// MaxDocumentSize bytes, from a URL checkFetchURL accepts even after redirects.
func (r *RemoteKeySet) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if err := checkFetchURL(resp.Request.URL.String()); err != nil {
		return nil, nil, fmt.Errorf("redirected: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(body) > MaxDocumentSize {
		return nil, nil, fmt.Errorf("%s: larger than %d bytes", u, MaxDocumentSize)
	}
	return body, resp.Header, nil
}

// checkFetchURL accepts https URLs, and http ones on the loopback host names
// a developer runs an issuer on.
func checkFetchURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
			return nil
		}
	}
	return fmt.Errorf("%q is neither https nor http on localhost", s)
}
