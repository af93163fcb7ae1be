package keys_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stepup-auth/stepup/stepup/keys"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

var allAlgorithms = []string{"ES256", "RS256", "EdDSA"}

const retireAfter = 24 * time.Hour

// longPublished is long enough after a next key's creation for every
// verifier to have fetched it, so Rotate activates it.
const longPublished = 2 * keys.JWKSMaxAge

// env is a store on a fake clock and a master key, shared by the Rings of
// one test as processes share a database.
type env struct {
	t      testing.TB
	ctx    context.Context
	clock  *conformance.Clock
	st     store.Store
	lists  *countingKeys
	sealer *seal.Sealer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := conformance.NewClock()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock.Now, SweepInterval: -1})
	if err != nil {
		t.Fatalf("memdb.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: context.Background(), clock: clock, st: st, lists: &countingKeys{SigningKeys: st.SigningKeys()}, sealer: sealer}
}

// countingKeys counts the store reads a Ring makes.
type countingKeys struct {
	store.SigningKeys
	n atomic.Int64
}

func (c *countingKeys) List(ctx context.Context) ([]*store.SigningKey, error) {
	c.n.Add(1)
	return c.SigningKeys.List(ctx)
}

// ring returns a new Ring over the env's store, like a new process.
func (e *env) ring(algs ...string) *keys.Ring {
	e.t.Helper()
	return e.ringWith(e.sealer, algs...)
}

func (e *env) ringWith(sealer *seal.Sealer, algs ...string) *keys.Ring {
	e.t.Helper()
	r, err := keys.New(e.lists, sealer, keys.Options{Algorithms: algs, RetireAfter: retireAfter, Now: e.clock.Now})
	if err != nil {
		e.t.Fatalf("keys.New: %v", err)
	}
	return r
}

func (e *env) list() []*store.SigningKey {
	e.t.Helper()
	ks, err := e.st.SigningKeys().List(e.ctx)
	if err != nil {
		e.t.Fatalf("SigningKeys.List: %v", err)
	}
	return ks
}

// states returns the ids of the stored keys of alg in state.
func (e *env) states(alg, state string) []string {
	var ids []string
	for _, k := range e.list() {
		if k.Algorithm == alg && k.State == state {
			ids = append(ids, k.ID)
		}
	}
	return ids
}

func mustEnsure(t testing.TB, r *keys.Ring) {
	t.Helper()
	if err := r.Ensure(context.Background()); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
}

func mustSigner(t testing.TB, r *keys.Ring, alg string) keys.SigningKey {
	t.Helper()
	k, err := r.Signer(context.Background(), alg)
	if err != nil {
		t.Fatalf("Signer(%q): %v", alg, err)
	}
	return k
}

func mustJWKS(t testing.TB, r *keys.Ring) jose.JSONWebKeySet {
	t.Helper()
	set, err := r.JWKS(context.Background())
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.KeyID)
	}
	return ids
}

// sign makes a JWT with k, the way the OpenID provider does.
func sign(t testing.TB, k keys.SigningKey) string {
	t.Helper()
	signer, err := jose.NewSigner(k.JOSE(), (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("jose.NewSigner: %v", err)
	}
	raw, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: "u1", Issuer: "https://stepup.example"}).Serialize()
	if err != nil {
		t.Fatalf("signing a JWT: %v", err)
	}
	return raw
}

// verify checks raw the way a relying party does: by the key the JWKS has
// for its kid, accepting alg only. It returns the kid.
func verify(raw string, set jose.JSONWebKeySet, alg string) (string, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return "", err
	}
	kid := tok.Headers[0].KeyID
	found := set.Key(kid)
	if len(found) != 1 {
		return kid, fmt.Errorf("the JWKS has %d keys with kid %q", len(found), kid)
	}
	if k := found[0]; k.Use != "sig" || k.Algorithm != alg || !k.IsPublic() {
		return kid, fmt.Errorf("the JWKS key %s has use %q, alg %q, public %v", kid, k.Use, k.Algorithm, k.IsPublic())
	}
	var c jwt.Claims
	if err := tok.Claims(found[0].Key, &c); err != nil {
		return kid, err
	}
	if c.Subject != "u1" {
		return kid, fmt.Errorf("subject %q", c.Subject)
	}
	return kid, nil
}

func TestNewValidatesOptions(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		opts keys.Options
		want []string
	}{
		{"unknown algorithm", keys.Options{Algorithms: []string{"ES256", "HS256"}, RetireAfter: time.Hour}, []string{`algorithm "HS256" is not one of ES256, RS256, EdDSA`}},
		{"duplicate", keys.Options{Algorithms: []string{"RS256", "RS256"}, RetireAfter: time.Hour}, []string{"RS256 is listed twice"}},
		{"all at once", keys.Options{Algorithms: []string{"none"}, Reload: -time.Second}, []string{`"none"`, "RetireAfter is 0s", "Reload is -1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keys.New(e.lists, e.sealer, tt.opts)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("New: got %v, want an error containing %q", err, w)
				}
			}
		})
	}
	r, err := keys.New(e.lists, e.sealer, keys.Options{RetireAfter: time.Hour})
	if err != nil {
		t.Fatalf("New with defaults: %v", err)
	}
	if got := r.Algorithms(); !slices.Equal(got, []string{"ES256"}) {
		t.Errorf("Algorithms with none configured = %v, want [ES256]", got)
	}
}

func TestEnsureIsIdempotent(t *testing.T) {
	e := newEnv(t)
	mustEnsure(t, e.ring(allAlgorithms...))
	first := e.list()
	if len(first) != 2*len(allAlgorithms) {
		t.Fatalf("after the first Ensure the store has %d keys, want %d", len(first), 2*len(allAlgorithms))
	}
	for _, alg := range allAlgorithms {
		if a, n := e.states(alg, store.SigningKeyActive), e.states(alg, store.SigningKeyNext); len(a) != 1 || len(n) != 1 {
			t.Errorf("after Ensure %s has active keys %v and next keys %v, want one of each", alg, a, n)
		}
	}
	e.clock.Advance(time.Hour)
	mustEnsure(t, e.ring(allAlgorithms...))
	if second := e.list(); !slices.EqualFunc(sorted(first), sorted(second), sameRecord) {
		t.Fatalf("a second Ensure changed the store:\nbefore %v\nafter  %v", ids(first), ids(second))
	}
}

func sorted(ks []*store.SigningKey) []*store.SigningKey {
	return slices.SortedFunc(slices.Values(ks), func(a, b *store.SigningKey) int { return strings.Compare(a.ID, b.ID) })
}

func sameRecord(a, b *store.SigningKey) bool {
	return a.ID == b.ID && a.State == b.State && a.Version == b.Version && bytes.Equal(a.PrivateKey, b.PrivateKey) && a.CreatedAt.Equal(b.CreatedAt)
}

func ids(ks []*store.SigningKey) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Algorithm+"/"+k.State+"/"+k.ID)
	}
	return out
}

func TestEnsureCompletesAnInterruptedStart(t *testing.T) {
	e := newEnv(t)
	mustEnsure(t, e.ring("ES256", "EdDSA"))
	// A start cut short after the active key: the next key is missing.
	esActive, esNext := e.states("ES256", store.SigningKeyActive)[0], e.states("ES256", store.SigningKeyNext)[0]
	if err := e.st.SigningKeys().Delete(e.ctx, esNext); err != nil {
		t.Fatal(err)
	}
	// A next key whose active key was deleted by hand.
	edNext := e.states("EdDSA", store.SigningKeyNext)[0]
	if err := e.st.SigningKeys().Delete(e.ctx, e.states("EdDSA", store.SigningKeyActive)[0]); err != nil {
		t.Fatal(err)
	}
	r := e.ring("ES256", "EdDSA")
	mustEnsure(t, r)
	if got := e.states("ES256", store.SigningKeyActive); !slices.Equal(got, []string{esActive}) {
		t.Errorf("ES256 active keys after Ensure = %v, want the one there was, %s", got, esActive)
	}
	if got := e.states("ES256", store.SigningKeyNext); len(got) != 1 || got[0] == esNext {
		t.Errorf("ES256 next keys after Ensure = %v, want one new key", got)
	}
	if got := e.states("EdDSA", store.SigningKeyActive); !slices.Equal(got, []string{edNext}) {
		t.Errorf("EdDSA active keys after Ensure = %v, want the next key promoted, %s", got, edNext)
	}
	if got := mustSigner(t, r, "EdDSA").ID(); got != edNext {
		t.Errorf("EdDSA signs with %s, want the promoted key %s", got, edNext)
	}
}

func TestEnsureByConcurrentProcesses(t *testing.T) {
	e := newEnv(t)
	const processes = 8
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i := range processes {
		r := e.ring("ES256", "EdDSA")
		wg.Go(func() { errs[i] = r.Ensure(e.ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Ensure by process %d: %v", i, err)
		}
	}
	for _, alg := range []string{"ES256", "EdDSA"} {
		if a, n := e.states(alg, store.SigningKeyActive), e.states(alg, store.SigningKeyNext); len(a) != 1 || len(n) != 1 {
			t.Errorf("after %d concurrent Ensures %s has active keys %v and next keys %v, want one of each", processes, alg, a, n)
		}
	}
	if n := len(e.list()); n != 4 {
		t.Errorf("after %d concurrent Ensures the store has %d keys, want 4", processes, n)
	}
}

func TestSignaturesVerifyWithTheJWKS(t *testing.T) {
	e := newEnv(t)
	r := e.ring(allAlgorithms...)
	mustEnsure(t, r)
	set := mustJWKS(t, r)
	if len(set.Keys) != 2*len(allAlgorithms) {
		t.Fatalf("JWKS has keys %v, want an active and a next key per algorithm", kids(set))
	}
	for _, alg := range allAlgorithms {
		t.Run(alg, func(t *testing.T) {
			k := mustSigner(t, r, alg)
			if string(k.SignatureAlgorithm()) != alg {
				t.Fatalf("Signer(%s) returned a key of %s", alg, k.SignatureAlgorithm())
			}
			if active := e.states(alg, store.SigningKeyActive); !slices.Equal(active, []string{k.ID()}) {
				t.Fatalf("Signer(%s) returned %s, want the active key %v", alg, k.ID(), active)
			}
			raw := sign(t, k)
			kid, err := verify(raw, set, alg)
			if err != nil {
				t.Fatalf("verifying a token signed by %s with the JWKS: %v", k.ID(), err)
			}
			if kid != k.ID() {
				t.Fatalf("the token names kid %q, want %q", kid, k.ID())
			}
			// zitadel/oidc's op signs with Key() and ID() this way.
			zs, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: &jose.JSONWebKey{Key: k.Key(), KeyID: k.ID()}}, nil)
			if err != nil {
				t.Fatalf("jose.NewSigner with Key(): %v", err)
			}
			if raw, err := jwt.Signed(zs).Claims(jwt.Claims{Subject: "u1"}).Serialize(); err != nil {
				t.Fatalf("signing with Key(): %v", err)
			} else if _, err := verify(raw, set, alg); err != nil {
				t.Fatalf("verifying a token signed with Key(): %v", err)
			}
			other := "ES256"
			if alg == "ES256" {
				other = "RS256"
			}
			if _, err := verify(raw, set, other); err == nil {
				t.Fatalf("a %s token verified with only %s allowed", alg, other)
			}
		})
	}
	if k := mustSigner(t, r, ""); k.SignatureAlgorithm() != "ES256" {
		t.Errorf(`Signer("") returned a %s key, want the default ES256`, k.SignatureAlgorithm())
	}
	if _, err := r.Signer(e.ctx, "PS256"); !errors.Is(err, keys.ErrUnknownAlgorithm) {
		t.Errorf("Signer of an algorithm not configured: %v, want ErrUnknownAlgorithm", err)
	}
}

func TestKidIsTheThumbprint(t *testing.T) {
	e := newEnv(t)
	r := e.ring(allAlgorithms...)
	mustEnsure(t, r)
	for _, k := range mustJWKS(t, r).Keys {
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if want := base64.RawURLEncoding.EncodeToString(tp); k.KeyID != want {
			t.Errorf("kid %q is not the RFC 7638 thumbprint %q", k.KeyID, want)
		}
	}
}

func TestRotate(t *testing.T) {
	e := newEnv(t)
	r := e.ring("ES256", "RS256")
	mustEnsure(t, r)
	oldActive := mustSigner(t, r, "ES256")
	published := e.states("ES256", store.SigningKeyNext)[0]
	oldToken := sign(t, oldActive)
	rsBefore := mustSigner(t, r, "RS256").ID()

	e.clock.Advance(longPublished)
	if err := r.Rotate(e.ctx, "ES256"); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	k := mustSigner(t, r, "ES256")
	if k.ID() != published {
		t.Fatalf("after Rotate ES256 signs with %s, want the key published as next, %s", k.ID(), published)
	}
	newNext := e.states("ES256", store.SigningKeyNext)
	if len(newNext) != 1 || newNext[0] == published {
		t.Fatalf("after Rotate the ES256 next keys are %v, want one new key", newNext)
	}
	if got := mustSigner(t, r, "RS256").ID(); got != rsBefore {
		t.Errorf("Rotate of ES256 changed the RS256 key from %s to %s", rsBefore, got)
	}
	set := mustJWKS(t, r)
	if want := []string{published, newNext[0], oldActive.ID()}; !slices.Equal(kids(set)[:3], want) {
		t.Errorf("JWKS after Rotate starts with %v, want ES256 active, next, retired: %v", kids(set), want)
	}
	if _, err := verify(sign(t, k), set, "ES256"); err != nil {
		t.Errorf("a token of the new active key does not verify: %v", err)
	}

	e.clock.Advance(retireAfter - time.Second)
	if _, err := verify(oldToken, mustJWKS(t, r), "ES256"); err != nil {
		t.Errorf("a token of the retired key does not verify a second before RetireAfter: %v", err)
	}
	e.clock.Advance(time.Second)
	set = mustJWKS(t, r)
	if slices.Contains(kids(set), oldActive.ID()) {
		t.Errorf("the retired key %s is still published after RetireAfter: %v", oldActive.ID(), kids(set))
	}
	if _, err := verify(oldToken, set, "ES256"); err == nil {
		t.Error("a token of a key retired for RetireAfter still verifies")
	}
	if _, err := e.st.SigningKeys().Get(e.ctx, oldActive.ID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("store Get of the expired retired key: %v, want ErrNotFound", err)
	}
	if n, err := e.st.Sweep(e.ctx); err != nil || n != 1 {
		t.Errorf("Sweep after RetireAfter: %d, %v; want the one retired key", n, err)
	}

	if err := r.Rotate(e.ctx, "EdDSA"); !errors.Is(err, keys.ErrUnknownAlgorithm) {
		t.Errorf("Rotate of an algorithm not configured: %v, want ErrUnknownAlgorithm", err)
	}
}

// TestRotateNeverActivatesAKeyVerifiersMayNotHaveFetched holds Rotate to
// the JWKS's cache lifetime: a verifier that fetched the key set just
// before the next key was created keeps it for keys.JWKSMaxAge, so the next
// key may not sign before then.
func TestRotateNeverActivatesAKeyVerifiersMayNotHaveFetched(t *testing.T) {
	e := newEnv(t)
	r := e.ring()
	mustEnsure(t, r)
	active := mustSigner(t, r, "ES256").ID()
	published := e.states("ES256", store.SigningKeyNext)[0]
	before := e.list()

	var from time.Time
	for _, wait := range []time.Duration{0, keys.JWKSMaxAge} {
		e.clock.Advance(wait)
		err := r.Rotate(e.ctx, "ES256")
		if !errors.Is(err, keys.ErrTooSoon) {
			t.Fatalf("Rotate %v after the next key was published: %v, want ErrTooSoon", wait, err)
		}
		from = signsFrom(t, err)
		if cached := conformance.Start.Add(keys.JWKSMaxAge); from.Before(cached) {
			t.Fatalf("Rotate's refusal says the next key may sign from %v, before the JWKS cached at its publication expires, %v", from, cached)
		}
		if after := e.list(); !slices.EqualFunc(sorted(before), sorted(after), sameRecord) {
			t.Fatalf("a refused Rotate changed the store:\nbefore %v\nafter  %v", ids(before), ids(after))
		}
		if got := mustSigner(t, r, "ES256").ID(); got != active {
			t.Fatalf("after a refused Rotate ES256 signs with %s, want %s", got, active)
		}
	}

	// The refusal named the first second from which Rotate succeeds.
	e.clock.Advance(from.Add(-time.Second).Sub(e.clock.Now()))
	if err := r.Rotate(e.ctx, "ES256"); !errors.Is(err, keys.ErrTooSoon) {
		t.Fatalf("Rotate a second before the time it named: %v, want ErrTooSoon", err)
	}
	e.clock.Advance(time.Second)
	if err := r.Rotate(e.ctx, "ES256"); err != nil {
		t.Fatalf("Rotate at the time it named: %v", err)
	}
	if got := mustSigner(t, r, "ES256").ID(); got != published {
		t.Fatalf("after Rotate ES256 signs with %s, want the published next key %s", got, published)
	}
	// The key the rotation published waits its turn in its turn.
	if err := r.Rotate(e.ctx, "ES256"); !errors.Is(err, keys.ErrTooSoon) {
		t.Errorf("a second Rotate at once: %v, want ErrTooSoon", err)
	}
}

// signsFrom returns the time from which a refusal of Rotate says the next
// key may sign.
func signsFrom(t *testing.T, err error) time.Time {
	t.Helper()
	_, after, ok := strings.Cut(err.Error(), "may sign from ")
	from, perr := time.Parse(time.RFC3339, strings.TrimRight(strings.Fields(after + " ")[0], ","))
	if !ok || perr != nil {
		t.Fatalf("Rotate's refusal does not say from when the next key may sign: %v", err)
	}
	return from
}

// TestRotateSkipPublishWaitActivatesTheNextKeyAtOnce is the way out for a
// compromised active key: it stops signing now, whatever verifiers cache.
func TestRotateSkipPublishWaitActivatesTheNextKeyAtOnce(t *testing.T) {
	e := newEnv(t)
	r := e.ring("ES256", "RS256")
	mustEnsure(t, r)
	compromised := mustSigner(t, r, "ES256").ID()
	published := e.states("ES256", store.SigningKeyNext)[0]
	if err := r.RotateSkipPublishWait(e.ctx, "ES256"); err != nil {
		t.Fatalf("RotateSkipPublishWait: %v", err)
	}
	if got := mustSigner(t, r, "ES256").ID(); got != published {
		t.Errorf("after RotateSkipPublishWait ES256 signs with %s, want the next key %s, not %s", got, published, compromised)
	}
	if got := e.states("ES256", store.SigningKeyRetired); !slices.Equal(got, []string{compromised}) {
		t.Errorf("retired ES256 keys %v, want %s", got, compromised)
	}
	if err := r.RotateSkipPublishWait(e.ctx, "EdDSA"); !errors.Is(err, keys.ErrUnknownAlgorithm) {
		t.Errorf("RotateSkipPublishWait of an algorithm not configured: %v, want ErrUnknownAlgorithm", err)
	}
}

func TestRotateBeforeEnsure(t *testing.T) {
	e := newEnv(t)
	err := e.ring().Rotate(e.ctx, "ES256")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "Ensure") {
		t.Fatalf("Rotate before Ensure: %v, want ErrNotFound pointing at Ensure", err)
	}
	if _, err := e.ring().Signer(e.ctx, "ES256"); !errors.Is(err, keys.ErrNoKey) {
		t.Fatalf("Signer before Ensure: %v, want ErrNoKey", err)
	}
}

func TestRotationByAnotherProcess(t *testing.T) {
	e := newEnv(t)
	server := e.ring()
	mustEnsure(t, server)
	e.clock.Advance(longPublished)
	before := mustSigner(t, server, "ES256").ID()
	published := e.states("ES256", store.SigningKeyNext)[0]

	if err := e.ring().Rotate(e.ctx, "ES256"); err != nil { // `stepup keys rotate`
		t.Fatalf("Rotate: %v", err)
	}
	reads := e.lists.n.Load()
	for range 1000 {
		if got := mustSigner(t, server, "ES256").ID(); got != before {
			t.Fatalf("Signer picked up the rotation at once (%s): it reads the store per signature", got)
		}
	}
	if n := e.lists.n.Load() - reads; n != 0 {
		t.Fatalf("1000 Signer calls within Reload read the store %d times, want 0", n)
	}
	e.clock.Advance(keys.DefaultReload)
	if got := mustSigner(t, server, "ES256").ID(); got != published {
		t.Fatalf("Signer after Reload returned %s, want the rotated-in key %s", got, published)
	}
	if n := e.lists.n.Load() - reads; n != 1 {
		t.Fatalf("Signer after Reload read the store %d times, want once", n)
	}
}

func TestPrivateKeysAreSealed(t *testing.T) {
	e := newEnv(t)
	r := e.ring(allAlgorithms...)
	mustEnsure(t, r)
	for _, alg := range allAlgorithms {
		k := mustSigner(t, r, alg)
		der, err := x509.MarshalPKCS8PrivateKey(k.Signer())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.st.SigningKeys().Get(e.ctx, k.ID())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(rec.PrivateKey, der) || bytes.Contains(rec.PrivateKey, der[len(der)-32:]) {
			t.Errorf("the stored %s record holds its PKCS #8 private key in the clear", alg)
		}
		if id, err := seal.SealedKeyID(rec.PrivateKey); err != nil || id != e.sealer.KeyID() {
			t.Errorf("the stored %s private key is not a blob sealed by the master key: %q, %v", alg, id, err)
		}
		if bytes.Contains(rec.PublicKey, []byte(`"d"`)) {
			t.Errorf("the stored %s public key has a private part: %s", alg, rec.PublicKey)
		}
	}
}

func TestSealedKeyMovedToAnotherRecord(t *testing.T) {
	// Someone with write access to the store copies the ES256 key's
	// sealed private key into the EdDSA record: it must not open there.
	e := newEnv(t)
	mustEnsure(t, e.ring("ES256", "EdDSA"))
	es, _ := e.st.SigningKeys().Get(e.ctx, e.states("ES256", store.SigningKeyActive)[0])
	ed, _ := e.st.SigningKeys().Get(e.ctx, e.states("EdDSA", store.SigningKeyActive)[0])
	ed.PrivateKey = es.PrivateKey
	if err := e.st.SigningKeys().Update(e.ctx, ed); err != nil {
		t.Fatal(err)
	}
	r := e.ring("ES256", "EdDSA")
	if _, err := r.Signer(e.ctx, "EdDSA"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("Signer with a private key moved from another record: %v, want seal.ErrOpen", err)
	}
	mustSigner(t, r, "ES256")
}

func TestWrongMasterKey(t *testing.T) {
	e := newEnv(t)
	mustEnsure(t, e.ring("ES256", "RS256"))
	other, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	r := e.ringWith(other, "ES256", "RS256")
	err = r.Ensure(e.ctx)
	if !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("Ensure with another master key: %v, want seal.ErrUnknownKey", err)
	}
	for _, want := range []string{"ES256 key", "RS256 key", "cannot decrypt its private key", "is the master key right?", e.sealer.KeyID(), other.KeyID()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Ensure with another master key: error %q does not say %q", err, want)
		}
	}
	if _, err := r.Signer(e.ctx, "ES256"); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("Signer with another master key: %v, want seal.ErrUnknownKey", err)
	}
	if set := mustJWKS(t, r); len(set.Keys) != 4 {
		t.Errorf("JWKS with another master key has %v, want the 4 public keys all the same", kids(set))
	}
	if n := len(e.list()); n != 4 {
		t.Errorf("Ensure with another master key left %d keys, want the 4 there were", n)
	}

}

func TestMasterKeyRotation(t *testing.T) {
	// The new master key first, the old one still there to open.
	e := newEnv(t)
	oldKey := seal.GenerateKey()
	oldSealer, _ := seal.New(oldKey)
	mustEnsure(t, e.ringWith(oldSealer))
	both, err := seal.New(seal.GenerateKey(), oldKey)
	if err != nil {
		t.Fatal(err)
	}
	r := e.ringWith(both)
	mustEnsure(t, r)
	e.clock.Advance(longPublished)
	if err := r.Rotate(e.ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	mustSigner(t, r, "ES256") // sealed with the old key
	e.clock.Advance(longPublished)
	if err := r.Rotate(e.ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	k := mustSigner(t, r, "ES256") // sealed with the new key
	rec, _ := e.st.SigningKeys().Get(e.ctx, k.ID())
	if id, _ := seal.SealedKeyID(rec.PrivateKey); id != both.KeyID() {
		t.Errorf("a key made after the master key rotation is sealed with %q, want the new master key %q", id, both.KeyID())
	}
}

func TestSwappedPublicKeyIsRefused(t *testing.T) {
	e := newEnv(t)
	mustEnsure(t, e.ring())
	active, _ := e.st.SigningKeys().Get(e.ctx, e.states("ES256", store.SigningKeyActive)[0])
	next, _ := e.st.SigningKeys().Get(e.ctx, e.states("ES256", store.SigningKeyNext)[0])
	active.PublicKey = next.PublicKey
	if err := e.st.SigningKeys().Update(e.ctx, active); err != nil {
		t.Fatal(err)
	}
	_, err := e.ring().Signer(e.ctx, "ES256")
	if err == nil || !strings.Contains(err.Error(), "thumbprint") {
		t.Fatalf("Signer with a swapped public key: %v, want a kid/thumbprint mismatch", err)
	}
}
