package conformance

import (
	"testing"

	"github.com/stepup-auth/stepup/stepup/store"
)

// The durability tests write, Close, open the same data again and read: a
// backend must keep every record, every Version, every deletion and every
// unique key across a restart.
func testDurability(t *testing.T, nb NewBackend) {
	t.Run("AllAggregates", func(t *testing.T) {
		e := setup(t, nb)
		user := createUser(e, "u1")
		user.DisplayName = "updated once"
		must(t, "Users.Update", e.s.Users().Update(e.ctx, user))
		createAuthenticator(e, "a1", "u1")
		must(t, "Authenticators.AdvanceCounter(9)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 9))
		// Whether AdvanceCounter bumps Version is the backend's choice: take
		// the record as the store has it.
		auth := read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get")
		if auth.Counter != 9 {
			t.Fatalf("Authenticators.Get after AdvanceCounter(9): Counter = %d, want 9", auth.Counter)
		}
		device := createDevice(e, "u1", "d1")
		session := createSession(e, "s1", "u1")
		challenge := createChallenge(e, "c1")
		action := createAction(e, newAction(e, "x1", "u1", "payment", "idem-1"))
		authReq := createAuthRequest(e, "r1")
		redeemedToken, redeemedFamily := redemption(e, "jti2", "f2")
		tombstone := redeem(t, e, "AuthRequests.Redeem", createAuthRequest(e, "r2"), redeemedToken, redeemedFamily)
		family := createRefreshFamily(e, "f1")
		token := createAccessToken(e, "jti1", "f1")
		rotationTok := rotationToken(e, "f1", "hash-f1-1")
		family = read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", family.TokenHash, "hash-f1-1", rotationTok)).must(t, "RefreshFamilies.Rotate")
		client := createClient(e, "shop")
		apiKey := createAPIKey(e, "k1")
		rules := []*store.RuleSet{publish(e, "payment", 1), publish(e, "payment", 2)}
		signingKey := createSigningKey(e, "kid1")
		events := appendEvents(e, 1, 3)

		check := func(when string) {
			t.Helper()
			checkRecord(t, "Users.Get "+when, read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get "+when), user)
			checkRecord(t, "Users.GetByUsername "+when, read(e.s.Users().GetByUsername(e.ctx, user.Username)).must(t, "Users.GetByUsername "+when), user)
			checkRecord(t, "Users.GetByEmail "+when, read(e.s.Users().GetByEmail(e.ctx, user.Email)).must(t, "Users.GetByEmail "+when), user)
			checkRecord(t, "Authenticators.Get "+when, read(e.s.Authenticators().Get(e.ctx, "a1")).must(t, "Authenticators.Get "+when), auth)
			checkRecord(t, "Authenticators.GetByCredentialID "+when, read(e.s.Authenticators().GetByCredentialID(e.ctx, auth.CredentialID)).must(t, "Authenticators.GetByCredentialID "+when), auth)
			checkRecord(t, "Devices.Get "+when, read(e.s.Devices().Get(e.ctx, "u1", "d1")).must(t, "Devices.Get "+when), device)
			checkRecord(t, "Sessions.Get "+when, read(e.s.Sessions().Get(e.ctx, "s1")).must(t, "Sessions.Get "+when), session)
			checkRecord(t, "Challenges.Get "+when, read(e.s.Challenges().Get(e.ctx, "c1")).must(t, "Challenges.Get "+when), challenge)
			checkRecord(t, "Actions.Get "+when, read(e.s.Actions().Get(e.ctx, "x1")).must(t, "Actions.Get "+when), action)
			checkRecord(t, "Actions.GetByIdempotencyKey "+when, read(e.s.Actions().GetByIdempotencyKey(e.ctx, "u1", "payment", "idem-1")).must(t, "Actions.GetByIdempotencyKey "+when), action)
			checkRecord(t, "AuthRequests.Get "+when, read(e.s.AuthRequests().Get(e.ctx, "r1")).must(t, "AuthRequests.Get "+when), authReq)
			checkRecord(t, "AccessTokens.Get "+when, read(e.s.AccessTokens().Get(e.ctx, "jti1")).must(t, "AccessTokens.Get "+when), token)
			checkRecord(t, "AccessTokens.Get of a token stored by Rotate "+when, read(e.s.AccessTokens().Get(e.ctx, rotationTok.ID)).must(t, "AccessTokens.Get "+when), rotationTok)
			checkRecord(t, "RefreshFamilies.Get "+when, read(e.s.RefreshFamilies().Get(e.ctx, "f1")).must(t, "RefreshFamilies.Get "+when), family)
			checkRecord(t, "AuthRequests.Get of a redeemed request "+when, read(e.s.AuthRequests().Get(e.ctx, "r2")).must(t, "AuthRequests.Get "+when), tombstone)
			checkRecord(t, "AccessTokens.Get of a token stored by Redeem "+when, read(e.s.AccessTokens().Get(e.ctx, "jti2")).must(t, "AccessTokens.Get "+when), redeemedToken)
			checkRecord(t, "RefreshFamilies.Get of a family stored by Redeem "+when, read(e.s.RefreshFamilies().Get(e.ctx, "f2")).must(t, "RefreshFamilies.Get "+when), redeemedFamily)
			checkRecord(t, "Clients.Get "+when, read(e.s.Clients().Get(e.ctx, "shop")).must(t, "Clients.Get "+when), client)
			checkRecord(t, "APIKeys.Get "+when, read(e.s.APIKeys().Get(e.ctx, "k1")).must(t, "APIKeys.Get "+when), apiKey)
			checkList(t, "RuleSets.Versions "+when, read(e.s.RuleSets().Versions(e.ctx, "payment")).must(t, "RuleSets.Versions "+when), rules, ruleSetKey)
			checkRecord(t, "SigningKeys.Get "+when, read(e.s.SigningKeys().Get(e.ctx, "kid1")).must(t, "SigningKeys.Get "+when), signingKey)
			checkList(t, "Audit.List "+when, read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List "+when), events, auditKey)
			checkReplay(t, e, "AuthRequests.Redeem of a redeemed request "+when, tombstone)
		}
		check("before reopening")
		e.reopen()
		check("after reopening")
		e.reopen()
		check("after reopening twice")
		// An unredeemed code is read by redeeming it, so once, last.
		redeemToken, redeemFamily := redemption(e, "jti3", "f3")
		redeem(t, e, "AuthRequests.Redeem after reopening", authReq, redeemToken, redeemFamily)
	})

	t.Run("DeletionsSurvive", func(t *testing.T) {
		// User u2 is deleted with what is theirs; u1's records are
		// deleted one by one.
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		createAuthenticator(e, "a1", "u2")
		createDevice(e, "u2", "d1")
		createSession(e, "s1", "u2")
		createSession(e, "s2", "u1")
		createChallenge(e, "c1")
		createChallenge(e, "c2")
		createAuthRequest(e, "r1")
		createRefreshFamily(e, "f1")
		createAccessToken(e, "jti1", "")
		createAccessToken(e, "jti2", "f1")
		createClient(e, "shop")
		createAPIKey(e, "k1")
		createSigningKey(e, "kid1")

		must(t, "Users.Delete", e.s.Users().Delete(e.ctx, "u2"))
		must(t, "Sessions.Delete", e.s.Sessions().Delete(e.ctx, "s2"))
		read(e.s.Challenges().Consume(e.ctx, "c1")).must(t, "Challenges.Consume")
		must(t, "Challenges.Delete", e.s.Challenges().Delete(e.ctx, "c2"))
		must(t, "AuthRequests.Delete", e.s.AuthRequests().Delete(e.ctx, "r1"))
		must(t, "AccessTokens.Delete", e.s.AccessTokens().Delete(e.ctx, "jti1"))
		must(t, "RefreshFamilies.Revoke", e.s.RefreshFamilies().Revoke(e.ctx, "f1"))
		must(t, "Clients.Delete", e.s.Clients().Delete(e.ctx, "shop"))
		must(t, "APIKeys.Delete", e.s.APIKeys().Delete(e.ctx, "k1"))
		must(t, "SigningKeys.Delete", e.s.SigningKeys().Delete(e.ctx, "kid1"))
		e.reopen()

		gone := []struct {
			what string
			err  error
		}{
			{"Users.Get of a deleted user", read(e.s.Users().Get(e.ctx, "u2")).err},
			{"Users.GetByUsername of a deleted user", read(e.s.Users().GetByUsername(e.ctx, "user-u2")).err},
			{"Authenticators.Get of a deleted user's authenticator", read(e.s.Authenticators().Get(e.ctx, "a1")).err},
			{"Authenticators.GetByCredentialID of a deleted user's authenticator", read(e.s.Authenticators().GetByCredentialID(e.ctx, []byte("cred-a1"))).err},
			{"Devices.Get of a deleted user's device", read(e.s.Devices().Get(e.ctx, "u2", "d1")).err},
			{"Sessions.Get of a deleted user's session", read(e.s.Sessions().Get(e.ctx, "s1")).err},
			{"Sessions.Get of a deleted session", read(e.s.Sessions().Get(e.ctx, "s2")).err},
			{"Challenges.Get of a consumed challenge", read(e.s.Challenges().Get(e.ctx, "c1")).err},
			{"Challenges.Consume of a consumed challenge", read(e.s.Challenges().Consume(e.ctx, "c1")).err},
			{"Challenges.Get of a deleted challenge", read(e.s.Challenges().Get(e.ctx, "c2")).err},
			{"AuthRequests.Get of a deleted request", read(e.s.AuthRequests().Get(e.ctx, "r1")).err},
			{"AccessTokens.Get of a deleted token", read(e.s.AccessTokens().Get(e.ctx, "jti1")).err},
			{"AccessTokens.Get of a revoked family's token", read(e.s.AccessTokens().Get(e.ctx, "jti2")).err},
			{"Clients.Get of a deleted client", read(e.s.Clients().Get(e.ctx, "shop")).err},
			{"APIKeys.Get of a deleted key", read(e.s.APIKeys().Get(e.ctx, "k1")).err},
			{"SigningKeys.Get of a deleted key", read(e.s.SigningKeys().Get(e.ctx, "kid1")).err},
		}
		for _, g := range gone {
			wantGone(t, g.what+" after reopening", g.err)
		}
		checkRevoked(t, e, "RefreshFamilies.Get of a revoked family after reopening", "f1")
		read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get of a remaining user after reopening")
	})

	t.Run("UserDeleteCascadeSurvives", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createUser(e, "u2")
		mine := createBelongings(e, "u1")
		kept := append(createBelongings(e, "u2"), createUnowned(e)...)
		must(t, "Users.Delete", e.s.Users().Delete(e.ctx, "u1"))
		e.reopen()
		read(e.s.Users().Get(e.ctx, "u1")).wantErr(t, "Users.Get of a deleted user after reopening", store.ErrNotFound)
		checkGone(t, e, "after Users.Delete of the user and reopening", mine)
		checkKept(t, e, "after Users.Delete of another user and reopening", kept)
		// Every ID and key the deleted records held is still free.
		createUser(e, "u1")
		createBelongings(e, "u1")
	})

	t.Run("VersionsSurvive", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		u := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get")
		stale := u.Clone()
		for range 2 {
			must(t, "Users.Update", e.s.Users().Update(e.ctx, u))
		}
		e.reopen()
		got := read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get after reopening")
		if got.Version != 3 {
			t.Fatalf("Users.Get after two Updates and reopening: Version = %d, want 3", got.Version)
		}
		wantErr(t, "Users.Update from a stale Version after reopening", e.s.Users().Update(e.ctx, stale), store.ErrConflict)
		must(t, "Users.Update from the current Version after reopening", e.s.Users().Update(e.ctx, got))
		if got.Version != 4 {
			t.Errorf("Users.Update from Version 3 after reopening: the argument's Version is %d afterwards, want 4", got.Version)
		}
	})

	t.Run("AuditSeqContinues", func(t *testing.T) {
		e := setup(t, nb)
		all := appendEvents(e, 1, 3)
		e.reopen()
		all = append(all, appendEvents(e, 4, 2)...)
		e.reopen()
		all = append(all, appendEvents(e, 6, 1)...)
		checkList(t, "Audit.List after appending across reopenings", read(e.s.Audit().List(e.ctx, 0, 0)).must(t, "Audit.List"), all, auditKey)
	})

	t.Run("UniqueKeysSurvive", func(t *testing.T) {
		e := setup(t, nb)
		u1 := createUser(e, "u1")
		oldUsername := u1.Username
		u1.Username = "renamed"
		must(t, "Users.Update of the username", e.s.Users().Update(e.ctx, u1))
		createAuthenticator(e, "a1", "u1")
		createAction(e, newAction(e, "x1", "u1", "payment", "idem-1"))
		unredeemed := createAuthRequest(e, "r1")
		redeemToken, redeemFamily := redemption(e, "jti2", "f2")
		redeem(t, e, "AuthRequests.Redeem", createAuthRequest(e, "r2"), redeemToken, redeemFamily)
		publish(e, "payment", 1)
		e.reopen()

		taken := newUser(e, "u2")
		taken.Username = "renamed"
		wantErr(t, "Users.Create with a taken username after reopening", e.s.Users().Create(e.ctx, taken), store.ErrConflict)
		taken = newUser(e, "u2")
		taken.Email = u1.Email
		wantErr(t, "Users.Create with a taken email after reopening", e.s.Users().Create(e.ctx, taken), store.ErrConflict)
		taken = newUser(e, "u1")
		taken.Username, taken.Email = "other", "other@example.com"
		wantErr(t, "Users.Create with a taken ID after reopening", e.s.Users().Create(e.ctx, taken), store.ErrConflict)
		freed := newUser(e, "u3")
		freed.Username = oldUsername
		freed.Email = "u3-other@example.com"
		must(t, "Users.Create with a username given up before reopening", e.s.Users().Create(e.ctx, freed))

		dupAuth := newAuthenticator(e, "a2", "u1")
		dupAuth.CredentialID = []byte("cred-a1")
		wantErr(t, "Authenticators.Create with a taken credential id after reopening", e.s.Authenticators().Create(e.ctx, dupAuth), store.ErrConflict)
		wantErr(t, "Actions.Create with a taken idempotency key after reopening", e.s.Actions().Create(e.ctx, newAction(e, "x2", "u1", "payment", "idem-1")), store.ErrConflict)
		wantErr(t, "AuthRequests.Create with the id of a request after reopening", e.s.AuthRequests().Create(e.ctx, newAuthRequest(e, "r1")), store.ErrConflict)
		wantErr(t, "AuthRequests.Create with the id of a tombstone after reopening", e.s.AuthRequests().Create(e.ctx, newAuthRequest(e, "r2")), store.ErrConflict)
		wantErr(t, "AccessTokens.Create with the id of a token stored by Redeem, after reopening", e.s.AccessTokens().Create(e.ctx, newAccessToken(e, "jti2", "")), store.ErrConflict)
		wantErr(t, "RefreshFamilies.Create with the id of a family stored by Redeem, after reopening", e.s.RefreshFamilies().Create(e.ctx, newRefreshFamily(e, "f2")), store.ErrConflict)
		read(e.s.AuthRequests().Redeem(e.ctx, "r1", unredeemed.CodeHash, newAccessToken(e, "jti2", ""), nil)).wantErr(t, "AuthRequests.Redeem for a token whose id a Redeem took before reopening", store.ErrConflict)
		redeem(t, e, "AuthRequests.Redeem for a fresh token after reopening", unredeemed, newAccessToken(e, "jti3", ""), nil)
		wantErr(t, "RuleSets.Publish of version 1 again after reopening", e.s.RuleSets().Publish(e.ctx, newRuleSet(e, "payment", 1)), store.ErrConflict)
		publish(e, "payment", 2)
	})

	t.Run("CounterAndRotationSurvive", func(t *testing.T) {
		e := setup(t, nb)
		createUser(e, "u1")
		createAuthenticator(e, "a1", "u1")
		must(t, "Authenticators.AdvanceCounter(8)", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8))
		f := createRefreshFamily(e, "f1")
		read(e.s.RefreshFamilies().Rotate(e.ctx, "f1", f.TokenHash, "hash-f1-1", rotationToken(e, "f1", "hash-f1-1"))).must(t, "RefreshFamilies.Rotate")
		createAccessToken(e, "jti1", "f1")
		e.reopen()
		wantErr(t, "Authenticators.AdvanceCounter(8) again after reopening", e.s.Authenticators().AdvanceCounter(e.ctx, "a1", 8), store.ErrConflict)
		reused := rotationToken(e, "f1", "hash-f1-x")
		_, err := e.s.RefreshFamilies().Rotate(e.ctx, "f1", f.TokenHash, "hash-f1-x", reused)
		wantErr(t, "RefreshFamilies.Rotate from a rotated-out hash after reopening", err, store.ErrConflict)
		checkRevoked(t, e, "after refresh token reuse across a reopening", "f1", "jti1", "jti-hash-f1-1")
		checkNotStored(t, e, "a RefreshFamilies.Rotate from a rotated-out hash after reopening", reused, nil)
	})

	t.Run("CloseTwice", func(t *testing.T) {
		// Close must be safe to call twice; what the second call returns is
		// the backend's choice.
		e := setup(t, nb)
		createUser(e, "u1")
		must(t, "Close", e.s.Close())
		_ = e.s.Close()
		e.s = e.mustOpen()
		read(e.s.Users().Get(e.ctx, "u1")).must(t, "Users.Get after closing twice and reopening")
		must(t, "Ping", e.s.Ping(e.ctx))
	})
}
