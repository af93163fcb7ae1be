package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newChallenge returns a challenge of user u1 with every field set but
// Version, expiring in five minutes.
func newChallenge(e *env, id string) *store.Challenge {
	now := e.now()
	return &store.Challenge{
		ID:          id,
		Method:      acr.EmailOTP,
		UserID:      "u1",
		SessionID:   "s1",
		FlowID:      "flow-" + id,
		SecretHash:  []byte{0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65},
		Data:        []byte(`{"challenge":"q83vEjRWeJA","rpId":"example.com"}`),
		Attempts:    1,
		MaxAttempts: 5,
		CreatedAt:   at(now, -time.Minute),
		ExpiresAt:   at(now, 5*time.Minute),
	}
}

func createChallenge(e *env, id string) *store.Challenge {
	e.t.Helper()
	c := newChallenge(e, id)
	must(e.t, fmt.Sprintf("Challenges.Create(%q)", id), e.s.Challenges().Create(e.ctx, c))
	c.Version = 1
	return c
}

func challengeKey(c *store.Challenge) string { return c.ID }

func testChallenges(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		c := newChallenge(e, "c1")
		checkFixture(t, c, "Version")
		want := c.Clone()
		want.Version = 1
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		if c.Version != 1 {
			t.Errorf("Challenges.Create: the argument's Version is %d afterwards, want 1", c.Version)
		}
		checkRecord(t, "Challenges.Get", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createChallenge(e, "c1")
		dup := newChallenge(e, "c1")
		dup.SecretHash = []byte("another")
		wantErr(t, "Challenges.Create of a taken ID", e.s.Challenges().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Challenges.Get after a conflicting Create", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		c := newChallenge(e, "c1")
		c.UserID = "nobody"
		wantErr(t, "Challenges.Create for a user who does not exist", e.s.Challenges().Create(e.ctx, c), store.ErrNotFound)
		read(e.s.Challenges().Get(e.ctx, "c1")).wantErr(t, "Challenges.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateWithoutUser", func(t *testing.T) {
		// A passkey sign-in challenges before it knows who the user is.
		e := setup(t, nb)
		c := newChallenge(e, "c1")
		c.UserID = ""
		want := c.Clone()
		want.Version = 1
		must(t, "Challenges.Create without a UserID", e.s.Challenges().Create(e.ctx, c))
		checkRecord(t, "Challenges.Get of a challenge without a UserID", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
		checkRecord(t, "Challenges.Consume of a challenge without a UserID", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createChallenge(e, "c1")
		c := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		c.Attempts++
		must(t, "Challenges.Update from Version 1", e.s.Challenges().Update(e.ctx, c))
		if c.Version != 2 {
			t.Fatalf("Challenges.Update from Version 1: the argument's Version is %d afterwards, want 2", c.Version)
		}
		checkRecord(t, "Challenges.Get after Update", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), c)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createChallenge(e, "c1")
		first := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		second := first.Clone()
		first.Attempts++
		must(t, "Challenges.Update", e.s.Challenges().Update(e.ctx, first))
		second.Attempts++
		wantErr(t, "Challenges.Update from a stale Version", e.s.Challenges().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Challenges.Get after a stale Update", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), first)
	})

	t.Run("Attempt", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := newChallenge(e, "c1")
		want.Attempts, want.MaxAttempts = 0, 3
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, want.Clone()))
		want.Version = 1
		for n := 1; n <= want.MaxAttempts; n++ {
			what := fmt.Sprintf("Challenges.Attempt %d of %d", n, want.MaxAttempts)
			got := read(e.s.Challenges().Attempt(e.ctx, "c1")).must(t, what)
			// Whether Attempt bumps Version is the backend's choice, as
			// for AdvanceCounter; the record it returns is the one stored.
			want.Attempts, want.Version = n, got.Version
			checkRecord(t, what, got, want)
			checkRecord(t, "Challenges.Get after "+what, read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
		}
		for _, what := range []string{"Challenges.Attempt with no attempts left", "Challenges.Attempt with no attempts left, again"} {
			read(e.s.Challenges().Attempt(e.ctx, "c1")).wantErr(t, what, store.ErrConflict)
			checkRecord(t, "Challenges.Get after "+what, read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
		}
		// Spent is not gone: the caller still consumes or deletes it.
		checkRecord(t, "Challenges.Consume of a spent challenge", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), want)
	})

	t.Run("AttemptSpentAtCreate", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := newChallenge(e, "c1")
		want.Attempts, want.MaxAttempts = 3, 3
		must(t, "Challenges.Create with Attempts == MaxAttempts", e.s.Challenges().Create(e.ctx, want.Clone()))
		want.Version = 1
		read(e.s.Challenges().Attempt(e.ctx, "c1")).wantErr(t, "Challenges.Attempt of a challenge created with Attempts == MaxAttempts", store.ErrConflict)
		checkRecord(t, "Challenges.Get after an Attempt with no attempts left", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
		// Once it has expired it is gone, which says more than spent.
		e.clock.Advance(want.ExpiresAt.Sub(e.now()))
		read(e.s.Challenges().Attempt(e.ctx, "c1")).wantErr(t, "Challenges.Attempt of a spent challenge at its ExpiresAt", store.ErrNotFound)
	})

	t.Run("AttemptThenUpdate", func(t *testing.T) {
		// The record Attempt returns is current: the caller may go on to
		// Update it, and later attempts count on from it.
		e := setup(t, nb)
		createUser(e, "u1")
		createChallenge(e, "c1") // Attempts 1 of 5
		c := read(e.s.Challenges().Attempt(e.ctx, "c1")).must(t, "Challenges.Attempt")
		c.Data = []byte(`{"challenge":"second"}`)
		version := c.Version
		must(t, "Challenges.Update of the record Attempt returned", e.s.Challenges().Update(e.ctx, c))
		if c.Version != version+1 {
			t.Errorf("Challenges.Update from the Version Attempt returned, %d: the argument's Version is %d afterwards, want %d", version, c.Version, version+1)
		}
		checkRecord(t, "Challenges.Get after Attempt and Update", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), c)
		got := read(e.s.Challenges().Attempt(e.ctx, "c1")).must(t, "Challenges.Attempt after Update")
		if got.Attempts != 3 || string(got.Data) != string(c.Data) {
			t.Errorf("Challenges.Attempt after Attempt and Update: got Attempts %d and Data %q, want 3 and %q", got.Attempts, got.Data, c.Data)
		}
	})

	t.Run("AttemptNotUndoneByStaleUpdate", func(t *testing.T) {
		// A copy read before Attempt still holds the old count. Its Update
		// may succeed or conflict, but must not give the attempt back, or
		// a caller could guess without end.
		e := setup(t, nb)
		createUser(e, "u1")
		createChallenge(e, "c1") // Attempts 1 of 5
		old := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		read(e.s.Challenges().Attempt(e.ctx, "c1")).must(t, "Challenges.Attempt")
		old.FlowID = "another flow"
		if err := e.s.Challenges().Update(e.ctx, old); err != nil {
			wantErr(t, "Challenges.Update of a record read before Attempt", err, store.ErrConflict)
		}
		if got := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"); got.Attempts != 2 {
			t.Errorf("Challenges.Get after Attempt and an Update of an older copy: Attempts = %d, want 2", got.Attempts)
		}
	})

	t.Run("Consume", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createChallenge(e, "c1")
		c := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		c.Attempts++
		must(t, "Challenges.Update", e.s.Challenges().Update(e.ctx, c))
		other := createChallenge(e, "c2")
		checkRecord(t, "Challenges.Consume", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), c)
		read(e.s.Challenges().Consume(e.ctx, "c1")).wantErr(t, "Challenges.Consume a second time", store.ErrNotFound)
		read(e.s.Challenges().Get(e.ctx, "c1")).wantErr(t, "Challenges.Get of a consumed challenge", store.ErrNotFound)
		read(e.s.Challenges().Attempt(e.ctx, "c1")).wantErr(t, "Challenges.Attempt of a consumed challenge", store.ErrNotFound)
		wantErr(t, "Challenges.Update of a consumed challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		checkRecord(t, "Challenges.Get of another challenge", read(e.s.Challenges().Get(e.ctx, "c2")).must(t, "Challenges.Get"), other)
	})

	t.Run("ListByUser", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		want := []*store.Challenge{createChallenge(e, "c3"), createChallenge(e, "c1"), createChallenge(e, "c2")}
		other := newChallenge(e, "d1")
		other.UserID = "u2"
		must(t, "Challenges.Create for u2", e.s.Challenges().Create(e.ctx, other))
		anonymous := newChallenge(e, "a1")
		anonymous.UserID = ""
		must(t, "Challenges.Create without a UserID", e.s.Challenges().Create(e.ctx, anonymous))
		soon := newChallenge(e, "x1")
		soon.ExpiresAt = at(e.now(), time.Minute)
		must(t, "Challenges.Create of one expiring sooner", e.s.Challenges().Create(e.ctx, soon))
		soon.Version = 1
		checkSet(t, "Challenges.ListByUser(u1)", read(e.s.Challenges().ListByUser(e.ctx, "u1")).must(t, "Challenges.ListByUser"), append(want, soon), challengeKey)
		checkList(t, "Challenges.ListByUser of a missing user", read(e.s.Challenges().ListByUser(e.ctx, "nobody")).must(t, "Challenges.ListByUser"), nil, challengeKey)
		checkList(t, "Challenges.ListByUser(\"\")", read(e.s.Challenges().ListByUser(e.ctx, "")).must(t, "Challenges.ListByUser"), nil, challengeKey)
		// What is consumed, deleted or expired is not listed.
		read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume")
		must(t, "Challenges.Delete", e.s.Challenges().Delete(e.ctx, "c2"))
		e.clock.Advance(2 * time.Minute)
		checkSet(t, "Challenges.ListByUser(u1) after Consume, Delete and an expiry", read(e.s.Challenges().ListByUser(e.ctx, "u1")).must(t, "Challenges.ListByUser"), want[:1], challengeKey)
		// The records listed are copies.
		got := read(e.s.Challenges().ListByUser(e.ctx, "u1")).must(t, "Challenges.ListByUser")
		got[0].Data[0] = 'X'
		checkSet(t, "Challenges.ListByUser(u1) after the caller changed a record it listed", read(e.s.Challenges().ListByUser(e.ctx, "u1")).must(t, "Challenges.ListByUser"), want[:1], challengeKey)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.Challenges().Get(e.ctx, "nope")).wantErr(t, "Challenges.Get of a missing challenge", store.ErrNotFound)
		read(e.s.Challenges().Consume(e.ctx, "nope")).wantErr(t, "Challenges.Consume of a missing challenge", store.ErrNotFound)
		read(e.s.Challenges().Attempt(e.ctx, "nope")).wantErr(t, "Challenges.Attempt of a missing challenge", store.ErrNotFound)
		c := newChallenge(e, "nope")
		c.Version = 1
		wantErr(t, "Challenges.Update of a missing challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		wantErr(t, "Challenges.Delete of a missing challenge", e.s.Challenges().Delete(e.ctx, "nope"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		c := createChallenge(e, "c1")
		must(t, "Challenges.Delete", e.s.Challenges().Delete(e.ctx, "c1"))
		read(e.s.Challenges().Get(e.ctx, "c1")).wantErr(t, "Challenges.Get of a deleted challenge", store.ErrNotFound)
		read(e.s.Challenges().Consume(e.ctx, "c1")).wantErr(t, "Challenges.Consume of a deleted challenge", store.ErrNotFound)
		read(e.s.Challenges().Attempt(e.ctx, "c1")).wantErr(t, "Challenges.Attempt of a deleted challenge", store.ErrNotFound)
		wantErr(t, "Challenges.Update of a deleted challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		wantErr(t, "Challenges.Delete of a deleted challenge", e.s.Challenges().Delete(e.ctx, "c1"), store.ErrNotFound)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		c := newChallenge(e, "c1")
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		want := c.Clone()
		c.SecretHash[0], c.Data[0] = 0, 'X'
		got := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		checkRecord(t, "Challenges.Get after the caller changed the record it created", got, want)
		got.SecretHash[0], got.Data[0] = 0, 'X'
		checkRecord(t, "Challenges.Get after the caller changed a record it read", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
		attempted := read(e.s.Challenges().Attempt(e.ctx, "c1")).must(t, "Challenges.Attempt")
		want.Attempts, want.Version = attempted.Attempts, attempted.Version
		attempted.SecretHash[0], attempted.Data[0] = 0, 'X'
		checkRecord(t, "Challenges.Consume after the caller changed the record Attempt returned", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), want)
	})
}
