package stepup_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup"
)

// BenchmarkTrack is one tracked action in process: the decision, over the
// payment rules and every signal, and its durable record.
func BenchmarkTrack(b *testing.B) {
	env := newRiskEnv(b)
	clock := now
	tr, err := stepup.NewTracker(stepup.TrackerOptions{
		Engine: env.engine, Actions: env.st.Actions(), Users: env.st.Users(), Key: make([]byte, 32),
		Now: func() time.Time { return clock },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, err := tr.Track(ctx, stepup.Track{
				UserID: "alice", Action: "payment", IdempotencyKey: "k" + strconv.Itoa(i),
				Origin: stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop}, Custom: map[string]any{"amount": i % 2000},
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
