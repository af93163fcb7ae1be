package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newAuthRequest returns an authorization request of user u1 with every
// field set but Version, expiring in ten minutes.
func newAuthRequest(e *env, id string) *store.AuthRequest {
	now := e.now()
	maxAge := 15 * time.Minute
	return &store.AuthRequest{
		ID:                  id,
		ClientID:            "shop",
		RedirectURI:         "https://shop.example.com/callback",
		ResponseType:        "code",
		ResponseMode:        "form_post",
		Scopes:              []string{"openid", "email", "offline_access"},
		State:               "af0ifjsldkj",
		Nonce:               "n-0S6_WzA2Mj",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		ACRValues:           []string{"urn:stepup:loa:high", "urn:stepup:loa:mfa"},
		Claims:              []byte(`{"id_token":{"acr":{"essential":true}}}`),
		MaxAge:              &maxAge,
		Prompt:              []string{"login", "consent"},
		LoginHint:           "alice@example.com",
		IDTokenHintSubject:  "u1",
		UILocales:           []string{"de-CH", "en"},
		Binding:             "b1nd1ng-hash",
		UserID:              "u1",
		SessionID:           "s1",
		Done:                true,
		AuthTime:            at(now, -time.Minute),
		ACR:                 "urn:stepup:loa:high",
		AMR:                 []string{"pwd", "hwk"},
		CreatedAt:           at(now, -2*time.Minute),
		ExpiresAt:           at(now, 10*time.Minute),
	}
}

func createAuthRequest(e *env, id string) *store.AuthRequest {
	e.t.Helper()
	r := newAuthRequest(e, id)
	must(e.t, fmt.Sprintf("AuthRequests.Create(%q)", id), e.s.AuthRequests().Create(e.ctx, r))
	r.Version = 1
	return r
}

func testAuthRequests(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		checkFixture(t, r, "Version")
		want := r.Clone()
		want.Version = 1
		must(t, "AuthRequests.Create", e.s.AuthRequests().Create(e.ctx, r))
		if r.Version != 1 {
			t.Errorf("AuthRequests.Create: the argument's Version is %d afterwards, want 1", r.Version)
		}
		checkRecord(t, "AuthRequests.Get", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createAuthRequest(e, "r1")
		dup := newAuthRequest(e, "r1")
		dup.ClientID = "other"
		wantErr(t, "AuthRequests.Create of a taken ID", e.s.AuthRequests().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "AuthRequests.Get after a conflicting Create", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		r := newAuthRequest(e, "r1")
		r.UserID = "nobody"
		wantErr(t, "AuthRequests.Create for a user who does not exist", e.s.AuthRequests().Create(e.ctx, r), store.ErrNotFound)
		read(e.s.AuthRequests().Get(e.ctx, "r1")).wantErr(t, "AuthRequests.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateWithoutUser", func(t *testing.T) {
		// A request is pending until the user is through: no user yet.
		e := setup(t, nb)
		r := newAuthRequest(e, "r1")
		r.UserID = ""
		want := r.Clone()
		want.Version = 1
		must(t, "AuthRequests.Create without a UserID", e.s.AuthRequests().Create(e.ctx, r))
		checkRecord(t, "AuthRequests.Get of a request without a UserID", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
	})

	t.Run("UpdateToUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		pending := newAuthRequest(e, "r1")
		pending.UserID = ""
		must(t, "AuthRequests.Create without a UserID", e.s.AuthRequests().Create(e.ctx, pending))
		r := pending.Clone()
		r.UserID = "nobody"
		wantErr(t, "AuthRequests.Update to a user who does not exist", e.s.AuthRequests().Update(e.ctx, r), store.ErrNotFound)
		checkRecord(t, "AuthRequests.Get after an Update to a missing user", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), pending)
		// The refused Update did not spend the Version.
		createUser(e, "u1")
		r = pending.Clone()
		r.UserID = "u1"
		must(t, "AuthRequests.Update to a user who exists, from the same Version", e.s.AuthRequests().Update(e.ctx, r))
		checkRecord(t, "AuthRequests.Get after Update", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
	})

	t.Run("Update", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		r.UserID, r.SessionID, r.Done, r.AuthTime, r.ACR, r.AMR, r.MaxAge = "", "", false, time.Time{}, "", nil, nil
		must(t, "AuthRequests.Create of a pending request", e.s.AuthRequests().Create(e.ctx, r))
		r = read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		done := newAuthRequest(e, "r1")
		r.UserID, r.SessionID, r.Done, r.AuthTime, r.ACR, r.AMR = done.UserID, done.SessionID, true, done.AuthTime, done.ACR, done.AMR
		must(t, "AuthRequests.Update from Version 1", e.s.AuthRequests().Update(e.ctx, r))
		if r.Version != 2 {
			t.Fatalf("AuthRequests.Update from Version 1: the argument's Version is %d afterwards, want 2", r.Version)
		}
		checkRecord(t, "AuthRequests.Get after Update", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), r)
	})

	t.Run("UpdateStaleVersion", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthRequest(e, "r1")
		first := read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		second := first.Clone()
		first.ACR = "first"
		must(t, "AuthRequests.Update", e.s.AuthRequests().Update(e.ctx, first))
		second.ACR = "second"
		wantErr(t, "AuthRequests.Update from a stale Version", e.s.AuthRequests().Update(e.ctx, second), store.ErrConflict)
		checkRecord(t, "AuthRequests.Get after a stale Update", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), first)
	})

	t.Run("MissingAndDelete", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.AuthRequests().Get(e.ctx, "nope")).wantErr(t, "AuthRequests.Get of a missing request", store.ErrNotFound)
		missing := newAuthRequest(e, "nope")
		missing.Version = 1
		wantErr(t, "AuthRequests.Update of a missing request", e.s.AuthRequests().Update(e.ctx, missing), store.ErrNotFound)
		wantErr(t, "AuthRequests.Delete of a missing request", e.s.AuthRequests().Delete(e.ctx, "nope"), store.ErrNotFound)
		r := createAuthRequest(e, "r1")
		must(t, "AuthRequests.Delete", e.s.AuthRequests().Delete(e.ctx, "r1"))
		read(e.s.AuthRequests().Get(e.ctx, "r1")).wantErr(t, "AuthRequests.Get of a deleted request", store.ErrNotFound)
		wantErr(t, "AuthRequests.Update of a deleted request", e.s.AuthRequests().Update(e.ctx, r), store.ErrNotFound)
		wantErr(t, "AuthRequests.Delete of a deleted request", e.s.AuthRequests().Delete(e.ctx, "r1"), store.ErrNotFound)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		r := newAuthRequest(e, "r1")
		must(t, "AuthRequests.Create", e.s.AuthRequests().Create(e.ctx, r))
		want := r.Clone()
		*r.MaxAge, r.Scopes[0], r.Claims[0] = time.Second, "changed by the caller", 'X'
		got := read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		checkRecord(t, "AuthRequests.Get after the caller changed the record it created", got, want)
		*got.MaxAge, got.AMR[0], got.UILocales[0] = time.Second, "changed by the caller", "changed by the caller"
		checkRecord(t, "AuthRequests.Get after the caller changed a record it read", read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get"), want)
	})
}

// newAuthCode returns an unredeemed authorization code with every other
// field set, expiring in a minute.
func newAuthCode(e *env, hash string) *store.AuthCode {
	now := e.now()
	return &store.AuthCode{Hash: hash, AuthRequestID: "r-" + hash, CreatedAt: at(now, 0), ExpiresAt: at(now, time.Minute)}
}

// createAuthCode stores newAuthCode(e, hash) and returns it.
func createAuthCode(e *env, hash string) *store.AuthCode {
	e.t.Helper()
	c := newAuthCode(e, hash)
	must(e.t, fmt.Sprintf("AuthCodes.Create(%q)", hash), e.s.AuthCodes().Create(e.ctx, c.Clone()))
	return c
}

// redeemed returns c as a Redeem now by the given tokens leaves it.
func redeemed(e *env, c *store.AuthCode, accessTokenID, refreshFamilyID string) *store.AuthCode {
	r := c.Clone()
	r.Redeemed, r.RedeemedAt = true, e.now()
	r.AccessTokenID, r.RefreshFamilyID = accessTokenID, refreshFamilyID
	return r
}

// redeem redeems code hash for the given tokens, checks that it succeeds
// with want, and returns the record it returned.
func redeem(t *testing.T, e *env, what, hash, accessTokenID, refreshFamilyID string, want *store.AuthCode) *store.AuthCode {
	t.Helper()
	got := read(e.s.AuthCodes().Redeem(e.ctx, hash, accessTokenID, refreshFamilyID)).must(t, what)
	checkRecord(t, what, got, want)
	return got
}

// checkReplay redeems code hash again, for other tokens, and checks that the
// store refuses with ErrConflict and the tombstone want, so that the caller
// can revoke what the first redemption issued.
func checkReplay(t *testing.T, e *env, what, hash string, want *store.AuthCode) *store.AuthCode {
	t.Helper()
	got, err := e.s.AuthCodes().Redeem(e.ctx, hash, "jti-replay", "f-replay")
	wantErr(t, what, err, store.ErrConflict)
	checkRecord(t, what+" (the tombstone it returns)", got, want)
	return got
}

// checkNoCode redeems code hash and checks that the store gives ErrNotFound
// and no record.
func checkNoCode(t *testing.T, e *env, what, hash string) {
	t.Helper()
	got, err := e.s.AuthCodes().Redeem(e.ctx, hash, "jti-x", "f-x")
	wantErr(t, what, err, store.ErrNotFound)
	if got != nil {
		t.Errorf("%s: got a record with ErrNotFound, want nil", what)
	}
}

func testAuthCodes(t *testing.T, nb NewBackend) {
	t.Run("CreateRedeem", func(t *testing.T) {
		e := setup(t, nb)
		c := newAuthCode(e, "h1")
		checkFixture(t, c, "Redeemed", "RedeemedAt", "AccessTokenID", "RefreshFamilyID")
		fresh := c.Clone()
		must(t, "AuthCodes.Create", e.s.AuthCodes().Create(e.ctx, c))
		other := createAuthCode(e, "h2")
		// The store stamps RedeemedAt with its own clock.
		e.clock.Advance(time.Second)
		want := redeemed(e, fresh, "jti1", "f1")
		checkFixture(t, want)
		redeem(t, e, "AuthCodes.Redeem", "h1", "jti1", "f1", want)
		// A replay changes nothing, however often it comes: the tombstone
		// names the first redemption's tokens.
		e.clock.Advance(time.Second)
		for _, n := range []string{"a second", "a third"} {
			checkReplay(t, e, "AuthCodes.Redeem "+n+" time", "h1", want)
		}
		redeem(t, e, "AuthCodes.Redeem of another code", "h2", "jti2", "f2", redeemed(e, other, "jti2", "f2"))
	})

	t.Run("CreateRedeemed", func(t *testing.T) {
		// Create stores a code as given; a redeemed one is a tombstone.
		e := setup(t, nb)
		c := newAuthCode(e, "h1")
		c.Redeemed, c.RedeemedAt, c.AccessTokenID, c.RefreshFamilyID = true, at(e.now(), -time.Second), "jti1", "f1"
		checkFixture(t, c)
		want := c.Clone()
		must(t, "AuthCodes.Create of a redeemed code", e.s.AuthCodes().Create(e.ctx, c))
		checkReplay(t, e, "AuthCodes.Redeem of a code created redeemed", "h1", want)
	})

	t.Run("RedeemWithoutRefreshToken", func(t *testing.T) {
		e := setup(t, nb)
		c := createAuthCode(e, "h1")
		want := redeemed(e, c, "jti1", "")
		redeem(t, e, "AuthCodes.Redeem without a refresh family", "h1", "jti1", "", want)
		checkReplay(t, e, "AuthCodes.Redeem a second time", "h1", want)
	})

	t.Run("CreateExistingHash", func(t *testing.T) {
		e := setup(t, nb)
		live := createAuthCode(e, "h1")
		tombstone := redeemed(e, createAuthCode(e, "h2"), "jti2", "f2")
		redeem(t, e, "AuthCodes.Redeem", "h2", "jti2", "f2", tombstone)
		for _, hash := range []string{"h1", "h2"} {
			dup := newAuthCode(e, hash)
			dup.AuthRequestID = "another request"
			wantErr(t, fmt.Sprintf("AuthCodes.Create of a taken hash (%q)", hash), e.s.AuthCodes().Create(e.ctx, dup), store.ErrConflict)
		}
		redeem(t, e, "AuthCodes.Redeem after a conflicting Create", "h1", "jti1", "f1", redeemed(e, live, "jti1", "f1"))
		checkReplay(t, e, "AuthCodes.Redeem of a tombstone after a conflicting Create", "h2", tombstone)
	})

	t.Run("MissingAndExpired", func(t *testing.T) {
		e := setup(t, nb)
		checkNoCode(t, e, "AuthCodes.Redeem of a missing code", "nope")
		createAuthCode(e, "unused")
		createAuthCode(e, "used")
		read(e.s.AuthCodes().Redeem(e.ctx, "used", "jti1", "f1")).must(t, "AuthCodes.Redeem")
		e.clock.Advance(time.Minute + time.Second)
		checkNoCode(t, e, "AuthCodes.Redeem of an expired code", "unused")
		checkNoCode(t, e, "AuthCodes.Redeem of an expired tombstone", "used")
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		c := newAuthCode(e, "h1")
		must(t, "AuthCodes.Create", e.s.AuthCodes().Create(e.ctx, c))
		want := redeemed(e, c, "jti1", "f1")
		c.AuthRequestID = "changed by the caller"
		got := redeem(t, e, "AuthCodes.Redeem after the caller changed the record it created", "h1", "jti1", "f1", want)
		got.AccessTokenID, got.Redeemed = "changed by the caller", false
		got = checkReplay(t, e, "AuthCodes.Redeem after the caller changed the record Redeem returned", "h1", want)
		got.RefreshFamilyID = "changed by the caller"
		checkReplay(t, e, "AuthCodes.Redeem after the caller changed the record a replay returned", "h1", want)
	})
}

// newAccessToken returns an access token of user u1 with every field set,
// expiring in an hour.
func newAccessToken(e *env, id, familyID string) *store.AccessToken {
	now := e.now()
	return &store.AccessToken{
		ID:              id,
		ClientID:        "shop",
		Subject:         "u1",
		Audience:        []string{"https://api.example.com", "shop"},
		Scopes:          []string{"openid", "orders:read"},
		ACR:             "urn:stepup:loa:mfa",
		AMR:             []string{"pwd", "otp"},
		AuthTime:        at(now, -time.Minute),
		RefreshFamilyID: familyID,
		CreatedAt:       at(now, 0),
		ExpiresAt:       at(now, time.Hour),
	}
}

func createAccessToken(e *env, id, familyID string) *store.AccessToken {
	e.t.Helper()
	tok := newAccessToken(e, id, familyID)
	must(e.t, fmt.Sprintf("AccessTokens.Create(%q)", id), e.s.AccessTokens().Create(e.ctx, tok.Clone()))
	return tok
}

// createUserWithFamilies creates user u1 and their refresh token families
// ids, in which access tokens may then be created.
func createUserWithFamilies(e *env, ids ...string) {
	e.t.Helper()
	createUser(e, "u1")
	for _, id := range ids {
		createRefreshFamily(e, id)
	}
}

func testAccessTokens(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1")
		tok := newAccessToken(e, "jti1", "f1")
		checkFixture(t, tok)
		want := tok.Clone()
		must(t, "AccessTokens.Create", e.s.AccessTokens().Create(e.ctx, tok))
		checkRecord(t, "AccessTokens.Get", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), want)
	})

	t.Run("CreateWithoutFamily", func(t *testing.T) {
		// Without a family nothing is checked: not even that the Subject
		// is a user.
		e := setup(t, nb)
		tok := newAccessToken(e, "jti1", "")
		tok.Subject = "not-a-user"
		want := tok.Clone()
		must(t, "AccessTokens.Create without a family for a Subject who is not a user", e.s.AccessTokens().Create(e.ctx, tok))
		checkRecord(t, "AccessTokens.Get", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), want)
	})

	t.Run("CreateInLiveFamily", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1")
		first := createAccessToken(e, "jti1", "f1")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1")).must(t, "RefreshFamilies.Rotate")
		second := createAccessToken(e, "jti2", "f1")
		checkRecord(t, "AccessTokens.Get of a token created in a live family", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), first)
		checkRecord(t, "AccessTokens.Get of a token created in a family after a Rotate", read(e.s.AccessTokens().Get(e.ctx, "jti2")).must(t, "AccessTokens.Get"), second)
	})

	t.Run("CreateInUnknownFamily", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		wantErr(t, "AccessTokens.Create in a family that does not exist", e.s.AccessTokens().Create(e.ctx, newAccessToken(e, "jti1", "nope")), store.ErrNotFound)
		read(e.s.AccessTokens().Get(e.ctx, "jti1")).wantErr(t, "AccessTokens.Get after a Create in a missing family", store.ErrNotFound)
		// An expired family is gone too.
		f := newRefreshFamily(e, "f1")
		f.ExpiresAt = at(e.now(), time.Minute)
		must(t, "RefreshFamilies.Create", e.s.RefreshFamilies().Create(e.ctx, f))
		e.clock.Advance(time.Hour)
		wantErr(t, "AccessTokens.Create in an expired family", e.s.AccessTokens().Create(e.ctx, newAccessToken(e, "jti2", "f1")), store.ErrNotFound)
		read(e.s.AccessTokens().Get(e.ctx, "jti2")).wantErr(t, "AccessTokens.Get after a Create in an expired family", store.ErrNotFound)
	})

	// A token minted from a family that is revoked would outlive the
	// revocation: Create refuses it, whoever revoked the family.
	for _, revoke := range []struct {
		how string
		do  func(e *env) error
	}{
		{"RevokedFamily", func(e *env) error { return e.s.RefreshFamilies().Revoke(e.ctx, "f1") }},
		{"FamilyRevokedForReuse", func(e *env) error {
			read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1")).must(e.t, "RefreshFamilies.Rotate")
			_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-x")
			wantErr(e.t, "RefreshFamilies.Rotate from a rotated-out hash (reuse)", err, store.ErrConflict)
			return nil
		}},
	} {
		t.Run("CreateIn"+revoke.how, func(t *testing.T) {
			e := setup(t, nb)
			createUserWithFamilies(e, "f1", "f2")
			must(t, "revoking family f1", revoke.do(e))
			wantErr(t, "AccessTokens.Create in a family revoked ("+revoke.how+")", e.s.AccessTokens().Create(e.ctx, newAccessToken(e, "jti1", "f1")), store.ErrConflict)
			read(e.s.AccessTokens().Get(e.ctx, "jti1")).wantErr(t, "AccessTokens.Get after a Create in a revoked family", store.ErrNotFound)
			n, err := e.s.AccessTokens().DeleteByFamily(e.ctx, "f1")
			must(t, "AccessTokens.DeleteByFamily of the revoked family", err)
			if n != 0 {
				t.Errorf("AccessTokens.DeleteByFamily of a revoked family after a refused Create: got %d, want 0", n)
			}
			createAccessToken(e, "jti2", "f2") // another family is still live
		})
	}

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1")
		want := createAccessToken(e, "jti1", "f1")
		dup := newAccessToken(e, "jti1", "f1")
		dup.Subject = "mallory"
		wantErr(t, "AccessTokens.Create of a taken ID", e.s.AccessTokens().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "AccessTokens.Get after a conflicting Create", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), want)
	})

	t.Run("MissingAndDelete", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1")
		read(e.s.AccessTokens().Get(e.ctx, "nope")).wantErr(t, "AccessTokens.Get of a missing token", store.ErrNotFound)
		wantErr(t, "AccessTokens.Delete of a missing token", e.s.AccessTokens().Delete(e.ctx, "nope"), store.ErrNotFound)
		createAccessToken(e, "jti1", "f1")
		other := createAccessToken(e, "jti2", "f1")
		must(t, "AccessTokens.Delete", e.s.AccessTokens().Delete(e.ctx, "jti1"))
		read(e.s.AccessTokens().Get(e.ctx, "jti1")).wantErr(t, "AccessTokens.Get of a deleted token", store.ErrNotFound)
		wantErr(t, "AccessTokens.Delete of a deleted token", e.s.AccessTokens().Delete(e.ctx, "jti1"), store.ErrNotFound)
		checkRecord(t, "AccessTokens.Get of another token", read(e.s.AccessTokens().Get(e.ctx, "jti2")).must(t, "AccessTokens.Get"), other)
	})

	t.Run("DeleteByFamily", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1", "f2")
		for _, id := range []string{"a1", "a2", "a3"} {
			createAccessToken(e, id, "f1")
		}
		other := createAccessToken(e, "b1", "f2")
		lone := createAccessToken(e, "c1", "")
		n, err := e.s.AccessTokens().DeleteByFamily(e.ctx, "f1")
		must(t, "AccessTokens.DeleteByFamily", err)
		if n != 3 {
			t.Errorf("AccessTokens.DeleteByFamily of a family with 3 tokens: got %d, want 3", n)
		}
		for _, id := range []string{"a1", "a2", "a3"} {
			read(e.s.AccessTokens().Get(e.ctx, id)).wantErr(t, fmt.Sprintf("AccessTokens.Get(%q) after DeleteByFamily", id), store.ErrNotFound)
		}
		checkRecord(t, "AccessTokens.Get of another family's token", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), other)
		checkRecord(t, "AccessTokens.Get of a token without a family", read(e.s.AccessTokens().Get(e.ctx, "c1")).must(t, "AccessTokens.Get"), lone)
		n, err = e.s.AccessTokens().DeleteByFamily(e.ctx, "f1")
		must(t, "AccessTokens.DeleteByFamily a second time", err)
		if n != 0 {
			t.Errorf("AccessTokens.DeleteByFamily of a family without tokens: got %d, want 0", n)
		}
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUserWithFamilies(e, "f1")
		tok := newAccessToken(e, "jti1", "f1")
		must(t, "AccessTokens.Create", e.s.AccessTokens().Create(e.ctx, tok))
		want := tok.Clone()
		tok.Audience[0], tok.Scopes[0] = "changed by the caller", "changed by the caller"
		got := read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get")
		checkRecord(t, "AccessTokens.Get after the caller changed the record it created", got, want)
		got.AMR[0] = "changed by the caller"
		checkRecord(t, "AccessTokens.Get after the caller changed a record it read", read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get"), want)
	})
}

// newRefreshFamily returns a live refresh token family of user u1 with every
// field set but the revocation, expiring in thirty days.
func newRefreshFamily(e *env, id string) *store.RefreshFamily {
	now := e.now()
	return &store.RefreshFamily{
		ID:             id,
		ClientID:       "shop",
		UserID:         "u1",
		SessionID:      "s1",
		TokenHash:      "hash-" + id + "-0",
		PreviousHashes: []string{"hash-" + id + "-prev"},
		Generation:     0,
		Scopes:         []string{"openid", "offline_access"},
		Audience:       []string{"shop"},
		ACR:            "urn:stepup:loa:mfa",
		AMR:            []string{"pwd", "otp"},
		AuthTime:       at(now, -time.Minute),
		CreatedAt:      at(now, 0),
		ExpiresAt:      at(now, 30*24*time.Hour),
	}
}

func createRefreshFamily(e *env, id string) *store.RefreshFamily {
	e.t.Helper()
	f := newRefreshFamily(e, id)
	must(e.t, fmt.Sprintf("RefreshFamilies.Create(%q)", id), e.s.RefreshFamilies().Create(e.ctx, f.Clone()))
	return f
}

// checkRevoked checks that family id is revoked and that it has no access
// tokens left.
func checkRevoked(t *testing.T, e *env, what, id string, tokens ...string) {
	t.Helper()
	f := read(e.s.RefreshFamilies().Get(e.ctx, id)).must(t, what+": RefreshFamilies.Get")
	if !f.Revoked {
		t.Errorf("%s: the family is not Revoked", what)
	}
	// The store has a clock: it stamps the revocation.
	if !f.RevokedAt.Equal(e.now()) {
		t.Errorf("%s: RevokedAt = %v, want the store's now, %v", what, f.RevokedAt, e.now())
	}
	for _, tok := range tokens {
		read(e.s.AccessTokens().Get(e.ctx, tok)).wantErr(t, fmt.Sprintf("%s: AccessTokens.Get(%q) of the family's token", what, tok), store.ErrNotFound)
	}
}

func testRefreshFamilies(t *testing.T, nb NewBackend) {
	t.Run("CreateGet", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		f := newRefreshFamily(e, "f1")
		checkFixture(t, f, "Generation", "Revoked", "RevokedAt")
		revoked := newRefreshFamily(e, "f2")
		revoked.Generation, revoked.Revoked, revoked.RevokedAt = 4, true, at(e.now(), -time.Second)
		for _, f := range []*store.RefreshFamily{f, revoked} {
			want := f.Clone()
			must(t, "RefreshFamilies.Create", e.s.RefreshFamilies().Create(e.ctx, f))
			checkRecord(t, "RefreshFamilies.Get", read(e.s.RefreshFamilies().Get(e.ctx, f.ID)).must(t, "RefreshFamilies.Get"), want)
		}
	})

	t.Run("CreateUnknownUser", func(t *testing.T) {
		e := setup(t, nb)
		f := newRefreshFamily(e, "f1")
		f.UserID = "nobody"
		wantErr(t, "RefreshFamilies.Create for a user who does not exist", e.s.RefreshFamilies().Create(e.ctx, f), store.ErrNotFound)
		read(e.s.RefreshFamilies().Get(e.ctx, "f1")).wantErr(t, "RefreshFamilies.Get after a Create for a missing user", store.ErrNotFound)
	})

	t.Run("CreateExistingID", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		dup := newRefreshFamily(e, "f1")
		dup.TokenHash = "another"
		wantErr(t, "RefreshFamilies.Create of a taken ID", e.s.RefreshFamilies().Create(e.ctx, dup), store.ErrConflict)
		checkRecord(t, "RefreshFamilies.Get after a conflicting Create", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
	})

	t.Run("Rotate", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		for gen := uint64(1); gen <= 3; gen++ {
			from, to := want.TokenHash, fmt.Sprintf("hash-f1-%d", gen)
			what := fmt.Sprintf("RefreshFamilies.Rotate(%q -> %q)", from, to)
			got := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", from, to)).must(t, what)
			want.PreviousHashes = append(want.PreviousHashes, from)
			want.TokenHash, want.Generation = to, gen
			checkRecord(t, what, got, want)
			checkRecord(t, "RefreshFamilies.Get after "+what, read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		}
	})

	t.Run("RotateReuse", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createRefreshFamily(e, "f1")
		createRefreshFamily(e, "f2")
		createAccessToken(e, "a1", "f1")
		createAccessToken(e, "a2", "f1")
		other := createAccessToken(e, "b1", "f2")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1")).must(t, "RefreshFamilies.Rotate")
		createAccessToken(e, "a3", "f1")
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-x")
		wantErr(t, "RefreshFamilies.Rotate from a rotated-out hash (reuse)", err, store.ErrConflict)
		checkRevoked(t, e, "after refresh token reuse", "f1", "a1", "a2", "a3")
		f := read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get")
		if f.TokenHash != "hash-f1-1" {
			t.Errorf("RefreshFamilies.Get after reuse: TokenHash = %q, want %q (reuse must not rotate)", f.TokenHash, "hash-f1-1")
		}
		_, err = e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-1", "hash-f1-2")
		wantErr(t, "RefreshFamilies.Rotate of a family revoked for reuse, from its current hash", err, store.ErrConflict)
		checkRecord(t, "AccessTokens.Get of another family's token", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), other)
		g := read(e.s.RefreshFamilies().Get(e.ctx, "f2")).must(t, "RefreshFamilies.Get of another family")
		if g.Revoked {
			t.Errorf("RefreshFamilies.Get of another family: Revoked after a reuse in family f1")
		}
	})

	t.Run("RotateFromAHashThatWasNeverTheFamilys", func(t *testing.T) {
		// Knowing a family's id is not enough to revoke it.
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		createAccessToken(e, "a1", "f1")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "forged", "hash-f1-x")).wantErr(t, "RefreshFamilies.Rotate from a hash never the family's", store.ErrNotFound)
		checkRecord(t, "RefreshFamilies.Get after a Rotate from a foreign hash", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		read(e.s.AccessTokens().Get(e.ctx, "a1")).must(t, "AccessTokens.Get after a Rotate from a foreign hash")
	})

	t.Run("RotateForgetsOldHashes", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		f := createRefreshFamily(e, "f1")
		from := f.TokenHash
		for gen := 1; gen <= store.MaxPreviousHashes+2; gen++ {
			to := fmt.Sprintf("hash-f1-%d", gen)
			got := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", from, to)).must(t, "RefreshFamilies.Rotate")
			if len(got.PreviousHashes) > store.MaxPreviousHashes {
				t.Fatalf("after %d rotations %d previous hashes are kept, want at most %d", gen, len(got.PreviousHashes), store.MaxPreviousHashes)
			}
			from = to
		}
		// The first token is too old to be recognised: not a reuse.
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "x")).wantErr(t, "RefreshFamilies.Rotate from a long-forgotten hash", store.ErrNotFound)
		// A recent one is.
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", fmt.Sprintf("hash-f1-%d", store.MaxPreviousHashes), "y")).wantErr(t, "RefreshFamilies.Rotate from a recent previous hash", store.ErrConflict)
	})

	t.Run("Revoke", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createRefreshFamily(e, "f1")
		createRefreshFamily(e, "f2")
		createAccessToken(e, "a1", "f1")
		other := createAccessToken(e, "b1", "f2")
		must(t, "RefreshFamilies.Revoke", e.s.RefreshFamilies().Revoke(e.ctx, "f1"))
		checkRevoked(t, e, "after Revoke", "f1", "a1")
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1")
		wantErr(t, "RefreshFamilies.Rotate of a revoked family", err, store.ErrConflict)
		checkRecord(t, "AccessTokens.Get of another family's token", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), other)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.RefreshFamilies().Get(e.ctx, "nope")).wantErr(t, "RefreshFamilies.Get of a missing family", store.ErrNotFound)
		read(e.s.RefreshFamilies().Rotate(e.ctx, "nope", "a", "b")).wantErr(t, "RefreshFamilies.Rotate of a missing family", store.ErrNotFound)
		wantErr(t, "RefreshFamilies.Revoke of a missing family", e.s.RefreshFamilies().Revoke(e.ctx, "nope"), store.ErrNotFound)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		f := newRefreshFamily(e, "f1")
		must(t, "RefreshFamilies.Create", e.s.RefreshFamilies().Create(e.ctx, f))
		want := f.Clone()
		f.Scopes[0], f.TokenHash = "changed by the caller", "changed by the caller"
		got := read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get")
		checkRecord(t, "RefreshFamilies.Get after the caller changed the record it created", got, want)
		got.AMR[0], got.Audience[0] = "changed by the caller", "changed by the caller"
		checkRecord(t, "RefreshFamilies.Get after the caller changed a record it read", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		rotated := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1")).must(t, "RefreshFamilies.Rotate")
		want.PreviousHashes = append(want.PreviousHashes, want.TokenHash)
		want.TokenHash, want.Generation = "hash-f1-1", 1
		rotated.Scopes[0] = "changed by the caller"
		checkRecord(t, "RefreshFamilies.Get after the caller changed the record Rotate returned", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
	})
}
