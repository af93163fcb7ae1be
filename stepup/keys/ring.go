package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
)

// DefaultReload is how often a Ring re-reads the store when
// Options.Reload is zero.
const DefaultReload = 5 * time.Second

// JWKSMaxAge is how long verifiers may cache the JWKS: the server sends it
// as the Cache-Control max-age of the key set. Rotate waits for it, so it
// is one number in both places.
const JWKSMaxAge = time.Hour

// publishMargin is waited beyond JWKSMaxAge and Reload before a next key
// signs: replicas' clocks differ a little, and a cache between stepup and a
// verifier may hand out its copy a moment after it was fetched.
const publishMargin = 5 * time.Minute

var (
	// ErrUnknownAlgorithm means an algorithm is not among the Ring's.
	ErrUnknownAlgorithm = errors.New("keys: algorithm not configured")
	// ErrNoKey means an algorithm has no active key: Ensure was not run.
	ErrNoKey = errors.New("keys: no active signing key")
	// ErrTooSoon means Rotate refused to activate a next key that
	// verifiers may not have fetched yet.
	ErrTooSoon = errors.New("keys: next key published too recently")
)

// Options configure a Ring.
type Options struct {
	// Algorithms are the signing algorithms, the default first: any of
	// ES256, RS256 and EdDSA. Empty means ES256 only.
	Algorithms []string
	// RetireAfter is how long a retired key stays published. It must be
	// at least the longest lifetime of a token the key signed.
	RetireAfter time.Duration
	// Reload bounds how stale the keys a Ring signs with and publishes
	// may be after a change by another process (0: DefaultReload).
	Reload time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Ring is the set of signing keys of every configured algorithm. It is safe
// for concurrent use.
type Ring struct {
	st          store.SigningKeys
	sealer      *seal.Sealer
	algs        []string
	retireAfter time.Duration
	reload      time.Duration
	now         func() time.Time

	snap atomic.Pointer[snapshot] // nil until loaded, and after a local change

	mu    sync.Mutex                 // serialises loads
	cache map[cacheKey]crypto.Signer // decrypted active keys; guarded by mu
}

// New returns a Ring over the keys in st, whose private keys sealer seals.
// Call Ensure before signing.
func New(st store.SigningKeys, sealer *seal.Sealer, opts Options) (*Ring, error) {
	var problems []string
	if st == nil {
		problems = append(problems, "no store")
	}
	if sealer == nil {
		problems = append(problems, "no sealer")
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = []string{"ES256"}
	}
	for i, a := range algs {
		if _, ok := algorithms[a]; !ok {
			problems = append(problems, fmt.Sprintf("algorithm %q is not one of ES256, RS256, EdDSA", a))
		} else if slices.Index(algs, a) != i {
			problems = append(problems, fmt.Sprintf("algorithm %s is listed twice", a))
		}
	}
	if opts.RetireAfter <= 0 {
		problems = append(problems, fmt.Sprintf("RetireAfter is %v; it must be positive, at least the longest token lifetime", opts.RetireAfter))
	}
	if opts.Reload < 0 {
		problems = append(problems, fmt.Sprintf("Reload is %v; it must not be negative", opts.Reload))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("keys: %s", strings.Join(problems, "; "))
	}
	r := &Ring{
		st: st, sealer: sealer, algs: slices.Clone(algs),
		retireAfter: opts.RetireAfter, reload: opts.Reload, now: opts.Now,
		cache: map[cacheKey]crypto.Signer{},
	}
	if r.reload == 0 {
		r.reload = DefaultReload
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Algorithms returns the configured algorithms, the default first.
func (r *Ring) Algorithms() []string { return slices.Clone(r.algs) }

// Ensure makes sure every configured algorithm has an active and a next
// key, and that the Ring can decrypt each active key. At a first start it
// creates both; after a start cut short between the two it creates the
// missing next key; a next key without an active one is promoted by a
// rotation. Keys present are left alone, so a second call creates nothing.
// Processes starting at once may all call it: the store admits one active
// and one next key per algorithm, and the losers look again.
//
// A master key that cannot open the active keys fails here, at start-up,
// rather than at the first token.
func (r *Ring) Ensure(ctx context.Context) error {
	for _, alg := range r.algs {
		if err := r.ensure(ctx, alg); err != nil {
			return err
		}
	}
	r.invalidate()
	s, err := r.current(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, alg := range r.algs {
		errs = append(errs, s.signing[alg].err)
	}
	return errors.Join(errs...)
}

func (r *Ring) ensure(ctx context.Context, alg string) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		recs, err := r.st.List(ctx)
		if err != nil {
			return fmt.Errorf("keys: listing signing keys: %w", err)
		}
		var active, next bool
		for _, k := range recs {
			active = active || k.Algorithm == alg && k.State == store.SigningKeyActive
			next = next || k.Algorithm == alg && k.State == store.SigningKeyNext
		}
		switch {
		case active && next:
			return nil
		case !active && !next:
			if err = r.create(ctx, alg, store.SigningKeyActive); err == nil {
				err = r.create(ctx, alg, store.SigningKeyNext)
			}
		case !next:
			err = r.create(ctx, alg, store.SigningKeyNext)
		default:
			// No key signs at all (the active one was deleted by hand):
			// waiting would keep the server from starting.
			err = r.rotate(ctx, alg, false)
		}
		if err == nil || !errors.Is(err, store.ErrConflict) || attempt == attempts {
			return err
		}
		// Another process created a key at the same time: look again.
	}
}

func (r *Ring) create(ctx context.Context, alg, state string) error {
	rec, err := r.generate(alg, state)
	if err != nil {
		return err
	}
	if err := r.st.Create(ctx, rec); err != nil {
		return fmt.Errorf("keys: storing a new %s %s key: %w", state, alg, err)
	}
	return nil
}

// Rotate moves alg's keys on: its next key (published since the previous
// rotation) starts signing, its active key is retired and stays published
// for RetireAfter, and a new next key is published.
//
// A verifier that fetched the JWKS just before the next key was created
// keeps that copy for JWKSMaxAge and rejects tokens naming a kid it lacks,
// so Rotate refuses, with ErrTooSoon and the time from which it will not,
// until the next key is older than JWKSMaxAge, Reload and a few minutes.
func (r *Ring) Rotate(ctx context.Context, alg string) error {
	return r.rotateConfigured(ctx, alg, true)
}

// RotateSkipPublishWait rotates like Rotate without waiting for verifiers
// to have fetched the next key: for an active key that must stop signing
// now, such as a compromised one. Verifiers holding a cached JWKS reject
// the new tokens until they fetch it again, up to JWKSMaxAge later.
func (r *Ring) RotateSkipPublishWait(ctx context.Context, alg string) error {
	return r.rotateConfigured(ctx, alg, false)
}

func (r *Ring) rotateConfigured(ctx context.Context, alg string, waitForPublication bool) error {
	if !slices.Contains(r.algs, alg) {
		return r.unknown(alg)
	}
	defer r.invalidate()
	return r.rotate(ctx, alg, waitForPublication)
}

func (r *Ring) rotate(ctx context.Context, alg string, waitForPublication bool) error {
	// The next key to activate is the one published now: Rotate refuses if
	// another rotation moved it meanwhile.
	all, err := r.st.List(ctx)
	if err != nil {
		return fmt.Errorf("keys: rotating %s: %w", alg, err)
	}
	promote := ""
	for _, k := range all {
		if k.Algorithm == alg && k.State == store.SigningKeyNext {
			if waitForPublication {
				if err := r.publishedLongEnough(k); err != nil {
					return err
				}
			}
			promote = k.ID
		}
	}
	rec, err := r.generate(alg, store.SigningKeyNext)
	if err != nil {
		return err
	}
	err = r.st.Rotate(ctx, alg, promote, rec, r.now().Add(r.retireAfter))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("keys: %s has no next key to activate; Ensure creates one: %w", alg, err)
	}
	if err != nil {
		return fmt.Errorf("keys: rotating %s: %w", alg, err)
	}
	return nil
}

// publishedLongEnough refuses a next key that a verifier's cached JWKS may
// lack. Every process over the store publishes a key within Reload of its
// creation, so a JWKS fetched later holds it, and one fetched earlier has
// expired JWKSMaxAge after that.
func (r *Ring) publishedLongEnough(next *store.SigningKey) error {
	// Whole seconds, rounded up, so the time the error names is one from
	// which Rotate succeeds.
	from := next.CreatedAt.Add(JWKSMaxAge + r.reload + publishMargin)
	if t := from.Truncate(time.Second); !t.Equal(from) {
		from = t.Add(time.Second)
	}
	now := r.now()
	if !now.Before(from) {
		return nil
	}
	return fmt.Errorf("%w: the next %s key %s was published at %s and verifiers may cache the key set for %v, so it may sign from %s, in %v",
		ErrTooSoon, next.Algorithm, next.ID, next.CreatedAt.UTC().Format(time.RFC3339), JWKSMaxAge,
		from.UTC().Format(time.RFC3339), from.Sub(now).Round(time.Second))
}

func (r *Ring) unknown(alg string) error {
	return fmt.Errorf("keys: algorithm %q is not configured (configured: %s): %w", alg, strings.Join(r.algs, ", "), ErrUnknownAlgorithm)
}
