package conformance

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
)

// The race tests start racers goroutines at once (see race) on one record
// and count the winners: a backend that checks and then writes in two steps
// lets several through.
func testConcurrency(t *testing.T, nb NewBackend) {
	t.Run("AuthCodeConsume", func(t *testing.T) {
		e := setup(t, nb)
		want := newAuthCode(e, "h1")
		must(t, "AuthCodes.Create", e.s.AuthCodes().Create(e.ctx, want.Clone()))
		got := make([]*store.AuthCode, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.AuthCodes().Consume(e.ctx, "h1")
			return err
		})
		w := oneWinner(t, "AuthCodes.Consume of one code by racing callers", errs, store.ErrNotFound)
		checkRecord(t, "AuthCodes.Consume by the winner", got[w], want)
	})

	t.Run("ChallengeConsume", func(t *testing.T) {
		e := setup(t, nb)
		want := createChallenge(e, "c1")
		got := make([]*store.Challenge, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.Challenges().Consume(e.ctx, "c1")
			return err
		})
		w := oneWinner(t, "Challenges.Consume of one challenge by racing callers", errs, store.ErrNotFound)
		checkRecord(t, "Challenges.Consume by the winner", got[w], want)
	})

	t.Run("ChallengeAttemptsAllCount", func(t *testing.T) {
		// Each racer counts a failed guess the way a caller does: read,
		// increment, compare-and-set, and again on ErrConflict. No attempt
		// may be lost.
		e := setup(t, nb)
		c := newChallenge(e, "c1")
		c.Attempts = 0
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		errs := race(func(int) error {
			for {
				c, err := e.s.Challenges().Get(e.ctx, "c1")
				if err != nil {
					return err
				}
				c.Attempts++
				err = e.s.Challenges().Update(e.ctx, c)
				if err == nil || !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("racer %d counting an attempt: %v", i, err)
			}
		}
		got := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		if got.Attempts != racers {
			t.Errorf("Challenges.Get after %d racing attempts: Attempts = %d, want %d", racers, got.Attempts, racers)
		}
		if got.Version != racers+1 {
			t.Errorf("Challenges.Get after %d racing Updates: Version = %d, want %d", racers, got.Version, racers+1)
		}
	})

	t.Run("AdvanceCounter", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1") // Counter 7
		errs := race(func(int) error { return e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8) })
		oneWinner(t, "Authenticators.AdvanceCounter to one TOTP step by racing callers", errs, store.ErrConflict)
		got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		if got.Counter != 8 {
			t.Errorf("Authenticators.Get after the race: Counter = %d, want 8", got.Counter)
		}
	})

	t.Run("AdvanceCounterMixedSteps", func(t *testing.T) {
		// Racers present steps 8..8+racers-1 in any order: the counter ends
		// at the highest, and no step is accepted after a higher one.
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1") // Counter 7
		errs := race(func(i int) error { return e.s.Authenticators().AdvanceCounter(e.ctx, "a1", uint64(8+i)) })
		for i, err := range errs {
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Errorf("Authenticators.AdvanceCounter(%d): got error %v, want nil or %v", 8+i, err, store.ErrConflict)
			}
		}
		if errs[racers-1] != nil {
			t.Errorf("Authenticators.AdvanceCounter(%d), the highest step: got %v, want success", 8+racers-1, errs[racers-1])
		}
		got := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		if got.Counter != 8+racers-1 {
			t.Errorf("Authenticators.Get after the race: Counter = %d, want %d", got.Counter, 8+racers-1)
		}
	})

	t.Run("UserUpdate", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		base := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		mine := make([]*store.User, racers)
		for i := range mine {
			mine[i] = base.Clone()
			mine[i].DisplayName = fmt.Sprintf("racer %d", i)
		}
		errs := race(func(i int) error { return e.s.Users().Update(e.ctx, mine[i]) })
		w := oneWinner(t, "Users.Update from one Version by racing callers", errs, store.ErrConflict)
		checkRecord(t, "Users.Get after the race", read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), mine[w])
		if mine[w].Version != 2 {
			t.Errorf("Users.Update: the winner's Version is %d afterwards, want 2", mine[w].Version)
		}
	})

	t.Run("RefreshRotate", func(t *testing.T) {
		e := setup(t, nb)
		f := createRefreshFamily(e, "f1")
		createAccessToken(e, "a1", "f1")
		got := make([]*store.RefreshFamily, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.RefreshFamilies().Rotate(e.ctx, "f1", f.TokenHash, fmt.Sprintf("hash-f1-racer-%d", i))
			return err
		})
		w := oneWinner(t, "RefreshFamilies.Rotate from one hash by racing callers", errs, store.ErrConflict)
		if got[w].Generation != 1 || got[w].TokenHash != fmt.Sprintf("hash-f1-racer-%d", w) {
			t.Errorf("RefreshFamilies.Rotate by the winner: got Generation %d and TokenHash %q, want 1 and %q", got[w].Generation, got[w].TokenHash, fmt.Sprintf("hash-f1-racer-%d", w))
		}
		// The losers presented a hash that was no longer current: to the
		// store that is reuse, so the family ends revoked.
		checkRevoked(t, e, "after racing Rotates", "f1", "a1")
	})

	t.Run("RuleSetPublish", func(t *testing.T) {
		e := setup(t, nb)
		publish(e, "payment", 1)
		mine := make([]*store.RuleSet, racers)
		for i := range mine {
			mine[i] = newRuleSet(e, "payment", 2)
			mine[i].Author = fmt.Sprintf("analyst-%d@example.com", i)
		}
		errs := race(func(i int) error { return e.s.RuleSets().Publish(e.ctx, mine[i].Clone()) })
		w := oneWinner(t, "RuleSets.Publish of version 2 by racing analysts", errs, store.ErrConflict)
		checkRecord(t, "RuleSets.Latest after the race", read(e.s.RuleSets().Latest(e.ctx, "payment")).must(t, "RuleSets.Latest"), mine[w])
		if vs := read(e.s.RuleSets().Versions(e.ctx, "payment")).must(t, "RuleSets.Versions"); len(vs) != 2 {
			t.Errorf("RuleSets.Versions after the race: got %d versions, want 2", len(vs))
		}
	})

	t.Run("UniqueUsername", func(t *testing.T) {
		e := setup(t, nb)
		errs := race(func(i int) error {
			u := newUser(e, fmt.Sprintf("u%02d", i))
			u.Username = "alice"
			return e.s.Users().Create(e.ctx, u)
		})
		w := oneWinner(t, "Users.Create of one username by racing callers", errs, store.ErrConflict)
		got := read(e.s.Users().GetByUsername(e.ctx, "alice")).must(t, "Users.GetByUsername")
		if want := fmt.Sprintf("u%02d", w); got.ID != want {
			t.Errorf("Users.GetByUsername after the race: got user %q, want the winner %q", got.ID, want)
		}
		if us := read(e.s.Users().List(e.ctx, store.Page{})).must(t, "Users.List"); len(us) != 1 {
			t.Errorf("Users.List after the race: got %d users, want 1", len(us))
		}
	})

	t.Run("UniqueCredentialID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		errs := race(func(i int) error {
			a := newAuthenticator(e, fmt.Sprintf("a%02d", i), "u1")
			a.CredentialID = []byte("one credential")
			return e.s.Authenticators().Create(e.ctx, a)
		})
		oneWinner(t, "Authenticators.Create of one credential id by racing callers", errs, store.ErrConflict)
		if as := read(e.s.Authenticators().ListByUser(e.ctx, "u1")).must(t, "Authenticators.ListByUser"); len(as) != 1 {
			t.Errorf("Authenticators.ListByUser after the race: got %d authenticators, want 1", len(as))
		}
	})

	t.Run("UniqueIdempotencyKey", func(t *testing.T) {
		e := setup(t, nb)
		errs := race(func(i int) error {
			return e.s.Actions().Create(e.ctx, newAction(e, fmt.Sprintf("a%02d", i), "u1", "payment", "idem-1"))
		})
		w := oneWinner(t, "Actions.Create of one idempotency key by racing callers", errs, store.ErrConflict)
		got := read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey")
		if want := fmt.Sprintf("a%02d", w); got.ID != want {
			t.Errorf("Actions.GetByIdempotencyKey after the race: got record %q, want the winner %q", got.ID, want)
		}
	})

	t.Run("AuditAppend", func(t *testing.T) {
		e := setup(t, nb)
		evs := make([]*store.AuditEvent, racers)
		for i := range evs {
			evs[i] = newAuditEvent(e, fmt.Sprintf("racer.%d", i))
		}
		errs := race(func(i int) error { return e.s.Audit().Append(e.ctx, evs[i]) })
		for i, err := range errs {
			must(t, fmt.Sprintf("Audit.Append by racer %d", i), err)
		}
		seqs := make([]uint64, racers)
		for i, ev := range evs {
			seqs[i] = ev.Seq
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != uint64(i+1) {
				t.Fatalf("Audit.Append by %d racers: assigned Seqs %v, want each of 1..%d once", racers, seqs, racers)
			}
		}
		got := read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List")
		want := slices.Clone(evs)
		slices.SortFunc(want, func(a, b *store.AuditEvent) int { return int(a.Seq) - int(b.Seq) })
		checkList(t, "Audit.List after racing Appends", got, want, auditKey)
	})
}
