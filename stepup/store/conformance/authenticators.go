package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newAuthenticator returns an authenticator with every field set but
// Version. Create stores Counter as given: only Update leaves it alone.
func newAuthenticator(e *env, id, userID string) *store.Authenticator {
	now := e.now()
	return &store.Authenticator{
		ID:             id,
		UserID:         userID,
		Method:         acr.Passkey,
		Name:           "YubiKey " + id,
		CredentialID:   []byte("cred-" + id),
		PublicKey:      []byte{0xa5, 0x01, 0x02, 0x03, 0x26},
		Secret:         []byte("sealed-secret-" + id),
		Destination:    "+15555550100",
		AAGUID:         []byte{0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a},
		SignCount:      41,
		BackupEligible: true,
		BackupState:    true,
		Counter:        7,
		Verified:       true,
		Data:           []byte(`{"transports":["usb","nfc"]}`),
		CreatedAt:      at(now, -24*time.Hour),
		LastUsedAt:     at(now, -time.Minute),
	}
}

func createAuthenticator(e *env, id, userID string) *store.Authenticator {
	e.t.Helper()
	a := newAuthenticator(e, id, userID)
	must(e.t, fmt.Sprintf("Authenticators.Create(%q)", id), e.s.Authenticators().Create(e.ctx, a))
	a.Version = 1
	return a
}

func authenticatorKey(a *store.Authenticator) string { return a.ID }

func testAuthenticators(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a := newAuthenticator(e, "a1", "u1")
		checkFixture(t, a, "Version")
		want := a.Clone()
		want.Version = 1
		must(t, "Authenticators.Create", e.s.Authenticators().Create(e.ctx, a))
		if a.Version != 1 {
			t.Errorf("Authenticators.Create: the argument's Version is %d afterwards, want 1", a.Version)
		}
		checkRecord(t, "Authenticators.Get", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), want)
		checkRecord(t, "Authenticators.GetByCredentialID", read(e.s.Authenticators().GetByCredentialID(e.ctx, a.CredentialID)).must(t, "Authenticators.GetByCredentialID"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		wantErr(t, "Authenticators.Create for a user who does not exist",
			e.s.Authenticators().Create(e.ctx, newAuthenticator(e, "a1", "nobody")), store.ErrNotFound)
		read(e.s.Authenticators().Get(e.ctx, "a1")).wantErr(t, "Authenticators.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createAuthenticator(e, "a1", "u1")
		dup := newAuthenticator(e, "a1", "u1")
		dup.CredentialID = []byte("another credential")
		wantErr(t, "Authenticators.Create of a taken ID", e.s.Authenticators().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Authenticators.Get after a conflicting Create", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), want)
		read(e.s.Authenticators().GetByCredentialID(e.ctx, dup.CredentialID)).wantErr(t, "Authenticators.GetByCredentialID of the failed Create's credential id", store.ErrNotFound)
	})

	t.Run("UniqueCredentialID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		a1 := createAuthenticator(e, "a1", "u1")
		for _, uid := range []string{"u1", "u2"} {
			dup := newAuthenticator(e, "a2", uid)
			dup.CredentialID = a1.CredentialID
			wantErr(t, fmt.Sprintf("Authenticators.Create for %s with a taken credential id", uid),
				e.s.Authenticators().Create(e.ctx, dup), store.ErrConflict)
		}
		read(e.s.Authenticators().Get(e.ctx, "a2")).wantErr(t, "Authenticators.Get of an authenticator whose Create conflicted", store.ErrNotFound)
	})

	t.Run("EmptyCredentialIDNeverConflicts", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		for _, id := range []string{"totp1", "totp2", "totp3"} {
			a := newAuthenticator(e, id, "u1")
			a.Method, a.CredentialID = acr.TOTP, nil
			must(t, fmt.Sprintf("Authenticators.Create(%q) without a credential id", id), e.s.Authenticators().Create(e.ctx, a))
		}
		a := newAuthenticator(e, "totp4", "u1")
		a.CredentialID = []byte{}
		must(t, "Authenticators.Create with an empty, non-nil credential id", e.s.Authenticators().Create(e.ctx, a))
		read(e.s.Authenticators().GetByCredentialID(e.ctx, nil)).wantErr(t, "Authenticators.GetByCredentialID(nil)", store.ErrNotFound)
		read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte{})).wantErr(t, "Authenticators.GetByCredentialID(empty)", store.ErrNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1")
		a := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		a.Name, a.SignCount, a.BackupState, a.LastUsedAt = "renamed", 42, false, at(e.now(), 0)
		a.CredentialID = []byte("new credential")
		must(t, "Authenticators.Update from Version 1", e.s.Authenticators().Update(e.ctx, a))
		if a.Version != 2 {
			t.Fatalf("Authenticators.Update from Version 1: the argument's Version is %d afterwards, want 2", a.Version)
		}
		checkRecord(t, "Authenticators.Get after Update", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), a)
		checkRecord(t, "Authenticators.GetByCredentialID of the new credential id", read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte("new credential"))).must(t, "Authenticators.GetByCredentialID"), a)
		read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte("cred-a1"))).wantErr(t, "Authenticators.GetByCredentialID of the replaced credential id", store.ErrNotFound)
		must(t, "Authenticators.Update from Version 2", e.s.Authenticators().Update(e.ctx, a))
		if a.Version != 3 {
			t.Fatalf("Authenticators.Update from Version 2: the argument's Version is %d afterwards, want 3", a.Version)
		}
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1")
		first := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		second := first.Clone()
		first.Name = "first"
		must(t, "Authenticators.Update", e.s.Authenticators().Update(e.ctx, first))
		second.Name = "second"
		wantErr(t, "Authenticators.Update from a stale Version", e.s.Authenticators().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Authenticators.Get after a stale Update", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), first)
	})

	t.Run("UpdateToTakenCredentialID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a1 := createAuthenticator(e, "a1", "u1")
		a2 := createAuthenticator(e, "a2", "u1")
		changed := a2.Clone()
		changed.CredentialID = a1.CredentialID
		wantErr(t, "Authenticators.Update to a taken credential id", e.s.Authenticators().Update(e.ctx, changed), store.ErrConflict)
		checkRecord(t, "Authenticators.Get of the authenticator whose Update conflicted", read(e.s.Authenticators().Get(e.ctx, "a2")).must(t, "Authenticators.Get"), a2)
		checkRecord(t, "Authenticators.GetByCredentialID of the taken credential id", read(e.s.Authenticators().GetByCredentialID(e.ctx, a1.CredentialID)).must(t, "Authenticators.GetByCredentialID"), a1)
	})

	t.Run("UpdateNeverChangesCounter", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1")
		a := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		a.Counter, a.Name = 999, "renamed"
		must(t, "Authenticators.Update with a changed Counter", e.s.Authenticators().Update(e.ctx, a))
		got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		if got.Counter != 7 {
			t.Errorf("Authenticators.Get after an Update that set Counter to 999: Counter = %d, want 7 (only AdvanceCounter changes it)", got.Counter)
		}
		if got.Name != "renamed" {
			t.Errorf("Authenticators.Get after Update: Name = %q, want %q", got.Name, "renamed")
		}
	})

	t.Run("UpdateDoesNotRollBackCounter", func(t *testing.T) {
		// A record read before AdvanceCounter still holds the old Counter.
		// Whether AdvanceCounter bumps Version is the backend's choice, so
		// its Update may succeed or conflict, but it must never bring the
		// old step back.
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1")
		old := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		must(t, "Authenticators.AdvanceCounter(8)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8))
		old.Name = "renamed"
		if err := e.s.Authenticators().Update(e.ctx, old); err != nil {
			wantErr(t, "Authenticators.Update of a record read before AdvanceCounter", err, store.ErrConflict)
		}
		got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		if got.Counter != 8 {
			t.Errorf("Authenticators.Get after AdvanceCounter(8) and an Update of an older copy: Counter = %d, want 8", got.Counter)
		}
		wantErr(t, "Authenticators.AdvanceCounter(8) again", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8), store.ErrConflict)
	})

	t.Run("AdvanceCounter", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1") // Counter 7
		counter := func(want uint64) {
			t.Helper()
			got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
			if got.Counter != want {
				t.Fatalf("Authenticators.Get: Counter = %d, want %d", got.Counter, want)
			}
		}
		wantErr(t, "Authenticators.AdvanceCounter to the stored step 7", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 7), store.ErrConflict)
		wantErr(t, "Authenticators.AdvanceCounter to a lower step 3", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 3), store.ErrConflict)
		counter(7)
		must(t, "Authenticators.AdvanceCounter(8)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8))
		counter(8)
		wantErr(t, "Authenticators.AdvanceCounter(8) a second time", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8), store.ErrConflict)
		must(t, "Authenticators.AdvanceCounter(100)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 100))
		counter(100)
		wantErr(t, "Authenticators.AdvanceCounter(99)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 99), store.ErrConflict)
		counter(100)
		wantErr(t, "Authenticators.AdvanceCounter of a missing authenticator", e.s.Authenticators().AdvanceCounter(e.ctx, "nope", 1), store.ErrNotFound)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.Authenticators().Get(e.ctx, "nope")).wantErr(t, "Authenticators.Get of a missing authenticator", store.ErrNotFound)
		read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte("nope"))).wantErr(t, "Authenticators.GetByCredentialID of a missing credential id", store.ErrNotFound)
		a := newAuthenticator(e, "nope", "u1")
		a.Version = 1
		wantErr(t, "Authenticators.Update of a missing authenticator", e.s.Authenticators().Update(e.ctx, a), store.ErrNotFound)
		wantErr(t, "Authenticators.Delete of a missing authenticator", e.s.Authenticators().Delete(e.ctx, "nope"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a := createAuthenticator(e, "a1", "u1")
		createAuthenticator(e, "a2", "u1")
		must(t, "Authenticators.Delete", e.s.Authenticators().Delete(e.ctx, "a1"))
		read(e.s.Authenticators().Get(e.ctx, "a1")).wantErr(t, "Authenticators.Get of a deleted authenticator", store.ErrNotFound)
		read(e.s.Authenticators().GetByCredentialID(e.ctx, a.CredentialID)).wantErr(t, "Authenticators.GetByCredentialID of a deleted authenticator", store.ErrNotFound)
		wantErr(t, "Authenticators.Update of a deleted authenticator", e.s.Authenticators().Update(e.ctx, a), store.ErrNotFound)
		wantErr(t, "Authenticators.Delete of a deleted authenticator", e.s.Authenticators().Delete(e.ctx, "a1"), store.ErrNotFound)
		read(e.s.Authenticators().Get(e.ctx, "a2")).must(t, "Authenticators.Get of the other authenticator")
		again := newAuthenticator(e, "a3", "u1")
		again.CredentialID = a.CredentialID
		must(t, "Authenticators.Create with a deleted authenticator's credential id", e.s.Authenticators().Create(e.ctx, again))
	})

	t.Run("ListByUser", func(t *testing.T) {
		// The contract gives no order; the suite compares sets.
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := []*store.Authenticator{createAuthenticator(e, "a3", "u1"), createAuthenticator(e, "a1", "u1"), createAuthenticator(e, "a2", "u1")}
		createAuthenticator(e, "b1", "u2")
		got := read(e.s.Authenticators().ListByUser(e.ctx, "u1")).must(t, "Authenticators.ListByUser")
		checkSet(t, "Authenticators.ListByUser(u1)", got, want, authenticatorKey)
		createUser(e, "u3")
		none := read(e.s.Authenticators().ListByUser(e.ctx, "u3")).must(t, "Authenticators.ListByUser of a user without authenticators")
		checkList(t, "Authenticators.ListByUser of a user without authenticators", none, nil, authenticatorKey)
		none = read(e.s.Authenticators().ListByUser(e.ctx, "nobody")).must(t, "Authenticators.ListByUser of a missing user")
		checkList(t, "Authenticators.ListByUser of a missing user", none, nil, authenticatorKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a := newAuthenticator(e, "a1", "u1")
		must(t, "Authenticators.Create", e.s.Authenticators().Create(e.ctx, a))
		want := a.Clone()
		a.PublicKey[0], a.CredentialID[0], a.Name = 0, 'X', "changed by the caller"
		got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		checkRecord(t, "Authenticators.Get after the caller changed the record it created", got, want)
		got.PublicKey[0], got.Data[0] = 0, 'X'
		checkRecord(t, "Authenticators.Get after the caller changed a record it read", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), want)
		listed := read(e.s.Authenticators().ListByUser(e.ctx, "u1")).must(t, "Authenticators.ListByUser")
		for _, l := range listed {
			l.Secret[0] = 'X'
		}
		checkRecord(t, "Authenticators.Get after the caller changed a listed record", read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get"), want)
		// The credential id the caller looked up with must not alias the index.
		key := []byte("cred-a1")
		read(e.s.Authenticators().GetByCredentialID(e.ctx, key)).must(t, "Authenticators.GetByCredentialID")
		key[0] = 'X'
		checkRecord(t, "Authenticators.GetByCredentialID after the caller changed its key", read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte("cred-a1"))).must(t, "Authenticators.GetByCredentialID"), want)
	})
}
