package rules

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// The product target is a whole decision under 100 µs at p99, in process;
// the rules are one part of it. These benchmarks evaluate the 20 rules of
// testdata/payment.yaml, which read every section of the input.

func benchInputs() map[string]*Input {
	challenge := paymentInput()
	challenge.Action.Custom["amount"] = 1500
	challenge.Device.New, challenge.Device.FirstSeen, challenge.Device.Count = true, now, 4
	return map[string]*Input{
		"allow":     paymentInput(), // no rule matches
		"challenge": challenge,      // four rules match
	}
}

func BenchmarkEvaluate(b *testing.B) {
	rs := paymentRules(b)
	ctx := context.Background()
	for _, name := range []string{"allow", "challenge"} {
		in := benchInputs()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs.Evaluate(ctx, in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20, "ns/rule")
		})
	}
}

// BenchmarkEvaluateLatency times each evaluation on its own and reports
// the median and the tail, which the mean of BenchmarkEvaluate hides.
func BenchmarkEvaluateLatency(b *testing.B) {
	rs := paymentRules(b)
	ctx := context.Background()
	in := benchInputs()["challenge"]
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		rs.Evaluate(ctx, in)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
	b.ReportMetric(at(0.999), "p99.9-ns")
}

func BenchmarkValues(b *testing.B) {
	rs := paymentRules(b)
	in := benchInputs()["challenge"]
	matched := rs.Evaluate(context.Background(), in).Matched
	b.ReportAllocs()
	for b.Loop() {
		rs.Values(in, matched)
	}
}

func BenchmarkCompile(b *testing.B) {
	doc, err := os.ReadFile("testdata/payment.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(doc); err != nil {
			b.Fatal(err)
		}
	}
}
