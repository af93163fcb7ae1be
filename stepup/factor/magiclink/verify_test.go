package magiclink_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/magiclink"
	"github.com/stepup-auth/stepup/stepup/store"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func TestSameBrowserCompletes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, tok := e.begin(t)
	if p.ChallengeID == "" || p.Display != "j•••@example.test" {
		t.Fatalf("prompt %+v, want a challenge id and the masked address", p)
	}
	_, err := e.poll(p, "")
	expectErr(t, "polling before the link is opened", err, factor.ErrPending)

	info, err := e.f.Peek(ctx, tok)
	if err != nil {
		t.Fatalf("Peek: %v", err)
	}
	if info.Site != "Example" || info.Address != p.Display || !info.ExpiresAt.Equal(e.clock.Now().Add(magiclink.MaxLifetime)) {
		t.Errorf("Peek = %+v", info)
	}
	op, err := e.f.Open(ctx, tok, browserA)
	if err != nil {
		t.Fatalf("Open in the browser that asked: %v", err)
	}
	if !op.SameBrowser || op.Code != "" {
		t.Fatalf("Open in the browser that asked = %+v, want SameBrowser and no code", op)
	}
	res, err := e.poll(p, "")
	if err != nil {
		t.Fatalf("polling after the link was opened: %v", err)
	}
	v := res.Verification
	if res.Authenticator == nil || res.Authenticator.ID != e.email.ID || v.AuthenticatorID != e.email.ID {
		t.Errorf("the result names %+v / %s, want %s", res.Authenticator, v.AuthenticatorID, e.email.ID)
	}
	if v.Method != acr.EmailMagicLink || !slices.Equal(v.AMR, []string{acr.AMROTP}) || !v.At.Equal(e.clock.Now()) {
		t.Errorf("verification %+v, want EMAIL_MAGIC_LINK with amr [otp] now", v)
	}
	_, err = e.poll(p, "")
	expectErr(t, "polling again after success", err, factor.ErrExpired)
}

// A mail scanner fetches the link many times before the user clicks: the
// link still works afterwards.
func TestPrefetchConsumesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, tok := e.begin(t)
	for i := range 20 {
		if _, err := e.f.Peek(ctx, tok); err != nil {
			t.Fatalf("prefetch %d: %v", i+1, err)
		}
	}
	_, err := e.poll(p, "")
	expectErr(t, "polling after the prefetches", err, factor.ErrPending)
	if op, err := e.f.Open(ctx, tok, browserA); err != nil || !op.SameBrowser {
		t.Fatalf("the user's Open after the prefetches: %+v, %v", op, err)
	}
	if _, err := e.poll(p, ""); err != nil {
		t.Fatalf("FinishVerify after the user's Open: %v", err)
	}
}

// A link opened in another browser signs in nothing there, and completes
// tab A only with the code it shows, typed in tab A.
func TestOtherBrowserNeedsTheCode(t *testing.T) {
	for name, other := range map[string]string{"another browser": browserB, "no binding cookie": ""} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			p, tok := e.begin(t)
			op, err := e.f.Open(context.Background(), tok, other)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if op.SameBrowser || !sixDigits.MatchString(op.Code) {
				t.Fatalf("Open in %s = %+v, want a six-digit code", name, op)
			}
			_, err = e.poll(p, "")
			expectErr(t, "polling with no code", err, magiclink.ErrOpenedElsewhere)
			expectErr(t, "polling with no code", err, factor.ErrPending)
			if _, err := e.poll(p, codeOther(op.Code)); !errors.Is(err, factor.ErrWrongAnswer) {
				t.Fatalf("a wrong code: %v, want ErrWrongAnswer", err)
			}
			res, err := e.poll(p, op.Code[:3]+" "+op.Code[3:])
			if err != nil {
				t.Fatalf("the shown code typed in tab A: %v", err)
			}
			if res.Verification.Method != acr.EmailMagicLink {
				t.Errorf("verification %+v", res.Verification)
			}
			_, err = e.poll(p, op.Code)
			expectErr(t, "the code typed again", err, factor.ErrExpired)
		})
	}
}

func TestWrongCodesSpendTheChallenge(t *testing.T) {
	e := newEnv(t)
	p, tok := e.begin(t)
	op, err := e.f.Open(context.Background(), tok, browserB)
	if err != nil {
		t.Fatal(err)
	}
	for range magiclink.MaxAttempts {
		_, err := e.poll(p, codeOther(op.Code))
		expectErr(t, "wrong code", err, factor.ErrWrongAnswer)
	}
	_, err = e.poll(p, op.Code)
	expectErr(t, "the right code after five wrong ones", err, factor.ErrExpired)
}

// A malformed code spends no attempt: it is no guess.
func TestMalformedCodeIsNoGuess(t *testing.T) {
	e := newEnv(t)
	p, tok := e.begin(t)
	op, err := e.f.Open(context.Background(), tok, browserB)
	if err != nil {
		t.Fatal(err)
	}
	for range magiclink.MaxAttempts + 1 {
		_, err := e.poll(p, "12345x")
		expectErr(t, "a code with a letter", err, factor.ErrMalformed)
	}
	if _, err := e.poll(p, op.Code); err != nil {
		t.Fatalf("the right code after malformed ones: %v", err)
	}
}

func TestLinkOpensOnce(t *testing.T) {
	cases := map[string]struct{ first, second string }{
		"same browser twice":            {browserA, browserA},
		"same browser, then forwarded":  {browserA, browserB},
		"another browser, then the one": {browserB, browserA},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			_, tok := e.begin(t)
			if _, err := e.f.Open(ctx, tok, c.first); err != nil {
				t.Fatalf("first Open: %v", err)
			}
			_, err := e.f.Open(ctx, tok, c.second)
			expectErr(t, "second Open", err, factor.ErrExpired)
			_, err = e.f.Peek(ctx, tok)
			expectErr(t, "Peek after Open", err, factor.ErrExpired)
		})
	}
}

// readBarrier holds each of the first n Gets until all n are done: until
// every Open of a race has read the challenge, still pending, before any
// writes.
type readBarrier struct {
	store.Challenges
	n    int32
	seen atomic.Int32
	wg   sync.WaitGroup
}

func (r *readBarrier) Get(ctx context.Context, id string) (*store.Challenge, error) {
	c, err := r.Challenges.Get(ctx, id)
	if r.seen.Add(1) <= r.n {
		r.wg.Done()
		r.wg.Wait()
	}
	return c, err
}

// Of many Opens racing (a double click, a scanner and the user), each
// having read the link as unopened, one opens it.
func TestConcurrentOpensOpenOnce(t *testing.T) {
	e := newEnv(t)
	_, tok := e.begin(t)
	const n = 16
	barrier := &readBarrier{Challenges: e.st.Challenges(), n: n}
	barrier.wg.Add(n)
	o := e.o
	o.Challenges = barrier
	f := e.factor(t, o)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			browser := browserB
			if i%2 == 0 {
				browser = browserA
			}
			_, errs[i] = f.Open(context.Background(), tok, browser)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, factor.ErrExpired):
			t.Errorf("a losing Open: %v, want ErrExpired", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent Opens succeeded, want 1", ok, n)
	}
}

// An answer is checked against the challenge's user, flow and browser;
// one of another is refused and spends nothing.
func TestChallengeOfAnotherTarget(t *testing.T) {
	e := newEnv(t)
	bob := factortest.NewUser(t, e.st, "bob")
	p, tok := e.begin(t)
	if _, err := e.f.Open(context.Background(), tok, browserA); err != nil {
		t.Fatal(err)
	}
	a := factor.Answer{ChallengeID: p.ChallengeID}
	for name, target := range map[string]factor.Target{
		"another user":    {UserID: bob.ID, FlowID: "flow-1", Browser: browserA},
		"another flow":    {UserID: e.user.ID, FlowID: "flow-2", Browser: browserA},
		"another browser": {UserID: e.user.ID, FlowID: "flow-1", Browser: browserB},
		"no browser":      {UserID: e.user.ID, FlowID: "flow-1"},
	} {
		_, err := e.f.FinishVerify(context.Background(), target, a)
		expectErr(t, name, err, factor.ErrExpired)
	}
	_, err := e.f.FinishVerify(context.Background(), e.target(), factor.Answer{})
	expectErr(t, "no challenge id", err, factor.ErrMalformed)
	// A challenge of another factor, of the same user and flow, even
	// one whose data read as a confirmed link.
	mine, err := e.st.Challenges().Get(context.Background(), p.ChallengeID)
	if err != nil {
		t.Fatal(err)
	}
	otp := &store.Challenge{ID: "otp-1", Method: acr.EmailOTP, UserID: e.user.ID, FlowID: "flow-1",
		Data: mine.Data, MaxAttempts: 5, ExpiresAt: e.clock.Now().Add(time.Minute)}
	if err := e.st.Challenges().Create(context.Background(), otp); err != nil {
		t.Fatal(err)
	}
	_, err = e.f.FinishVerify(context.Background(), e.target(), factor.Answer{ChallengeID: otp.ID})
	expectErr(t, "a challenge of another method", err, factor.ErrExpired)
	if _, err := e.poll(p, ""); err != nil {
		t.Fatalf("the challenge's own target after the refused ones: %v", err)
	}
}

// Of many polls racing once the link is confirmed (two tabs of the one
// browser, a retried request), each having read it, one verifies.
func TestConcurrentPollsVerifyOnce(t *testing.T) {
	e := newEnv(t)
	p, tok := e.begin(t)
	if _, err := e.f.Open(context.Background(), tok, browserA); err != nil {
		t.Fatal(err)
	}
	const n = 16
	barrier := &readBarrier{Challenges: e.st.Challenges(), n: n}
	barrier.wg.Add(n)
	o := e.o
	o.Challenges = barrier
	f := e.factor(t, o)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.FinishVerify(context.Background(), e.target(), factor.Answer{ChallengeID: p.ChallengeID})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, factor.ErrExpired):
			t.Errorf("a losing poll: %v, want ErrExpired", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent polls verified, want 1", ok, n)
	}
}

func TestOpenedChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, tok := e.begin(t)
	for range 3 {
		if opened, _, err := e.f.Opened(ctx, e.target(), p.ChallengeID); err != nil || opened {
			t.Fatalf("Opened before the link was: %v, %v", opened, err)
		}
	}
	other := e.target()
	other.Browser = "another browser"
	if _, _, err := e.f.Opened(ctx, other, p.ChallengeID); !errors.Is(err, factor.ErrExpired) {
		t.Fatalf("Opened for another browser: %v, want ErrExpired", err)
	}
	if _, err := e.f.Open(ctx, tok, "a phone"); err != nil {
		t.Fatal(err)
	}
	if opened, inAnother, err := e.f.Opened(ctx, e.target(), p.ChallengeID); err != nil || !opened || !inAnother {
		t.Fatalf("Opened after the link opened on a phone: %v %v %v", opened, inAnother, err)
	}
}
