package stepup

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

func TestFlowTokens(t *testing.T) {
	now := t0
	fs, err := NewFlows([]byte(strings.Repeat("k", 32)), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	f := Flow{AuthRequestID: "ar1", Level: acr.MFA, ExpiresAt: t0.Add(10 * time.Minute),
		Methods: []acr.Method{acr.TOTP}, Since: t0.Add(-time.Minute)}
	token, err := fs.Seal(f, "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.Open(token, "browser-1")
	if err != nil || got.AuthRequestID != "ar1" || got.Level != acr.MFA || !got.Since.Equal(f.Since) || len(got.Methods) != 1 {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if _, err := fs.Open(token, "browser-2"); !errors.Is(err, ErrFlow) {
		t.Errorf("a token opened in another browser: %v", err)
	}
	if _, err := fs.Open(token, ""); !errors.Is(err, ErrFlow) {
		t.Errorf("a token opened without a flow cookie: %v", err)
	}
	// Raise the level in the payload and keep the signature: refused.
	payload, sig, _ := strings.Cut(token, ".")
	f.Level = acr.OneFactor
	lowered, _ := fs.Seal(f, "browser-1")
	lp, _, _ := strings.Cut(lowered, ".")
	if _, err := fs.Open(lp+"."+sig, "browser-1"); !errors.Is(err, ErrFlow) {
		t.Errorf("a token with a changed payload verified: %v", err)
	}
	other, _ := NewFlows([]byte(strings.Repeat("x", 32)), func() time.Time { return now })
	if _, err := other.Open(payload+"."+sig, "browser-1"); !errors.Is(err, ErrFlow) {
		t.Errorf("a token verified under another key: %v", err)
	}
	now = t0.Add(10 * time.Minute)
	if _, err := fs.Open(token, "browser-1"); !errors.Is(err, ErrFlow) {
		t.Errorf("an expired token opened: %v", err)
	}
	if _, err := NewFlows([]byte("short"), nil); err == nil {
		t.Error("a short key was accepted")
	}
}

func FuzzOpenFlow(f *testing.F) {
	fs, _ := NewFlows([]byte(strings.Repeat("k", 32)), func() time.Time { return t0 })
	good, _ := fs.Seal(Flow{AuthRequestID: "x", ExpiresAt: t0.Add(time.Hour)}, "b")
	f.Add(good, "b")
	f.Add("..", "b")
	f.Fuzz(func(t *testing.T, token, binding string) {
		flow, err := fs.Open(token, binding)
		if err == nil && (binding != "b" || flow.AuthRequestID != "x") {
			t.Fatalf("a forged token opened: %q %q → %+v", token, binding, flow)
		}
	})
}
