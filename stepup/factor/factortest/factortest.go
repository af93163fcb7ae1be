package factortest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// Harness is one factor under test.
type Harness struct {
	// New returns the factor over st, with a clock the harness controls
	// through Advance.
	New func(t *testing.T, st store.Store) factor.Factor
	// Enroll gives user an authenticator of the factor, ready to verify.
	Enroll func(t *testing.T, f factor.Factor, u *store.User)
	// Answer returns the right answer to p, a prompt BeginVerify gave
	// for user; Wrong returns a wrong one of the same shape.
	Answer func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer
	Wrong  func(t *testing.T, u *store.User, p factor.Prompt) factor.Answer
	// Now is the clock of the factor and its store, and Advance moves it
	// forward.
	Now     func() time.Time
	Advance func(d time.Duration)
}

// NewStore returns an empty store in a temporary folder on the clock now
// (nil: time.Now), closed when t ends.
func NewStore(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// NewUser stores a user with the given id.
func NewUser(t testing.TB, st store.Store, id string) *store.User {
	t.Helper()
	u := &store.User{ID: id, Username: "user-" + id, CreatedAt: time.Now()}
	if err := st.Users().Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	setup := func(t *testing.T) (factor.Factor, store.Store, *store.User, factor.Target) {
		st := NewStore(t, h.Now)
		f := h.New(t, st)
		u := NewUser(t, st, "alice")
		h.Enroll(t, f, u)
		// Enrolling may have taken the current time step or counter.
		h.Advance(time.Minute)
		return f, st, u, factor.Target{UserID: u.ID, FlowID: "flow-1"}
	}

	t.Run("RightAnswerVerifies", func(t *testing.T) {
		f, _, u, target := setup(t)
		p := begin(t, f, target)
		res, err := f.FinishVerify(ctx, target, h.Answer(t, u, p))
		if err != nil {
			t.Fatalf("FinishVerify with the right answer: %v", err)
		}
		v := res.Verification
		if res.Authenticator == nil || res.Authenticator.UserID != u.ID {
			t.Fatalf("the result's authenticator is %+v, want one of %s", res.Authenticator, u.ID)
		}
		if v.AuthenticatorID != res.Authenticator.ID || v.Method != res.Authenticator.Method {
			t.Errorf("the verification names %s/%s, the authenticator is %s/%s", v.Method, v.AuthenticatorID,
				res.Authenticator.Method, res.Authenticator.ID)
		}
		if v.Method != f.Method() && !(f.Method() == acr.Passkey && v.Method == acr.SecurityKey) {
			t.Errorf("the verification's method is %s, the factor's %s", v.Method, f.Method())
		}
		want := acr.AMR(acr.Verification{Method: v.Method, UserVerified: v.UserVerified, HardwareBound: v.HardwareBound})
		if !slices.Equal(v.AMR, want) {
			t.Errorf("amr = %v, want acr's %v", v.AMR, want)
		}
		if v.At.IsZero() {
			t.Error("the verification has no time")
		}
	})

	t.Run("WrongAnswerFails", func(t *testing.T) {
		f, _, u, target := setup(t)
		p := begin(t, f, target)
		if _, err := f.FinishVerify(ctx, target, h.Wrong(t, u, p)); !errors.Is(err, factor.ErrWrongAnswer) {
			t.Fatalf("FinishVerify with a wrong answer: %v, want ErrWrongAnswer", err)
		}
	})

	t.Run("AnswerWorksOnce", func(t *testing.T) {
		f, _, u, target := setup(t)
		p := begin(t, f, target)
		a := h.Answer(t, u, p)
		if _, err := f.FinishVerify(ctx, target, a); err != nil {
			t.Fatalf("first answer: %v", err)
		}
		if _, err := f.FinishVerify(ctx, target, a); err == nil {
			t.Fatal("the same answer verified twice")
		}
	})

	t.Run("OtherUsersAnswerFails", func(t *testing.T) {
		f, st, u, target := setup(t)
		bob := NewUser(t, st, "bob")
		h.Enroll(t, f, bob)
		h.Advance(time.Minute)
		p := begin(t, f, target)
		// Alice's right answer, claimed for Bob.
		if _, err := f.FinishVerify(ctx, factor.Target{UserID: bob.ID, FlowID: target.FlowID}, h.Answer(t, u, p)); err == nil {
			t.Fatal("an answer to alice's prompt verified bob")
		}
	})

	t.Run("NothingEnrolled", func(t *testing.T) {
		st := NewStore(t, h.Now)
		f := h.New(t, st)
		u := NewUser(t, st, "carol")
		if _, err := f.BeginVerify(ctx, factor.Target{UserID: u.ID, FlowID: "flow-1"}); !errors.Is(err, factor.ErrNotEnrolled) {
			t.Fatalf("BeginVerify with nothing enrolled: %v, want ErrNotEnrolled", err)
		}
	})

	t.Run("LimiterLocksOutWrongAnswers", func(t *testing.T) {
		f, st, u, target := setup(t)
		l := factor.NewLimiter(st.Users(), factor.LimitPolicy{FreeFailures: 2, LockAfter: 100}, nil)
		for i := range 2 {
			p := begin(t, f, target)
			if _, err := l.Verify(ctx, f, target, h.Wrong(t, u, p)); !errors.Is(err, factor.ErrWrongAnswer) {
				t.Fatalf("wrong answer %d: %v", i+1, err)
			}
		}
		p := begin(t, f, target)
		var wait *factor.WaitError
		if _, err := l.Verify(ctx, f, target, h.Answer(t, u, p)); !errors.As(err, &wait) {
			t.Fatalf("a right answer after the free failures: %v, want a *WaitError", err)
		}
	})
}

func begin(t *testing.T, f factor.Factor, target factor.Target) factor.Prompt {
	t.Helper()
	p, err := f.BeginVerify(context.Background(), target)
	if err != nil {
		t.Fatalf("BeginVerify: %v", err)
	}
	return p
}
