package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newAction returns an action record with every field set but Version,
// expiring in a day.
func newAction(e *env, id, userID, action, key string) *store.ActionRecord {
	now := e.now()
	return &store.ActionRecord{
		ID:             id,
		UserID:         userID,
		Action:         action,
		IdempotencyKey: key,
		State:          "challenged",
		Data:           []byte(`{"amount":"120.00","currency":"EUR"}`),
		Decision:       []byte(`{"rules":["new-device"],"signals":{"ip.risk":0.7}}`),
		CreatedAt:      at(now, -time.Minute),
		UpdatedAt:      at(now, -time.Second),
		ExpiresAt:      at(now, 24*time.Hour),
	}
}

func createAction(e *env, a *store.ActionRecord) *store.ActionRecord {
	e.t.Helper()
	must(e.t, fmt.Sprintf("Actions.Create(%q)", a.ID), e.s.Actions().Create(e.ctx, a))
	a.Version = 1
	return a
}

func actionKey(a *store.ActionRecord) string { return a.ID }

func testActions(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a := newAction(e, "a1", "u1", "payment", "idem-1")
		checkFixture(t, a, "Version")
		want := a.Clone()
		want.Version = 1
		must(t, "Actions.Create", e.s.Actions().Create(e.ctx, a))
		if a.Version != 1 {
			t.Errorf("Actions.Create: the argument's Version is %d afterwards, want 1", a.Version)
		}
		checkRecord(t, "Actions.Get", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), want)
		checkRecord(t, "Actions.GetByIdempotencyKey", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		wantErr(t, "Actions.Create for a user who does not exist", e.s.Actions().Create(e.ctx, newAction(e, "a1", "nobody", "payment", "idem-1")), store.ErrNotFound)
		read(e.s.Actions().Get(e.ctx, "a1")).wantErr(t, "Actions.Get after a Create for a missing user", store.ErrNotFound)
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "nobody", "payment", "idem-1")).wantErr(t, "Actions.GetByIdempotencyKey after a Create for a missing user", store.ErrNotFound)
		// The failed write must not have claimed the ID or the key.
		createUser(e, "nobody")
		want := createAction(e, newAction(e, "a1", "nobody", "payment", "idem-1"))
		checkRecord(t, "Actions.GetByIdempotencyKey once the user exists", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "nobody", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createAction(e, newAction(e, "a1", "u1", "payment", "idem-1"))
		wantErr(t, "Actions.Create of a taken ID", e.s.Actions().Create(e.ctx, newAction(e, "a1", "u1", "payment", "idem-2")), store.ErrConflict)
		checkRecord(t, "Actions.Get after a conflicting Create", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), want)
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-2")).wantErr(t, "Actions.GetByIdempotencyKey of the failed Create's key", store.ErrNotFound)
	})

	t.Run("UniqueIdempotencyKey", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createAction(e, newAction(e, "a1", "u1", "payment", "idem-1"))
		wantErr(t, "Actions.Create with a taken (user, action, idempotency key)",
			e.s.Actions().Create(e.ctx, newAction(e, "a2", "u1", "payment", "idem-1")), store.ErrConflict)
		read(e.s.Actions().Get(e.ctx, "a2")).wantErr(t, "Actions.Get of a record whose Create conflicted", store.ErrNotFound)
		checkRecord(t, "Actions.GetByIdempotencyKey after a conflicting Create", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), want)
		// The key is unique per (UserID, Action) only.
		createUser(e, "u2")
		otherUser := createAction(e, newAction(e, "a3", "u2", "payment", "idem-1"))
		otherAction := createAction(e, newAction(e, "a4", "u1", "withdrawal", "idem-1"))
		checkRecord(t, "Actions.GetByIdempotencyKey for another user", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u2", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), otherUser)
		checkRecord(t, "Actions.GetByIdempotencyKey for another action", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "withdrawal", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), otherAction)
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-2")).wantErr(t, "Actions.GetByIdempotencyKey of a missing key", store.ErrNotFound)
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u3", "payment", "idem-1")).wantErr(t, "Actions.GetByIdempotencyKey for a user without that key", store.ErrNotFound)
	})

	t.Run("EmptyIdempotencyKeyNeverConflicts", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		for _, id := range []string{"a1", "a2", "a3"} {
			createAction(e, newAction(e, id, "u1", "payment", ""))
		}
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "")).wantErr(t, `Actions.GetByIdempotencyKey with key ""`, store.ErrNotFound)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAction(e, newAction(e, "a1", "u1", "payment", "idem-1"))
		a := read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get")
		a.State, a.UpdatedAt = "approved", at(e.now(), 0)
		a.Decision = []byte(`{"rules":[]}`)
		must(t, "Actions.Update from Version 1", e.s.Actions().Update(e.ctx, a))
		if a.Version != 2 {
			t.Fatalf("Actions.Update from Version 1: the argument's Version is %d afterwards, want 2", a.Version)
		}
		checkRecord(t, "Actions.Get after Update", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), a)
		checkRecord(t, "Actions.GetByIdempotencyKey after Update", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), a)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAction(e, newAction(e, "a1", "u1", "payment", "idem-1"))
		first := read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get")
		second := first.Clone()
		first.State = "approved"
		must(t, "Actions.Update", e.s.Actions().Update(e.ctx, first))
		second.State = "denied"
		wantErr(t, "Actions.Update from a stale Version", e.s.Actions().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Actions.Get after a stale Update", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), first)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.Actions().Get(e.ctx, "nope")).wantErr(t, "Actions.Get of a missing record", store.ErrNotFound)
		a := newAction(e, "nope", "u1", "payment", "")
		a.Version = 1
		wantErr(t, "Actions.Update of a missing record", e.s.Actions().Update(e.ctx, a), store.ErrNotFound)
	})

	t.Run("ListByUserNewestFirst", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		const n = store.DefaultLimit + 5
		all := make([]*store.ActionRecord, n) // newest first
		for i := range n {
			// Create out of order, and with IDs that do not sort by age,
			// so that only CreatedAt can give the order.
			j := (i * 37) % n
			a := newAction(e, fmt.Sprintf("a%03d", (j*53)%n), "u1", "payment", fmt.Sprintf("idem-%d", j))
			a.CreatedAt = at(e.now(), -time.Duration(j)*time.Second)
			all[j] = createAction(e, a)
		}
		createUser(e, "u2")
		createAction(e, newAction(e, "other", "u2", "payment", "idem-0"))
		list := func(limit int) []*store.ActionRecord {
			t.Helper()
			return read(e.s.Actions().ListByUser(e.ctx, "u1", limit)).must(t, fmt.Sprintf("Actions.ListByUser(u1, %d)", limit))
		}
		checkList(t, "Actions.ListByUser(u1, 0) (the default limit)", list(0), all[:store.DefaultLimit], actionKey)
		checkList(t, "Actions.ListByUser(u1, 3)", list(3), all[:3], actionKey)
		checkList(t, "Actions.ListByUser(u1, n+10)", list(n+10), all, actionKey)
		checkList(t, "Actions.ListByUser of a user without records", read(e.s.Actions().ListByUser(e.ctx, "nobody", 0)).must(t, "Actions.ListByUser"), nil, actionKey)
	})

	t.Run("ListByActionNewestFirst", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		var payments []*store.ActionRecord // newest first
		for i, user := range []string{"u1", "u2", "u1", "u2"} {
			a := newAction(e, fmt.Sprintf("p%d", 9-i), user, "payment", fmt.Sprintf("pay-%d", i))
			a.CreatedAt = at(e.now(), -time.Duration(i)*time.Minute)
			payments = append(payments, createAction(e, a))
		}
		createAction(e, newAction(e, "s1", "u1", "signIn", "sign-1"))
		list := func(action string, limit int) []*store.ActionRecord {
			t.Helper()
			return read(e.s.Actions().ListByAction(e.ctx, action, limit)).must(t, fmt.Sprintf("Actions.ListByAction(%s, %d)", action, limit))
		}
		checkList(t, "Actions.ListByAction(payment, 0)", list("payment", 0), payments, actionKey)
		checkList(t, "Actions.ListByAction(payment, 2)", list("payment", 2), payments[:2], actionKey)
		checkList(t, "Actions.ListByAction(nothing, 0)", list("nothing", 0), nil, actionKey)
	})

	t.Run("KeylessRecords", func(t *testing.T) {
		// Records without an idempotency key never conflict with one
		// another, and are a user's records like any other.
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		var want []*store.ActionRecord // newest first
		for i, key := range []string{"", "", "idem-1", ""} {
			a := newAction(e, fmt.Sprintf("k%d", i), "u1", "payment", key)
			a.CreatedAt = at(e.now(), -time.Duration(i)*time.Minute)
			want = append(want, createAction(e, a))
		}
		createAction(e, newAction(e, "other", "u2", "payment", ""))
		checkList(t, "Actions.ListByUser(u1)", read(e.s.Actions().ListByUser(e.ctx, "u1", 0)).must(t, "Actions.ListByUser"), want, actionKey)
		read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "")).wantErr(t, "Actions.GetByIdempotencyKey with an empty key", store.ErrNotFound)
		wantErr(t, "Actions.Create of a keyless record with a taken ID", e.s.Actions().Create(e.ctx, newAction(e, "k0", "u1", "payment", "")), store.ErrConflict)
	})

	t.Run("ListAwaitingReviewNewestFirst", func(t *testing.T) {
		// However many records come after a review, it stays listed until
		// its state changes.
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		var waiting []*store.ActionRecord // newest first
		for i, user := range []string{"u2", "u1", "u2"} {
			a := newAction(e, fmt.Sprintf("r%d", i), user, "payment", fmt.Sprintf("rev-%d", i))
			a.State = store.ActionReviewRequired
			a.CreatedAt = at(e.now(), -time.Duration(10+i)*time.Minute)
			waiting = append(waiting, createAction(e, a))
		}
		for i := range store.DefaultLimit + 5 {
			createAction(e, newAction(e, fmt.Sprintf("n%03d", i), "u1", "payment", fmt.Sprintf("new-%d", i)))
		}
		other := newAction(e, "s1", "u1", "signIn", "sign-1")
		other.State = store.ActionReviewRequired
		createAction(e, other)
		list := func(action string, limit int) []*store.ActionRecord {
			t.Helper()
			return read(e.s.Actions().ListAwaitingReview(e.ctx, action, limit)).must(t, fmt.Sprintf("Actions.ListAwaitingReview(%s, %d)", action, limit))
		}
		checkList(t, "Actions.ListAwaitingReview(payment, 0)", list("payment", 0), waiting, actionKey)
		checkList(t, "Actions.ListAwaitingReview(payment, 2)", list("payment", 2), waiting[:2], actionKey)
		checkList(t, "Actions.ListAwaitingReview(signIn, 0)", list("signIn", 0), []*store.ActionRecord{other}, actionKey)
		checkList(t, "Actions.ListAwaitingReview(nothing, 0)", list("nothing", 0), nil, actionKey)

		decided := waiting[1].Clone()
		decided.State = "REVIEW_SUCCEEDED"
		must(t, "Actions.Update", e.s.Actions().Update(e.ctx, decided))
		checkList(t, "Actions.ListAwaitingReview(payment, 0) after one was decided", list("payment", 0),
			[]*store.ActionRecord{waiting[0], waiting[2]}, actionKey)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		a := newAction(e, "a1", "u1", "payment", "idem-1")
		must(t, "Actions.Create", e.s.Actions().Create(e.ctx, a))
		want := a.Clone()
		a.Data[0], a.Decision[0] = 'X', 'X'
		got := read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get")
		checkRecord(t, "Actions.Get after the caller changed the record it created", got, want)
		got.Data[0], got.State = 'X', "changed by the caller"
		checkRecord(t, "Actions.Get after the caller changed a record it read", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), want)
		for _, l := range read(e.s.Actions().ListByUser(e.ctx, "u1", 0)).must(t, "Actions.ListByUser") {
			l.Decision[0] = 'X'
		}
		checkRecord(t, "Actions.Get after the caller changed a listed record", read(e.s.Actions().Get(e.ctx, "a1")).must(t, "Actions.Get"), want)
	})
}
