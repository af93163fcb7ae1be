package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newClient returns a client with every field set but Version.
func newClient(e *env, id string) *store.Client {
	now := e.now()
	return &store.Client{
		ID:                     id,
		Name:                   "Shop " + id,
		SecretHash:             "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c2VjcmV0",
		RedirectURIs:           []string{"https://shop.example.com/callback", "https://shop.example.com/cb2"},
		PostLogoutRedirectURIs: []string{"https://shop.example.com/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		ResponseTypes:          []string{"code"},
		MinimumACR:             "urn:stepup:acr:mfa",
		Methods:                []acr.Method{acr.Passkey, acr.TOTP},
		AccessTokenFormat:      "jwt",
		SigningAlgorithm:       "ES256",
		ShowsReasons:           true,
		PKCEOptional:           true,
		Source:                 "admin",
		CreatedAt:              at(now, -time.Hour),
		UpdatedAt:              at(now, -time.Minute),
	}
}

func createClient(e *env, id string) *store.Client {
	e.t.Helper()
	c := newClient(e, id)
	must(e.t, fmt.Sprintf("Clients.Create(%q)", id), e.s.Clients().Create(e.ctx, c))
	c.Version = 1
	return c
}

func clientKey(c *store.Client) string { return c.ID }

func testClients(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		c := newClient(e, "shop")
		checkFixture(t, c, "Version")
		want := c.Clone()
		want.Version = 1
		must(t, "Clients.Create", e.s.Clients().Create(e.ctx, c))
		if c.Version != 1 {
			t.Errorf("Clients.Create: the argument's Version is %d afterwards, want 1", c.Version)
		}
		checkRecord(t, "Clients.Get", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		want := createClient(e, "shop")
		dup := newClient(e, "shop")
		dup.RedirectURIs = []string{"https://evil.example.com/"}
		wantErr(t, "Clients.Create of a taken ID", e.s.Clients().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Clients.Get after a conflicting Create", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createClient(e, "shop")
		c := read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get")
		c.RedirectURIs = append(c.RedirectURIs, "https://shop.example.com/cb3")
		c.Methods, c.UpdatedAt = []acr.Method{acr.SecurityKey}, at(e.now(), 0)
		must(t, "Clients.Update from Version 1", e.s.Clients().Update(e.ctx, c))
		if c.Version != 2 {
			t.Fatalf("Clients.Update from Version 1: the argument's Version is %d afterwards, want 2", c.Version)
		}
		checkRecord(t, "Clients.Get after Update", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), c)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createClient(e, "shop")
		first := read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get")
		second := first.Clone()
		first.Name = "first"
		must(t, "Clients.Update", e.s.Clients().Update(e.ctx, first))
		second.Name = "second"
		wantErr(t, "Clients.Update from a stale Version", e.s.Clients().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Clients.Get after a stale Update", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), first)
	})

	t.Run("MissingAndDelete", func(t *testing.T) {
		e := setup(t, nb)
		read(e.s.Clients().Get(e.ctx, "nope")).wantErr(t, "Clients.Get of a missing client", store.ErrNotFound)
		missing := newClient(e, "nope")
		missing.Version = 1
		wantErr(t, "Clients.Update of a missing client", e.s.Clients().Update(e.ctx, missing), store.ErrNotFound)
		wantErr(t, "Clients.Delete of a missing client", e.s.Clients().Delete(e.ctx, "nope"), store.ErrNotFound)
		c := createClient(e, "shop")
		other := createClient(e, "blog")
		must(t, "Clients.Delete", e.s.Clients().Delete(e.ctx, "shop"))
		read(e.s.Clients().Get(e.ctx, "shop")).wantErr(t, "Clients.Get of a deleted client", store.ErrNotFound)
		wantErr(t, "Clients.Update of a deleted client", e.s.Clients().Update(e.ctx, c), store.ErrNotFound)
		wantErr(t, "Clients.Delete of a deleted client", e.s.Clients().Delete(e.ctx, "shop"), store.ErrNotFound)
		checkList(t, "Clients.List after Delete", read(e.s.Clients().List(e.ctx, store.Page{})).must(t, "Clients.List"), []*store.Client{other}, clientKey)
	})

	t.Run("ListPaging", func(t *testing.T) {
		e := setup(t, nb)
		const n = store.DefaultLimit + 5
		all := make([]*store.Client, n)
		for i := range n {
			j := (i * 37) % n
			all[j] = createClient(e, fmt.Sprintf("c%03d", j))
		}
		checkPaging(t, "Clients", all, clientKey, func(p store.Page) []*store.Client {
			t.Helper()
			return read(e.s.Clients().List(e.ctx, p)).must(t, fmt.Sprintf("Clients.List(%+v)", p))
		})
	})

	t.Run("ListPagingBytewise", func(t *testing.T) {
		e := setup(t, nb)
		byID := map[string]*store.Client{}
		for _, id := range bytewiseKeys {
			byID[id] = createClient(e, id)
		}
		checkBytewise(t, "Clients", byID, clientKey, func(p store.Page) []*store.Client {
			t.Helper()
			return read(e.s.Clients().List(e.ctx, p)).must(t, fmt.Sprintf("Clients.List(%+v)", p))
		})
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		c := newClient(e, "shop")
		must(t, "Clients.Create", e.s.Clients().Create(e.ctx, c))
		want := c.Clone()
		c.RedirectURIs[0], c.Methods[0] = "https://evil.example.com/", acr.SMS
		got := read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get")
		checkRecord(t, "Clients.Get after the caller changed the record it created", got, want)
		got.RedirectURIs[0], got.GrantTypes[0] = "https://evil.example.com/", "password"
		checkRecord(t, "Clients.Get after the caller changed a record it read", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), want)
		for _, l := range read(e.s.Clients().List(e.ctx, store.Page{})).must(t, "Clients.List") {
			l.RedirectURIs[0] = "https://evil.example.com/"
		}
		checkRecord(t, "Clients.Get after the caller changed a listed record", read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get"), want)
	})
}

// newAPIKey returns an API key with every field set but Version, expiring
// in ninety days.
func newAPIKey(e *env, id string) *store.APIKey {
	now := e.now()
	return &store.APIKey{
		ID:         id,
		Hash:       "sha256:" + id,
		Name:       "CI key " + id,
		Kind:       "server",
		Scopes:     []string{"actions:write", "users:read"},
		CreatedAt:  at(now, -time.Hour),
		LastUsedAt: at(now, -time.Minute),
		ExpiresAt:  at(now, 90*24*time.Hour),
	}
}

func createAPIKey(e *env, id string) *store.APIKey {
	e.t.Helper()
	k := newAPIKey(e, id)
	must(e.t, fmt.Sprintf("APIKeys.Create(%q)", id), e.s.APIKeys().Create(e.ctx, k))
	k.Version = 1
	return k
}

func apiKeyKey(k *store.APIKey) string { return k.ID }

func testAPIKeys(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		k := newAPIKey(e, "k1")
		checkFixture(t, k, "Version")
		want := k.Clone()
		want.Version = 1
		must(t, "APIKeys.Create", e.s.APIKeys().Create(e.ctx, k))
		if k.Version != 1 {
			t.Errorf("APIKeys.Create: the argument's Version is %d afterwards, want 1", k.Version)
		}
		checkRecord(t, "APIKeys.Get", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		want := createAPIKey(e, "k1")
		dup := newAPIKey(e, "k1")
		dup.Kind = "admin"
		wantErr(t, "APIKeys.Create of a taken ID", e.s.APIKeys().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "APIKeys.Get after a conflicting Create", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createAPIKey(e, "k1")
		k := read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get")
		k.LastUsedAt, k.Scopes = at(e.now(), 0), []string{"users:read"}
		must(t, "APIKeys.Update from Version 1", e.s.APIKeys().Update(e.ctx, k))
		if k.Version != 2 {
			t.Fatalf("APIKeys.Update from Version 1: the argument's Version is %d afterwards, want 2", k.Version)
		}
		checkRecord(t, "APIKeys.Get after Update", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), k)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createAPIKey(e, "k1")
		first := read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get")
		second := first.Clone()
		first.Name = "first"
		must(t, "APIKeys.Update", e.s.APIKeys().Update(e.ctx, first))
		second.Name = "second"
		wantErr(t, "APIKeys.Update from a stale Version", e.s.APIKeys().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "APIKeys.Get after a stale Update", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), first)
	})

	t.Run("MissingAndDelete", func(t *testing.T) {
		e := setup(t, nb)
		read(e.s.APIKeys().Get(e.ctx, "nope")).wantErr(t, "APIKeys.Get of a missing key", store.ErrNotFound)
		missing := newAPIKey(e, "nope")
		missing.Version = 1
		wantErr(t, "APIKeys.Update of a missing key", e.s.APIKeys().Update(e.ctx, missing), store.ErrNotFound)
		wantErr(t, "APIKeys.Delete of a missing key", e.s.APIKeys().Delete(e.ctx, "nope"), store.ErrNotFound)
		k := createAPIKey(e, "k1")
		other := createAPIKey(e, "k2")
		must(t, "APIKeys.Delete", e.s.APIKeys().Delete(e.ctx, "k1"))
		read(e.s.APIKeys().Get(e.ctx, "k1")).wantErr(t, "APIKeys.Get of a deleted key", store.ErrNotFound)
		wantErr(t, "APIKeys.Update of a deleted key", e.s.APIKeys().Update(e.ctx, k), store.ErrNotFound)
		wantErr(t, "APIKeys.Delete of a deleted key", e.s.APIKeys().Delete(e.ctx, "k1"), store.ErrNotFound)
		checkList(t, "APIKeys.List after Delete", read(e.s.APIKeys().List(e.ctx, store.Page{})).must(t, "APIKeys.List"), []*store.APIKey{other}, apiKeyKey)
	})

	t.Run("ListPaging", func(t *testing.T) {
		e := setup(t, nb)
		const n = store.DefaultLimit + 5
		all := make([]*store.APIKey, n)
		for i := range n {
			j := (i * 37) % n
			all[j] = createAPIKey(e, fmt.Sprintf("k%03d", j))
		}
		checkPaging(t, "APIKeys", all, apiKeyKey, func(p store.Page) []*store.APIKey {
			t.Helper()
			return read(e.s.APIKeys().List(e.ctx, p)).must(t, fmt.Sprintf("APIKeys.List(%+v)", p))
		})
	})

	t.Run("ListPagingBytewise", func(t *testing.T) {
		e := setup(t, nb)
		byID := map[string]*store.APIKey{}
		for _, id := range bytewiseKeys {
			byID[id] = createAPIKey(e, id)
		}
		checkBytewise(t, "APIKeys", byID, apiKeyKey, func(p store.Page) []*store.APIKey {
			t.Helper()
			return read(e.s.APIKeys().List(e.ctx, p)).must(t, fmt.Sprintf("APIKeys.List(%+v)", p))
		})
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		k := newAPIKey(e, "k1")
		must(t, "APIKeys.Create", e.s.APIKeys().Create(e.ctx, k))
		want := k.Clone()
		k.Scopes[0] = "admin:everything"
		got := read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get")
		checkRecord(t, "APIKeys.Get after the caller changed the record it created", got, want)
		got.Scopes[0] = "admin:everything"
		checkRecord(t, "APIKeys.Get after the caller changed a record it read", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), want)
		for _, l := range read(e.s.APIKeys().List(e.ctx, store.Page{})).must(t, "APIKeys.List") {
			l.Scopes[0] = "admin:everything"
		}
		checkRecord(t, "APIKeys.Get after the caller changed a listed record", read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get"), want)
	})
}
