package conformance

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// expiring is an aggregate whose records carry an ExpiresAt.
type expiring struct {
	name string
	// create stores a record id that expires at exp (zero: never).
	create func(e *env, id string, exp time.Time) error
	// reads are the ways to read record id: each returns nil when it finds
	// the record and an error wrapping store.ErrNotFound when it does not.
	reads []expiringRead
	// update tries to Update record id from Version 1; nil if the
	// aggregate has no Update.
	update func(e *env, id string) error
}

type expiringRead struct {
	name string
	read func(e *env, id string) error
}

// listed turns a listing into a read of one record.
func listed[T any](rs []*T, err error, id string, key func(*T) string) error {
	if err != nil {
		return err
	}
	if slices.ContainsFunc(rs, func(r *T) bool { return key(r) == id }) {
		return nil
	}
	return fmt.Errorf("record %q is not listed: %w", id, store.ErrNotFound)
}

// expiringAggregates are the aggregates whose records expire. The records of
// users are those of user "u1", which the tests create first.
var expiringAggregates = []expiring{
	{
		name: "Sessions",
		create: func(e *env, id string, exp time.Time) error {
			s := newSession(e, id, "u1")
			s.ExpiresAt = exp
			return e.s.Sessions().Create(e.ctx, s)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.Sessions().Get(e.ctx, id); return err }},
			{"ListByUser", func(e *env, id string) error {
				rs, err := e.s.Sessions().ListByUser(e.ctx, "u1")
				return listed(rs, err, id, sessionKey)
			}},
		},
		update: func(e *env, id string) error {
			s := newSession(e, id, "u1")
			s.Version = 1
			return e.s.Sessions().Update(e.ctx, s)
		},
	},
	{
		name: "Challenges",
		create: func(e *env, id string, exp time.Time) error {
			c := newChallenge(e, id)
			c.ExpiresAt = exp
			return e.s.Challenges().Create(e.ctx, c)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.Challenges().Get(e.ctx, id); return err }},
			{"Consume", func(e *env, id string) error { _, err := e.s.Challenges().Consume(e.ctx, id); return err }},
			{"Attempt", func(e *env, id string) error { _, err := e.s.Challenges().Attempt(e.ctx, id); return err }},
		},
		update: func(e *env, id string) error {
			c := newChallenge(e, id)
			c.Version = 1
			return e.s.Challenges().Update(e.ctx, c)
		},
	},
	{
		name: "Actions",
		create: func(e *env, id string, exp time.Time) error {
			a := newAction(e, id, "u1", "payment", "idem-"+id)
			a.ExpiresAt = exp
			a.State = store.ActionReviewRequired // so that ListAwaitingReview lists it
			return e.s.Actions().Create(e.ctx, a)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.Actions().Get(e.ctx, id); return err }},
			{"GetByIdempotencyKey", func(e *env, id string) error {
				_, err := e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-"+id)
				return err
			}},
			{"ListByUser", func(e *env, id string) error {
				rs, err := e.s.Actions().ListByUser(e.ctx, "u1", 0)
				return listed(rs, err, id, actionKey)
			}},
			{"ListByAction", func(e *env, id string) error {
				rs, err := e.s.Actions().ListByAction(e.ctx, "payment", 0)
				return listed(rs, err, id, actionKey)
			}},
			{"ListAwaitingReview", func(e *env, id string) error {
				rs, err := e.s.Actions().ListAwaitingReview(e.ctx, "payment", 0)
				return listed(rs, err, id, actionKey)
			}},
		},
		update: func(e *env, id string) error {
			a := newAction(e, id, "u1", "payment", "idem-"+id)
			a.State = store.ActionReviewRequired
			a.Version = 1
			return e.s.Actions().Update(e.ctx, a)
		},
	},
	{
		name: "AuthRequests",
		create: func(e *env, id string, exp time.Time) error {
			r := newAuthRequest(e, id)
			r.ExpiresAt = exp
			return e.s.AuthRequests().Create(e.ctx, r)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.AuthRequests().Get(e.ctx, id); return err }},
			// The first Redeem finds a request by redeeming its code, every
			// later one by the ErrConflict and tombstone it returns.
			{"Redeem", func(e *env, id string) error {
				r, err := e.s.AuthRequests().Redeem(e.ctx, id, newAuthRequest(e, id).CodeHash, newAccessToken(e, "jti-"+id, ""), nil)
				switch {
				case errors.Is(err, store.ErrConflict) && r != nil:
					return nil
				case errors.Is(err, store.ErrNotFound) && r != nil:
					return fmt.Errorf("got a request with %v", err)
				}
				return err
			}},
		},
		update: func(e *env, id string) error {
			r := newAuthRequest(e, id)
			r.Version = 1
			return e.s.AuthRequests().Update(e.ctx, r)
		},
	},
	{
		name: "AccessTokens",
		create: func(e *env, id string, exp time.Time) error {
			tok := newAccessToken(e, id, "")
			tok.ExpiresAt = exp
			return e.s.AccessTokens().Create(e.ctx, tok)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.AccessTokens().Get(e.ctx, id); return err }},
		},
	},
	{
		name: "RefreshFamilies",
		create: func(e *env, id string, exp time.Time) error {
			f := newRefreshFamily(e, id)
			f.ExpiresAt = exp
			return e.s.RefreshFamilies().Create(e.ctx, f)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.RefreshFamilies().Get(e.ctx, id); return err }},
			// An expired family is gone, not reused: Rotate from its
			// current hash is ErrNotFound, not ErrConflict.
			{"Rotate", func(e *env, id string) error {
				_, err := e.s.RefreshFamilies().Rotate(e.ctx, id, newRefreshFamily(e, id).TokenHash, "next-"+id, rotationToken(e, id, "next-"+id))
				return err
			}},
		},
	},
	{
		name: "APIKeys",
		create: func(e *env, id string, exp time.Time) error {
			k := newAPIKey(e, id)
			k.ExpiresAt = exp
			return e.s.APIKeys().Create(e.ctx, k)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.APIKeys().Get(e.ctx, id); return err }},
			{"List", func(e *env, id string) error {
				rs, err := e.s.APIKeys().List(e.ctx, store.Page{})
				return listed(rs, err, id, apiKeyKey)
			}},
		},
		update: func(e *env, id string) error {
			k := newAPIKey(e, id)
			k.Version = 1
			return e.s.APIKeys().Update(e.ctx, k)
		},
	},
	{
		name: "SigningKeys",
		create: func(e *env, id string, exp time.Time) error {
			k := newSigningKey(e, id)
			k.ExpiresAt = exp
			return e.s.SigningKeys().Create(e.ctx, k)
		},
		reads: []expiringRead{
			{"Get", func(e *env, id string) error { _, err := e.s.SigningKeys().Get(e.ctx, id); return err }},
			{"List", func(e *env, id string) error {
				rs, err := e.s.SigningKeys().List(e.ctx)
				return listed(rs, err, id, signingKeyKey)
			}},
		},
		update: func(e *env, id string) error {
			k := newSigningKey(e, id)
			k.Version = 1
			return e.s.SigningKeys().Update(e.ctx, k)
		},
	},
}

// wantFound fails the test unless a read found its record.
func wantFound(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: got error %v, want the record", what, err)
	}
}

// wantGone fails the test unless a read reported ErrNotFound.
func wantGone(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got error %v, want %v", what, err, store.ErrNotFound)
	}
}

func testExpiry(t *testing.T, nb NewBackend) {
	const forever = 100 * 365 * 24 * time.Hour
	for _, c := range expiringAggregates {
		for _, r := range c.reads {
			t.Run(c.name+"/"+r.name, func(t *testing.T) {
				e := setup(t, nb)
				createUser(e, "u1")
				// One record per check: some reads consume.
				exp := e.now().Add(time.Hour).In(zone)
				for _, id := range []string{"before", "at", "after"} {
					must(t, fmt.Sprintf("%s.Create(%q) expiring in an hour", c.name, id), c.create(e, id, exp))
				}
				must(t, c.name+".Create of a record that never expires", c.create(e, "forever", time.Time{}))

				e.clock.Advance(time.Hour - time.Nanosecond)
				wantFound(t, fmt.Sprintf("%s.%s 1ns before ExpiresAt", c.name, r.name), r.read(e, "before"))
				e.clock.Advance(time.Nanosecond)
				wantGone(t, fmt.Sprintf("%s.%s at ExpiresAt", c.name, r.name), r.read(e, "at"))
				e.clock.Advance(time.Hour)
				wantGone(t, fmt.Sprintf("%s.%s an hour after ExpiresAt", c.name, r.name), r.read(e, "after"))
				e.clock.Advance(forever)
				wantFound(t, fmt.Sprintf("%s.%s of a record with a zero ExpiresAt, a century later", c.name, r.name), r.read(e, "forever"))
			})
		}
		if c.update != nil {
			t.Run(c.name+"/UpdateExpired", func(t *testing.T) {
				// An expired record does not exist, so Update cannot bring it back.
				e := setup(t, nb)
				createUser(e, "u1")
				must(t, c.name+".Create", c.create(e, "x", e.now().Add(time.Minute)))
				e.clock.Advance(time.Minute)
				wantErr(t, c.name+".Update of an expired record", c.update(e, "x"), store.ErrNotFound)
				wantGone(t, c.name+"."+c.reads[0].name+" after Update of an expired record", c.reads[0].read(e, "x"))
			})
		}
	}

	t.Run("Actions/ExpiredIdempotencyKeyIsFree", func(t *testing.T) {
		// An expired record is gone, and so is its claim on the key.
		e := setup(t, nb)
		createUser(e, "u1")
		old := newAction(e, "a1", "u1", "payment", "idem-1")
		old.ExpiresAt = e.now().Add(time.Hour)
		must(t, "Actions.Create", e.s.Actions().Create(e.ctx, old))
		e.clock.Advance(time.Hour)
		fresh := createAction(e, newAction(e, "a2", "u1", "payment", "idem-1"))
		checkRecord(t, "Actions.GetByIdempotencyKey of a key reused after expiry", read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey"), fresh)
	})

	t.Run("AuthRequests/TombstoneExpires", func(t *testing.T) {
		// A redeemed request stays until its ExpiresAt, and no longer:
		// then it is gone for good, and a replay is an unknown code.
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		r.ExpiresAt = e.now().Add(time.Hour).In(zone)
		must(t, "AuthRequests.Create expiring in an hour", e.s.AuthRequests().Create(e.ctx, r))
		// The token outlives the tombstone, so that Sweep has only the
		// tombstone to remove.
		token := newAccessToken(e, "jti1", "")
		token.ExpiresAt = at(e.now(), 2*time.Hour)
		tombstone := redeem(t, e, "AuthRequests.Redeem", r, token, nil)
		e.clock.Advance(time.Hour - time.Nanosecond)
		checkReplay(t, e, "AuthRequests.Redeem of a tombstone 1ns before ExpiresAt", tombstone)
		e.clock.Advance(time.Nanosecond)
		checkNoCode(t, e, "AuthRequests.Redeem of a tombstone at ExpiresAt", "r1", r.CodeHash)
		n, err := e.s.Sweep(e.ctx)
		must(t, "Sweep", err)
		if n != 1 {
			t.Errorf("Sweep at the ExpiresAt of a tombstone: got %d, want 1", n)
		}
		// Move the clock back: a tombstone Sweep merely hid would reappear.
		e.clock.Advance(-time.Minute)
		checkNoCode(t, e, "AuthRequests.Redeem of a swept tombstone, with the clock moved back", "r1", r.CodeHash)
		e.reopen()
		checkNoCode(t, e, "AuthRequests.Redeem of a swept tombstone after reopening, with the clock moved back", "r1", r.CodeHash)
	})

	t.Run("Sweep", func(t *testing.T) {
		e := setup(t, nb)
		user := createUser(e, "u1")
		exp := e.now().Add(time.Hour)
		for _, c := range expiringAggregates {
			for _, id := range []string{"gone1", "gone2"} {
				must(t, fmt.Sprintf("%s.Create(%q) expiring in an hour", c.name, id), c.create(e, id, exp))
			}
			must(t, c.name+".Create of a record expiring in two hours", c.create(e, "live", exp.Add(time.Hour)))
			must(t, c.name+".Create of a record that never expires", c.create(e, "forever", time.Time{}))
		}
		n, err := e.s.Sweep(e.ctx)
		must(t, "Sweep before anything expired", err)
		if n != 0 {
			t.Errorf("Sweep before anything expired: got %d, want 0", n)
		}
		e.clock.Advance(time.Hour)
		n, err = e.s.Sweep(e.ctx)
		must(t, "Sweep", err)
		if want := 2 * len(expiringAggregates); n != want {
			t.Errorf("Sweep at the ExpiresAt of %d records: got %d, want %d", want, n, want)
		}
		n, err = e.s.Sweep(e.ctx)
		must(t, "Sweep a second time", err)
		if n != 0 {
			t.Errorf("Sweep a second time: got %d, want 0", n)
		}
		// Move the clock back to before the expiry: a record Sweep merely
		// hid would reappear. Then again after reopening the store.
		e.clock.Advance(-time.Minute)
		for _, when := range []string{"after Sweep", "after Sweep and reopening"} {
			if when != "after Sweep" {
				e.reopen()
			}
			for _, c := range expiringAggregates {
				r := c.reads[0]
				for _, id := range []string{"gone1", "gone2"} {
					wantGone(t, fmt.Sprintf("%s.%s(%q) %s, with the clock moved back", c.name, r.name, id, when), r.read(e, id))
				}
				wantFound(t, fmt.Sprintf("%s.%s of a live record %s", c.name, r.name, when), r.read(e, "live"))
				wantFound(t, fmt.Sprintf("%s.%s of a record that never expires %s", c.name, r.name, when), r.read(e, "forever"))
			}
			checkRecord(t, "Users.Get "+when, read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get"), user)
		}
	})

	t.Run("SweepFarFuture", func(t *testing.T) {
		// Year 9999 is past what a count of nanoseconds since 1970 holds
		// (2262): a backend that orders expiry that way sees it wrap
		// around, before the records that are due, and stops there.
		e := setup(t, nb)
		createUser(e, "u1")
		far := map[string]time.Time{
			"far1": time.Date(9999, 12, 31, 23, 59, 59, 999999000, zone),
			"far2": time.Date(9999, 1, 1, 0, 0, 0, 123456000, time.UTC),
		}
		expiring := map[string]time.Time{
			"soon1": at(e.now(), time.Minute),
			"soon2": at(e.now(), time.Minute),
			"past":  time.Date(1900, 1, 1, 0, 0, 0, 123456000, zone), // expired when created
		}
		// Far and due records are created interleaved, so that a backend
		// that happens to sweep in creation order is no help.
		for _, c := range expiringAggregates {
			for _, id := range []string{"far1", "soon1", "past", "far2", "soon2"} {
				exp, ok := far[id]
				if !ok {
					exp = expiring[id]
				}
				must(t, fmt.Sprintf("%s.Create(%q) expiring at %s", c.name, id, exp.Format(time.RFC3339Nano)), c.create(e, id, exp))
			}
		}
		session := newSession(e, "far1", "u1")
		session.ExpiresAt, session.Version = far["far1"], 1
		token := newAccessToken(e, "far2", "")
		token.ExpiresAt = far["far2"]

		e.clock.Advance(time.Hour)
		n, err := e.s.Sweep(e.ctx)
		must(t, "Sweep", err)
		if want := len(expiring) * len(expiringAggregates); n != want {
			t.Errorf("Sweep of %d expired records among records expiring in year 9999: got %d, want %d", want, n, want)
		}
		// Move the clock back to before the expiry: a record Sweep merely
		// hid would reappear.
		e.clock.Advance(-time.Hour)
		for _, c := range expiringAggregates {
			r := c.reads[0]
			for id, exp := range expiring {
				wantGone(t, fmt.Sprintf("%s.%s(%q) expiring at %s, after Sweep, with the clock moved back", c.name, r.name, id, exp.Format(time.RFC3339Nano)), r.read(e, id))
			}
			for id, exp := range far {
				wantFound(t, fmt.Sprintf("%s.%s(%q) expiring at %s, after Sweep", c.name, r.name, id, exp.Format(time.RFC3339Nano)), r.read(e, id))
			}
		}
		checkRecord(t, "Sessions.Get of a session expiring in year 9999", read(e.s.Sessions().Get(e.ctx, "far1")).must(t, "Sessions.Get"), session)
		checkRecord(t, "AccessTokens.Get of a token expiring in year 9999", read(e.s.AccessTokens().Get(e.ctx, "far2")).must(t, "AccessTokens.Get"), token)
	})
}
