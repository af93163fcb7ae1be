package recovery_test

import (
	"context"
	"testing"

	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
)

// BenchmarkFinishVerify verifies one right code per iteration. A list
// holds ten single-use codes, so every tenth iteration generates a new
// one with the timer stopped; the lists go from ten codes to one.
func BenchmarkFinishVerify(b *testing.B) {
	ctx := context.Background()
	clock := conformance.NewClock()
	st := factortest.NewStore(b, clock.Now)
	u := &store.User{ID: "alice", Username: "alice", CreatedAt: clock.Now()}
	if err := st.Users().Create(ctx, u); err != nil {
		b.Fatal(err)
	}
	f, err := recovery.New(recovery.Options{Authenticators: st.Authenticators(), Key: testKey, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	target := factor.Target{UserID: u.ID, FlowID: "flow-1"}
	var codes []string
	b.ReportAllocs()
	for b.Loop() {
		if len(codes) == 0 {
			b.StopTimer()
			if codes, err = f.Generate(ctx, u.ID); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if _, err := f.FinishVerify(ctx, target, factor.Answer{Response: []byte(codes[0])}); err != nil {
			b.Fatal(err)
		}
		codes = codes[1:]
	}
}
