package apikey_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api"
	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// fixture is an Authenticator over a keyStore, with an admin key, a server
// key and an admin key that expires in an hour.
type fixture struct {
	store                *keyStore
	clock                *clock
	auth                 *apikey.Authenticator
	admin, server, short string
	adminRec, shortRec   *store.APIKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: newKeyStore(), clock: newClock()}
	f.auth = apikey.New(f.store, f.clock.now)
	f.admin, f.adminRec = f.create(t, apikey.Admin, "analysts", time.Time{})
	f.server, _ = f.create(t, apikey.Server, "backend", time.Time{})
	f.short, f.shortRec = f.create(t, apikey.Admin, "short", f.clock.now().Add(time.Hour))
	return f
}

func (f *fixture) create(t *testing.T, kind, name string, expires time.Time) (string, *store.APIKey) {
	t.Helper()
	key, rec, err := apikey.Generate(kind, name, nil, expires, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return key, rec
}

// call sends a request with the given Authorization headers (none if
// empty) through the admin middleware and returns the answer and the
// key the handler saw.
func (f *fixture) call(t *testing.T, kind string, authorization ...string) (*httptest.ResponseRecorder, *store.APIKey) {
	t.Helper()
	var seen *store.APIKey
	h := f.auth.Middleware(kind)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, ok := apikey.FromContext(r.Context())
		if !ok {
			t.Error("the handler has no key in its context")
		}
		seen = k
		w.WriteHeader(http.StatusNoContent)
	}))
	req := httptest.NewRequest(http.MethodGet, "/admin/v1/actions", nil)
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, seen
}

// wantRefused checks a 401 with its JSON error and challenge.
func wantRefused(t *testing.T, rec *httptest.ResponseRecorder, message string) {
	t.Helper()
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401; body %s", rec.Code, rec.Body)
	}
	if ch := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer") {
		t.Errorf("WWW-Authenticate %q", ch)
	}
	var body api.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthenticated" ||
		!strings.Contains(body.Error.Message, message) {
		t.Errorf("body %s (%v), want code unauthenticated and a message with %q", rec.Body, err, message)
	}
}

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	_, wrongSecret, _ := strings.Cut(f.server, "_server_") // the server key's secret on the admin key's id
	wrongSecret = "su_admin_" + f.adminRec.ID + wrongSecret[len(f.adminRec.ID):]
	tests := []struct {
		name          string
		kind          string
		authorization []string
		message       string // "" for accepted
	}{
		{name: "valid admin key", kind: apikey.Admin, authorization: []string{"Bearer " + f.admin}},
		{name: "scheme in lower case", kind: apikey.Admin, authorization: []string{"bearer " + f.admin}},
		{name: "valid server key", kind: apikey.Server, authorization: []string{"Bearer " + f.server}},
		{name: "no header", kind: apikey.Admin, message: "an API key is required"},
		{name: "basic", kind: apikey.Admin, authorization: []string{"Basic " + f.admin}, message: "not valid"},
		{name: "no scheme", kind: apikey.Admin, authorization: []string{f.admin}, message: "not valid"},
		{name: "empty token", kind: apikey.Admin, authorization: []string{"Bearer "}, message: "not valid"},
		{name: "two spaces", kind: apikey.Admin, authorization: []string{"Bearer  " + f.admin}, message: "not valid"},
		{name: "two headers", kind: apikey.Admin, authorization: []string{"Bearer " + f.admin, "Bearer " + f.admin}, message: "not valid"},
		{name: "malformed", kind: apikey.Admin, authorization: []string{"Bearer su_admin_nope"}, message: "not valid"},
		{name: "wrong secret", kind: apikey.Admin, authorization: []string{"Bearer " + wrongSecret}, message: "not valid"},
		{name: "unknown id", kind: apikey.Admin, authorization: []string{"Bearer " + strings.Replace(f.admin, f.adminRec.ID, strings.Repeat("0", 24), 1)}, message: "not valid"},
		{name: "kind changed in the key", kind: apikey.Server, authorization: []string{"Bearer " + strings.Replace(f.admin, "su_admin_", "su_server_", 1)}, message: "not valid"},
		{name: "server key on the admin API", kind: apikey.Admin, authorization: []string{"Bearer " + f.server}, message: "not of the kind"},
		{name: "admin key on the track API", kind: apikey.Server, authorization: []string{"Bearer " + f.admin}, message: "not of the kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, seen := f.call(t, tt.kind, tt.authorization...)
			if tt.message != "" {
				wantRefused(t, rec, tt.message)
				if seen != nil {
					t.Error("the handler ran")
				}
				return
			}
			if rec.Code != http.StatusNoContent || seen == nil || seen.Kind != tt.kind || seen.Hash == "" {
				t.Fatalf("status %d, key %+v; body %s", rec.Code, seen, rec.Body)
			}
		})
	}
}

func TestKeyInTheQueryIsIgnored(t *testing.T) {
	f := newFixture(t)
	h := f.auth.Middleware(apikey.Admin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the handler ran") }))
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/admin/v1/actions?access_token="+f.admin, nil),
		httptest.NewRequest(http.MethodGet, "/admin/v1/actions?api_key="+f.admin, nil),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		wantRefused(t, rec, "an API key is required")
	}
}

func TestExpiredKeyIsRefused(t *testing.T) {
	f := newFixture(t)
	if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.short); rec.Code != http.StatusNoContent {
		t.Fatalf("before expiry: %d", rec.Code)
	}
	f.clock.advance(time.Hour - time.Second)
	if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.short); rec.Code != http.StatusNoContent {
		t.Fatalf("a second before expiry: %d", rec.Code)
	}
	// Within the cache's lifetime of the record: expiry is checked on
	// every request, not when the record is read.
	f.clock.advance(time.Second)
	rec, _ := f.call(t, apikey.Admin, "Bearer "+f.short)
	wantRefused(t, rec, "expired")
}

// Verified keys are served from memory for CacheTTL: a busy API reads the
// store once per key and TTL, and a revoked key stops working at the TTL.
func TestCacheAndRevocation(t *testing.T) {
	f := newFixture(t)
	gets0, _ := f.store.counts()
	for range 100 {
		if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.admin); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
	}
	// One read to verify, one to record the first use.
	if gets, _ := f.store.counts(); gets-gets0 != 2 {
		t.Errorf("100 requests read the store %d times, want 2", gets-gets0)
	}

	if err := f.store.Delete(context.Background(), f.adminRec.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(apikey.CacheTTL - time.Millisecond)
	if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.admin); rec.Code != http.StatusNoContent {
		t.Errorf("within the TTL after revocation: %d (the documented grace)", rec.Code)
	}
	f.clock.advance(time.Millisecond)
	rec, _ := f.call(t, apikey.Admin, "Bearer "+f.admin)
	wantRefused(t, rec, "not valid")

	// A wrong secret for a cached id is refused from the cache too.
	f.clock.advance(time.Second)
	if rec, _ := f.call(t, apikey.Server, "Bearer "+f.server); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	forged := f.server[:len(f.server)-2] + "AA"
	if forged == f.server {
		forged = f.server[:len(f.server)-2] + "BA"
	}
	rec, _ = f.call(t, apikey.Server, "Bearer "+forged)
	wantRefused(t, rec, "not valid")
}

// LastUsedAt is written on first use and then at most once a minute.
func TestLastUsedAt(t *testing.T) {
	f := newFixture(t)
	start := f.clock.now()
	use := func() {
		t.Helper()
		if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.admin); rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
	}
	use()
	if got := f.store.get(t, f.adminRec.ID).LastUsedAt; !got.Equal(start) {
		t.Fatalf("after the first use LastUsedAt is %v, want %v", got, start)
	}
	_, updates := f.store.counts()
	for range 59 {
		f.clock.advance(time.Second)
		use()
	}
	if _, n := f.store.counts(); n != updates {
		t.Errorf("%d writes within the minute, want none", n-updates)
	}
	f.clock.advance(time.Second)
	use()
	if got := f.store.get(t, f.adminRec.ID).LastUsedAt; !got.Equal(start.Add(time.Minute)) {
		t.Errorf("a minute later LastUsedAt is %v, want %v", got, start.Add(time.Minute))
	}
	if _, n := f.store.counts(); n != updates+1 {
		t.Errorf("%d writes at the minute, want 1", n-updates)
	}
}

func TestNewContext(t *testing.T) {
	if _, ok := apikey.FromContext(context.Background()); ok {
		t.Error("a key in an empty context")
	}
	k := &store.APIKey{ID: "x"}
	if got, ok := apikey.FromContext(apikey.NewContext(context.Background(), k)); !ok || got != k {
		t.Errorf("FromContext(NewContext(k)) = %v, %v", got, ok)
	}
}

// Author names a key by its name and its id: the name alone may be shared
// by several keys, or reused after a revocation.
func TestAuthor(t *testing.T) {
	if got := apikey.Author(context.Background()); got != "" {
		t.Errorf("Author without a key = %q, want \"\"", got)
	}
	k := &store.APIKey{ID: "3fa2", Name: "backend"}
	if got := apikey.Author(apikey.NewContext(context.Background(), k)); got != "backend (key 3fa2)" {
		t.Errorf("Author = %q, want \"backend (key 3fa2)\"", got)
	}
}

// Of many requests at once with a key due a LastUsedAt, one writes it.
func TestLastUsedAtWrittenOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	if rec, _ := f.call(t, apikey.Admin, "Bearer "+f.admin); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	f.clock.advance(time.Minute)
	_, before := f.store.counts()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := f.auth.Verify(context.Background(), apikey.Admin, f.admin); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, after := f.store.counts(); after-before != 1 {
		t.Errorf("%d writes of LastUsedAt, want 1", after-before)
	}
}
