package demo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
	"github.com/stepup-auth/stepup/web/demo"
)

func TestSetupRegistersTheClientAndRemovesItWhenDisabled(t *testing.T) {
	ctx := context.Background()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	scheme, _ := acr.NewScheme(nil)
	opts := func(issuer string) demo.Options {
		return demo.Options{Issuer: issuer, Scheme: scheme, CookieKey: []byte(strings.Repeat("k", 32))}
	}
	setup := func(enabled bool, issuer string) error {
		h, err := demo.Setup(ctx, st.Clients(), enabled, opts(issuer))
		if (h != nil) != (enabled && err == nil) {
			t.Errorf("Setup(enabled %v) returned handler %v with err %v", enabled, h, err)
		}
		return err
	}

	if err := setup(true, "http://localhost:8080"); err != nil {
		t.Fatal(err)
	}
	c := mustGet(t, st.Clients())
	if c.Source != "demo" || c.SecretHash != "" || c.MinimumACR != "urn:stepup:acr:1fa" || c.SigningAlgorithm != "ES256" ||
		!slices.Equal(c.RedirectURIs, []string{"http://localhost:8080/demo/callback"}) ||
		!slices.Equal(c.PostLogoutRedirectURIs, []string{"http://localhost:8080/demo/"}) ||
		!slices.Equal(c.ResponseTypes, []string{"code"}) {
		t.Errorf("the demo client is %+v", c)
	}
	created := c.CreatedAt

	// A new public URL moves the redirect URIs; the record stays the same one.
	if err := setup(true, "https://auth.example.com"); err != nil {
		t.Fatal(err)
	}
	c = mustGet(t, st.Clients())
	if !slices.Equal(c.RedirectURIs, []string{"https://auth.example.com/demo/callback"}) || !c.CreatedAt.Equal(created) {
		t.Errorf("after a new public URL: %+v", c)
	}

	if err := setup(false, "https://auth.example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Clients().Get(ctx, demo.ClientID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disabled: Get = %v, want ErrNotFound", err)
	}
	if err := setup(false, "https://auth.example.com"); err != nil {
		t.Errorf("disabled twice: %v", err)
	}

	// A client of the same ID from the configuration is never touched.
	now := time.Now()
	mine := &store.Client{ID: demo.ClientID, Name: "mine", RedirectURIs: []string{"https://app.example/cb"},
		Source: "config", CreatedAt: now, UpdatedAt: now}
	if err := st.Clients().Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if err := setup(true, "http://localhost:8080"); err == nil || !strings.Contains(err.Error(), "demo.enabled") {
		t.Errorf("enabled over a config client: err %v, want one naming demo.enabled", err)
	}
	if err := setup(false, "http://localhost:8080"); err != nil {
		t.Errorf("disabled beside a config client: %v", err)
	}
	if c := mustGet(t, st.Clients()); c.Source != "config" || c.Name != "mine" {
		t.Errorf("the config client became %+v", c)
	}
}

func mustGet(t *testing.T, clients store.Clients) *store.Client {
	t.Helper()
	c, err := clients.Get(context.Background(), demo.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
