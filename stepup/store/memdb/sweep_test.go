package memdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

// sweepStore opens a store whose clock starts at t0 and which holds user
// u1, for sessions of its to expire; the store sweeps only when told.
func sweepStore(t *testing.T, t0 time.Time) (*Store, *conformance.Clock) {
	t.Helper()
	clock := conformance.NewClockAt(t0)
	s, err := Open(Options{Dir: t.TempDir(), SweepInterval: -1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Users().Create(context.Background(), &store.User{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

// sessionsExpiring creates sessions s<first>..s<first+n-1> of user u1,
// expiring at exp.
func sessionsExpiring(t *testing.T, s *Store, first, n int, exp time.Time) {
	t.Helper()
	for i := first; i < first+n; i++ {
		sess := &store.Session{ID: fmt.Sprintf("s%d", i), UserID: "u1", CreatedAt: exp.Add(-time.Hour), ExpiresAt: exp}
		if err := s.Sessions().Create(context.Background(), sess); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSweepScansPastOneBatch(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, clock := sweepStore(t, t0)
	ctx := context.Background()
	expired := 2*sweepBatch + 500
	sessionsExpiring(t, s, 0, expired, t0.Add(time.Minute))
	sessionsExpiring(t, s, expired, 10, t0.Add(time.Hour))
	clock.Advance(2 * time.Minute)
	n, err := s.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != expired {
		t.Errorf("Sweep of %d expired sessions among 10 live ones deleted %d", expired, n)
	}
	clock.Advance(-2 * time.Minute) // a record the sweep merely hid would be visible again
	live, err := s.Sessions().ListByUser(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 10 {
		t.Errorf("after Sweep, with the clock moved back: %d sessions, want the 10 that were live", len(live))
	}
}

// Sweep scans a snapshot and deletes later: what changed in between must
// be judged as it is now.
func TestSweepSparesWhatChangedSinceTheScan(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, clock := sweepStore(t, t0)
	ctx := context.Background()
	sessionsExpiring(t, s, 0, 3, t0.Add(time.Minute))
	scanned := func() []any { // the records as the sweep's scan saw them
		var out []any
		for _, id := range []string{"s0", "s1", "s2"} {
			obj, err := s.db.Txn(false).First(tableSessions, indexID, id)
			if err != nil || obj == nil {
				t.Fatalf("session %s: %v", id, err)
			}
			out = append(out, obj)
		}
		return out
	}()
	// After the scan: s0 is renewed, s1 deleted, s2 left to expire.
	renewed, err := s.Sessions().Get(ctx, "s0")
	if err != nil {
		t.Fatal(err)
	}
	renewed.ExpiresAt = t0.Add(time.Hour)
	if err := s.Sessions().Update(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	if err := s.Sessions().Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	sessions := s.tables[tableSessions]
	n, err := s.sweepBatch(tableSessions, sessions.schema.Indexes[indexID].Indexer.(argser), sessions.expiresAt, scanned)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("sweeping a renewed, a deleted and an expired session deleted %d, want 1", n)
	}
	if _, err := s.Sessions().Get(ctx, "s0"); err != nil {
		t.Errorf("the session renewed after the scan: %v", err)
	}
}

// A data folder written when codes had a table of their own still opens;
// its codes, short-lived, are dropped.
func TestRetiredTableIsSkippedOnLoad(t *testing.T) {
	dir := t.TempDir()
	fill(t, dir, 1)
	s, _, err := reopen(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := encMode.Marshal(map[string]any{"Hash": "h1", "AuthRequestID": "r1"})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := encMode.Marshal([]change{{Table: "auth_codes", Record: rec}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.journal.append(payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.wait(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, _, err = reopen(t, dir)
	if err != nil {
		t.Fatalf("opening a journal with records of the retired auth_codes table: %v", err)
	}
	if ids := userIDs(t, s); !ids["u0"] {
		t.Errorf("users after skipping the retired table: %v, want u0", ids)
	}
}
