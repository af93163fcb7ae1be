package conformance

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newUser returns a user with every field set but Version.
func newUser(e *env, id string) *store.User {
	now := e.now()
	return &store.User{
		ID:            id,
		Username:      "user-" + id,
		Email:         id + "@example.com",
		EmailVerified: true,
		Phone:         "+15555550100",
		PhoneVerified: true,
		DisplayName:   "User " + id,
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Attributes:    map[string]string{"department": "finance", "tier": "gold"},
		Disabled:      true,
		Failures: store.Failures{
			Consecutive: 7,
			ByMethod:    map[acr.Method]store.MethodFailures{acr.TOTP: {Count: 6, Last: at(now, -time.Minute)}},
			LockedAt:    at(now, -2*time.Minute),
		},
		CreatedAt: at(now, -48*time.Hour),
		UpdatedAt: at(now, -time.Hour),
	}
}

// createUser stores newUser(e, id) and returns what the store now holds.
func createUser(e *env, id string) *store.User {
	e.t.Helper()
	u := newUser(e, id)
	must(e.t, fmt.Sprintf("Users.Create(%q)", id), e.s.Users().Create(e.ctx, u))
	u.Version = 1
	return u
}

func userKey(u *store.User) string { return u.ID }

func testUsers(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		u := newUser(e, "u1")
		checkFixture(t, u, "Version")
		want := u.Clone()
		want.Version = 1
		must(t, "Users.Create", e.s.Users().Create(e.ctx, u))
		// The store sets Version on the record it was given, so a caller can
		// go on to Update it.
		if u.Version != 1 {
			t.Errorf("Users.Create: the argument's Version is %d afterwards, want 1", u.Version)
		}
		got := read(e.s.Users().Get(e.ctx, "u1")).must(t, `Users.Get("u1")`)
		checkRecord(t, `Users.Get("u1")`, got, want)
		got = read(e.s.Users().GetByUsername(e.ctx, u.Username)).must(t, "Users.GetByUsername")
		checkRecord(t, "Users.GetByUsername", got, want)
		got = read(e.s.Users().GetByEmail(e.ctx, u.Email)).must(t, "Users.GetByEmail")
		checkRecord(t, "Users.GetByEmail", got, want)
	})

	t.Run("CreateSetsVersion1", func(t *testing.T) {
		e := setup(t, nb)
		u := newUser(e, "u1")
		u.Version = 7
		must(t, "Users.Create with Version 7", e.s.Users().Create(e.ctx, u))
		got := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		if got.Version != 1 {
			t.Errorf("Users.Get after a Create with Version 7: Version = %d, want 1 (the store sets it)", got.Version)
		}
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		want := createUser(e, "u1")
		dup := newUser(e, "u1")
		dup.Username, dup.Email = "other", "other@example.com"
		wantErr(t, "Users.Create of a taken ID", e.s.Users().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Users.Get after a conflicting Create", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), want)
		// The failed write must not have left its secondary keys behind.
		_, err := e.s.Users().GetByUsername(e.ctx, "other")
		wantErr(t, "Users.GetByUsername of the failed Create's username", err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, "other@example.com")
		wantErr(t, "Users.GetByEmail of the failed Create's email", err, store.ErrNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		u := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		u.DisplayName = "Renamed"
		u.Attributes = map[string]string{"department": "legal"}
		u.Disabled = false
		u.UpdatedAt = at(e.now(), 0)
		must(t, "Users.Update from Version 1", e.s.Users().Update(e.ctx, u))
		if u.Version != 2 {
			t.Fatalf("Users.Update from Version 1: the argument's Version is %d afterwards, want 2", u.Version)
		}
		checkRecord(t, "Users.Get after Update", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), u)
		u.Phone = "+15555550199"
		must(t, "Users.Update from Version 2", e.s.Users().Update(e.ctx, u))
		if u.Version != 3 {
			t.Fatalf("Users.Update from Version 2: the argument's Version is %d afterwards, want 3", u.Version)
		}
		checkRecord(t, "Users.Get after a second Update", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), u)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		first := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		second := first.Clone()
		first.DisplayName = "first"
		must(t, "Users.Update", e.s.Users().Update(e.ctx, first))
		second.DisplayName = "second"
		wantErr(t, "Users.Update from a stale Version 1", e.s.Users().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Users.Get after a stale Update", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), first)
		second.Version = 3
		wantErr(t, "Users.Update from a future Version 3", e.s.Users().Update(e.ctx, second), store.ErrConflict)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		_, err := e.s.Users().Get(e.ctx, "nobody")
		wantErr(t, "Users.Get of a missing user", err, store.ErrNotFound)
		_, err = e.s.Users().GetByUsername(e.ctx, "nobody")
		wantErr(t, "Users.GetByUsername of a missing username", err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, "nobody@example.com")
		wantErr(t, "Users.GetByEmail of a missing email", err, store.ErrNotFound)
		u := newUser(e, "nobody")
		u.Version = 1
		wantErr(t, "Users.Update of a missing user", e.s.Users().Update(e.ctx, u), store.ErrNotFound)
		wantErr(t, "Users.Delete of a missing user", e.s.Users().Delete(e.ctx, "nobody"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		u := createUser(e, "u1")
		other := createUser(e, "u2")
		must(t, "Users.Delete", e.s.Users().Delete(e.ctx, "u1"))
		_, err := e.s.Users().Get(e.ctx, "u1")
		wantErr(t, "Users.Get of a deleted user", err, store.ErrNotFound)
		_, err = e.s.Users().GetByUsername(e.ctx, u.Username)
		wantErr(t, "Users.GetByUsername of a deleted user", err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, u.Email)
		wantErr(t, "Users.GetByEmail of a deleted user", err, store.ErrNotFound)
		wantErr(t, "Users.Update of a deleted user", e.s.Users().Update(e.ctx, u), store.ErrNotFound)
		wantErr(t, "Users.Delete of a deleted user", e.s.Users().Delete(e.ctx, "u1"), store.ErrNotFound)
		checkRecord(t, "Users.Get of another user", read(e.s.Users().Get(e.ctx, "u2")).must(t, "Users.Get"), other)
		// The deleted user's keys are free again.
		again := newUser(e, "u3")
		again.Username, again.Email = u.Username, u.Email
		must(t, "Users.Create with a deleted user's username and email", e.s.Users().Create(e.ctx, again))
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		u := newUser(e, "u1")
		must(t, "Users.Create", e.s.Users().Create(e.ctx, u))
		want := u.Clone()
		u.DisplayName = "changed by the caller"
		u.Attributes["department"] = "changed by the caller"
		got := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		checkRecord(t, "Users.Get after the caller changed the record it created", got, want)
		got.DisplayName = "changed by the caller"
		got.Attributes["department"] = "changed by the caller"
		checkRecord(t, "Users.Get after the caller changed a record it read", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), want)
		list, err := e.s.Users().List(e.ctx, store.Page{})
		must(t, "Users.List", err)
		if len(list) == 1 {
			list[0].Attributes["department"] = "changed by the caller"
		}
		checkRecord(t, "Users.Get after the caller changed a listed record", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), want)
		upd := want.Clone()
		must(t, "Users.Update", e.s.Users().Update(e.ctx, upd))
		want.Version = upd.Version
		upd.Attributes["department"] = "changed by the caller"
		checkRecord(t, "Users.Get after the caller changed the record it updated", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), want)
	})

	t.Run("UniqueUsername", func(t *testing.T) {
		e := setup(t, nb)
		u1 := createUser(e, "u1")
		u2 := newUser(e, "u2")
		u2.Username = u1.Username
		wantErr(t, "Users.Create with a taken username", e.s.Users().Create(e.ctx, u2), store.ErrConflict)
		_, err := e.s.Users().Get(e.ctx, "u2")
		wantErr(t, "Users.Get of a user whose Create conflicted", err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, u2.Email)
		wantErr(t, "Users.GetByEmail of a user whose Create conflicted", err, store.ErrNotFound)
	})

	t.Run("UniqueEmail", func(t *testing.T) {
		e := setup(t, nb)
		u1 := createUser(e, "u1")
		u2 := newUser(e, "u2")
		u2.Email = u1.Email
		wantErr(t, "Users.Create with a taken email", e.s.Users().Create(e.ctx, u2), store.ErrConflict)
		_, err := e.s.Users().Get(e.ctx, "u2")
		wantErr(t, "Users.Get of a user whose Create conflicted", err, store.ErrNotFound)
		_, err = e.s.Users().GetByUsername(e.ctx, u2.Username)
		wantErr(t, "Users.GetByUsername of a user whose Create conflicted", err, store.ErrNotFound)
	})

	t.Run("UpdateToTakenUsername", func(t *testing.T) {
		e := setup(t, nb)
		u1 := createUser(e, "u1")
		u2 := createUser(e, "u2")
		changed := u2.Clone()
		changed.Username = u1.Username
		wantErr(t, "Users.Update to a taken username", e.s.Users().Update(e.ctx, changed), store.ErrConflict)
		checkRecord(t, "Users.Get of the user whose Update conflicted", read(e.s.Users().Get(e.ctx, "u2")).must(t, "Users.Get"), u2)
		checkRecord(t, "Users.GetByUsername of the taken username", read(e.s.Users().GetByUsername(e.ctx, u1.Username)).must(t, "Users.GetByUsername"), u1)
	})

	t.Run("UpdateToTakenEmail", func(t *testing.T) {
		e := setup(t, nb)
		u1 := createUser(e, "u1")
		u2 := createUser(e, "u2")
		changed := u2.Clone()
		changed.Email = u1.Email
		wantErr(t, "Users.Update to a taken email", e.s.Users().Update(e.ctx, changed), store.ErrConflict)
		checkRecord(t, "Users.Get of the user whose Update conflicted", read(e.s.Users().Get(e.ctx, "u2")).must(t, "Users.Get"), u2)
		checkRecord(t, "Users.GetByEmail of the taken email", read(e.s.Users().GetByEmail(e.ctx, u1.Email)).must(t, "Users.GetByEmail"), u1)
	})

	t.Run("UpdateMovesSecondaryKeys", func(t *testing.T) {
		e := setup(t, nb)
		u := createUser(e, "u1")
		oldUsername, oldEmail := u.Username, u.Email
		u.Username, u.Email = "renamed", "renamed@example.com"
		must(t, "Users.Update of username and email", e.s.Users().Update(e.ctx, u))
		checkRecord(t, "Users.GetByUsername of the new username", read(e.s.Users().GetByUsername(e.ctx, "renamed")).must(t, "Users.GetByUsername"), u)
		checkRecord(t, "Users.GetByEmail of the new email", read(e.s.Users().GetByEmail(e.ctx, "renamed@example.com")).must(t, "Users.GetByEmail"), u)
		_, err := e.s.Users().GetByUsername(e.ctx, oldUsername)
		wantErr(t, "Users.GetByUsername of the old username", err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, oldEmail)
		wantErr(t, "Users.GetByEmail of the old email", err, store.ErrNotFound)
		u2 := newUser(e, "u2")
		u2.Username, u2.Email = oldUsername, oldEmail
		must(t, "Users.Create with the username and email another user gave up", e.s.Users().Create(e.ctx, u2))
	})

	t.Run("EmptyKeysNeverConflict", func(t *testing.T) {
		e := setup(t, nb)
		for _, id := range []string{"u1", "u2", "u3"} {
			u := newUser(e, id)
			u.Username, u.Email = "", ""
			must(t, fmt.Sprintf("Users.Create(%q) without username or email", id), e.s.Users().Create(e.ctx, u))
		}
		u := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		u.DisplayName = "still no username"
		must(t, "Users.Update of a user without username or email", e.s.Users().Update(e.ctx, u))
		// An unset key names nobody: looking up "" must never hand out an
		// account.
		_, err := e.s.Users().GetByUsername(e.ctx, "")
		wantErr(t, `Users.GetByUsername("")`, err, store.ErrNotFound)
		_, err = e.s.Users().GetByEmail(e.ctx, "")
		wantErr(t, `Users.GetByEmail("")`, err, store.ErrNotFound)
	})

	t.Run("KeysComparedExactly", func(t *testing.T) {
		// The store compares keys exactly; folding case is the caller's job.
		e := setup(t, nb)
		u1 := newUser(e, "u1")
		u1.Username, u1.Email = "alice", "alice@example.com"
		must(t, "Users.Create(alice)", e.s.Users().Create(e.ctx, u1))
		u2 := newUser(e, "u2")
		u2.Username, u2.Email = "Alice", "Alice@example.com"
		must(t, "Users.Create(Alice) beside alice", e.s.Users().Create(e.ctx, u2))
		_, err := e.s.Users().GetByUsername(e.ctx, "ALICE")
		wantErr(t, `Users.GetByUsername("ALICE")`, err, store.ErrNotFound)
		got := read(e.s.Users().GetByUsername(e.ctx, "Alice")).must(t, `Users.GetByUsername("Alice")`)
		if got.ID != "u2" {
			t.Errorf(`Users.GetByUsername("Alice"): got user %q, want "u2"`, got.ID)
		}
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		mine := createBelongings(e, "u1")
		kept := append(createBelongings(e, "u2"), createUnowned(e)...)
		must(t, "Users.Delete", e.s.Users().Delete(e.ctx, "u1"))
		checkGone(t, e, "after Users.Delete of the user", mine)
		checkKept(t, e, "after Users.Delete of another user", kept)
		wantErr(t, "Sessions.Create for a deleted user", e.s.Sessions().Create(e.ctx, newSession(e, "s-again", "u1")), store.ErrNotFound)
		wantErr(t, "Actions.Create for a deleted user", e.s.Actions().Create(e.ctx, newAction(e, "x-again", "u1", "payment", "idem-2")), store.ErrNotFound)
		// A new user with the same ID starts with nothing, and every ID
		// and key the deleted records held is free again.
		createUser(e, "u1")
		checkGone(t, e, "after Users.Delete and a new Users.Create of the same ID", mine)
		checkKept(t, e, "after Users.Delete and a new Users.Create of the same ID", createBelongings(e, "u1"))
	})

	// A record moved to a missing user would outlive every Users.Delete,
	// and a user created later with that id would inherit it.
	t.Run("UpdateToUnknownUserNeverOrphans", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		mine := createBelongings(e, "u1")
		for _, m := range moves("u1") {
			if err := m.to(e, "nobody"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s to a user who does not exist: got error %v, want %v", m.what, err, store.ErrNotFound)
			}
		}
		checkKept(t, e, "after Updates to a user who does not exist", mine)
		must(t, "Users.Delete", e.s.Users().Delete(e.ctx, "u1"))
		checkGone(t, e, "after Users.Delete of the user", mine)
	})

	t.Run("ListPaging", func(t *testing.T) {
		e := setup(t, nb)
		const n = store.DefaultLimit + 5
		all := make([]*store.User, n)
		for i := range n {
			// Insert out of order: the listing must sort by ID.
			j := (i * 37) % n
			all[j] = createUser(e, fmt.Sprintf("u%03d", j))
		}
		list := func(p store.Page) []*store.User {
			t.Helper()
			us, err := e.s.Users().List(e.ctx, p)
			must(t, fmt.Sprintf("Users.List(%+v)", p), err)
			return us
		}
		checkPaging(t, "Users", all, userKey, list)
	})

	t.Run("ListPagingBytewise", func(t *testing.T) {
		e := setup(t, nb)
		byID := map[string]*store.User{}
		for _, id := range bytewiseKeys {
			byID[id] = createUser(e, id)
		}
		checkBytewise(t, "Users", byID, userKey, func(p store.Page) []*store.User {
			t.Helper()
			return read(e.s.Users().List(e.ctx, p)).must(t, fmt.Sprintf("Users.List(%+v)", p))
		})
	})
}

// bytewiseKeys are the keys that ListPagingBytewise stores, out of order;
// bytewiseOrder is how a listing sorts them. Compared bytewise, upper case
// sorts before lower case and a multi-byte UTF-8 letter after all of ASCII,
// which neither a case-insensitive nor a locale collation does.
var (
	bytewiseKeys  = []string{"b", "é", "B", "a", "Z", "z"}
	bytewiseOrder = []string{"B", "Z", "a", "b", "z", "é"}
)

// checkBytewise checks a listing by Page of the records stored under
// bytewiseKeys, found in byKey.
func checkBytewise[T any](t *testing.T, aggregate string, byKey map[string]*T, key func(*T) string, list func(store.Page) []*T) {
	t.Helper()
	want := func(keys ...string) []*T {
		rs := make([]*T, len(keys))
		for i, k := range keys {
			rs[i] = byKey[k]
		}
		return rs
	}
	checkList(t, aggregate+".List(Page{}) of keys in mixed case", list(store.Page{}), want(bytewiseOrder...), key)
	checkList(t, aggregate+`.List(Page{After: "Z", Limit: 2})`, list(store.Page{After: "Z", Limit: 2}), want("a", "b"), key)
	checkList(t, aggregate+`.List(Page{After: "C"})`, list(store.Page{After: "C"}), want("Z", "a", "b", "z", "é"), key)
	checkList(t, aggregate+`.List(Page{After: "z"})`, list(store.Page{After: "z"}), want("é"), key)
}

// checkPaging checks a listing by Page of the records all, sorted by key.
func checkPaging[T any](t *testing.T, aggregate string, all []*T, key func(*T) string, list func(store.Page) []*T) {
	t.Helper()
	n := len(all)
	k := func(i int) string { return key(all[i]) }
	checkList(t, aggregate+".List(Page{}) (the default limit)", list(store.Page{}), all[:min(n, store.DefaultLimit)], key)
	checkList(t, aggregate+".List(Page{Limit: 3})", list(store.Page{Limit: 3}), all[:3], key)
	checkList(t, aggregate+".List(Page{After: 3rd, Limit: 3})", list(store.Page{After: k(2), Limit: 3}), all[3:6], key)
	// After need not be a stored key.
	checkList(t, aggregate+".List(Page{After: between the 5th and 6th, Limit: 2})", list(store.Page{After: k(4) + "~", Limit: 2}), all[5:7], key)
	checkList(t, aggregate+".List(Page{After: 3rd to last})", list(store.Page{After: k(n - 3)}), all[n-2:], key)
	checkList(t, aggregate+".List(Page{After: last})", list(store.Page{After: k(n - 1)}), nil, key)
	checkList(t, aggregate+".List(Page{Limit: n+10})", list(store.Page{Limit: n + 10}), all, key)
}
