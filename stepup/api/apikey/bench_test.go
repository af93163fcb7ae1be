package apikey_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store"
)

// BenchmarkMiddleware is the hot path of the track API: a key verified a
// moment ago, checked again on the next request.
func BenchmarkMiddleware(b *testing.B) {
	st := newKeyStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, rec, err := apikey.Generate(apikey.Server, "backend", nil, time.Time{}, now)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Create(context.Background(), rec); err != nil {
		b.Fatal(err)
	}
	h := apikey.New(st, func() time.Time { return now }).Middleware(apikey.Server)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "/v1/users/u/actions/payment", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := httptest.NewRecorder()
		for pb.Next() {
			h.ServeHTTP(w, req)
		}
	})
	if gets, _ := st.counts(); gets > 2 {
		b.Errorf("the store was read %d times", gets)
	}
}

// A store that fails is a 503, not a 401: the key may well be valid.
func TestStoreFailureIsUnavailable(t *testing.T) {
	st := newKeyStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, _, _ := apikey.Generate(apikey.Server, "backend", nil, time.Time{}, now)
	h := apikey.New(failingKeys{st}, func() time.Time { return now }).Middleware(apikey.Server)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran")
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("status %d, %s", rec.Code, rec.Body)
	}
}

type failingKeys struct{ *keyStore }

func (failingKeys) Get(context.Context, string) (*store.APIKey, error) {
	return nil, errors.New("memdb: the disk is on fire")
}
