package memdb

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// A model of the action records, checked against the store after each of
// 3,000 random steps: creates with and without idempotency keys (keys,
// users and actions holding the bytes joinKey escapes, and sharing
// prefixes), state changes in and out of review, user deletions, expiry
// and sweeps, snapshots and reopens. Every read of the actions must agree
// with the model: the awaiting-review list in order, the lists by action
// and by user, and every key.
func TestActionRecordsMatchAModel(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	open := func() *Store {
		s, err := Open(Options{Dir: dir, Now: func() time.Time { return clock }, SweepInterval: -1, Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	defer func() { s.Close() }()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 2))
	users := []string{"u", "u\x00", "u\x00\x01", "uu", "\x00"}
	actions := []string{"p", "pay", "payment", "p\x00", "p\x00\x01"}
	keys := []string{"", "", "k", "\x00", "\x00\x01", "\x00\x01k", "\x01", "k\x00\x01"}
	times := []time.Time{{}, time.Unix(-5, 0), time.Unix(0, 0), clock.Add(-time.Hour), clock.Add(-time.Hour), clock}
	model := map[string]*store.ActionRecord{}
	for _, u := range users {
		if err := s.Users().Create(ctx, &store.User{ID: u}); err != nil {
			t.Fatal(err)
		}
	}
	live := func(r *store.ActionRecord) bool { return store.Live(r.ExpiresAt, clock) }
	check := func(step int) {
		t.Helper()
		for id, r := range model {
			if !live(r) {
				delete(model, id)
			}
		}
		for _, a := range actions {
			var want []*store.ActionRecord
			for _, r := range model {
				if r.Action == a && r.State == store.ActionReviewRequired {
					want = append(want, r)
				}
			}
			slices.SortFunc(want, func(x, y *store.ActionRecord) int {
				if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
					return c
				}
				return cmp.Compare(y.ID, x.ID)
			})
			got, err := s.Actions().ListAwaitingReview(ctx, a, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(recordIDs(got)) != fmt.Sprint(recordIDs(want)) {
				t.Fatalf("step %d: ListAwaitingReview(%q) = %q, want %q", step, a, recordIDs(got), recordIDs(want))
			}
			all, _ := s.Actions().ListByAction(ctx, a, 1000)
			n := 0
			for _, r := range model {
				if r.Action == a {
					n++
				}
			}
			if len(all) != n {
				t.Fatalf("step %d: ListByAction(%q) has %d, want %d", step, a, len(all), n)
			}
		}
		for _, u := range users {
			got, _ := s.Actions().ListByUser(ctx, u, 1000)
			n := 0
			for _, r := range model {
				if r.UserID == u {
					n++
				}
			}
			if len(got) != n {
				t.Fatalf("step %d: ListByUser(%q) has %d, want %d", step, u, len(got), n)
			}
		}
		for _, r := range model {
			if r.IdempotencyKey == "" {
				continue
			}
			got, err := s.Actions().GetByIdempotencyKey(ctx, r.UserID, r.Action, r.IdempotencyKey)
			if err != nil || got.ID != r.ID {
				t.Fatalf("step %d: GetByIdempotencyKey(%q,%q,%q) = %v, %v; want %s", step, r.UserID, r.Action, r.IdempotencyKey, got, err, r.ID)
			}
		}
	}
	for step := range 3000 {
		switch op := rng.IntN(20); {
		case op < 12:
			r := &store.ActionRecord{ID: fmt.Sprintf("id%04d", step), UserID: users[rng.IntN(len(users))],
				Action: actions[rng.IntN(len(actions))], IdempotencyKey: keys[rng.IntN(len(keys))],
				State: []string{"ALLOW", store.ActionReviewRequired}[rng.IntN(2)], CreatedAt: times[rng.IntN(len(times))],
				ExpiresAt: clock.Add(time.Duration(rng.IntN(4)) * 20 * time.Minute)}
			err := s.Actions().Create(ctx, r)
			dup := false
			for _, m := range model {
				if !live(m) {
					continue
				}
				if r.IdempotencyKey != "" && m.UserID == r.UserID && m.Action == r.Action && m.IdempotencyKey == r.IdempotencyKey {
					dup = true
				}
			}
			if dup != (err != nil) {
				t.Fatalf("step %d: Create %+v = %v, duplicate key: %v", step, r, err, dup)
			}
			if err == nil {
				model[r.ID] = r.Clone()
			}
		case op < 17:
			for _, m := range model {
				if !live(m) {
					continue
				}
				c := m.Clone()
				c.State = []string{"ALLOW", store.ActionReviewRequired, "REVIEW_SUCCEEDED"}[rng.IntN(3)]
				if err := s.Actions().Update(ctx, c); err != nil {
					t.Fatal(err)
				}
				model[c.ID] = c
				break
			}
		case op < 18:
			u := users[rng.IntN(len(users))]
			if err := s.Users().Delete(ctx, u); err != nil {
				t.Fatal(err)
			}
			for id, m := range model {
				if m.UserID == u {
					delete(model, id)
				}
			}
			if err := s.Users().Create(ctx, &store.User{ID: u}); err != nil {
				t.Fatal(err)
			}
		case op < 19:
			if err := s.Snapshot(); err != nil {
				t.Fatal(err)
			}
		case rng.IntN(4) == 0:
			clock = clock.Add(10 * time.Minute)
			if rng.IntN(2) == 0 {
				s.Sweep(ctx)
			}
		default:
			s.Close()
			s = open()
		}
		check(step)
	}
}

func recordIDs(rs []*store.ActionRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
