package totp_test

import (
	"context"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

// BenchmarkFinishVerify verifies a right code per iteration against one
// enrolled authenticator. A code verifies once, so each iteration moves
// the clock one step; the codes are made before the timer starts.
func BenchmarkFinishVerify(b *testing.B) {
	ctx := context.Background()
	clock := conformance.NewClock()
	st := factortest.NewStore(b, clock.Now)
	u := &store.User{ID: "alice", Username: "alice", CreatedAt: clock.Now()}
	if err := st.Users().Create(ctx, u); err != nil {
		b.Fatal(err)
	}
	f := newFactor(b, st, clock.Now)
	secret, _ := enroll(b, f, clock.Now, u)
	target := factor.Target{UserID: u.ID, FlowID: "flow-1"}
	answers := make([]factor.Answer, b.N)
	for i := range answers {
		answers[i] = factor.Answer{Response: []byte(codeAt(secret, clock.Now(), i+1))}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		clock.Advance(30 * time.Second)
		if _, err := f.FinishVerify(ctx, target, answers[i]); err != nil {
			b.Fatalf("iteration %d: %v", i, err)
		}
	}
}
