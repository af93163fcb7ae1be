package stepup_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

func newFederation(t *testing.T) (*stepup.Federation, *memdb.Store) {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return stepup.NewFederation(st.Users(), st.UpstreamLinks(), nil, nil), st
}

func TestFederationLink(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	seed := func(st *memdb.Store, id, email string, verified bool) {
		t.Helper()
		if err := st.Users().Create(ctx, &store.User{ID: id, Username: id, Email: email, EmailVerified: verified, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	id := stepup.UpstreamIdentity{Upstream: "kc", Issuer: "https://kc", Subject: "s1", Email: "a@x.example", EmailVerified: true}

	t.Run("same identity, same user", func(t *testing.T) {
		f, _ := newFederation(t)
		u1, err := f.Link(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		u2, err := f.Link(ctx, id, false)
		if err != nil || u2.ID != u1.ID {
			t.Fatalf("second sign-in: %v, %v; want user %s", u2, err, u1.ID)
		}
		if u1.Email != "a@x.example" || !u1.EmailVerified {
			t.Errorf("a new user of a verified email: %q verified %v", u1.Email, u1.EmailVerified)
		}
		other := id
		other.Issuer = "https://other"
		if u3, err := f.Link(ctx, other, false); err != nil || u3.ID == u1.ID {
			t.Errorf("the same subject at another issuer: %v, %v; want a new user", u3, err)
		}
	})
	t.Run("never by email unless configured", func(t *testing.T) {
		f, st := newFederation(t)
		seed(st, "existing", "a@x.example", true)
		u, err := f.Link(ctx, id, false)
		if err != nil || u.ID == "existing" || u.Email != "" {
			t.Fatalf("link_by_email off: %+v, %v; want a new user without the taken email", u, err)
		}
	})
	t.Run("by verified email when configured", func(t *testing.T) {
		f, st := newFederation(t)
		seed(st, "existing", "a@x.example", true)
		if u, err := f.Link(ctx, id, true); err != nil || u.ID != "existing" {
			t.Fatalf("link_by_email on, verified on both sides: %+v, %v; want existing", u, err)
		}
	})
	t.Run("not by an unverified upstream email", func(t *testing.T) {
		f, st := newFederation(t)
		seed(st, "existing", "a@x.example", true)
		unverified := id
		unverified.EmailVerified = false
		if u, err := f.Link(ctx, unverified, true); err != nil || u.ID == "existing" {
			t.Fatalf("an unverified upstream email: %+v, %v; want a new user", u, err)
		}
	})
	t.Run("not to an account whose own email is unverified", func(t *testing.T) {
		f, st := newFederation(t)
		seed(st, "squatter", "a@x.example", false)
		if u, err := f.Link(ctx, id, true); err != nil || u.ID == "squatter" {
			t.Fatalf("a stepup account with the address unverified: %+v, %v; want a new user", u, err)
		}
	})
	t.Run("a disabled user is not signed in", func(t *testing.T) {
		f, st := newFederation(t)
		u, err := f.Link(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		u.Disabled = true
		if err := st.Users().Update(ctx, u); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Link(ctx, id, false); !errors.Is(err, stepup.ErrUpstreamUser) {
			t.Fatalf("a disabled linked user: %v, want ErrUpstreamUser", err)
		}
	})
	t.Run("no subject", func(t *testing.T) {
		f, _ := newFederation(t)
		if _, err := f.Link(ctx, stepup.UpstreamIdentity{Issuer: "https://kc"}, false); err == nil {
			t.Fatal("an identity without a subject was linked")
		}
	})
}

// A user's email is stored in lower case (store.User; the email OTP factor
// makes a proved address the user's so): an upstream's "Alice@X.Example"
// is that account's mailbox, and link_by_email must find it rather than
// make a second account for it.
func TestFederationLinkByEmailCase(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	f, st := newFederation(t)
	if err := st.Users().Create(ctx, &store.User{ID: "existing", Username: "alice", Email: "alice@x.example", EmailVerified: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	id := stepup.UpstreamIdentity{Upstream: "kc", Issuer: "https://kc", Subject: "s1", Email: "Alice@X.Example", EmailVerified: true}
	u, err := f.Link(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "existing" {
		t.Errorf("link_by_email with %q and a stepup account of %q: linked to a new user %s with email %q, want existing",
			id.Email, "alice@x.example", u.ID, u.Email)
	}
}

// An upstream account's address can pass to someone else (a deleted
// account's address reissued, a renamed mailbox): a second subject of the
// same issuer with the verified address of a stepup account that is
// already linked to another subject there must not be linked to it by
// email. Only a new identity at another upstream may join an account by
// its address.
func TestFederationLinkByEmailNotASecondSubjectOfTheSameIssuer(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	f, st := newFederation(t)
	if err := st.Users().Create(ctx, &store.User{ID: "existing", Username: "a", Email: "a@x.example", EmailVerified: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	first := stepup.UpstreamIdentity{Upstream: "kc", Issuer: "https://kc", Subject: "s1", Email: "a@x.example", EmailVerified: true}
	if u, err := f.Link(ctx, first, true); err != nil || u.ID != "existing" {
		t.Fatalf("first identity: %+v, %v; want existing", u, err)
	}
	second := first
	second.Subject = "s2"
	u, err := f.Link(ctx, second, true)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "existing" {
		t.Error("a second subject of the same issuer with the same address was linked to the account of the first")
	}
	// Another upstream's identity with the address still joins it.
	other := first
	other.Issuer, other.Upstream = "https://other", "other"
	if u, err := f.Link(ctx, other, true); err != nil || u.ID != "existing" {
		t.Errorf("another upstream's identity: %+v, %v; want existing", u, err)
	}
}
