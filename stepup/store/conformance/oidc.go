package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// newAuthRequest returns an authorization request of user u1, Done and
// with a code, with every field set but Version and those only Redeem
// sets, expiring in ten minutes.
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
		Reason:              "Confirm the transfer of 500 EUR",
		IDTokenHintSubject:  "u1",
		UILocales:           []string{"de-CH", "en"},
		Binding:             "b1nd1ng-hash",
		UserID:              "u1",
		SessionID:           "s1",
		Done:                true,
		AuthTime:            at(now, -time.Minute),
		ACR:                 "urn:stepup:loa:high",
		AMR:                 []string{"pwd", "hwk"},
		CodeHash:            "code-hash-" + id,
		CodeIssuedAt:        at(now, -30*time.Second),
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
		checkFixture(t, r, append([]string{"Version"}, setByRedeem...)...)
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
		r.CodeHash, r.CodeIssuedAt = "", time.Time{}
		must(t, "AuthRequests.Create of a pending request", e.s.AuthRequests().Create(e.ctx, r))
		r = read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get")
		done := newAuthRequest(e, "r1")
		r.UserID, r.SessionID, r.Done, r.AuthTime, r.ACR, r.AMR = done.UserID, done.SessionID, true, done.AuthTime, done.ACR, done.AMR
		r.CodeHash, r.CodeIssuedAt = done.CodeHash, done.CodeIssuedAt
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
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate")
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
			read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(e.t, "RefreshFamilies.Rotate")
			_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-x", rotationToken(e, "f1", "hash-f1-x"))
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

// rotationToken returns the access token issued with refresh token hash
// `to` of family familyID, with the id "jti-" + to, so that every Rotate
// brings a token of its own.
func rotationToken(e *env, familyID, to string) *store.AccessToken {
	return newAccessToken(e, "jti-"+to, familyID)
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
			token := rotationToken(e, "f1", to)
			wantToken := token.Clone()
			got := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", from, to, token)).must(t, what)
			want.PreviousHashes = append(want.PreviousHashes, from)
			want.TokenHash, want.Generation = to, gen
			checkRecord(t, what, got, want)
			checkRecord(t, "RefreshFamilies.Get after "+what, read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
			checkRecord(t, "AccessTokens.Get of the token issued by "+what, read(e.s.AccessTokens().Get(e.ctx, token.ID)).must(t, "AccessTokens.Get after "+what), wantToken)
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
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate")
		createAccessToken(e, "a3", "f1")
		reused := rotationToken(e, "f1", "hash-f1-x")
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-x", reused)
		wantErr(t, "RefreshFamilies.Rotate from a rotated-out hash (reuse)", err, store.ErrConflict)
		checkRevoked(t, e, "after refresh token reuse", "f1", "a1", "a2", "a3", "jti-hash-f1-1")
		checkNotStored(t, e, "a RefreshFamilies.Rotate from a rotated-out hash (reuse)", reused, nil)
		f := read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get")
		if f.TokenHash != "hash-f1-1" {
			t.Errorf("RefreshFamilies.Get after reuse: TokenHash = %q, want %q (reuse must not rotate)", f.TokenHash, "hash-f1-1")
		}
		late := rotationToken(e, "f1", "hash-f1-2")
		_, err = e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-1", "hash-f1-2", late)
		wantErr(t, "RefreshFamilies.Rotate of a family revoked for reuse, from its current hash", err, store.ErrConflict)
		checkNotStored(t, e, "a RefreshFamilies.Rotate of a family revoked for reuse", late, nil)
		checkRecord(t, "AccessTokens.Get of another family's token", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), other)
		g := read(e.s.RefreshFamilies().Get(e.ctx, "f2")).must(t, "RefreshFamilies.Get of another family")
		if g.Revoked {
			t.Errorf("RefreshFamilies.Get of another family: Revoked after a reuse in family f1")
		}
	})

	t.Run("RotateReuseWithATakenTokenID", func(t *testing.T) {
		// A reuse stores no token, so whether the id of the one it brings
		// is taken does not matter: the family is revoked all the same.
		e := setup(t, nb)
		createUser(e, "u1")
		createRefreshFamily(e, "f1")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate")
		taken := createAccessToken(e, "b1", "")
		reused := rotationToken(e, "f1", "hash-f1-x")
		reused.ID = "b1"
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-x", reused)
		wantErr(t, "RefreshFamilies.Rotate from a rotated-out hash (reuse) with a token whose id is taken", err, store.ErrConflict)
		checkRevoked(t, e, "after refresh token reuse with a token whose id is taken", "f1", "jti-hash-f1-1")
		checkRecord(t, "AccessTokens.Get of the token whose id the reuse's token took", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), taken)
	})

	t.Run("RotateFromAHashThatWasNeverTheFamilys", func(t *testing.T) {
		// Knowing a family's id is not enough to revoke it.
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		createAccessToken(e, "a1", "f1")
		forged := rotationToken(e, "f1", "hash-f1-x")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "forged", "hash-f1-x", forged)).wantErr(t, "RefreshFamilies.Rotate from a hash never the family's", store.ErrNotFound)
		checkRecord(t, "RefreshFamilies.Get after a Rotate from a foreign hash", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		read(e.s.AccessTokens().Get(e.ctx, "a1")).must(t, "AccessTokens.Get after a Rotate from a foreign hash")
		checkNotStored(t, e, "a RefreshFamilies.Rotate from a hash never the family's", forged, nil)
	})

	t.Run("RotateTakenTokenID", func(t *testing.T) {
		// The rotation and its token are one step: a token that cannot be
		// stored leaves the refresh token unspent.
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		taken := createAccessToken(e, "a1", "")
		token := rotationToken(e, "f1", "hash-f1-1")
		token.ID = "a1"
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1", token)).wantErr(t, "RefreshFamilies.Rotate with a token whose id is taken", store.ErrConflict)
		checkRecord(t, "RefreshFamilies.Get after a Rotate with a token whose id is taken", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		checkRecord(t, "AccessTokens.Get of the token whose id the Rotate's token took", read(e.s.AccessTokens().Get(e.ctx, "a1")).must(t, "AccessTokens.Get"), taken)
		// The hash is still the current one, not a rotated-out one.
		got := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate from the same hash, with a fresh token, after one whose id was taken")
		if got.Generation != 1 || got.TokenHash != "hash-f1-1" {
			t.Errorf("RefreshFamilies.Rotate after one with a taken token id: got Generation %d and TokenHash %q, want 1 and %q", got.Generation, got.TokenHash, "hash-f1-1")
		}
	})

	t.Run("RotateTokenOfAnotherFamily", func(t *testing.T) {
		// The token of a rotation is minted from the family: one of
		// another family, or of none, would outlive the family's
		// revocation. It is refused, and nothing changes.
		e := setup(t, nb)
		createUser(e, "u1")
		want := createRefreshFamily(e, "f1")
		other := createRefreshFamily(e, "f2")
		for _, c := range []struct{ what, familyID string }{
			{"of another family", "f2"},
			{"of no family", ""},
		} {
			what := "RefreshFamilies.Rotate with a token " + c.what
			token := rotationToken(e, c.familyID, "hash-f1-1")
			if _, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1", token); err == nil {
				t.Errorf("%s: got no error, want the token refused", what)
			}
			checkRecord(t, "RefreshFamilies.Get after "+what, read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
			checkRecord(t, "RefreshFamilies.Get of the other family after "+what, read(e.s.RefreshFamilies().Get(e.ctx, "f2")).must(t, "RefreshFamilies.Get"), other)
			checkNotStored(t, e, "a "+what, token, nil)
		}
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate from the same hash with the family's own token, after refused ones")
	})

	t.Run("RotateForgetsOldHashes", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		f := createRefreshFamily(e, "f1")
		from := f.TokenHash
		for gen := 1; gen <= store.MaxPreviousHashes+2; gen++ {
			to := fmt.Sprintf("hash-f1-%d", gen)
			got := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", from, to, rotationToken(e, "f1", to))).must(t, "RefreshFamilies.Rotate")
			if len(got.PreviousHashes) > store.MaxPreviousHashes {
				t.Fatalf("after %d rotations %d previous hashes are kept, want at most %d", gen, len(got.PreviousHashes), store.MaxPreviousHashes)
			}
			from = to
		}
		// The first token is too old to be recognised: not a reuse.
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "x", rotationToken(e, "f1", "x"))).wantErr(t, "RefreshFamilies.Rotate from a long-forgotten hash", store.ErrNotFound)
		// A recent one is.
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", fmt.Sprintf("hash-f1-%d", store.MaxPreviousHashes), "y", rotationToken(e, "f1", "y"))).wantErr(t, "RefreshFamilies.Rotate from a recent previous hash", store.ErrConflict)
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
		token := rotationToken(e, "f1", "hash-f1-1")
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", "hash-f1-0", "hash-f1-1", token)
		wantErr(t, "RefreshFamilies.Rotate of a revoked family", err, store.ErrConflict)
		checkNotStored(t, e, "a RefreshFamilies.Rotate of a revoked family", token, nil)
		checkRecord(t, "AccessTokens.Get of another family's token", read(e.s.AccessTokens().Get(e.ctx, "b1")).must(t, "AccessTokens.Get"), other)
	})

	t.Run("Missing", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		read(e.s.RefreshFamilies().Get(e.ctx, "nope")).wantErr(t, "RefreshFamilies.Get of a missing family", store.ErrNotFound)
		token := rotationToken(e, "nope", "b")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "nope", "a", "b", token)).wantErr(t, "RefreshFamilies.Rotate of a missing family", store.ErrNotFound)
		checkNotStored(t, e, "a RefreshFamilies.Rotate of a missing family", token, nil)
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
		token := rotationToken(e, "f1", "hash-f1-1")
		wantToken := token.Clone()
		rotated := read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", want.TokenHash, "hash-f1-1", token)).must(t, "RefreshFamilies.Rotate")
		want.PreviousHashes = append(want.PreviousHashes, want.TokenHash)
		want.TokenHash, want.Generation = "hash-f1-1", 1
		rotated.Scopes[0] = "changed by the caller"
		checkRecord(t, "RefreshFamilies.Get after the caller changed the record Rotate returned", read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get"), want)
		token.Audience[0], token.AMR[0] = "changed by the caller", "changed by the caller"
		checkRecord(t, "AccessTokens.Get after the caller changed the token it rotated with", read(e.s.AccessTokens().Get(e.ctx, token.ID)).must(t, "AccessTokens.Get"), wantToken)
	})
}
