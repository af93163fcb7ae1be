package memdb

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"golang.org/x/sys/unix"
)

// BenchmarkFsync is the floor under every durable write on this disk: one
// 2 KB write and fdatasync. "append" grows the file, as the journal did;
// "reserved" overwrites zeros written ahead, as it does now
// (journal.reserve): no metadata changes, so the sync flushes data only.
// cpu/op is the process's CPU time per sync, user and system.
func BenchmarkFsync(b *testing.B) {
	for _, reserved := range []bool{false, true} {
		name := map[bool]string{false: "append", true: "reserved"}[reserved]
		b.Run(name, func(b *testing.B) {
			f, err := os.Create(b.TempDir() + "/f")
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 2048)
			var off, end int64
			cpu0 := cpuTime()
			for b.Loop() {
				if reserved && off+int64(len(buf)) > end {
					f.WriteAt(zeroChunk, end)
					end += reserveChunk
				}
				f.WriteAt(buf, off)
				off += int64(len(buf))
				if err := unix.Fdatasync(int(f.Fd())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDurableWrite measures acknowledged writes: each operation is a
// user Create that returns once its journal record is synced.
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
			// RunParallel starts parallelism × GOMAXPROCS goroutines.
			b.SetParallelism(max(1, writers/runtimeProcs()))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					u := &store.User{ID: fmt.Sprint(n.Add(1))}
					if err := s.Users().Create(ctx, u); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

// BenchmarkGet measures a point read by primary key, copy included.
func BenchmarkGet(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range 1000 {
		u := &store.User{ID: fmt.Sprintf("user-%04d", i), Username: fmt.Sprintf("name-%d", i), Email: fmt.Sprintf("u%d@example.com", i)}
		if err := s.Users().Create(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("by-id", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Users().Get(ctx, fmt.Sprintf("user-%04d", i%1000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("by-username", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Users().GetByUsername(ctx, "name-500"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen measures start-up with a journal of one million records,
// one transaction each, written in the store's own format.
func BenchmarkOpen(b *testing.B) {
	const records = 1_000_000
	dir := b.TempDir()
	writeJournal(b, dir, records)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		s, err := Open(Options{Dir: dir, SweepInterval: -1, SnapshotEvery: 10 * records})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/open")
		if n, _ := s.Users().List(context.Background(), store.Page{After: "u0999998"}); len(n) != 1 {
			b.Fatalf("last record missing after replay: %v", n)
		}
		s.Close()
	}
}

// writeJournal writes n user-creating transactions straight into segment
// 1, in the store's own format, but with no sync per transaction.
func writeJournal(b *testing.B, dir string, n int) {
	f, err := os.Create(segmentPath(dir, 1))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	header, salt := newSegmentHeader()
	w.Write(header)
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	var frame []byte
	for i := range n {
		u := &store.User{
			ID: fmt.Sprintf("u%07d", i), Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i),
			DisplayName: "A User", CreatedAt: created, UpdatedAt: created, Version: 1,
		}
		rec, err := encMode.Marshal(u)
		if err != nil {
			b.Fatal(err)
		}
		txn, err := encMode.Marshal([]change{{Table: tableUsers, Record: rec}})
		if err != nil {
			b.Fatal(err)
		}
		// One transaction a batch: the most frames a journal can hold.
		frame = appendFrame(frame[:0], salt, binary.AppendUvarint(nil, uint64(len(txn))))
		frame = append(frame, txn...)
		sealFrame(frame, 0, salt)
		w.Write(frame)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkAuthRequestCreate measures the store's hottest write, an
// authorization request as /authorize stores it, into a table already
// holding 20,000 (a few seconds of a busy server's requests), from 64
// writers so that group commit shares the syncs and the figure is the
// write's CPU cost.
func BenchmarkAuthRequestCreate(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	newRequest := func(i int64) *store.AuthRequest {
		return &store.AuthRequest{
			ID: fmt.Sprintf("%022x", uint64(i)*0x9e3779b97f4a7c15), ClientID: "app", RedirectURI: "https://app.example.com/callback",
			ResponseType: "code", Scopes: []string{"openid", "profile"}, State: "state-0123456789abcdef",
			Nonce: "nonce-0123456789abcdef", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
			CodeChallengeMethod: "S256", Binding: "Wl1ERd3mIa0-h9DfvFxdhgG0iFgMBfO6Ie1gqg_7kN0",
			CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
		}
	}
	var n atomic.Int64
	for range 20_000 {
		if err := s.AuthRequests().Create(ctx, newRequest(n.Add(1))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.AuthRequests().Create(ctx, newRequest(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
