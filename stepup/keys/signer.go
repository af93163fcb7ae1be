package keys

import (
	"cmp"
	"context"
	"crypto"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stepup-auth/stepup/stepup/store"
)

// SigningKey is the key that signs new tokens of one algorithm. Its ID,
// SignatureAlgorithm and Key methods are those of zitadel/oidc's
// op.SigningKey, so the OpenID provider can return it as is.
type SigningKey struct {
	id     string
	alg    jose.SignatureAlgorithm
	signer crypto.Signer
}

// ID returns the key's kid.
func (k SigningKey) ID() string { return k.id }

// SignatureAlgorithm returns the JWS algorithm the key signs with.
func (k SigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }

// Key returns the private key (a *ecdsa.PrivateKey, *rsa.PrivateKey or
// ed25519.PrivateKey), as go-jose's signers take it.
func (k SigningKey) Key() any { return k.signer }

// Signer returns the private key as a crypto.Signer.
func (k SigningKey) Signer() crypto.Signer { return k.signer }

// JOSE returns the key for jose.NewSigner, with its kid, so that every
// signature names the key that made it.
func (k SigningKey) JOSE() jose.SigningKey {
	return jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.signer, KeyID: k.id, Algorithm: string(k.alg), Use: "sig"}}
}

// snapshot is what a Ring read from the store at one time.
type snapshot struct {
	loaded    time.Time
	published []publishedKey       // in JWKS order
	signing   map[string]activeKey // by algorithm, for the configured ones
}

type publishedKey struct {
	jwk       jose.JSONWebKey
	expiresAt time.Time
}

// activeKey is an algorithm's signing key, or why there is none.
type activeKey struct {
	key SigningKey
	err error
}

// cacheKey names a decrypted private key: a record's Version changes with
// every write to it, so a record changed by another process is decrypted
// again.
type cacheKey struct {
	kid     string
	version uint64
}

// Signer returns the key that signs tokens of alg ("" for the default
// algorithm, the first configured). It reads the store at most once per
// Options.Reload and otherwise costs a map look-up.
func (r *Ring) Signer(ctx context.Context, alg string) (SigningKey, error) {
	if alg == "" {
		alg = r.algs[0]
	}
	if !slices.Contains(r.algs, alg) {
		return SigningKey{}, r.unknown(alg)
	}
	s, err := r.current(ctx)
	if err != nil {
		return SigningKey{}, err
	}
	a, ok := s.signing[alg]
	if !ok {
		return SigningKey{}, fmt.Errorf("keys: %s has no active key; Ensure creates one: %w", alg, ErrNoKey)
	}
	return a.key, a.err
}

// current returns a snapshot no older than r.reload.
func (r *Ring) current(ctx context.Context) (*snapshot, error) {
	if s := r.snap.Load(); s != nil && r.fresh(s) {
		return s, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.snap.Load(); s != nil && r.fresh(s) {
		return s, nil // loaded by the caller we waited for
	}
	s, err := r.load(ctx)
	if err != nil {
		return nil, err
	}
	r.snap.Store(s)
	return s, nil
}

func (r *Ring) fresh(s *snapshot) bool {
	now := r.now()
	return !now.Before(s.loaded) && now.Sub(s.loaded) < r.reload
}

// invalidate makes the next call read the store, after a change made here.
// It waits for a load in progress, which may predate the change.
func (r *Ring) invalidate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snap.Store(nil)
}

// load reads every key from the store and decrypts the active ones it has
// not decrypted before. r.mu must be held.
func (r *Ring) load(ctx context.Context) (*snapshot, error) {
	recs, err := r.st.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: listing signing keys: %w", err)
	}
	now := r.now()
	slices.SortFunc(recs, r.jwksOrder)
	s := &snapshot{loaded: now, signing: map[string]activeKey{}}
	cache := map[cacheKey]crypto.Signer{}
	for _, rec := range recs {
		if !store.Live(rec.ExpiresAt, now) {
			continue
		}
		pub, err := publicKey(rec)
		if err != nil {
			return nil, err
		}
		s.published = append(s.published, publishedKey{jwk: pub, expiresAt: rec.ExpiresAt})
		if rec.State != store.SigningKeyActive || !slices.Contains(r.algs, rec.Algorithm) {
			continue
		}
		if _, seen := s.signing[rec.Algorithm]; seen {
			continue // the most recently activated wins; see jwksOrder
		}
		ck := cacheKey{rec.ID, rec.Version}
		signer, ok := r.cache[ck]
		if !ok {
			if signer, err = r.privateKey(rec, pub); err != nil {
				s.signing[rec.Algorithm] = activeKey{err: err}
				continue
			}
		}
		cache[ck] = signer
		s.signing[rec.Algorithm] = activeKey{key: SigningKey{id: rec.ID, alg: jose.SignatureAlgorithm(rec.Algorithm), signer: signer}}
	}
	// Only the keys signing now stay decrypted in memory.
	r.cache = cache
	return s, nil
}

var stateOrder = map[string]int{store.SigningKeyActive: 0, store.SigningKeyNext: 1, store.SigningKeyRetired: 2}

// jwksOrder sorts keys by configured algorithm (the default first, then
// algorithms no longer configured, by name), then active, next, retired,
// then the most recently activated or created first. Verifiers that take
// the first key of an algorithm thus take the one that signs.
func (r *Ring) jwksOrder(a, b *store.SigningKey) int {
	algIndex := func(alg string) int {
		if i := slices.Index(r.algs, alg); i >= 0 {
			return i
		}
		return len(r.algs)
	}
	state := func(s string) int {
		if o, ok := stateOrder[s]; ok {
			return o
		}
		return len(stateOrder)
	}
	return cmp.Or(
		cmp.Compare(algIndex(a.Algorithm), algIndex(b.Algorithm)),
		cmp.Compare(a.Algorithm, b.Algorithm),
		cmp.Compare(state(a.State), state(b.State)),
		b.ActivatedAt.Compare(a.ActivatedAt),
		b.CreatedAt.Compare(a.CreatedAt),
		cmp.Compare(a.ID, b.ID),
	)
}
