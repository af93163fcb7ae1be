package memdb

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// BenchmarkDurableWrite measures acknowledged, synced writes: each
// operation is one AuditEvent append that returns only once on disk.
func BenchmarkDurableWrite(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := Open(Options{Dir: b.TempDir(), SweepInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.SetParallelism(max(1, writers/b.N))
			b.SetParallelism(writers) // goroutines = writers × GOMAXPROCS; normalised below
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := n.Add(1)
					if err := s.Users().Create(ctx, &store.User{ID: fmt.Sprint(id)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}
