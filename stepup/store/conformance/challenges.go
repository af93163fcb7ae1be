package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// newChallenge returns a challenge with every field set but Version,
// expiring in five minutes.
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

func testChallenges(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
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
		want := createChallenge(e, "c1")
		dup := newChallenge(e, "c1")
		dup.SecretHash = []byte("another")
		wantErr(t, "Challenges.Create of a taken ID", e.s.Challenges().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "Challenges.Get after a conflicting Create", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), want)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
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
		createChallenge(e, "c1")
		first := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		second := first.Clone()
		first.Attempts++
		must(t, "Challenges.Update", e.s.Challenges().Update(e.ctx, first))
		second.Attempts++
		wantErr(t, "Challenges.Update from a stale Version", e.s.Challenges().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "Challenges.Get after a stale Update", read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get"), first)
	})

	t.Run("Consume", func(t *testing.T) {
		e := setup(t, nb)
		createChallenge(e, "c1")
		c := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		c.Attempts++
		must(t, "Challenges.Update", e.s.Challenges().Update(e.ctx, c))
		other := createChallenge(e, "c2")
		checkRecord(t, "Challenges.Consume", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), c)
		read(e.s.Challenges().Consume(e.ctx, "c1")).wantErr(t, "Challenges.Consume a second time", store.ErrNotFound)
		read(e.s.Challenges().Get(e.ctx, "c1")).wantErr(t, "Challenges.Get of a consumed challenge", store.ErrNotFound)
		wantErr(t, "Challenges.Update of a consumed challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		checkRecord(t, "Challenges.Get of another challenge", read(e.s.Challenges().Get(e.ctx, "c2")).must(t, "Challenges.Get"), other)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		read(e.s.Challenges().Get(e.ctx, "nope")).wantErr(t, "Challenges.Get of a missing challenge", store.ErrNotFound)
		read(e.s.Challenges().Consume(e.ctx, "nope")).wantErr(t, "Challenges.Consume of a missing challenge", store.ErrNotFound)
		c := newChallenge(e, "nope")
		c.Version = 1
		wantErr(t, "Challenges.Update of a missing challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		wantErr(t, "Challenges.Delete of a missing challenge", e.s.Challenges().Delete(e.ctx, "nope"), store.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		e := setup(t, nb)
		c := createChallenge(e, "c1")
		must(t, "Challenges.Delete", e.s.Challenges().Delete(e.ctx, "c1"))
		read(e.s.Challenges().Get(e.ctx, "c1")).wantErr(t, "Challenges.Get of a deleted challenge", store.ErrNotFound)
		read(e.s.Challenges().Consume(e.ctx, "c1")).wantErr(t, "Challenges.Consume of a deleted challenge", store.ErrNotFound)
		wantErr(t, "Challenges.Update of a deleted challenge", e.s.Challenges().Update(e.ctx, c), store.ErrNotFound)
		wantErr(t, "Challenges.Delete of a deleted challenge", e.s.Challenges().Delete(e.ctx, "c1"), store.ErrNotFound)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		c := newChallenge(e, "c1")
		must(t, "Challenges.Create", e.s.Challenges().Create(e.ctx, c))
		want := c.Clone()
		c.SecretHash[0], c.Data[0] = 0, 'X'
		got := read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get")
		checkRecord(t, "Challenges.Get after the caller changed the record it created", got, want)
		got.SecretHash[0], got.Data[0] = 0, 'X'
		checkRecord(t, "Challenges.Consume after the caller changed a record it read", read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume"), want)
	})
}
