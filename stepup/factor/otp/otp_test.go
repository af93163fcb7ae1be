package otp_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
	"github.com/stepup-auth/stepup/stepup/store"
)

// TestFactorSuite runs the suite every factor passes, with codes read
// from a real SMTP server's mailbox.
func TestFactorSuite(t *testing.T) {
	var r *rig
	address := func(u *store.User) string { return u.ID + "@example.com" }
	factortest.Run(t, factortest.Harness{
		New: func(t *testing.T, st store.Store) factor.Factor {
			r = &rig{clock: clk, st: st}
			r.f = r.factor(t, rigOptions{method: acr.EmailOTP, limits: roomy()})
			return r.f
		},
		Enroll: func(t *testing.T, _ factor.Factor, u *store.User) { r.enroll(t, u, address(u)) },
		Answer: func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer {
			return factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(r.lastCode(t, address(u)))}
		},
		Wrong: func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer {
			return factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(wrong(r.lastCode(t, address(u))))}
		},
		Now: clk.Now, Advance: clk.Advance,
	})
}

var clk = newClock()

// verifyOnce sends a code to u and answers it with code(sent).
func (r *rig) begin(t testing.TB, u *store.User) (factor.Target, factor.Prompt) {
	t.Helper()
	target := factor.Target{UserID: u.ID, FlowID: "flow"}
	p, err := r.f.BeginVerify(ctx, target)
	if err != nil {
		t.Fatalf("BeginVerify: %v", err)
	}
	return target, p
}

func answer(p factor.Prompt, code string) factor.Answer {
	return factor.Answer{ChallengeID: p.ChallengeID, Response: []byte(code)}
}

func TestCodeIsStoredHashed(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	_, p := r.begin(t, u)
	code := r.lastCode(t, "ann@example.com")
	c, err := r.st.Challenges().Get(ctx, p.ChallengeID)
	if err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(code))
	if bytes.Contains(c.Data, []byte(code)) || bytes.Contains(c.SecretHash, []byte(code)) || bytes.Equal(c.SecretHash, plain[:]) || len(c.SecretHash) != 32 {
		t.Fatalf("the challenge holds the code or a plain hash of it: %+v", c)
	}
	if c.MaxAttempts != 5 || c.ExpiresAt.Sub(c.CreatedAt) != 10*time.Minute {
		t.Errorf("challenge takes %d attempts for %s, want 5 for 10m", c.MaxAttempts, c.ExpiresAt.Sub(c.CreatedAt))
	}
	if p.Display != "a•••@example.com" {
		t.Errorf("Display = %q", p.Display)
	}
}

func TestCodeWorksOnce(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	target, p := r.begin(t, u)
	code := r.lastCode(t, "ann@example.com")
	if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("the code reused: %v, want ErrExpired", err)
	}
}

func TestConcurrentRightGuessesVerifyOnce(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	target, p := r.begin(t, u)
	code := r.lastCode(t, "ann@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 5 {
		wg.Go(func() {
			if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d of 5 racing requests verified with one code", ok)
	}
}

func TestCodeExpires(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	target, p := r.begin(t, u)
	code := r.lastCode(t, "ann@example.com")
	r.clock.Advance(10 * time.Minute)
	if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("a code after 10 minutes: %v, want ErrExpired", err)
	}
}

func TestSixthAttemptRefused(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	target, p := r.begin(t, u)
	code := r.lastCode(t, "ann@example.com")
	for i := range 5 {
		if _, err := r.f.FinishVerify(ctx, target, answer(p, wrong(code))); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("wrong guess %d: %v", i+1, err)
		}
	}
	if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("the right code as the sixth guess: %v, want ErrExpired", err)
	}
}

func TestResendCooldown(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	r.clock.Advance(time.Minute)
	target, p := r.begin(t, u)
	first := r.lastCode(t, "ann@example.com")
	r.clock.Advance(10 * time.Second)
	var le *sendlimit.LimitError
	if _, err := r.f.Resend(ctx, target, p.ChallengeID); !errors.As(err, &le) || le.Scope != sendlimit.ScopeCooldown || (le.RetryAfter-20*time.Second).Abs() > time.Millisecond {
		t.Fatalf("a resend after 10 s: %v, want the cool-down with 20 s to wait", err)
	}
	r.clock.Advance(20 * time.Second)
	p2, err := r.f.Resend(ctx, target, p.ChallengeID)
	if err != nil {
		t.Fatalf("a resend after 30 s: %v", err)
	}
	second := r.lastCode(t, "ann@example.com")
	if _, err := r.f.FinishVerify(ctx, target, answer(p, first)); !errors.Is(err, factor.ErrExpired) {
		t.Errorf("the first code after a resend: %v, want ErrExpired", err)
	}
	if _, err := r.f.FinishVerify(ctx, target, answer(p2, second)); err != nil {
		t.Errorf("the resent code: %v", err)
	}
}

func TestSendLimitPerDestination(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com") // the first send of the window
	for i := range 2 {
		r.clock.Advance(time.Minute)
		r.begin(t, u)
		_ = i
	}
	r.clock.Advance(time.Minute)
	var le *sendlimit.LimitError
	_, err := r.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow"})
	if !errors.As(err, &le) || le.Scope != sendlimit.ScopeDestination || !errors.Is(err, sendlimit.ErrTooManyMessages) {
		t.Fatalf("the fourth code in 10 minutes: %v, want the destination limit", err)
	}
	if n := len(r.mail.Mails()); n != 3 {
		t.Errorf("%d messages sent, want 3", n)
	}
	r.clock.Advance(7 * time.Minute)
	if _, err := r.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow"}); err != nil {
		t.Errorf("a send once the window slid: %v", err)
	}
}

func TestSMSThroughTwilio(t *testing.T) {
	for _, m := range []acr.Method{acr.SMS, acr.WhatsApp} {
		t.Run(string(m), func(t *testing.T) {
			r := newRig(t, rigOptions{method: m, limits: roomy()})
			u := factortest.NewUser(t, r.st, "ann")
			a := r.enroll(t, u, "+4915112345678")
			if a.Method != m || a.Destination != "+4915112345678" || !a.Verified {
				t.Fatalf("enrolled %+v", a)
			}
			target, p := r.begin(t, u)
			res, err := r.f.FinishVerify(ctx, target, answer(p, r.lastCode(t, "+4915112345678")))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"otp", "sms"}
			if m == acr.WhatsApp {
				want = want[:1]
			}
			if fmt.Sprint(res.Verification.AMR) != fmt.Sprint(want) {
				t.Errorf("amr = %v, want %v", res.Verification.AMR, want)
			}
			texts := r.sms.Texts()
			to := texts[len(texts)-1].To
			if (m == acr.WhatsApp) != strings.HasPrefix(to, "whatsapp:") {
				t.Errorf("a %s went to %q", m, to)
			}
		})
	}
}

func TestNationalInputIsStoredInE164(t *testing.T) {
	r := newRig(t, rigOptions{method: acr.SMS, limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	p, err := r.f.BeginEnrollTo(ctx, u, target, "0151 1234 5678", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Display != "+49•••••••••78" {
		t.Errorf("Display = %q", p.Display)
	}
	res, err := r.f.FinishEnroll(ctx, u, target, answer(p, r.lastCode(t, "+4915112345678")))
	if err != nil || res.Authenticator.Destination != "+4915112345678" {
		t.Fatalf("FinishEnroll: %+v, %v", res.Authenticator, err)
	}
}

func TestCountryBlocked(t *testing.T) {
	r := newRig(t, rigOptions{method: acr.SMS, limits: roomy(), regions: []string{"DE", "FR"}})
	u := factortest.NewUser(t, r.st, "ann")
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	if _, err := r.f.BeginEnrollTo(ctx, u, target, "+1 876 210 1234", ""); !errors.Is(err, phone.ErrCountryNotAllowed) {
		t.Fatalf("a Jamaican number: %v, want ErrCountryNotAllowed", err)
	}
	r.enroll(t, u, "+33612345678")
	// The operator strikes France from the list: an enrolled French
	// number gets no more codes.
	r.f = r.factor(t, rigOptions{method: acr.SMS, limits: roomy(), regions: []string{"DE"}})
	if _, err := r.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow"}); !errors.Is(err, phone.ErrCountryNotAllowed) {
		t.Fatalf("a code to a number of a country struck from the list: %v", err)
	}
	if n := len(r.sms.Texts()); n != 1 {
		t.Errorf("%d texts sent, want only the enrollment's", n)
	}
}

func TestEnrollmentNeedsTheCode(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	u.Email = "Ann@Example.com"
	if err := r.st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	target := factor.Target{UserID: u.ID, FlowID: "enroll"}
	p, err := r.f.BeginEnroll(ctx, u, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.f.BeginVerify(ctx, target); !errors.Is(err, factor.ErrNotEnrolled) {
		t.Fatalf("an address whose code did not come back counts: %v", err)
	}
	code := r.lastCode(t, "Ann@example.com")
	if _, err := r.f.FinishEnroll(ctx, u, target, answer(p, wrong(code))); !errors.Is(err, factor.ErrWrongAnswer) {
		t.Fatalf("a wrong enrollment code: %v", err)
	}
	// A verification's code does not enroll, nor an enrollment's verify.
	if _, err := r.f.FinishVerify(ctx, target, answer(p, code)); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("an enrollment's code answered a verification: %v", err)
	}
	res, err := r.f.FinishEnroll(ctx, u, target, answer(p, code))
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Authenticator; !a.Verified || a.Destination != "Ann@example.com" || a.Method != acr.EmailOTP {
		t.Errorf("enrolled %+v", a)
	}
	got, err := r.st.Users().Get(ctx, u.ID)
	if err != nil || !got.EmailVerified {
		t.Errorf("the user's email is not marked verified: %+v, %v", got, err)
	}
	// Enrolling the same address again makes no second authenticator.
	p, err = r.f.BeginEnrollTo(ctx, u, target, "Ann@EXAMPLE.com", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.f.FinishEnroll(ctx, u, target, answer(p, r.lastCode(t, "Ann@example.com")))
	if err != nil || again.Authenticator.ID != res.Authenticator.ID {
		t.Errorf("the same address enrolled twice: %s and %+v (%v)", res.Authenticator.ID, again.Authenticator, err)
	}
}

func TestSendFailureIsClear(t *testing.T) {
	r := newRig(t, rigOptions{method: acr.SMS, limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "+4915112345678")
	r.sms.FailWith(503)
	_, err := r.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow"})
	if !errors.Is(err, deliver.ErrUndelivered) {
		t.Fatalf("a send Twilio refused: %v, want ErrUndelivered", err)
	}
}

func TestInvalidDestinations(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	for _, in := range []string{"", "ann", "Ann <ann@example.com>", "ann@localhost", "ann@example.com\r\nBcc: x@y.z", strings.Repeat("a", 250) + "@example.com"} {
		if _, err := r.f.BeginEnrollTo(ctx, u, factor.Target{UserID: u.ID}, in, ""); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if n := len(r.mail.Mails()); n != 0 {
		t.Errorf("%d messages sent to invalid addresses", n)
	}
}

// Sent finds the code of this flow waiting for its answer: not another
// flow's, nor one spent or expired.
func TestSentFindsTheFlowsCode(t *testing.T) {
	r := newRig(t, rigOptions{limits: roomy()})
	u := factortest.NewUser(t, r.st, "ann")
	r.enroll(t, u, "ann@example.com")
	target := factor.Target{UserID: u.ID, FlowID: "flow"}
	if _, ok, err := r.f.Sent(ctx, target); err != nil || ok {
		t.Fatalf("Sent before any code: %v %v", ok, err)
	}
	_, first := r.begin(t, u)
	r.clock.Advance(time.Second)
	_, second := r.begin(t, u)
	if _, err := r.f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "other"}); err != nil {
		t.Fatal(err)
	}
	p, ok, err := r.f.Sent(ctx, target)
	if err != nil || !ok || p.ChallengeID != second.ChallengeID || p.Display != "a•••@example.com" || p.ChallengeID == first.ChallengeID {
		t.Fatalf("Sent = %+v %v %v, want the newest code of this flow, %s", p, ok, err, second.ChallengeID)
	}
	if _, err := r.f.FinishVerify(ctx, target, answer(second, r.lastCode(t, "ann@example.com"))); err == nil {
		t.Fatal("another flow's code verified this one")
	}
	r.clock.Advance(10 * time.Minute)
	if _, ok, _ := r.f.Sent(ctx, target); ok {
		t.Fatal("Sent found an expired code")
	}
}
