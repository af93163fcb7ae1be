package apikey

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// CacheTTL is how long a verified key's record is used without
	// reading the store again, and so how long a revoked key may still
	// be accepted. A few seconds spare the store almost every read of a
	// busy API (10,000 requests a second with one key: one read in
	// 50,000) and keep revocation prompt.
	CacheTTL = 5 * time.Second
	// cacheSize bounds the records kept. Only stored keys' records are
	// cached, so guesses with made-up ids cannot fill it; a deployment
	// has tens of keys, not thousands.
	cacheSize = 1024
	// touchEvery is how often a key's LastUsedAt is written: it says
	// whether a key is still in use, to the minute, without a store write
	// per request.
	touchEvery = time.Minute
)

// Authenticator checks API keys against the store.
type Authenticator struct {
	keys store.APIKeys
	now  func() time.Time
	// Log receives what the client is not told: why a key was refused,
	// a store that fails. Set it before use; nil logs nothing.
	Log *slog.Logger

	mu    sync.RWMutex      // the hot path only reads
	cache map[string]*entry // by key id
}

// entry is a verified key's record, as read at fetched, and when its use
// was last recorded (by this process or, as read, by any).
type entry struct {
	rec     *store.APIKey
	fetched time.Time
	touched time.Time
}

// New returns an Authenticator over keys; now is its clock (nil:
// time.Now), for expiry, the cache and LastUsedAt.
func New(keys store.APIKeys, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{keys: keys, now: now, cache: map[string]*entry{}}
}

// Why a key is refused. Only a key whose secret verified is told more than
// "not valid": it is its holder asking.
var (
	errMissing   = errors.New("apikey: no API key")
	errInvalid   = errors.New("apikey: the API key is not valid")
	errExpired   = errors.New("apikey: the API key has expired")
	errWrongKind = errors.New("apikey: the API key is not of the kind this API takes")
)

// Verify checks key, of kind, and returns its record. It reads the store
// only for a key not verified in the last CacheTTL, and writes LastUsedAt
// at most every minute. Its errors are safe to show, but for a failing
// store, whose error it wraps.
func (a *Authenticator) Verify(ctx context.Context, kind, key string) (*store.APIKey, error) {
	p, err := parse(key)
	if err != nil {
		return nil, errInvalid
	}
	now := a.now()
	rec, err := a.lookup(ctx, p.id, now)
	if err != nil {
		return nil, err
	}
	// The map lookup above went by the public id; the secret is compared
	// here, in constant time, on every request, cached or not.
	if subtle.ConstantTimeCompare([]byte(hash(key)), []byte(rec.Hash)) != 1 || rec.Kind != p.kind {
		return nil, errInvalid
	}
	if !store.Live(rec.ExpiresAt, now) {
		return nil, errExpired
	}
	if rec.Kind != kind {
		return nil, errWrongKind
	}
	if err := a.touch(ctx, p.id, now); err != nil {
		return nil, err
	}
	return rec.Clone(), nil
}

// lookup returns the record of id, from the cache if it was read less
// than CacheTTL ago.
func (a *Authenticator) lookup(ctx context.Context, id string, now time.Time) (*store.APIKey, error) {
	a.mu.RLock()
	e, ok := a.cache[id]
	a.mu.RUnlock()
	if ok && now.Sub(e.fetched) < CacheTTL && !now.Before(e.fetched) {
		return e.rec, nil
	}
	rec, err := a.keys.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		a.forget(id)
		return nil, errInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: read key %s: %w", id, err)
	}
	a.remember(id, rec, now)
	return rec, nil
}

// remember caches rec. It is cached before the secret is checked: a
// guess at a real id (ids are not secret) costs the store what a request
// with the key would, and the secret is checked against the record
// whichever request brought it in.
func (a *Authenticator) remember(id string, rec *store.APIKey, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[id]; !ok && len(a.cache) >= cacheSize {
		for k, e := range a.cache {
			if now.Sub(e.fetched) >= CacheTTL {
				delete(a.cache, k)
			}
		}
		for k := range a.cache { // all fresh: any one goes
			if len(a.cache) < cacheSize {
				break
			}
			delete(a.cache, k)
		}
	}
	touched := rec.LastUsedAt
	if old, ok := a.cache[id]; ok && old.touched.After(touched) {
		// A write of LastUsedAt may be under way: a record read before it
		// landed must not make another request write it again.
		touched = old.touched
	}
	a.cache[id] = &entry{rec: rec, fetched: now, touched: touched}
}

func (a *Authenticator) forget(id string) {
	a.mu.Lock()
	delete(a.cache, id)
	a.mu.Unlock()
}

// touch writes LastUsedAt if it was last written touchEvery ago or more.
// The cache entry is marked first, under the lock, so that of many
// requests at once only one writes; the store's record is read again, so
// that the write cannot undo a change made since it was cached, and a key
// deleted in between is refused.
func (a *Authenticator) touch(ctx context.Context, id string, now time.Time) error {
	a.mu.RLock()
	e, ok := a.cache[id]
	due := ok && now.Sub(e.touched) >= touchEvery
	a.mu.RUnlock()
	if !due {
		return nil
	}
	a.mu.Lock()
	e, ok = a.cache[id]
	if !ok || now.Sub(e.touched) < touchEvery {
		a.mu.Unlock()
		return nil // another request is writing it
	}
	a.cache[id] = &entry{rec: e.rec, fetched: e.fetched, touched: now}
	a.mu.Unlock()

	rec, err := a.keys.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		a.forget(id)
		return errInvalid
	}
	if err != nil {
		return fmt.Errorf("apikey: read key %s: %w", id, err)
	}
	rec.LastUsedAt = now
	// Losing the race to another writer (a replica's own touch) is as
	// good as winning: the key was used.
	if err := a.keys.Update(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		if errors.Is(err, store.ErrNotFound) {
			a.forget(id)
			return errInvalid
		}
		a.logError("apikey: recording the use of a key failed", id, err)
	}
	return nil
}

func (a *Authenticator) logError(msg, id string, err error) {
	if a.Log != nil {
		a.Log.Error(msg, "key_id", id, "err", err)
	}
}

type contextKey struct{}

// FromContext returns the key that authenticated the request of ctx, as
// Middleware put it there.
func FromContext(ctx context.Context) (*store.APIKey, bool) {
	k, ok := ctx.Value(contextKey{}).(*store.APIKey)
	return k, ok
}

// Author names the key that authenticated the request of ctx, as rule
// sets, review decisions and the audit trail record who acted: its name
// and its id ("backend (key 3fa2...)"), the id being what a revocation
// names. It is "" when ctx carries no key.
func Author(ctx context.Context) string {
	k, ok := FromContext(ctx)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s (key %s)", k.Name, k.ID)
}

// NewContext returns ctx carrying key, as Middleware does: for tests of
// the handlers behind it.
func NewContext(ctx context.Context, key *store.APIKey) context.Context {
	return context.WithValue(ctx, contextKey{}, key)
}

// Middleware lets through the requests that carry a valid key of kind in
// their Authorization header, as a Bearer token, with the key's record in
// their context (FromContext). Others get a 401 with a JSON error and
// WWW-Authenticate: Bearer. A key anywhere else (a query parameter, a
// cookie) is not looked at: URLs end up in logs.
func (a *Authenticator) Middleware(kind string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, err := bearer(r)
			var rec *store.APIKey
			if err == nil {
				rec, err = a.Verify(r.Context(), kind, key)
			}
			if err != nil {
				a.refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), rec)))
		})
	}
}

// bearer returns the token of the request's one Authorization header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return "", errMissing
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	// RFC 9110: the scheme is case-insensitive; RFC 6750: one space, then
	// the token.
	if len(h) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", errInvalid
	}
	return token, nil
}

// refuse answers a request whose key was refused.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if a.Log != nil {
		// Debug: a scan of guessed keys must not flood the log.
		a.Log.Debug("apikey: a request was refused", "method", r.Method, "path", r.URL.Path, "reason", err)
	}
	switch {
	case errors.Is(err, errMissing):
		// RFC 6750 §3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="stepup"`)
		api.WriteError(w, http.StatusUnauthorized, api.CodeUnauthenticated, "an API key is required: Authorization: Bearer <key>")
	case errors.Is(err, errInvalid), errors.Is(err, errExpired), errors.Is(err, errWrongKind):
		w.Header().Set("WWW-Authenticate", `Bearer realm="stepup", error="invalid_token"`)
		api.WriteError(w, http.StatusUnauthorized, api.CodeUnauthenticated, strings.TrimPrefix(err.Error(), "apikey: "))
	default:
		a.logError("apikey: the store failed checking a key", "", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.CodeUnavailable, "API keys cannot be checked now; try again later")
	}
}
