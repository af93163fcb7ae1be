package signals

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// The product's target is 10,000 decisions a second, each an Add and a
// Counts on a few counters: velocity must stay far below a millisecond.

func BenchmarkVelocityHotKey(b *testing.B) {
	v := NewVelocity(VelocityOptions{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A millisecond apart: buckets fill and roll as in real traffic.
		now := velocityStart.Add(time.Duration(i) * time.Millisecond)
		v.Add("alice", now)
		v.Counts("alice", now)
		i++
	}
}

func benchmarkKeys(b *testing.B, maxKeys, keys int) {
	v := NewVelocity(VelocityOptions{MaxKeys: maxKeys})
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("user-%08d", i)
		v.Add(names[i], velocityStart)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := velocityStart.Add(time.Duration(i) * time.Millisecond)
		k := names[i%keys]
		v.Add(k, now)
		v.Counts(k, now)
		i++
	}
}

// Every key kept (MaxKeys leaves room in every shard): the map and the
// rings are much larger than the caches.
func BenchmarkVelocity100kKeys(b *testing.B) { benchmarkKeys(b, 200_000, 100_000) }

// Ten times more keys than kept: every Add evicts one.
func BenchmarkVelocity100kKeysEvicting(b *testing.B) { benchmarkKeys(b, 10_000, 100_000) }

func BenchmarkVelocityParallel(b *testing.B) {
	const keys = 100_000
	v := NewVelocity(VelocityOptions{MaxKeys: keys})
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("user-%08d", i)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 7919
		for pb.Next() {
			now := velocityStart.Add(time.Duration(i) * time.Millisecond)
			k := names[i%keys]
			v.Add(k, now)
			v.Counts(k, now)
			i++
		}
	})
}

// One decision's worth: a request counted and the signal read.
func BenchmarkVelocityCountersDecision(b *testing.B) {
	c := newVelocityCounters()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := velocityStart.Add(time.Duration(i) * time.Millisecond)
		c.Request("alice", "192.0.2.1", now)
		c.Signal("alice", "192.0.2.1", now)
		i++
	}
}
