package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	keycloak = "https://kc.example/realms/acme"
	cognito  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
)

// newUpstreamLink returns a link with every field set but Version.
func newUpstreamLink(e *env, issuer, subject, userID string) *store.UpstreamLink {
	return &store.UpstreamLink{Issuer: issuer, Subject: subject, UserID: userID, Upstream: "kc", CreatedAt: at(e.now(), -time.Hour)}
}

func createUpstreamLink(e *env, issuer, subject, userID string) *store.UpstreamLink {
	e.t.Helper()
	l := newUpstreamLink(e, issuer, subject, userID)
	must(e.t, fmt.Sprintf("UpstreamLinks.Create(%q, %q)", issuer, subject), e.s.UpstreamLinks().Create(e.ctx, l))
	l.Version = 1
	return l
}

func upstreamLinkKey(l *store.UpstreamLink) string { return l.Issuer + " " + l.Subject }

func testUpstreamLinks(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		l := newUpstreamLink(e, keycloak, "sub-1", "u1")
		checkFixture(t, l, "Version")
		want := l.Clone()
		want.Version = 1
		must(t, "UpstreamLinks.Create", e.s.UpstreamLinks().Create(e.ctx, l))
		if l.Version != 1 {
			t.Errorf("UpstreamLinks.Create: the argument's Version is %d afterwards, want 1", l.Version)
		}
		checkRecord(t, "UpstreamLinks.Get", read(e.s.UpstreamLinks().Get(e.ctx, keycloak, "sub-1")).must(t, "UpstreamLinks.Get"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		wantErr(t, "UpstreamLinks.Create for a user who does not exist",
			e.s.UpstreamLinks().Create(e.ctx, newUpstreamLink(e, keycloak, "sub-1", "nobody")), store.ErrNotFound)
		read(e.s.UpstreamLinks().Get(e.ctx, keycloak, "sub-1")).wantErr(t, "UpstreamLinks.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateLinkedIdentity", func(t *testing.T) {
		// Two sign-ins of one new upstream identity may race: one link
		// wins, the other sees a conflict and never links another user.
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := createUpstreamLink(e, keycloak, "sub-1", "u1")
		wantErr(t, "UpstreamLinks.Create of a linked (issuer, subject)",
			e.s.UpstreamLinks().Create(e.ctx, newUpstreamLink(e, keycloak, "sub-1", "u2")), store.ErrConflict)
		checkRecord(t, "UpstreamLinks.Get after a conflicting Create", read(e.s.UpstreamLinks().Get(e.ctx, keycloak, "sub-1")).must(t, "UpstreamLinks.Get"), want)
		// A subject is unique only within its issuer.
		other := createUpstreamLink(e, cognito, "sub-1", "u2")
		checkRecord(t, "UpstreamLinks.Get of the same subject at another issuer", read(e.s.UpstreamLinks().Get(e.ctx, cognito, "sub-1")).must(t, "UpstreamLinks.Get"), other)
	})

	t.Run("KeyIsNotAPrefix", func(t *testing.T) {
		// (iss, sub) must not be found as (iss+x, sub') by a key that
		// runs the two together.
		e := setup(t, nb)
		createUser(e, "u1")
		createUpstreamLink(e, "https://a.example/x", "y", "u1")
		read(e.s.UpstreamLinks().Get(e.ctx, "https://a.example/", "xy")).wantErr(t, "UpstreamLinks.Get of a run-together key", store.ErrNotFound)
		read(e.s.UpstreamLinks().Get(e.ctx, "https://a.example/x", "")).wantErr(t, "UpstreamLinks.Get with an empty subject", store.ErrNotFound)
	})

	t.Run("DeleteAndList", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		a := createUpstreamLink(e, keycloak, "sub-1", "u1")
		b := createUpstreamLink(e, cognito, "sub-9", "u1")
		createUpstreamLink(e, keycloak, "sub-2", "u2")
		checkSet(t, "UpstreamLinks.ListByUser(u1)", read(e.s.UpstreamLinks().ListByUser(e.ctx, "u1")).must(t, "UpstreamLinks.ListByUser"),
			[]*store.UpstreamLink{a, b}, upstreamLinkKey)
		must(t, "UpstreamLinks.Delete", e.s.UpstreamLinks().Delete(e.ctx, keycloak, "sub-1"))
		read(e.s.UpstreamLinks().Get(e.ctx, keycloak, "sub-1")).wantErr(t, "UpstreamLinks.Get of a deleted link", store.ErrNotFound)
		wantErr(t, "UpstreamLinks.Delete of a deleted link", e.s.UpstreamLinks().Delete(e.ctx, keycloak, "sub-1"), store.ErrNotFound)
		checkList(t, "UpstreamLinks.ListByUser of a missing user", read(e.s.UpstreamLinks().ListByUser(e.ctx, "nobody")).must(t, "UpstreamLinks.ListByUser"), nil, upstreamLinkKey)
	})

	t.Run("Durable", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createUpstreamLink(e, keycloak, "sub-1", "u1")
		e.reopen()
		checkRecord(t, "UpstreamLinks.Get after reopening", read(e.s.UpstreamLinks().Get(e.ctx, keycloak, "sub-1")).must(t, "UpstreamLinks.Get"), want)
	})
}
