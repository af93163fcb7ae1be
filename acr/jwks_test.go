package acr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// fakeClock is a time source tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// issuer is a real HTTP server publishing discovery and a JWK set.
type issuer struct {
	*httptest.Server
	fetches atomic.Int64 // requests for the JWK set

	mu           sync.Mutex
	keys         []jose.JSONWebKey
	rawJWKS      []byte // served instead of keys when set
	status       int
	cacheControl string
	metaIssuer   string // served issuer; the server's URL when empty
	jwksURI      string // served jwks_uri; the server's /jwks when empty
	gate         chan struct{}
	entered      chan struct{}
}

func newIssuer(t *testing.T, keys ...jose.JSONWebKey) *issuer {
	t.Helper()
	is := &issuer{keys: keys, status: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		is.mu.Lock()
		meta := map[string]string{"issuer": is.URL, "jwks_uri": is.URL + "/jwks"}
		if is.metaIssuer != "" {
			meta["issuer"] = is.metaIssuer
		}
		if is.jwksURI != "" {
			meta["jwks_uri"] = is.jwksURI
		}
		is.mu.Unlock()
		_ = json.NewEncoder(w).Encode(meta)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		gate, entered := is.gate, is.entered
		status, cc, raw := is.status, is.cacheControl, is.rawJWKS
		if raw == nil {
			var err error
			raw, err = json.Marshal(jose.JSONWebKeySet{Keys: is.keys})
			if err != nil {
				panic(err)
			}
		}
		is.mu.Unlock()
		if entered != nil {
			entered <- struct{}{}
		}
		if gate != nil {
			<-gate
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.WriteHeader(status)
		_, _ = w.Write(raw)
	})
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	return is
}

func (is *issuer) set(f func(*issuer)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	f(is)
}

func ecKey(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

func newRemote(t *testing.T, is *issuer, clock *fakeClock, opts ...RemoteOption) *RemoteKeySet {
	t.Helper()
	opts = append([]RemoteOption{WithHTTPClient(is.Client()), WithClock(clock.Now)}, opts...)
	r, err := NewRemoteKeySet(context.Background(), is.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func kids(keys []jose.JSONWebKey) string {
	var s []string
	for _, k := range keys {
		s = append(s, k.KeyID)
	}
	return strings.Join(s, ",")
}

func mustKeys(t *testing.T, ks KeySet, kid, want string) {
	t.Helper()
	keys, err := ks.Keys(context.Background(), kid)
	if err != nil {
		t.Fatalf("Keys(%q): %v", kid, err)
	}
	if got := kids(keys); got != want {
		t.Fatalf("Keys(%q) = %s, want %s", kid, got, want)
	}
}

func mustUnknown(t *testing.T, ks KeySet, kid string) {
	t.Helper()
	if keys, err := ks.Keys(context.Background(), kid); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Keys(%q) = %s, %v; want ErrUnknownKey", kid, kids(keys), err)
	}
}

// wantFetches checks that the set was fetched n times, waiting a moment
// for a refresh that a stale set started in the background.
func wantFetches(t *testing.T, is *issuer, n int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for is.fetches.Load() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond) // and no more follow
	if got := is.fetches.Load(); got != n {
		t.Fatalf("JWK set fetched %d times, want %d", got, n)
	}
}

func TestRemoteKeySetCachesForTTL(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"), ecKey(t, "k2"))
	clock := newClock()
	r := newRemote(t, is, clock)
	wantFetches(t, is, 1)
	if r.JWKSURI() != is.URL+"/jwks" || r.Issuer() != is.URL {
		t.Fatalf("issuer %q jwks_uri %q", r.Issuer(), r.JWKSURI())
	}
	for range 10 {
		mustKeys(t, r, "k1", "k1")
		mustKeys(t, r, "", "k1,k2")
	}
	clock.Advance(DefaultTTL - time.Second)
	mustKeys(t, r, "k1", "k1")
	wantFetches(t, is, 1)

	clock.Advance(time.Second)
	mustKeys(t, r, "k1", "k1")
	wantFetches(t, is, 2)
	mustKeys(t, r, "k1", "k1")
	wantFetches(t, is, 2)
}

func TestRemoteKeySetCacheControl(t *testing.T) {
	for _, tc := range []struct {
		name, cacheControl string
		stale              time.Duration // age at which the set is refetched
	}{
		{"shorter max-age wins", "public, max-age=120", 120 * time.Second},
		{"longer max-age capped at TTL", "max-age=86400", DefaultTTL},
		{"max-age=0 floored at the refresh interval", "max-age=0", DefaultMinRefreshInterval},
		{"no-store floored at the refresh interval", "no-store", DefaultMinRefreshInterval},
		{"malformed ignored", "max-age=soon", DefaultTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t, ecKey(t, "k1"))
			is.set(func(is *issuer) { is.cacheControl = tc.cacheControl })
			clock := newClock()
			r := newRemote(t, is, clock)
			clock.Advance(tc.stale - time.Second)
			mustKeys(t, r, "k1", "k1")
			wantFetches(t, is, 1)
			clock.Advance(time.Second)
			mustKeys(t, r, "k1", "k1")
			wantFetches(t, is, 2)
		})
	}
}

func TestRemoteKeySetUnknownKidRateLimited(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"))
	clock := newClock()
	r := newRemote(t, is, clock)

	// Just fetched: an unknown kid is not worth another fetch yet.
	mustUnknown(t, r, "nope")
	wantFetches(t, is, 1)

	for round := int64(1); round <= 3; round++ {
		clock.Advance(DefaultMinRefreshInterval)
		for range 1000 {
			mustUnknown(t, r, rand.Text())
		}
		wantFetches(t, is, 1+round)
	}
	mustKeys(t, r, "k1", "k1")
}

func TestRemoteKeySetRotation(t *testing.T) {
	is := newIssuer(t, ecKey(t, "old"))
	clock := newClock()
	r := newRemote(t, is, clock, WithMinRefreshInterval(time.Minute))
	is.set(func(is *issuer) { is.keys = []jose.JSONWebKey{ecKey(t, "new")} })

	clock.Advance(time.Minute - time.Second)
	mustUnknown(t, r, "new")
	wantFetches(t, is, 1)

	clock.Advance(time.Second)
	mustKeys(t, r, "new", "new")
	wantFetches(t, is, 2)
	// The rotated-out key is gone with the set that published it.
	mustUnknown(t, r, "old")
	wantFetches(t, is, 2)
}

func TestRemoteKeySetFailedRefreshKeepsKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(*issuer)
	}{
		{"server error", func(is *issuer) { is.status = http.StatusInternalServerError }},
		{"not JSON", func(is *issuer) { is.rawJWKS = []byte("<html>") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t, ecKey(t, "k1"))
			clock := newClock()
			r := newRemote(t, is, clock)
			is.set(tc.fail)

			clock.Advance(DefaultTTL)
			mustKeys(t, r, "k1", "k1")
			wantFetches(t, is, 2)
			// Still stale, but the failure is not retried on every request.
			mustKeys(t, r, "k1", "k1")
			wantFetches(t, is, 2)
			clock.Advance(DefaultMinRefreshInterval)
			mustKeys(t, r, "k1", "k1")
			wantFetches(t, is, 3)
		})
	}
}

func TestRemoteKeySetConcurrentMissesShareOneFetch(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"))
	clock := newClock()
	r := newRemote(t, is, clock)
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	is.set(func(is *issuer) {
		is.keys = append(is.keys, ecKey(t, "k2"))
		is.gate, is.entered = gate, entered
	})
	clock.Advance(DefaultMinRefreshInterval)

	const n = 50
	errs := make(chan error, n)
	var wg sync.WaitGroup
	call := func() {
		defer wg.Done()
		keys, err := r.Keys(context.Background(), "k2")
		if err == nil && kids(keys) != "k2" {
			err = fmt.Errorf("got %s", kids(keys))
		}
		errs <- err
	}
	wg.Add(n)
	go call()
	<-entered // the first miss is fetching; the others arrive while it runs
	for range n - 1 {
		go call()
	}
	// Let the callers reach the wait; this only makes the test stricter.
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantFetches(t, is, 2)
}

func TestRemoteKeySetCancelledWaiterDoesNotFailOthers(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"))
	clock := newClock()
	r := newRemote(t, is, clock)
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	is.set(func(is *issuer) {
		is.keys = append(is.keys, ecKey(t, "k2"))
		is.gate, is.entered = gate, entered
	})
	clock.Advance(DefaultMinRefreshInterval)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := r.Keys(ctx, "k2")
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(gate)
	mustKeys(t, r, "k2", "k2")
	wantFetches(t, is, 2)
}

func TestRemoteKeySetFiltersKeys(t *testing.T) {
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, noUse := ecKey(t, "good"), ecKey(t, "no-use")
	noUse.Use = ""
	enc := ecKey(t, "enc")
	enc.Use = "enc"
	is := newIssuer(t)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		good, noUse, enc,
		{Key: rsaPriv, KeyID: "private", Algorithm: "RS256", Use: "sig"},
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256", Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// A key go-jose cannot read must not hide the others.
	raw := strings.Replace(string(set), `"keys":[`, `"keys":[{"kty":"XX","kid":"odd"},{"kty":"EC","kid":"bad-ec","crv":"P-256","x":"AA","y":"AA"},`, 1)
	is.set(func(is *issuer) { is.rawJWKS = []byte(raw) })
	r := newRemote(t, is, newClock())

	mustKeys(t, r, "", "good,no-use")
	for _, kid := range []string{"enc", "private", "oct", "odd", "bad-ec"} {
		mustUnknown(t, r, kid)
	}
}

func TestNewRemoteKeySetRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*issuer)
		want  string
	}{
		{"issuer mismatch", func(is *issuer) { is.metaIssuer = is.URL + "/" }, "does not match"},
		{"issuer of another host", func(is *issuer) { is.metaIssuer = "https://evil.example" }, "does not match"},
		{"http jwks_uri", func(is *issuer) { is.jwksURI = "http://keys.example/jwks" }, "neither https"},
		{"relative jwks_uri", func(is *issuer) { is.jwksURI = "/jwks" }, "not an absolute URL"},
		{"no jwks_uri", func(is *issuer) { is.jwksURI = " " }, "jwks_uri"},
		{"oversize JWK set", func(is *issuer) {
			is.rawJWKS = []byte(`{"keys":[]` + strings.Repeat(" ", MaxDocumentSize) + `}`)
		}, "larger than"},
		{"JWK set not found", func(is *issuer) { is.status = http.StatusNotFound }, "404"},
		{"no keys member", func(is *issuer) { is.rawJWKS = []byte(`{}`) }, "no \"keys\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t, ecKey(t, "k1"))
			is.set(func(is *issuer) { tc.setup(is) })
			_, err := NewRemoteKeySet(context.Background(), is.URL, WithHTTPClient(is.Client()))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "acr: ") {
				t.Fatalf("err = %v, want acr: …%s…", err, tc.want)
			}
		})
	}
}

func TestCheckFetchURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://id.example":             true,
		"https://id.example/realms/x":    true,
		"http://localhost:8080":          true,
		"http://127.0.0.1:1234/x":        true,
		"http://[::1]:1234":              true,
		"http://id.example":              false,
		"http://localhost.evil.example":  false,
		"http://127.0.0.1.evil.example/": false,
		"ftp://id.example":               false,
		"https:///path":                  false,
		"id.example":                     false,
	} {
		if err := checkFetchURL(u); (err == nil) != ok {
			t.Errorf("checkFetchURL(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}

func TestRemoteKeySetRefusesRedirectToPlainHTTP(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"))
	redirect := httptest.NewServer(http.RedirectHandler("http://keys.example/jwks", http.StatusFound))
	t.Cleanup(redirect.Close)
	is.set(func(is *issuer) { is.jwksURI = redirect.URL })
	client := redirect.Client()
	// Answer the redirect target without leaving the machine.
	client.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Host != "keys.example" {
			return http.DefaultTransport.RoundTrip(req)
		}
		local := req.Clone(req.Context())
		local.URL.Host = strings.TrimPrefix(is.URL, "http://")
		resp, err := http.DefaultTransport.RoundTrip(local)
		if resp != nil {
			resp.Request = req
		}
		return resp, err
	})
	_, err := NewRemoteKeySet(context.Background(), is.URL, WithHTTPClient(client))
	if err == nil || !strings.Contains(err.Error(), "redirected") {
		t.Fatalf("err = %v, want a refused redirect", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStaticKeySet(t *testing.T) {
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := ecKey(t, "enc")
	enc.Use = "enc"
	for _, tc := range []struct {
		name string
		key  jose.JSONWebKey
		want string
	}{
		{"private", jose.JSONWebKey{Key: rsaPriv, KeyID: "p", Use: "sig"}, "private"},
		{"symmetric", jose.JSONWebKey{Key: []byte("secret-secret-secret-secret-1234"), KeyID: "s"}, "symmetric"},
		{"encryption", enc, `use "enc"`},
		{"invalid", jose.JSONWebKey{Key: &ecdsa.PublicKey{}, KeyID: "i"}, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewStaticKeySet(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecKey(t, "ok"), tc.key}})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "acr: ") {
				t.Fatalf("err = %v, want acr: …%s…", err, tc.want)
			}
		})
	}

	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecKey(t, "a"), ecKey(t, "b"), ecKey(t, "b")}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseStaticKeySet(set)
	if err != nil {
		t.Fatal(err)
	}
	mustKeys(t, s, "a", "a")
	mustKeys(t, s, "b", "b,b")
	mustKeys(t, s, "", "a,b,b")
	mustUnknown(t, s, "c")

	private, err := json.Marshal(jose.JSONWebKey{Key: rsaPriv, KeyID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseStaticKeySet([]byte(`{"keys":[` + string(private) + `]}`)); err == nil {
		t.Fatal("ParseStaticKeySet accepted a private key")
	}
}

func FuzzParseRemoteKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig","kid":"1"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"},{"kty":"RSA"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseRemoteKeys(body)
		if err != nil {
			return
		}
		for _, k := range keys {
			if err := checkVerificationKey(k); err != nil {
				t.Fatalf("kept key %q: %v", k.KeyID, err)
			}
		}
	})
}

func FuzzMaxAge(f *testing.F) {
	for _, s := range []string{"max-age=60", "no-cache", "public, max-age=\"5\"", "max-age=-1", "max-age=99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		if d, ok := maxAge(cc); ok && d < 0 {
			t.Fatalf("maxAge(%q) = %v", cc, d)
		}
	})
}

// A stale set whose issuer is slow or down still answers at once for a
// key it has, refreshing in the background.
func TestRemoteKeySetStaleKnownKeyDoesNotWait(t *testing.T) {
	is := newIssuer(t, ecKey(t, "k1"))
	clock := newClock()
	r := newRemote(t, is, clock, WithTTL(time.Minute))
	clock.Advance(2 * time.Minute)
	gate := make(chan struct{})
	is.set(func(is *issuer) { is.gate = gate })
	defer close(gate)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := r.Keys(ctx, "k1"); err != nil {
		t.Fatalf("a known key of a stale set while the issuer hangs: %v", err)
	}
}
