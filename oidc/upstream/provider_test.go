package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that is down is asked once in retryDiscovery: the sign-ins
// meanwhile get its error at once instead of each waiting its timeout.
func TestFailedDiscoveryIsRememberedBriefly(t *testing.T) {
	var asked atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	p, err := New(Config{ID: "kc", Issuer: down.URL, ClientID: "c", RedirectURI: "http://localhost/cb", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := p.AuthURL(context.Background(), "s", "n", "v", nil, -1); err == nil {
			t.Fatalf("sign-in %d through an upstream that is down: no error", i)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("the upstream was asked %d times within %s, want once", n, retryDiscovery)
	}
	now = now.Add(retryDiscovery)
	if _, err := p.AuthURL(context.Background(), "s", "n", "v", nil, -1); err == nil || asked.Load() != 2 {
		t.Fatalf("after %s: asked %d times (%v), want a second discovery", retryDiscovery, asked.Load(), err)
	}
}
