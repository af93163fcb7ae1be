package otp_test

import (
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
)

// An address whose code came back becomes the email of a user who had
// none, verified, unless another account holds it: brokers read the
// account's address from the email and email_verified claims.
func TestEnrolledAddressBecomesTheUsersEmail(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	enroll := func(id, addr string) {
		t.Helper()
		u, err := r.st.Users().Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		target := factor.Target{UserID: u.ID, FlowID: "enroll-" + id}
		p, err := r.f.BeginEnrollTo(ctx, u, target, addr, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.f.FinishEnroll(ctx, u, target, answer(p, r.lastCode(t, addr))); err != nil {
			t.Fatal(err)
		}
	}
	ann := factortest.NewUser(t, r.st, "ann").ID
	enroll(ann, "ann@example.com")
	got, err := r.st.Users().Get(ctx, ann)
	if err != nil || got.Email != "ann@example.com" || !got.EmailVerified {
		t.Fatalf("after ann's code came back from her address: %+v, %v", got, err)
	}
	// Bob proves he reads ann's address too (a shared mailbox): it stays
	// hers alone.
	bob := factortest.NewUser(t, r.st, "bob").ID
	enroll(bob, "ann@example.com")
	if got, err := r.st.Users().Get(ctx, bob); err != nil || got.Email != "" || got.EmailVerified {
		t.Fatalf("another account's address became bob's: %+v, %v", got, err)
	}
	// A user whose email is another address keeps it, unverified.
	cy := factortest.NewUser(t, r.st, "cy").ID
	u, _ := r.st.Users().Get(ctx, cy)
	u.Email = "cy@example.com"
	if err := r.st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	enroll(cy, "cy@elsewhere.example")
	if got, err := r.st.Users().Get(ctx, cy); err != nil || got.Email != "cy@example.com" || got.EmailVerified {
		t.Fatalf("a code from another address changed cy's email: %+v, %v", got, err)
	}
}

// An address another account holds stays theirs in every spelling: mail
// delivers Ann@example.com and ann@example.com to one mailbox, and brokers
// (Keycloak lowercases every email) take them for one address, so a second
// account with it, verified, is a second account a broker may link to the
// first one's.
func TestEnrolledAddressOfAnotherAccountInAnotherCase(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	ann := factortest.NewUser(t, r.st, "ann").ID
	u, _ := r.st.Users().Get(ctx, ann)
	u.Email, u.EmailVerified = "ann@example.com", true // as federation stores it: lower case
	if err := r.st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	bob := factortest.NewUser(t, r.st, "bob")
	target := factor.Target{UserID: bob.ID, FlowID: "enroll-bob"}
	p, err := r.f.BeginEnrollTo(ctx, bob, target, "Ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.f.FinishEnroll(ctx, bob, target, answer(p, r.lastCode(t, "Ann@example.com"))); err != nil {
		t.Fatal(err)
	}
	if got, err := r.st.Users().Get(ctx, bob.ID); err != nil || got.Email != "" || got.EmailVerified {
		t.Fatalf("ann's address, spelt Ann@example.com, became bob's verified email: %+v, %v", got, err)
	}
}
