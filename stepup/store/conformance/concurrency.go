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
	t.Run("AuthRequestRedeem", func(t *testing.T) {
		// Each racer brings its own tokens: the winner's are stored, and
		// are the ones every loser must be told to revoke; no loser's may
		// be stored.
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		tokens := make([]*store.AccessToken, racers)
		families := make([]*store.RefreshFamily, racers)
		for i := range racers {
			tokens[i], families[i] = redemption(e, fmt.Sprintf("jti-%d", i), fmt.Sprintf("f-%d", i))
		}
		got := make([]*store.AuthRequest, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.AuthRequests().Redeem(e.ctx, "r1", r.CodeHash, tokens[i].Clone(), families[i].Clone())
			return err
		})
		w := oneWinner(t, "AuthRequests.Redeem of one code by racing callers", errs, store.ErrConflict)
		want := redeemed(e, r, tokens[w], families[w])
		checkRecord(t, "AuthRequests.Redeem by the winner", got[w], want)
		for i := range racers {
			if i == w {
				checkRecord(t, "AccessTokens.Get of the winner's token", read(e.s.AccessTokens().Get(e.ctx, tokens[i].ID)).must(t, "AccessTokens.Get of the winner's token"), tokens[i])
				checkRecord(t, "RefreshFamilies.Get of the winner's family", read(e.s.RefreshFamilies().Get(e.ctx, families[i].ID)).must(t, "RefreshFamilies.Get of the winner's family"), families[i])
				continue
			}
			checkRecord(t, fmt.Sprintf("AuthRequests.Redeem by racer %d, a loser", i), got[i], want)
			checkNotStored(t, e, fmt.Sprintf("racer %d, a loser of racing AuthRequests.Redeem calls", i), tokens[i], families[i])
		}
		checkReplay(t, e, "AuthRequests.Redeem after the race", want)
	})

	t.Run("ChallengeConsume", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
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
		createUser(e, "u1")
		c := newChallenge(e, "c1")
		c.Attempts = 0
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		errs := race(func(int) error {
			// Each conflict means another racer's update won, so a racer
			// retries at most once per other racer; more is a store that
			// refuses an update with the current version.
			var err error
			for range 4 * racers {
				var c *store.Challenge
				if c, err = e.s.Challenges().Get(e.ctx, "c1"); err != nil {
					return err
				}
				c.Attempts++
				err = e.s.Challenges().Update(e.ctx, c)
				if err == nil || !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
			return fmt.Errorf("still in conflict after %d tries: %w", 4*racers, err)
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

	t.Run("ChallengeAttempt", func(t *testing.T) {
		// Each racer spends an attempt before it compares a guess: only
		// MaxAttempts of them get to compare, each with its own count.
		e := setup(t, nb)
		createUser(e, "u1")
		c := newChallenge(e, "c1")
		c.Attempts, c.MaxAttempts = 0, 5
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		got := make([]*store.Challenge, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.Challenges().Attempt(e.ctx, "c1")
			return err
		})
		var counts []int
		for _, w := range winners(t, "Challenges.Attempt of a challenge with MaxAttempts 5 by racing callers", errs, store.ErrConflict, 5) {
			counts = append(counts, got[w].Attempts)
		}
		slices.Sort(counts)
		if !slices.Equal(counts, []int{1, 2, 3, 4, 5}) {
			t.Errorf("Challenges.Attempt by racing callers: the winners got Attempts %v, want each of 1..5 once", counts)
		}
		if stored := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"); stored.Attempts != 5 {
			t.Errorf("Challenges.Get after %d racing Attempts with MaxAttempts 5: Attempts = %d, want 5", racers, stored.Attempts)
		}
	})

	t.Run("ChallengeAttemptUntilSpent", func(t *testing.T) {
		// Racers spend attempts until they are refused: over a hundred
		// overlapping calls, an Attempt that reads and then writes in two
		// steps loses counts and lets more than MaxAttempts through.
		const maxAttempts = 100
		e := setup(t, nb)
		createUser(e, "u1")
		c := newChallenge(e, "c1")
		c.Attempts, c.MaxAttempts = 0, maxAttempts
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		counts := make([][]int, racers)
		errs := race(func(i int) error {
			for range maxAttempts + 1 {
				got, err := e.s.Challenges().Attempt(e.ctx, "c1")
				if err != nil {
					return err
				}
				counts[i] = append(counts[i], got.Attempts)
			}
			return fmt.Errorf("%d Attempts in a row succeeded with MaxAttempts %d", maxAttempts+1, maxAttempts)
		})
		var all []int
		for i, err := range errs {
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("Challenges.Attempt until spent: racer %d was stopped by error %v, want %v", i, err, store.ErrConflict)
			}
			all = append(all, counts[i]...)
		}
		if len(all) != maxAttempts {
			t.Fatalf("Challenges.Attempt until spent by %d racers with MaxAttempts %d: %d calls succeeded, want %d", racers, maxAttempts, len(all), maxAttempts)
		}
		slices.Sort(all)
		for n, a := range all {
			if a != n+1 {
				t.Fatalf("Challenges.Attempt until spent by %d racers: the successful calls got Attempts %v, want each of 1..%d once", racers, all, maxAttempts)
			}
		}
		if stored := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"); stored.Attempts != maxAttempts {
			t.Errorf("Challenges.Get after racing Attempts until spent: Attempts = %d, want %d", stored.Attempts, maxAttempts)
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
		createUser(e, "u1")
		f := createRefreshFamily(e, "f1")
		createAccessToken(e, "a1", "f1")
		to := func(i int) string { return fmt.Sprintf("hash-f1-racer-%d", i) }
		got := make([]*store.RefreshFamily, racers)
		errs := race(func(i int) (err error) {
			got[i], err = e.s.RefreshFamilies().Rotate(e.ctx, "f1", f.TokenHash, to(i), rotationToken(e, "f1", to(i)))
			return err
		})
		w := oneWinner(t, "RefreshFamilies.Rotate from one hash by racing callers", errs, store.ErrConflict)
		if got[w].Generation != 1 || got[w].TokenHash != to(w) {
			t.Errorf("RefreshFamilies.Rotate by the winner: got Generation %d and TokenHash %q, want 1 and %q", got[w].Generation, got[w].TokenHash, to(w))
		}
		// The losers presented a hash that was no longer current: to the
		// store that is reuse, so the family ends revoked, the winner's
		// token with it, and no loser's token is stored.
		tokens := []string{"a1"}
		for i := range racers {
			tokens = append(tokens, rotationToken(e, "f1", to(i)).ID)
		}
		checkRevoked(t, e, "after racing Rotates", "f1", tokens...)
	})

	// Racer 0 revokes a family while the others mint access tokens in it
	// until they are refused. A token created before the revocation is
	// deleted by it, and one after is refused: none may be left.
	for _, revoke := range []struct {
		how string
		do  func(e *env) error
	}{
		{"Revoke", func(e *env) error { return e.s.RefreshFamilies().Revoke(e.ctx, "f1") }},
		{"Reuse", func(e *env) error {
			_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-prev", "hash-f1-x", rotationToken(e, "f1", "hash-f1-x")) // a rotated-out hash: the fixture keeps it
			if errors.Is(err, store.ErrConflict) {
				return nil
			}
			return fmt.Errorf("RefreshFamilies.Rotate from a rotated-out hash: got error %v, want %v", err, store.ErrConflict)
		}},
	} {
		t.Run("AccessTokenCreateRaces"+revoke.how, func(t *testing.T) {
			e := setup(t, nb)
			createUser(e, "u1")
			createRefreshFamily(e, "f1")
			id := func(i, n int) string { return fmt.Sprintf("jti%02d-%03d", i, n) }
			created := make([]int, racers)
			errs := race(func(i int) (err error) {
				if i == 0 {
					return revoke.do(e)
				}
				created[i], err = createUntilRefused(func(n int) error {
					return e.s.AccessTokens().Create(e.ctx, newAccessToken(e, id(i, n), "f1"))
				})
				return err
			})
			must(t, "revoking the family ("+revoke.how+") while tokens are created in it", errs[0])
			checkRevoked(t, e, "after AccessTokens.Create raced a revocation ("+revoke.how+")", "f1")
			for i := 1; i < racers; i++ {
				if !errors.Is(errs[i], store.ErrConflict) {
					t.Errorf("AccessTokens.Create racing a revocation (%s): racer %d was stopped by error %v, want %v", revoke.how, i, errs[i], store.ErrConflict)
				}
				for n := range created[i] {
					read(e.s.AccessTokens().Get(e.ctx, id(i, n))).wantErr(t, fmt.Sprintf("AccessTokens.Get(%q) of a token created racing a revocation (%s)", id(i, n), revoke.how), store.ErrNotFound)
				}
			}
		})
	}

	t.Run("UserDeleteRacesCreate", func(t *testing.T) {
		// Racer 0 deletes a user while the others create records of
		// theirs until they are refused. A record created before the
		// Delete goes with the user, and one after is refused: none may
		// be left.
		e := setup(t, nb)
		createUser(e, "u1")
		kinds := []struct {
			name   string
			create func(id string) error
			get    func(id string) error
		}{{
			name:   "Sessions",
			create: func(id string) error { return e.s.Sessions().Create(e.ctx, newSession(e, id, "u1")) },
			get:    func(id string) error { return read(e.s.Sessions().Get(e.ctx, id)).err },
		}, {
			name:   "Challenges",
			create: func(id string) error { return e.s.Challenges().Create(e.ctx, newChallenge(e, id)) },
			get:    func(id string) error { return read(e.s.Challenges().Get(e.ctx, id)).err },
		}, {
			name: "Actions",
			create: func(id string) error {
				return e.s.Actions().Create(e.ctx, newAction(e, id, "u1", "payment", "idem-"+id))
			},
			get: func(id string) error { return read(e.s.Actions().Get(e.ctx, id)).err },
		}, {
			name:   "AuthRequests",
			create: func(id string) error { return e.s.AuthRequests().Create(e.ctx, newAuthRequest(e, id)) },
			get:    func(id string) error { return read(e.s.AuthRequests().Get(e.ctx, id)).err },
		}, {
			name:   "RefreshFamilies",
			create: func(id string) error { return e.s.RefreshFamilies().Create(e.ctx, newRefreshFamily(e, id)) },
			get:    func(id string) error { return read(e.s.RefreshFamilies().Get(e.ctx, id)).err },
		}, {
			name:   "Authenticators",
			create: func(id string) error { return e.s.Authenticators().Create(e.ctx, newAuthenticator(e, id, "u1")) },
			get:    func(id string) error { return read(e.s.Authenticators().Get(e.ctx, id)).err },
		}, {
			name:   "Devices",
			create: func(id string) error { return e.s.Devices().Create(e.ctx, newDevice(e, "u1", id)) },
			get:    func(id string) error { return read(e.s.Devices().Get(e.ctx, "u1", id)).err },
		}}
		// Each racer cycles through the kinds, from its own.
		kind := func(i, n int) int { return (i + n) % len(kinds) }
		id := func(i, n int) string { return fmt.Sprintf("r%02d-%03d", i, n) }
		created := make([]int, racers)
		errs := race(func(i int) (err error) {
			if i == 0 {
				return e.s.Users().Delete(e.ctx, "u1")
			}
			created[i], err = createUntilRefused(func(n int) error { return kinds[kind(i, n)].create(id(i, n)) })
			return err
		})
		must(t, "Users.Delete while records of the user are created", errs[0])
		for i := 1; i < racers; i++ {
			if !errors.Is(errs[i], store.ErrNotFound) {
				t.Errorf("%s.Create racing Users.Delete: racer %d was stopped by error %v, want %v", kinds[kind(i, created[i])].name, i, errs[i], store.ErrNotFound)
			}
			for n := range created[i] {
				k := kinds[kind(i, n)]
				wantGone(t, fmt.Sprintf("%s.Get(%q) of a record created racing Users.Delete", k.name, id(i, n)), k.get(id(i, n)))
			}
		}
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
		createUser(e, "u1")
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

// maxCreates bounds createUntilRefused: a backend that never refuses fails
// the test instead of hanging it.
const maxCreates = 1000

// createUntilRefused calls create(0), create(1), ... until a call fails, so
// that a racer keeps writing for as long as the write it races with takes,
// in whatever steps a backend makes it. It returns how many calls succeeded
// and the error that stopped them.
func createUntilRefused(create func(n int) error) (int, error) {
	for n := range maxCreates {
		if err := create(n); err != nil {
			return n, err
		}
	}
	return maxCreates, fmt.Errorf("%d creates in a row succeeded, want the store to refuse one", maxCreates)
}
