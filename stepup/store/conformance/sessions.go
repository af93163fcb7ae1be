package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newSession returns a session with every field set but Version, expiring
// in an hour.
func newSession(e *env, id, userID string) *store.Session {
	now := e.now()
	return &store.Session{
		ID:      id,
		Lineage: "lineage-" + id,
		UserID:  userID,
		Verifications: []store.Verification{
			{Method: acr.Password, AuthenticatorID: "pw-" + userID, AMR: []string{"pwd"}, At: at(now, -10*time.Minute)},
			{Method: acr.Passkey, AuthenticatorID: "pk-" + userID, AMR: []string{"hwk", "user"}, UserVerified: true, HardwareBound: true, At: at(now, -5*time.Minute)},
			{Method: acr.Upstream, AuthenticatorID: "up-" + userID, AMR: []string{"pwd", "otp"}, Level: acr.MFA, At: at(now, -2*time.Minute)},
		},
		CreatedAt:  at(now, -10*time.Minute),
		LastSeenAt: at(now, -time.Minute),
		ExpiresAt:  at(now, time.Hour),
	}
}

func createSession(e *env, id, userID string) *store.Session {
	e.t.Helper()
	s := newSession(e, id, userID)
	must(e.t, fmt.Sprintf("Sessions.Create(%q)", id), e.s.Sessions().Create(e.ctx, s))
	s.Version = 1
	return s
}

func sessionKey(s *store.Session) string { return s.ID }

func testSessions(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		s := newSession(e, "s1", "u1")
		checkFixture(t, s, "Version")
		checkFixtures(t, s.Verifications)
		want := s.Clone()
		want.Version = 1
		must(t, "Sessions.Create", e.s.Sessions().Create(e.ctx, s))
		if s.Version != 1 {
			t.Errorf("Sessions.Create: the argument's Version is %d afterwards, want 1", s.Version)
		}
		checkRecord(t, "Sessions.Get", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		wantErr(t, "Sessions.Create for a user who does not exist", e.s.Sessions().Create(e.ctx, newSession(e, "s1", "nobody")), store.ErrNotFound)
		read(e.s.Sessions().Get(e.ctx, "s1")).wantErr(t, "Sessions.Get after a Create for a missing user", store.ErrNotFound)
		checkList(t, "Sessions.ListByUser after a Create for a missing user", read(e.s.Sessions().ListByUser(e.ctx, "nobody")).must(t, "Sessions.ListByUser"), nil, sessionKey)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := createSession(e, "s1", "u1")
		wantErr(t, "Sessions.Create of a taken ID", e.s.Sessions().Create(e.ctx, newSession(e, "s1", "u2")), store.ErrConflict)
		checkRecord(t, "Sessions.Get after a conflicting Create", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), want)
		checkList(t, "Sessions.ListByUser of the conflicting Create's user", read(e.s.Sessions().ListByUser(e.ctx, "u2")).must(t, "Sessions.ListByUser"), nil, sessionKey)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createSession(e, "s1", "u1")
		s := read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get")
		s.Verifications = append(s.Verifications, store.Verification{Method: acr.TOTP, AuthenticatorID: "totp", AMR: []string{"otp"}, At: at(e.now(), 0)})
		s.LastSeenAt, s.ExpiresAt = at(e.now(), 0), at(e.now(), 2*time.Hour)
		must(t, "Sessions.Update from Version 1", e.s.Sessions().Update(e.ctx, s))
		if s.Version != 2 {
			t.Fatalf("Sessions.Update from Version 1: the argument's Version is %d afterwards, want 2", s.Version)
		}
		checkRecord(t, "Sessions.Get after Update", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), s)
		must(t, "Sessions.Update from Version 2", e.s.Sessions().Update(e.ctx, s))
		if s.Version != 3 {
			t.Fatalf("Sessions.Update from Version 2: the argument's Version is %d afterwards, want 3", s.Version)
		}
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createSession(e, "s1", "u1")
		first := read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get")
		second := first.Clone()
		first.LastSeenAt = at(e.now(), 0)
		must(t, "Sessions.Update", e.s.Sessions().Update(e.ctx, first))
		second.Verifications = nil
		wantErr(t, "Sessions.Update from a stale Version", e.s.Sessions().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Sessions.Get after a stale Update", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), first)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.Sessions().Get(e.ctx, "nope")).wantErr(t, "Sessions.Get of a missing session", store.ErrNotFound)
		s := newSession(e, "nope", "u1")
		s.Version = 1
		wantErr(t, "Sessions.Update of a missing session", e.s.Sessions().Update(e.ctx, s), store.ErrNotFound)
		wantErr(t, "Sessions.Delete of a missing session", e.s.Sessions().Delete(e.ctx, "nope"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		s := createSession(e, "s1", "u1")
		other := createSession(e, "s2", "u1")
		must(t, "Sessions.Delete", e.s.Sessions().Delete(e.ctx, "s1"))
		read(e.s.Sessions().Get(e.ctx, "s1")).wantErr(t, "Sessions.Get of a deleted session", store.ErrNotFound)
		wantErr(t, "Sessions.Update of a deleted session", e.s.Sessions().Update(e.ctx, s), store.ErrNotFound)
		wantErr(t, "Sessions.Delete of a deleted session", e.s.Sessions().Delete(e.ctx, "s1"), store.ErrNotFound)
		checkList(t, "Sessions.ListByUser after Delete", read(e.s.Sessions().ListByUser(e.ctx, "u1")).must(t, "Sessions.ListByUser"), []*store.Session{other}, sessionKey)
	})

	t.Run("ListByUser", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := []*store.Session{createSession(e, "s3", "u1"), createSession(e, "s1", "u1"), createSession(e, "s2", "u1")}
		createSession(e, "t1", "u2")
		checkSet(t, "Sessions.ListByUser(u1)", read(e.s.Sessions().ListByUser(e.ctx, "u1")).must(t, "Sessions.ListByUser"), want, sessionKey)
		checkList(t, "Sessions.ListByUser of a missing user", read(e.s.Sessions().ListByUser(e.ctx, "nobody")).must(t, "Sessions.ListByUser"), nil, sessionKey)
	})

	t.Run("DeleteByUser", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		for _, id := range []string{"s1", "s2", "s3"} {
			createSession(e, id, "u1")
		}
		other := createSession(e, "t1", "u2")
		n, err := e.s.Sessions().DeleteByUser(e.ctx, "u1")
		must(t, "Sessions.DeleteByUser", err)
		if n != 3 {
			t.Errorf("Sessions.DeleteByUser of a user with 3 sessions: got %d, want 3", n)
		}
		for _, id := range []string{"s1", "s2", "s3"} {
			read(e.s.Sessions().Get(e.ctx, id)).wantErr(t, fmt.Sprintf("Sessions.Get(%q) after DeleteByUser", id), store.ErrNotFound)
		}
		checkList(t, "Sessions.ListByUser after DeleteByUser", read(e.s.Sessions().ListByUser(e.ctx, "u1")).must(t, "Sessions.ListByUser"), nil, sessionKey)
		checkRecord(t, "Sessions.Get of another user's session after DeleteByUser", read(e.s.Sessions().Get(e.ctx, "t1")).must(t, "Sessions.Get"), other)
		n, err = e.s.Sessions().DeleteByUser(e.ctx, "u1")
		must(t, "Sessions.DeleteByUser a second time", err)
		if n != 0 {
			t.Errorf("Sessions.DeleteByUser of a user without sessions: got %d, want 0", n)
		}
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		s := newSession(e, "s1", "u1")
		must(t, "Sessions.Create", e.s.Sessions().Create(e.ctx, s))
		want := s.Clone()
		s.Verifications[0].AMR[0] = "changed by the caller"
		s.Verifications[1].Method = acr.SMS
		got := read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get")
		checkRecord(t, "Sessions.Get after the caller changed the record it created", got, want)
		got.Verifications[0].AMR[0] = "changed by the caller"
		got.Verifications[1].UserVerified = false
		checkRecord(t, "Sessions.Get after the caller changed a record it read", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), want)
		for _, l := range read(e.s.Sessions().ListByUser(e.ctx, "u1")).must(t, "Sessions.ListByUser") {
			l.Verifications[0].AMR[0] = "changed by the caller"
		}
		checkRecord(t, "Sessions.Get after the caller changed a listed record", read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get"), want)
	})
}
