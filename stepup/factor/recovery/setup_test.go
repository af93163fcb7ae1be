package recovery_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

// testKey is the HMAC key of the tests' factors.
var testKey = bytes.Repeat([]byte("k"), 32)

// env is one factor over its own store and fake clock.
type env struct {
	f     *recovery.Factor
	st    store.Store
	clock *conformance.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: conformance.NewClock()}
	e.st = factortest.NewStore(t, e.clock.Now)
	e.f = e.factor(t, e.st.Authenticators(), testKey, nil)
	return e
}

// factor returns a factor of e over auths (e's own, or a wrapper of them).
func (e *env) factor(t testing.TB, auths store.Authenticators, key []byte, random io.Reader) *recovery.Factor {
	t.Helper()
	f, err := recovery.New(recovery.Options{Authenticators: auths, Key: key, Now: e.clock.Now, Rand: random})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) generate(t *testing.T, u *store.User) []string {
	t.Helper()
	codes, err := e.f.Generate(context.Background(), u.ID)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return codes
}

func (e *env) verify(u *store.User, code string) (factor.Result, error) {
	return e.f.FinishVerify(context.Background(), factor.Target{UserID: u.ID, FlowID: "flow-1"}, factor.Answer{Response: []byte(code)})
}

// lists returns u's recovery-code authenticators as stored.
func (e *env) lists(t *testing.T, u *store.User) []*store.Authenticator {
	t.Helper()
	all, err := e.st.Authenticators().ListByUser(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.Authenticator
	for _, a := range all {
		if a.Method == acr.RecoveryCode {
			out = append(out, a)
		}
	}
	return out
}

// readBarrier holds each ListByUser until wg is done: until every request
// of a race has read the authenticators.
type readBarrier struct {
	store.Authenticators
	wg sync.WaitGroup
}

func (r *readBarrier) ListByUser(ctx context.Context, userID string) ([]*store.Authenticator, error) {
	as, err := r.Authenticators.ListByUser(ctx, userID)
	r.wg.Done()
	r.wg.Wait()
	return as, err
}

// race submits codes[i] from goroutine i, all of them reading the
// authenticators before any goes on, and returns their errors.
func (e *env) race(t *testing.T, u *store.User, codes []string) []error {
	t.Helper()
	auths := &readBarrier{Authenticators: e.st.Authenticators()}
	auths.wg.Add(len(codes))
	f := e.factor(t, auths, testKey, nil)
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	for i, c := range codes {
		wg.Go(func() {
			_, errs[i] = f.FinishVerify(context.Background(), factor.Target{UserID: u.ID, FlowID: "flow-1"}, factor.Answer{Response: []byte(c)})
		})
	}
	wg.Wait()
	return errs
}
