package conformance

import (
	"fmt"
	"testing"
)

// lookup is one way to find one record, for checking what Users.Delete
// removes and what it leaves alone.
type lookup struct {
	what string
	// want is the record as stored; nil for a listing, which can only
	// say whether the record is in it.
	want any
	// read returns the record, or an error wrapping store.ErrNotFound.
	read func(e *env) (any, error)
}

// get adapts a read of one record to a lookup's read.
func get[T any](r *T, err error) (any, error) { return r, err }

// createBelongings creates, for the existing user uid, one record of every
// kind that Users.Delete removes with the user, and returns the lookups
// that find them: by id, by secondary key and in listings.
func createBelongings(e *env, uid string) []lookup {
	e.t.Helper()
	auth := createAuthenticator(e, "a-"+uid, uid)
	device := createDevice(e, uid, "d1")
	link := createUpstreamLink(e, keycloak, "sub-"+uid, uid)
	session := createSession(e, "s-"+uid, uid)
	challenge := newChallenge(e, "c-"+uid)
	challenge.UserID = uid
	must(e.t, fmt.Sprintf("Challenges.Create(%q)", challenge.ID), e.s.Challenges().Create(e.ctx, challenge.Clone()))
	challenge.Version = 1
	action := createAction(e, newAction(e, "x-"+uid, uid, "payment", "idem-1"))
	keyless := createAction(e, newAction(e, "y-"+uid, uid, "payment", ""))
	req := newAuthRequest(e, "r-"+uid)
	req.UserID = uid
	must(e.t, fmt.Sprintf("AuthRequests.Create(%q)", req.ID), e.s.AuthRequests().Create(e.ctx, req.Clone()))
	req.Version = 1
	family := newRefreshFamily(e, "f-"+uid)
	family.UserID = uid
	must(e.t, fmt.Sprintf("RefreshFamilies.Create(%q)", family.ID), e.s.RefreshFamilies().Create(e.ctx, family.Clone()))
	var tokens []lookup
	for _, tok := range []struct{ id, family, subject, what string }{
		{"t-" + uid, family.ID, uid, "of the user, from their refresh family"},
		{"ts-" + uid, "", uid, "whose Subject is the user, without a family"},
		// Not a state the store's callers create, but a token must not
		// outlive its family, whatever its Subject says.
		{"tf-" + uid, family.ID, "pairwise-" + uid, "from the user's refresh family, with another Subject"},
	} {
		rec := newAccessToken(e, tok.id, tok.family)
		rec.Subject = tok.subject
		must(e.t, fmt.Sprintf("AccessTokens.Create(%q)", tok.id), e.s.AccessTokens().Create(e.ctx, rec.Clone()))
		tokens = append(tokens, lookup{fmt.Sprintf("AccessTokens.Get(%q) of a token %s", tok.id, tok.what), rec,
			func(e *env) (any, error) { return get(e.s.AccessTokens().Get(e.ctx, tok.id)) }})
	}

	return append([]lookup{
		{"Authenticators.Get of the user's authenticator", auth,
			func(e *env) (any, error) { return get(e.s.Authenticators().Get(e.ctx, auth.ID)) }},
		{"Authenticators.GetByCredentialID of the user's authenticator", auth,
			func(e *env) (any, error) {
				return get(e.s.Authenticators().GetByCredentialID(e.ctx, auth.CredentialID))
			}},
		{"Authenticators.ListByUser of the user", nil, func(e *env) (any, error) {
			rs, err := e.s.Authenticators().ListByUser(e.ctx, uid)
			return nil, listed(rs, err, auth.ID, authenticatorKey)
		}},
		{"Devices.Get of the user's device", device,
			func(e *env) (any, error) { return get(e.s.Devices().Get(e.ctx, uid, device.ID)) }},
		{"Devices.ListByUser of the user", nil, func(e *env) (any, error) {
			rs, err := e.s.Devices().ListByUser(e.ctx, uid)
			return nil, listed(rs, err, deviceKey(device), deviceKey)
		}},
		{"UpstreamLinks.Get of the user's upstream identity", link,
			func(e *env) (any, error) { return get(e.s.UpstreamLinks().Get(e.ctx, link.Issuer, link.Subject)) }},
		{"UpstreamLinks.ListByUser of the user", nil, func(e *env) (any, error) {
			rs, err := e.s.UpstreamLinks().ListByUser(e.ctx, uid)
			return nil, listed(rs, err, upstreamLinkKey(link), upstreamLinkKey)
		}},
		{"Sessions.Get of the user's session", session,
			func(e *env) (any, error) { return get(e.s.Sessions().Get(e.ctx, session.ID)) }},
		{"Sessions.ListByUser of the user", nil, func(e *env) (any, error) {
			rs, err := e.s.Sessions().ListByUser(e.ctx, uid)
			return nil, listed(rs, err, session.ID, sessionKey)
		}},
		{"Challenges.Get of the user's challenge", challenge,
			func(e *env) (any, error) { return get(e.s.Challenges().Get(e.ctx, challenge.ID)) }},
		{"Actions.Get of the user's action record", action,
			func(e *env) (any, error) { return get(e.s.Actions().Get(e.ctx, action.ID)) }},
		{"Actions.GetByIdempotencyKey of the user's action record", action, func(e *env) (any, error) {
			return get(e.s.Actions().GetByIdempotencyKey(e.ctx, uid, action.Action, action.IdempotencyKey))
		}},
		{"Actions.Get of the user's record without an idempotency key", keyless,
			func(e *env) (any, error) { return get(e.s.Actions().Get(e.ctx, keyless.ID)) }},
		{"Actions.ListByUser of the user", nil, func(e *env) (any, error) {
			rs, err := e.s.Actions().ListByUser(e.ctx, uid, 0)
			return nil, listed(rs, err, action.ID, actionKey)
		}},
		{"AuthRequests.Get of the user's authorization request", req,
			func(e *env) (any, error) { return get(e.s.AuthRequests().Get(e.ctx, req.ID)) }},
		{"RefreshFamilies.Get of the user's refresh family", family,
			func(e *env) (any, error) { return get(e.s.RefreshFamilies().Get(e.ctx, family.ID)) }},
	}, tokens...)
}

// createUnowned creates records that name no user, which no Users.Delete
// may remove, and returns the lookups that find them.
func createUnowned(e *env) []lookup {
	e.t.Helper()
	challenge := newChallenge(e, "c-nobody")
	challenge.UserID = ""
	must(e.t, "Challenges.Create without a UserID", e.s.Challenges().Create(e.ctx, challenge.Clone()))
	challenge.Version = 1
	req := newAuthRequest(e, "r-nobody")
	req.UserID = ""
	must(e.t, "AuthRequests.Create without a UserID", e.s.AuthRequests().Create(e.ctx, req.Clone()))
	req.Version = 1
	tok := newAccessToken(e, "t-nobody", "")
	tok.Subject = "svc-shop"
	must(e.t, "AccessTokens.Create for a Subject that is not a user", e.s.AccessTokens().Create(e.ctx, tok.Clone()))
	return []lookup{
		{"Challenges.Get of a challenge without a UserID", challenge,
			func(e *env) (any, error) { return get(e.s.Challenges().Get(e.ctx, challenge.ID)) }},
		{"AuthRequests.Get of a request without a UserID", req,
			func(e *env) (any, error) { return get(e.s.AuthRequests().Get(e.ctx, req.ID)) }},
		{"AccessTokens.Get of a token whose Subject is not a user", tok,
			func(e *env) (any, error) { return get(e.s.AccessTokens().Get(e.ctx, tok.ID)) }},
	}
}

// checkGone fails the test unless no lookup finds its record.
func checkGone(t *testing.T, e *env, when string, ls []lookup) {
	t.Helper()
	for _, l := range ls {
		_, err := l.read(e)
		wantGone(t, l.what+" "+when, err)
	}
}

// checkKept fails the test unless every lookup finds its record unchanged.
func checkKept(t *testing.T, e *env, when string, ls []lookup) {
	t.Helper()
	for _, l := range ls {
		got, err := l.read(e)
		if err != nil {
			t.Errorf("%s %s: got error %v, want the record", l.what, when, err)
			continue
		}
		if l.want == nil {
			continue
		}
		if d := diff(got, l.want); d != "" {
			t.Errorf("%s %s: record differs:%s", l.what, when, d)
		}
	}
}

// move is an Update of one of a user's records that names another user.
type move struct {
	what string
	to   func(e *env, userID string) error
}

// moves returns, for every aggregate whose records name their user and
// have an Update, the move of uid's record that createBelongings made.
func moves(uid string) []move {
	return []move{
		{"Authenticators.Update", func(e *env, to string) error {
			a := read(e.s.Authenticators().Get(e.ctx, "a-"+uid)).must(e.t, "Authenticators.Get")
			a.UserID = to
			return e.s.Authenticators().Update(e.ctx, a)
		}},
		{"Devices.Update", func(e *env, to string) error {
			d := read(e.s.Devices().Get(e.ctx, uid, "d1")).must(e.t, "Devices.Get")
			d.UserID = to
			return e.s.Devices().Update(e.ctx, d)
		}},
		{"Sessions.Update", func(e *env, to string) error {
			s := read(e.s.Sessions().Get(e.ctx, "s-"+uid)).must(e.t, "Sessions.Get")
			s.UserID = to
			return e.s.Sessions().Update(e.ctx, s)
		}},
		{"Challenges.Update", func(e *env, to string) error {
			c := read(e.s.Challenges().Get(e.ctx, "c-"+uid)).must(e.t, "Challenges.Get")
			c.UserID = to
			return e.s.Challenges().Update(e.ctx, c)
		}},
		{"Actions.Update", func(e *env, to string) error {
			a := read(e.s.Actions().Get(e.ctx, "x-"+uid)).must(e.t, "Actions.Get")
			a.UserID = to
			return e.s.Actions().Update(e.ctx, a)
		}},
		{"AuthRequests.Update", func(e *env, to string) error {
			r := read(e.s.AuthRequests().Get(e.ctx, "r-"+uid)).must(e.t, "AuthRequests.Get")
			r.UserID = to
			return e.s.AuthRequests().Update(e.ctx, r)
		}},
	}
}
