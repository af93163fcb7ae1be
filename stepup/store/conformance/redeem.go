package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// setByRedeem are the fields of an AuthRequest that only Redeem sets: a
// fixture of a request whose code is not yet redeemed leaves them zero.
var setByRedeem = []string{"Redeemed", "RedeemedAt", "AccessTokenID", "RefreshFamilyID"}

// redemption returns the tokens a Redeem issues: access token jti and, if
// familyID is not empty, refresh token family familyID of user u1, which
// the access token is then minted from.
func redemption(e *env, jti, familyID string) (*store.AccessToken, *store.RefreshFamily) {
	if familyID == "" {
		return newAccessToken(e, jti, ""), nil
	}
	return newAccessToken(e, jti, familyID), newRefreshFamily(e, familyID)
}

// redeemed returns r as a Redeem now for token and family leaves it.
func redeemed(e *env, r *store.AuthRequest, token *store.AccessToken, family *store.RefreshFamily) *store.AuthRequest {
	w := r.Clone()
	w.Redeemed, w.RedeemedAt = true, e.now()
	w.AccessTokenID, w.RefreshFamilyID = token.ID, ""
	if family != nil {
		w.RefreshFamilyID = family.ID
	}
	w.Version++
	return w
}

// redeem redeems the code of request r, as stored, for token and family
// (nil: no refresh token). It checks that Redeem returns the request as
// redeemed by them, that the store holds that request and the tokens as
// given, and returns the request as redeemed: the tombstone a replay gets.
func redeem(t *testing.T, e *env, what string, r *store.AuthRequest, token *store.AccessToken, family *store.RefreshFamily) *store.AuthRequest {
	t.Helper()
	want := redeemed(e, r, token, family)
	wantToken := token.Clone()
	var wantFamily *store.RefreshFamily
	if family != nil {
		wantFamily = family.Clone()
	}
	got := read(e.s.AuthRequests().Redeem(e.ctx, r.ID, r.CodeHash, token, family)).must(t, what)
	checkRecord(t, what, got, want)
	checkRecord(t, "AuthRequests.Get after "+what, read(e.s.AuthRequests().Get(e.ctx, r.ID)).must(t, "AuthRequests.Get after "+what), want)
	checkRecord(t, "AccessTokens.Get of the token issued by "+what, read(e.s.AccessTokens().Get(e.ctx, token.ID)).must(t, "AccessTokens.Get after "+what), wantToken)
	if wantFamily != nil {
		checkRecord(t, "RefreshFamilies.Get of the family issued by "+what, read(e.s.RefreshFamilies().Get(e.ctx, family.ID)).must(t, "RefreshFamilies.Get after "+what), wantFamily)
	}
	return want
}

// checkReplay redeems the code of tombstone want again, for other tokens,
// and checks that the store refuses with ErrConflict and the tombstone as
// it was, so that the caller can revoke what the first redemption issued,
// and that it stores none of the replay's tokens.
func checkReplay(t *testing.T, e *env, what string, want *store.AuthRequest) *store.AuthRequest {
	t.Helper()
	token, family := redemption(e, "jti-replay", "f-replay")
	got, err := e.s.AuthRequests().Redeem(e.ctx, want.ID, want.CodeHash, token, family)
	wantErr(t, what, err, store.ErrConflict)
	checkRecord(t, what+" (the tombstone it returns)", got, want)
	checkRecord(t, "AuthRequests.Get after "+what, read(e.s.AuthRequests().Get(e.ctx, want.ID)).must(t, "AuthRequests.Get after "+what), want)
	checkNotStored(t, e, what, token, family)
	return got
}

// checkNoCode redeems the code codeHash of request id and checks that the
// store gives ErrNotFound and no request, and stores no token.
func checkNoCode(t *testing.T, e *env, what, id, codeHash string) {
	t.Helper()
	token, family := redemption(e, "jti-x", "f-x")
	got, err := e.s.AuthRequests().Redeem(e.ctx, id, codeHash, token, family)
	wantErr(t, what, err, store.ErrNotFound)
	if got != nil {
		t.Errorf("%s: got a request with ErrNotFound, want nil", what)
	}
	checkNotStored(t, e, what, token, family)
}

// checkNotStored fails the test if the store holds token or family (nil:
// none) after a call that must not have stored them.
func checkNotStored(t *testing.T, e *env, what string, token *store.AccessToken, family *store.RefreshFamily) {
	t.Helper()
	read(e.s.AccessTokens().Get(e.ctx, token.ID)).wantErr(t, fmt.Sprintf("AccessTokens.Get(%q) of the token of %s", token.ID, what), store.ErrNotFound)
	if family != nil {
		read(e.s.RefreshFamilies().Get(e.ctx, family.ID)).wantErr(t, fmt.Sprintf("RefreshFamilies.Get(%q) of the family of %s", family.ID, what), store.ErrNotFound)
	}
}

func testAuthRequestRedeem(t *testing.T, nb NewBackend) {
	t.Run("RedeemThenReplay", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		other := createAuthRequest(e, "r2")
		// The store stamps RedeemedAt with its own clock.
		e.clock.Advance(time.Second)
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem", r, token, family)
		checkFixture(t, want)
		// A replay changes nothing, however often it comes: the tombstone
		// names the first redemption's tokens.
		e.clock.Advance(time.Second)
		for _, n := range []string{"a second", "a third"} {
			checkReplay(t, e, "AuthRequests.Redeem "+n+" time", want)
		}
		token, family = redemption(e, "jti2", "f2")
		redeem(t, e, "AuthRequests.Redeem of another request", other, token, family)
	})

	t.Run("RetryIsAReplay", func(t *testing.T) {
		// A caller that sends the same Redeem again, say after a timeout,
		// is told of the first: the tokens being taken does not hide it.
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem", r, token, family)
		got, err := e.s.AuthRequests().Redeem(e.ctx, "r1", r.CodeHash, token, family)
		wantErr(t, "AuthRequests.Redeem again for the same tokens", err, store.ErrConflict)
		checkRecord(t, "AuthRequests.Redeem again for the same tokens (the tombstone it returns)", got, want)
	})

	t.Run("RedeemWithoutRefreshToken", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		token, _ := redemption(e, "jti1", "")
		want := redeem(t, e, "AuthRequests.Redeem without a refresh family", r, token, nil)
		checkReplay(t, e, "AuthRequests.Redeem a second time", want)
	})

	t.Run("WrongCodeHash", func(t *testing.T) {
		// A code is found by its request and its hash together: a wrong
		// one finds nothing and spends nothing, and a tombstone is shown
		// only to its own code.
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		other := createAuthRequest(e, "r2")
		for _, c := range []struct{ what, hash string }{
			{"a forged code", "forged"},
			{"the code of another request", other.CodeHash},
			{"an empty code", ""},
		} {
			checkNoCode(t, e, "AuthRequests.Redeem with "+c.what, "r1", c.hash)
			checkRecord(t, "AuthRequests.Get after a Redeem with "+c.what, read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
		}
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem with the right code after wrong ones", r, token, family)
		checkNoCode(t, e, "AuthRequests.Redeem of a redeemed request with a forged code", "r1", "forged")
		checkNoCode(t, e, "AuthRequests.Redeem of a redeemed request with the code of another request", "r1", other.CodeHash)
		checkRecord(t, "AuthRequests.Get of a tombstone after Redeems with wrong codes", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
	})

	t.Run("NotDone", func(t *testing.T) {
		// The user is not through yet: there is no code to redeem, even
		// with the right hash, and the request is left to go on.
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		r.Done = false
		must(t, "AuthRequests.Create of a request not Done", e.s.AuthRequests().Create(e.ctx, r))
		checkNoCode(t, e, "AuthRequests.Redeem of a request not Done", "r1", r.CodeHash)
		checkRecord(t, "AuthRequests.Get after a Redeem of a request not Done", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
		r.Done = true
		must(t, "AuthRequests.Update to Done", e.s.AuthRequests().Update(e.ctx, r))
		token, family := redemption(e, "jti1", "f1")
		redeem(t, e, "AuthRequests.Redeem of a request Updated to Done", r, token, family)
	})

	t.Run("NoCode", func(t *testing.T) {
		// A request Done without a code was never issued one: an empty
		// hash is not a code that matches it.
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		r.CodeHash, r.CodeIssuedAt = "", time.Time{}
		must(t, "AuthRequests.Create of a request without a code", e.s.AuthRequests().Create(e.ctx, r))
		checkNoCode(t, e, "AuthRequests.Redeem with an empty code of a request without one", "r1", "")
		checkNoCode(t, e, "AuthRequests.Redeem with a code of a request without one", "r1", newAuthRequest(e, "r1").CodeHash)
		checkRecord(t, "AuthRequests.Get after a Redeem of a request without a code", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
	})

	t.Run("MissingAndExpired", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		checkNoCode(t, e, "AuthRequests.Redeem of a missing request", "nope", "code-hash-nope")
		unused := createAuthRequest(e, "unused")
		used := createAuthRequest(e, "used")
		token, family := redemption(e, "jti1", "f1")
		redeem(t, e, "AuthRequests.Redeem", used, token, family)
		e.clock.Advance(11 * time.Minute)
		checkNoCode(t, e, "AuthRequests.Redeem of an expired request", "unused", unused.CodeHash)
		checkNoCode(t, e, "AuthRequests.Redeem of an expired tombstone", "used", used.CodeHash)
	})

	t.Run("CreateRedeemed", func(t *testing.T) {
		// Create stores a request as given; a redeemed one is a tombstone.
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		r.Redeemed, r.RedeemedAt, r.AccessTokenID, r.RefreshFamilyID = true, at(e.now(), -time.Second), "jti1", "f1"
		checkFixture(t, r, "Version")
		want := r.Clone()
		want.Version = 1
		must(t, "AuthRequests.Create of a redeemed request", e.s.AuthRequests().Create(e.ctx, r))
		checkRecord(t, "AuthRequests.Get of a request created redeemed", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
		checkReplay(t, e, "AuthRequests.Redeem of a request created redeemed", want)
	})

	t.Run("CreateOverATombstone", func(t *testing.T) {
		// A tombstone keeps its id: a request created in its place would
		// make its code redeemable again.
		e := setup(t, nb)
		createUser(e, "u1")
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem", createAuthRequest(e, "r1"), token, family)
		wantErr(t, "AuthRequests.Create with the id of a tombstone", e.s.AuthRequests().Create(e.ctx, newAuthRequest(e, "r1")), store.ErrConflict)
		checkReplay(t, e, "AuthRequests.Redeem of a tombstone after a conflicting Create", want)
	})

	t.Run("RedeemBumpsVersion", func(t *testing.T) {
		// An Update from a copy read before the Redeem would undo it: it
		// is stale.
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		stale := read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem", r, token, family)
		stale.ACR = "changed by a caller that read the request before Redeem"
		wantErr(t, "AuthRequests.Update from the Version before Redeem", e.s.AuthRequests().Update(e.ctx, stale), store.ErrConflict)
		checkReplay(t, e, "AuthRequests.Redeem after a stale Update", want)
	})

	t.Run("UpdateKeepsTheRedemption", func(t *testing.T) {
		// Only Redeem spends a code: an Update from the current Version
		// cannot unspend it, nor change which tokens a replay revokes.
		e := setup(t, nb)
		createUser(e, "u1")
		token, family := redemption(e, "jti1", "f1")
		want := redeem(t, e, "AuthRequests.Redeem", createAuthRequest(e, "r1"), token, family)
		r := read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		r.Redeemed, r.RedeemedAt, r.AccessTokenID, r.RefreshFamilyID = false, time.Time{}, "jti-other", ""
		r.Done, r.CodeHash, r.CodeIssuedAt, r.ExpiresAt = false, "another code", time.Time{}, e.now().Add(time.Second)
		r.ACR = "changed by Update"
		must(t, "AuthRequests.Update of a redeemed request", e.s.AuthRequests().Update(e.ctx, r))
		want.ACR, want.Version = r.ACR, want.Version+1
		checkRecord(t, "AuthRequests.Update of a redeemed request (the argument afterwards)", r, want)
		checkReplay(t, e, "AuthRequests.Redeem after an Update that tried to unspend the code", want)
	})

	t.Run("RedeemCannotStoreTheTokens", func(t *testing.T) {
		// Storing the tokens fails as their own Create would, and then the
		// code is not spent: a Redeem for other tokens still succeeds.
		for _, c := range []struct {
			name string
			// tokens creates what stands in the way and returns the tokens
			// of a Redeem that cannot store them.
			tokens func(e *env) (*store.AccessToken, *store.RefreshFamily)
			want   error
		}{
			{"TakenAccessTokenID", func(e *env) (*store.AccessToken, *store.RefreshFamily) {
				createAccessToken(e, "jti1", "")
				return redemption(e, "jti1", "f1")
			}, store.ErrConflict},
			{"TakenRefreshFamilyID", func(e *env) (*store.AccessToken, *store.RefreshFamily) {
				createRefreshFamily(e, "f1")
				token, family := redemption(e, "jti1", "f1")
				family.TokenHash = "hash-of-the-new-family"
				return token, family
			}, store.ErrConflict},
			{"FamilyOfAMissingUser", func(e *env) (*store.AccessToken, *store.RefreshFamily) {
				token, family := redemption(e, "jti1", "f1")
				family.UserID = "nobody"
				return token, family
			}, store.ErrNotFound},
			{"TokenOfAMissingFamily", func(e *env) (*store.AccessToken, *store.RefreshFamily) {
				return newAccessToken(e, "jti1", "nope"), nil
			}, store.ErrNotFound},
			{"TokenOfARevokedFamily", func(e *env) (*store.AccessToken, *store.RefreshFamily) {
				createRefreshFamily(e, "f0")
				must(e.t, "RefreshFamilies.Revoke", e.s.RefreshFamilies().Revoke(e.ctx, "f0"))
				return newAccessToken(e, "jti1", "f0"), nil
			}, store.ErrConflict},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := setup(t, nb)
				createUser(e, "u1")
				r := createAuthRequest(e, "r1")
				token, family := c.tokens(e)
				heldToken, heldFamily := tokensHeld(e, token, family)
				what := "AuthRequests.Redeem that cannot store its tokens (" + c.name + ")"
				got, err := e.s.AuthRequests().Redeem(e.ctx, "r1", r.CodeHash, token, family)
				wantErr(t, what, err, c.want)
				if got != nil {
					t.Errorf("%s: got a request with %v, want nil", what, err)
				}
				checkRecord(t, "AuthRequests.Get after "+what, read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
				checkTokensHeld(t, e, "after "+what, token, family, heldToken, heldFamily)
				token, family = redemption(e, "jti2", "f2")
				redeem(t, e, "AuthRequests.Redeem for other tokens after "+what, r, token, family)
			})
		}
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := createAuthRequest(e, "r1")
		token, family := redemption(e, "jti1", "f1")
		want := redeemed(e, r, token, family)
		wantToken, wantFamily := token.Clone(), family.Clone()
		got := read(e.s.AuthRequests().Redeem(e.ctx, "r1", r.CodeHash, token, family)).must(t, "AuthRequests.Redeem")
		token.Audience[0], token.Scopes[0] = "changed by the caller", "changed by the caller"
		family.PreviousHashes[0], family.AMR[0] = "changed by the caller", "changed by the caller"
		checkRecord(t, "AccessTokens.Get after the caller changed the token it redeemed a code for", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), wantToken)
		checkRecord(t, "RefreshFamilies.Get after the caller changed the family it redeemed a code for", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), wantFamily)
		got.AccessTokenID, got.Redeemed, got.AMR[0] = "changed by the caller", false, "changed by the caller"
		got = checkReplay(t, e, "AuthRequests.Redeem after the caller changed the request Redeem returned", want)
		got.RefreshFamilyID, got.Scopes[0] = "changed by the caller", "changed by the caller"
		checkReplay(t, e, "AuthRequests.Redeem after the caller changed the request a replay returned", want)
	})
}

// tokensHeld reads, by their ids, the access token and refresh family (if
// not nil) of a call about to store them: the records the store holds
// under those ids, nil where it holds none.
func tokensHeld(e *env, token *store.AccessToken, family *store.RefreshFamily) (*store.AccessToken, *store.RefreshFamily) {
	e.t.Helper()
	heldToken, err := e.s.AccessTokens().Get(e.ctx, token.ID)
	if err != nil {
		wantErr(e.t, fmt.Sprintf("AccessTokens.Get(%q) before storing it", token.ID), err, store.ErrNotFound)
		heldToken = nil
	}
	if family == nil {
		return heldToken, nil
	}
	heldFamily, err := e.s.RefreshFamilies().Get(e.ctx, family.ID)
	if err != nil {
		wantErr(e.t, fmt.Sprintf("RefreshFamilies.Get(%q) before storing it", family.ID), err, store.ErrNotFound)
		heldFamily = nil
	}
	return heldToken, heldFamily
}

// checkTokensHeld fails the test unless the store holds, under the ids of
// token and family, what tokensHeld found there before: the same records,
// or none.
func checkTokensHeld(t *testing.T, e *env, when string, token *store.AccessToken, family *store.RefreshFamily, heldToken *store.AccessToken, heldFamily *store.RefreshFamily) {
	t.Helper()
	what := fmt.Sprintf("AccessTokens.Get(%q) %s", token.ID, when)
	if heldToken == nil {
		read(e.s.AccessTokens().Get(e.ctx, token.ID)).wantErr(t, what, store.ErrNotFound)
	} else {
		checkRecord(t, what, read(e.s.AccessTokens().Get(e.ctx, token.ID)).must(t, what), heldToken)
	}
	if family == nil {
		return
	}
	what = fmt.Sprintf("RefreshFamilies.Get(%q) %s", family.ID, when)
	if heldFamily == nil {
		read(e.s.RefreshFamilies().Get(e.ctx, family.ID)).wantErr(t, what, store.ErrNotFound)
	} else {
		checkRecord(t, what, read(e.s.RefreshFamilies().Get(e.ctx, family.ID)).must(t, what), heldFamily)
	}
}
