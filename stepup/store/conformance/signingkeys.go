package conformance

import (
	"errors"
	"fmt"
	"slices"
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

	testSigningKeyStates(t, nb)
	testSigningKeyRotate(t, nb)
}

// newKeyInState returns a signing key of algorithm in state, with the
// times a key in that state has.
func newKeyInState(e *env, id, algorithm, state string) *store.SigningKey {
	k := newSigningKey(e, id)
	k.Algorithm, k.State = algorithm, state
	switch state {
	case store.SigningKeyNext:
		k.ActivatedAt, k.RetiredAt, k.ExpiresAt = time.Time{}, time.Time{}, time.Time{}
	case store.SigningKeyActive:
		k.RetiredAt, k.ExpiresAt = time.Time{}, time.Time{}
	}
	return k
}

func createKeyInState(e *env, id, algorithm, state string) *store.SigningKey {
	e.t.Helper()
	k := newKeyInState(e, id, algorithm, state)
	must(e.t, fmt.Sprintf("SigningKeys.Create(%q, %s %s)", id, algorithm, state), e.s.SigningKeys().Create(e.ctx, k))
	return k
}

// firstStart creates an active and a next key of ES256 and of RS256, the
// way a first start does, and returns them by ID.
func firstStart(e *env) map[string]*store.SigningKey {
	e.t.Helper()
	keys := map[string]*store.SigningKey{}
	for _, k := range []*store.SigningKey{
		createKeyInState(e, "es-a0", "ES256", store.SigningKeyActive),
		createKeyInState(e, "es-n0", "ES256", store.SigningKeyNext),
		createKeyInState(e, "rs-a0", "RS256", store.SigningKeyActive),
		createKeyInState(e, "rs-n0", "RS256", store.SigningKeyNext),
	} {
		keys[k.ID] = k
	}
	return keys
}

// checkKeys checks that the store holds exactly want.
func checkKeys(t *testing.T, e *env, what string, want map[string]*store.SigningKey) {
	t.Helper()
	var ws []*store.SigningKey
	for _, k := range want {
		ws = append(ws, k)
	}
	checkSet(t, what, read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List"), ws, signingKeyKey)
}

// rotated returns what Rotate makes of the keys of an algorithm: want's
// active key retired until retiredUntil (if there is one), its next key
// active, and next stored, all at now.
func rotated(want map[string]*store.SigningKey, algorithm string, next *store.SigningKey, now, retiredUntil time.Time) {
	var active, promoted *store.SigningKey
	for _, k := range want {
		if k.Algorithm == algorithm && k.State == store.SigningKeyActive {
			active = k
		}
		if k.Algorithm == algorithm && k.State == store.SigningKeyNext {
			promoted = k
		}
	}
	if active != nil {
		active.State, active.RetiredAt, active.ExpiresAt = store.SigningKeyRetired, now, retiredUntil
		active.Version++
	}
	promoted.State, promoted.ActivatedAt = store.SigningKeyActive, now
	promoted.Version++
	n := next.Clone()
	n.Version = 1
	want[n.ID] = n
}

func testSigningKeyStates(t *testing.T, nb NewBackend) {
	t.Run("OneActiveAndOneNextPerAlgorithm", func(t *testing.T) {
		e := setup(t, nb)
		want := firstStart(e)
		for _, state := range []string{store.SigningKeyActive, store.SigningKeyNext} {
			wantErr(t, "SigningKeys.Create of a second "+state+" ES256 key",
				e.s.SigningKeys().Create(e.ctx, newKeyInState(e, "es-2", "ES256", state)), store.ErrConflict)
		}
		want["ed-a0"] = createKeyInState(e, "ed-a0", "EdDSA", store.SigningKeyActive)
		want["es-r1"] = createKeyInState(e, "es-r1", "ES256", store.SigningKeyRetired)
		want["es-r2"] = createKeyInState(e, "es-r2", "ES256", store.SigningKeyRetired)
		k := want["es-r1"].Clone()
		k.State, k.RetiredAt, k.ExpiresAt = store.SigningKeyActive, time.Time{}, time.Time{}
		wantErr(t, "SigningKeys.Update of a retired ES256 key to active while another is", e.s.SigningKeys().Update(e.ctx, k), store.ErrConflict)
		k = want["es-a0"].Clone()
		k.PublicKey = []byte(`{"kty":"EC"}`)
		must(t, "SigningKeys.Update of the active key that stays active", e.s.SigningKeys().Update(e.ctx, k))
		want["es-a0"] = k
		checkKeys(t, e, "SigningKeys.List after refused second active and next keys", want)

		must(t, "SigningKeys.Delete of the active key", e.s.SigningKeys().Delete(e.ctx, "es-a0"))
		delete(want, "es-a0")
		want["es-a1"] = createKeyInState(e, "es-a1", "ES256", store.SigningKeyActive)
		checkKeys(t, e, "SigningKeys.List after replacing a deleted active key", want)
	})

	t.Run("CreateActiveRace", func(t *testing.T) {
		// Two processes starting at once each create an active key: one
		// of them must lose.
		e := setup(t, nb)
		keys := make([]*store.SigningKey, racers)
		for i := range keys {
			keys[i] = newKeyInState(e, fmt.Sprintf("es-%02d", i), "ES256", store.SigningKeyActive)
		}
		errs := race(func(i int) error { return e.s.SigningKeys().Create(e.ctx, keys[i]) })
		w := oneWinner(t, "SigningKeys.Create of an active ES256 key by racing callers", errs, store.ErrConflict)
		checkKeys(t, e, "SigningKeys.List after racing Creates of active keys", map[string]*store.SigningKey{keys[w].ID: keys[w]})
	})
}

func testSigningKeyRotate(t *testing.T, nb NewBackend) {
	const week = 7 * 24 * time.Hour

	t.Run("Rotate", func(t *testing.T) {
		e := setup(t, nb)
		want := firstStart(e)
		for i, next := range []string{"es-n1", "es-n2"} {
			e.clock.Advance(time.Hour)
			k := newKeyInState(e, next, "ES256", store.SigningKeyNext)
			until := at(e.now(), week)
			must(t, "SigningKeys.Rotate", e.s.SigningKeys().Rotate(e.ctx, "ES256", nextKeyID(e, "ES256"), k, until))
			if k.Version != 1 {
				t.Errorf("SigningKeys.Rotate: the new next key's Version is %d afterwards, want 1", k.Version)
			}
			rotated(want, "ES256", k, e.now(), until)
			checkKeys(t, e, fmt.Sprintf("SigningKeys.List after rotation %d of ES256", i+1), want)
		}

		// es-a0 retired an hour before es-n0: it goes first.
		e.clock.Advance(week)
		read(e.s.SigningKeys().Get(e.ctx, "es-a0")).wantErr(t, "SigningKeys.Get of a retired key past its ExpiresAt", store.ErrNotFound)
		delete(want, "es-a0")
		checkKeys(t, e, "SigningKeys.List once the first retired key expired", want)
		n, err := e.s.Sweep(e.ctx)
		must(t, "Sweep", err)
		if n != 1 {
			t.Errorf("Sweep once the first retired key expired: got %d, want 1", n)
		}
		e.clock.Advance(time.Hour)
		delete(want, "es-n0")
		checkKeys(t, e, "SigningKeys.List once the second retired key expired", want)
	})

	t.Run("RotateWithoutNextKey", func(t *testing.T) {
		e := setup(t, nb)
		until := at(e.now(), week)
		next := newKeyInState(e, "es-n1", "ES256", store.SigningKeyNext)
		wantErr(t, "SigningKeys.Rotate of an algorithm without keys", e.s.SigningKeys().Rotate(e.ctx, "ES256", "", next, until), store.ErrNotFound)
		want := map[string]*store.SigningKey{"es-a0": createKeyInState(e, "es-a0", "ES256", store.SigningKeyActive)}
		want["rs-n0"] = createKeyInState(e, "rs-n0", "RS256", store.SigningKeyNext)
		wantErr(t, "SigningKeys.Rotate of an algorithm with an active key only", e.s.SigningKeys().Rotate(e.ctx, "ES256", "", next, until), store.ErrNotFound)
		checkKeys(t, e, "SigningKeys.List after Rotates that found no next key", want)
	})

	t.Run("RotateWithoutActiveKey", func(t *testing.T) {
		// A next key without an active one (the active key was deleted)
		// is promoted; there is nothing to retire.
		e := setup(t, nb)
		want := map[string]*store.SigningKey{"es-n0": createKeyInState(e, "es-n0", "ES256", store.SigningKeyNext)}
		e.clock.Advance(time.Minute)
		next := newKeyInState(e, "es-n1", "ES256", store.SigningKeyNext)
		until := at(e.now(), week)
		must(t, "SigningKeys.Rotate of an algorithm with a next key only", e.s.SigningKeys().Rotate(e.ctx, "ES256", "es-n0", next, until))
		rotated(want, "ES256", next, e.now(), until)
		checkKeys(t, e, "SigningKeys.List after Rotate of an algorithm with a next key only", want)
	})

	t.Run("RotateIsAllOrNothing", func(t *testing.T) {
		// The new next key's ID is taken, which the store finds only at
		// the last of the three changes: the first two must not stay.
		e := setup(t, nb)
		want := firstStart(e)
		want["es-r0"] = createKeyInState(e, "es-r0", "ES256", store.SigningKeyRetired)
		taken := newKeyInState(e, "es-r0", "ES256", store.SigningKeyNext)
		wantErr(t, "SigningKeys.Rotate to a next key whose ID is taken", e.s.SigningKeys().Rotate(e.ctx, "ES256", "es-n0", taken, at(e.now(), week)), store.ErrConflict)
		checkKeys(t, e, "SigningKeys.List after a refused Rotate", want)

		bad := []struct {
			what      string
			algorithm string
			next      *store.SigningKey
			until     time.Time
		}{
			{"to a key of another algorithm", "ES256", newKeyInState(e, "x1", "RS256", store.SigningKeyNext), at(e.now(), week)},
			{"to a key in state active", "ES256", newKeyInState(e, "x2", "ES256", store.SigningKeyActive), at(e.now(), week)},
			{"with a zero retiredUntil", "ES256", newKeyInState(e, "x3", "ES256", store.SigningKeyNext), time.Time{}},
		}
		for _, b := range bad {
			if err := e.s.SigningKeys().Rotate(e.ctx, b.algorithm, "es-n0", b.next, b.until); err == nil {
				t.Errorf("SigningKeys.Rotate %s: no error", b.what)
			}
		}
		checkKeys(t, e, "SigningKeys.List after Rotates with bad arguments", want)
	})

	t.Run("RotateRace", func(t *testing.T) {
		// Property: racers that all saw es-n0 published rotate from the
		// same state, so exactly one wins (w = 1); afterwards ES256 has
		// one active, one next and w retired keys, 2+w in all; the next
		// key is the winner's, the losers' keys are not stored, and RS256
		// is untouched.
		e := setup(t, nb)
		before := firstStart(e)
		e.clock.Advance(time.Hour)
		until := at(e.now(), week)
		keys := make([]*store.SigningKey, racers)
		for i := range keys {
			keys[i] = newKeyInState(e, fmt.Sprintf("es-n%02d", i+1), "ES256", store.SigningKeyNext)
		}
		errs := race(func(i int) error { return e.s.SigningKeys().Rotate(e.ctx, "ES256", "es-n0", keys[i], until) })
		won := map[string]bool{}
		for i, err := range errs {
			switch {
			case err == nil:
				won[keys[i].ID] = true
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("SigningKeys.Rotate by racer %d: got error %v, want nil or %v", i, err, store.ErrConflict)
			}
		}
		if len(won) != 1 {
			t.Fatalf("SigningKeys.Rotate by %d racing callers from the same next key: %d succeeded, want exactly 1", racers, len(won))
		}

		got := read(e.s.SigningKeys().List(e.ctx)).must(t, "SigningKeys.List")
		count := map[string]int{}
		var ids []string
		for _, k := range got {
			if k.Algorithm != "ES256" {
				checkRecord(t, "SigningKeys.List after racing rotations of ES256: "+k.ID, k, before[k.ID])
				continue
			}
			ids = append(ids, k.ID)
			count[k.State]++
			switch {
			case k.ID == "es-a0" || k.ID == "es-n0" || won[k.ID]:
			default:
				t.Errorf("SigningKeys.List after racing rotations: %s is stored, but its Rotate failed", k.ID)
			}
			switch k.State {
			case store.SigningKeyNext:
				if !won[k.ID] || k.Version != 1 || !k.ActivatedAt.IsZero() {
					t.Errorf("after racing rotations the next key is %s at Version %d, activated at %v: want a winner's key at Version 1, never activated", k.ID, k.Version, k.ActivatedAt)
				}
			case store.SigningKeyActive:
				if !k.ActivatedAt.Equal(e.now()) || k.Version != 2 {
					t.Errorf("after racing rotations the active key %s is at Version %d, activated at %v: want Version 2, activated now", k.ID, k.Version, k.ActivatedAt)
				}
			case store.SigningKeyRetired:
				if k.ActivatedAt.IsZero() || !k.RetiredAt.Equal(e.now()) || !k.ExpiresAt.Equal(until) {
					t.Errorf("after racing rotations the retired key %s: activated at %v, retired at %v until %v; want activated before, retired now until %v", k.ID, k.ActivatedAt, k.RetiredAt, k.ExpiresAt, until)
				}
			}
		}
		if count[store.SigningKeyActive] != 1 || count[store.SigningKeyNext] != 1 || count[store.SigningKeyRetired] != len(won) || len(ids) != 2+len(won) {
			slices.Sort(ids)
			t.Errorf("after %d successful racing rotations ES256 has %d keys %v: %d active, %d next, %d retired; want %d keys: 1 active, 1 next, %d retired",
				len(won), len(ids), ids, count[store.SigningKeyActive], count[store.SigningKeyNext], count[store.SigningKeyRetired], 2+len(won), len(won))
		}
	})

	t.Run("RotateFromAStaleNextKey", func(t *testing.T) {
		// A rotation that saw es-n0 published while another already
		// promoted it must not activate a key nobody has fetched yet.
		e := setup(t, nb)
		want := firstStart(e)
		e.clock.Advance(time.Hour)
		until := at(e.now(), week)
		first := newKeyInState(e, "es-n1", "ES256", store.SigningKeyNext)
		must(t, "SigningKeys.Rotate", e.s.SigningKeys().Rotate(e.ctx, "ES256", "es-n0", first, until))
		rotated(want, "ES256", first, e.now(), until)
		stale := newKeyInState(e, "es-n2", "ES256", store.SigningKeyNext)
		wantErr(t, "SigningKeys.Rotate from a next key already promoted", e.s.SigningKeys().Rotate(e.ctx, "ES256", "es-n0", stale, until), store.ErrConflict)
		checkKeys(t, e, "SigningKeys.List after a stale Rotate", want)
	})

	t.Run("RotateSurvivesReopen", func(t *testing.T) {
		e := setup(t, nb)
		want := firstStart(e)
		e.clock.Advance(time.Hour)
		next := newKeyInState(e, "es-n1", "ES256", store.SigningKeyNext)
		until := at(e.now(), week)
		must(t, "SigningKeys.Rotate", e.s.SigningKeys().Rotate(e.ctx, "ES256", nextKeyID(e, "ES256"), next, until))
		rotated(want, "ES256", next, e.now(), until)
		e.reopen()
		checkKeys(t, e, "SigningKeys.List after Rotate and reopening", want)

		// The reopened store still knows which keys are active and next.
		wantErr(t, "SigningKeys.Create of a second active ES256 key after reopening",
			e.s.SigningKeys().Create(e.ctx, newKeyInState(e, "es-x", "ES256", store.SigningKeyActive)), store.ErrConflict)
		e.clock.Advance(time.Hour)
		next = newKeyInState(e, "es-n2", "ES256", store.SigningKeyNext)
		must(t, "SigningKeys.Rotate after reopening", e.s.SigningKeys().Rotate(e.ctx, "ES256", nextKeyID(e, "ES256"), next, until))
		rotated(want, "ES256", next, e.now(), until)
		e.reopen()
		checkKeys(t, e, "SigningKeys.List after a second Rotate and reopening", want)
	})
}

// nextKeyID returns the ID of the algorithm's next key, or "".
func nextKeyID(e *env, algorithm string) string {
	for _, k := range read(e.s.SigningKeys().List(e.ctx)).must(e.t, "SigningKeys.List") {
		if k.Algorithm == algorithm && k.State == store.SigningKeyNext {
			return k.ID
		}
	}
	return ""
}
