package stepup_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
)

// BenchmarkDecide is one whole decision of the engine, in process: the
// 20 rules of the rules package's realistic payment set, which read every
// section of the input, over every signal (the user and their factors
// from the store, the device and the previous sighting, geo from three
// MaxMind files, lists, travel, velocity). The target is a p99 under
// 100 µs.
func BenchmarkDecide(b *testing.B) {
	env := newRiskEnv(b)
	spec, err := os.ReadFile("rules/testdata/payment.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.book.Publish(context.Background(), spec, 1, "bench", "the 20 rules"); err != nil {
		b.Fatal(err)
	}
	r := stepup.Request{
		ClientID: "bank", UserID: "alice", Attempt: true, Custom: map[string]any{"amount": 1500, "currency": "EUR", "payee_new": false},
		Verifications: []acr.Verification{{Method: acr.Password, At: now.Add(-time.Minute)}},
		Origin:        stepup.Origin{IP: london, UserAgent: browser, DeviceID: env.laptop},
	}
	ctx := context.Background()
	if d, err := env.engine.Decide(ctx, r); err != nil || d.Rules == nil || d.Rules.Version != 2 || len(d.Rules.Result.Errors) != 0 {
		b.Fatalf("the decision: %+v, %v", d.Rules, err)
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := env.engine.Decide(ctx, r); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}
