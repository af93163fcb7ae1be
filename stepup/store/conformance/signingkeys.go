package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newSigningKey returns a retired signing key with every field set but
// Version, to be forgotten in a week.
func newSigningKey(e *env, id string) *store.SigningKey {
	now := e.now()
	return &store.SigningKey{
		ID:          id,
		Algorithm:   "ES256",
		PrivateKey:  []byte("sealed-private-key-" + id),
		PublicKey:   []byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`),
		State:       "retired",
		CreatedAt:   at(now, -60*24*time.Hour),
		ActivatedAt: at(now, -30*24*time.Hour),
		RetiredAt:   at(now, -time.Hour),
		ExpiresAt:   at(now, 7*24*time.Hour),
	}
}

func createSigningKey(e *env, id string) *store.SigningKey {
	e.t.Helper()
	k := newSigningKey(e, id)
	must(e.t, fmt.Sprintf("SigningKeys.Create(%q)", id), e.s.SigningKeys().Create(e.ctx, k))
	k.Version = 1
	return k
}

func signingKeyKey(k *store.SigningKey) string { return k.ID }

func testSigningKeys(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		k := newSigningKey(e, "kid1")
		checkFixture(t, k, "Version")
		want := k.Clone()
		want.Version = 1
		must(t, "SigningKeys.Create", e.s.SigningKeys().Create(e.ctx, k))
		if k.Version != 1 {
			t.Errorf("SigningKeys.Create: the argument's Version is %d afterwards, want 1", k.Version)
		}
		checkRecord(t, "SigningKeys.Get", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		want := createSigningKey(e, "kid1")
		dup := newSigningKey(e, "kid1")
		dup.PrivateKey = []byte("another key")
		wantErr(t, "SigningKeys.Create of a taken ID", e.s.SigningKeys().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "SigningKeys.Get after a conflicting Create", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		k := newSigningKey(e, "kid1")
		k.State, k.RetiredAt, k.ExpiresAt = "active", time.Time{}, time.Time{}
		must(t, "SigningKeys.Create of an active key", e.s.SigningKeys().Create(e.ctx, k))
		k = read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get")
		k.State, k.RetiredAt, k.ExpiresAt = "retired", at(e.now(), 0), at(e.now(), 7*24*time.Hour)
		must(t, "SigningKeys.Update from Version 1", e.s.SigningKeys().Update(e.ctx, k))
		if k.Version != 2 {
			t.Fatalf("SigningKeys.Update from Version 1: the argument's Version is %d afterwards, want 2", k.Version)
		}
		checkRecord(t, "SigningKeys.Get after Update", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), k)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createSigningKey(e, "kid1")
		first := read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get")
		second := first.Clone()
		first.State = "active"
		must(t, "SigningKeys.Update", e.s.SigningKeys().Update(e.ctx, first))
		second.State = "next"
		wantErr(t, "SigningKeys.Update from a stale Version", e.s.SigningKeys().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "SigningKeys.Get after a stale Update", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), first)
	})

	t.Run("MissingAndDelete", func(t *testing.T) {
		e := setup(t, nb)
		read(e.s.SigningKeys().Get(e.ctx, "nope")).wantErr(t, "SigningKeys.Get of a missing key", store.ErrNotFound)
		missing := newSigningKey(e, "nope")
		missing.Version = 1
		wantErr(t, "SigningKeys.Update of a missing key", e.s.SigningKeys().Update(e.ctx, missing), store.ErrNotFound)
		wantErr(t, "SigningKeys.Delete of a missing key", e.s.SigningKeys().Delete(e.ctx, "nope"), store.ErrNotFound)
		k := createSigningKey(e, "kid1")
		other := createSigningKey(e, "kid2")
		must(t, "SigningKeys.Delete", e.s.SigningKeys().Delete(e.ctx, "kid1"))
		read(e.s.SigningKeys().Get(e.ctx, "kid1")).wantErr(t, "SigningKeys.Get of a deleted key", store.ErrNotFound)
		wantErr(t, "SigningKeys.Update of a deleted key", e.s.SigningKeys().Update(e.ctx, k), store.ErrNotFound)
		wantErr(t, "SigningKeys.Delete of a deleted key", e.s.SigningKeys().Delete(e.ctx, "kid1"), store.ErrNotFound)
		checkList(t, "SigningKeys.List after Delete", read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List"), []*store.SigningKey{other}, signingKeyKey)
	})

	t.Run("List", func(t *testing.T) {
		// The contract gives no order; the suite compares sets.
		e := setup(t, nb)
		checkList(t, "SigningKeys.List of an empty store", read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List"), nil, signingKeyKey)
		want := []*store.SigningKey{createSigningKey(e, "kid3"), createSigningKey(e, "kid1"), createSigningKey(e, "kid2")}
		checkSet(t, "SigningKeys.List", read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List"), want, signingKeyKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		k := newSigningKey(e, "kid1")
		must(t, "SigningKeys.Create", e.s.SigningKeys().Create(e.ctx, k))
		want := k.Clone()
		k.PrivateKey[0] = 'X'
		got := read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get")
		checkRecord(t, "SigningKeys.Get after the caller changed the record it created", got, want)
		got.PrivateKey[0], got.PublicKey[0] = 'X', 'X'
		checkRecord(t, "SigningKeys.Get after the caller changed a record it read", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), want)
		for _, l := range read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List") {
			l.PrivateKey[0] = 'X'
		}
		checkRecord(t, "SigningKeys.Get after the caller changed a listed record", read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get"), want)
	})
}
