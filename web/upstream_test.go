package web

import (
	"strings"
	"testing"
	"time"
)

func newAttemptServer(t testing.TB) *Server {
	t.Helper()
	return attemptServer("k")
}

func attemptServer(key string) *Server {
	return &Server{attempts: attemptSealer([]byte(strings.Repeat(key, 32)))}
}

func TestUpstreamAttemptSealing(t *testing.T) {
	s := newAttemptServer(t)
	now := time.Unix(1700000000, 0)
	a := upstreamAttempt{Upstream: "kc", State: "st", Nonce: "no", Verifier: "ve", Flow: "fl", ExpiresAt: now.Add(time.Minute)}
	sealed, err := s.sealAttempt(a, "binding-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.openAttempt(sealed, "binding-1", now)
	if err == nil && got.ExpiresAt.Equal(a.ExpiresAt) {
		got.ExpiresAt = a.ExpiresAt
	}
	if err != nil || got != a {
		t.Fatalf("open: %+v, %v", got, err)
	}
	for name, open := range map[string]func() error{
		"another browser": func() error { _, err := s.openAttempt(sealed, "binding-2", now); return err },
		"no binding":      func() error { _, err := s.openAttempt(sealed, "", now); return err },
		"expired":         func() error { _, err := s.openAttempt(sealed, "binding-1", now.Add(time.Minute)); return err },
		"tampered": func() error {
			b := []byte(sealed)
			b[len(b)/2] ^= 1
			_, err := s.openAttempt(string(b), "binding-1", now)
			return err
		},
		"another key": func() error {
			other := attemptServer("j")
			_, err := other.openAttempt(sealed, "binding-1", now)
			return err
		},
	} {
		if err := open(); err != errAttempt {
			t.Errorf("%s: %v, want errAttempt", name, err)
		}
	}
}

func FuzzOpenUpstreamAttempt(f *testing.F) {
	s := attemptServer("k")
	now := time.Unix(1700000000, 0)
	sealed, _ := s.sealAttempt(upstreamAttempt{Upstream: "kc", State: "s", Nonce: "n", Verifier: "v", ExpiresAt: now.Add(time.Hour)}, "b")
	f.Add(sealed, "b")
	f.Add("", "b")
	f.Add("AAAA", "")
	f.Add(strings.Repeat("A", 5000), "b")
	f.Fuzz(func(t *testing.T, cookie, binding string) {
		a, err := s.openAttempt(cookie, binding, now)
		if err != nil {
			if err != errAttempt {
				t.Fatalf("error %v, want errAttempt", err)
			}
			return
		}
		if a.State == "" || a.Nonce == "" || a.Verifier == "" || !now.Before(a.ExpiresAt) {
			t.Fatalf("opened an incomplete or expired attempt %+v", a)
		}
	})
}
