package signals

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// velocityStart is on a bucket edge of every window, so that the tests can say
// exactly when an event leaves a count.
var velocityStart = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestVelocityCountsEachWindow(t *testing.T) {
	v := NewVelocity(VelocityOptions{})
	v.Add("alice", velocityStart)
	// An event at the start of a bucket stays in a window for the window
	// and one bucket more, less a second.
	for _, tc := range []struct {
		after time.Duration
		want  Counts
	}{
		{0, Counts{1, 1, 1}},
		{59 * time.Second, Counts{1, 1, 1}},
		{64 * time.Second, Counts{1, 1, 1}},
		{65 * time.Second, Counts{0, 1, 1}},
		{59 * time.Minute, Counts{0, 1, 1}},
		{64*time.Minute + 59*time.Second, Counts{0, 1, 1}},
		{65 * time.Minute, Counts{0, 0, 1}},
		{24*time.Hour + 59*time.Minute, Counts{0, 0, 1}},
		{25 * time.Hour, Counts{0, 0, 0}},
		{400 * 24 * time.Hour, Counts{0, 0, 0}},
	} {
		if got := v.Counts("alice", velocityStart.Add(tc.after)); got != tc.want {
			t.Errorf("%v after the event: %+v, want %+v", tc.after, got, tc.want)
		}
	}
	if got := v.Counts("bob", velocityStart); got != (Counts{}) {
		t.Errorf("a key never added: %+v", got)
	}
	if v.Len() != 1 {
		t.Errorf("Len = %d after reading a key never added, want 1", v.Len())
	}
}

func TestVelocityRollsOff(t *testing.T) {
	v := NewVelocity(VelocityOptions{})
	at := func(d time.Duration) time.Time { return velocityStart.Add(d) }
	for range 5 {
		v.Add("k", at(0))
	}
	v.Add("k", at(60*time.Second)) // twelve buckets on: the first still counts
	if got, want := v.Counts("k", at(60*time.Second)), (Counts{6, 6, 6}); got != want {
		t.Fatalf("a minute on: %+v, want %+v", got, want)
	}
	v.Add("k", at(65*time.Second)) // thirteen on: the first no longer does
	if got, want := v.Counts("k", at(65*time.Second)), (Counts{2, 7, 7}); got != want {
		t.Fatalf("65 seconds on: %+v, want %+v", got, want)
	}
	v.Add("k", at(80*time.Second)) // sixteen on: its bucket takes the first one's place in the ring
	if got, want := v.Counts("k", at(80*time.Second)), (Counts{3, 8, 8}); got != want {
		t.Fatalf("80 seconds on: %+v, want %+v", got, want)
	}
	// A gap longer than the minute's ring and the hour's, not the day's.
	v.Add("k", at(2*time.Hour))
	if got, want := v.Counts("k", at(2*time.Hour)), (Counts{1, 1, 9}); got != want {
		t.Fatalf("two hours on: %+v, want %+v", got, want)
	}
	// A gap longer than every ring.
	v.Add("k", at(30*24*time.Hour))
	if got, want := v.Counts("k", at(30*24*time.Hour)), (Counts{1, 1, 1}); got != want {
		t.Fatalf("thirty days on: %+v, want %+v", got, want)
	}
}

func TestVelocityTakesEventsOutOfOrder(t *testing.T) {
	v := NewVelocity(VelocityOptions{})
	now := velocityStart.Add(2 * time.Hour)
	v.Add("k", now)
	v.Add("k", now.Add(-30*time.Second))
	v.Add("k", now.Add(-30*time.Minute))
	v.Add("k", now.Add(-2*time.Hour))
	v.Add("k", now.Add(-30*time.Hour)) // older than the day
	v.Add("k", now.Add(-40*time.Hour)) // older than every ring
	if got, want := v.Counts("k", now), (Counts{2, 3, 4}); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

// TestVelocityIsNeverLow checks the documented bounds against exact
// counting: every event of the window is counted, and none older than the
// window and one bucket.
func TestVelocityIsNeverLow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		v := NewVelocity(VelocityOptions{})
		start := velocityStart.Add(time.Duration(r.IntN(3600)) * time.Second)
		if round%2 == 1 {
			start = time.Unix(-int64(r.IntN(86400)), 0) // buckets across 1970
		}
		var events []time.Time
		now := start
		for range 300 {
			// Gaps from a second to a day, mostly short.
			gap := time.Duration(math.Exp(r.Float64()*math.Log(86400))) * time.Second
			now = now.Add(gap)
			// Some events arrive late, as concurrent requests do.
			at := now.Add(-time.Duration(r.IntN(20)) * time.Second)
			events = append(events, at)
			v.Add("k", at)

			got := v.Counts("k", now)
			for _, w := range []struct {
				name   string
				got    int
				window time.Duration
				bucket time.Duration
			}{
				{"minute", got.Minute, time.Minute, 5 * time.Second},
				{"hour", got.Hour, time.Hour, 5 * time.Minute},
				{"day", got.Day, 24 * time.Hour, time.Hour},
			} {
				low, high := 0, 0
				for _, e := range events {
					if now.Sub(e) < w.window {
						low++
					}
					if now.Sub(e) < w.window+w.bucket {
						high++
					}
				}
				if w.got < low || w.got > high {
					t.Fatalf("round %d, event %d: %s count %d, exactly %d in the window and %d within a bucket more",
						round, len(events), w.name, w.got, low, high)
				}
			}
		}
	}
}

func TestVelocityBucketsSaturate(t *testing.T) {
	v := NewVelocity(VelocityOptions{})
	for range math.MaxUint16 + 10 {
		v.Add("k", velocityStart)
	}
	if got, want := v.Counts("k", velocityStart), (Counts{math.MaxUint16, math.MaxUint16, math.MaxUint16}); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestVelocityEvictsTheLeastRecentlyAddedTo(t *testing.T) {
	v := NewVelocity(VelocityOptions{MaxKeys: 3})
	v.Add("a", velocityStart)
	v.Add("b", velocityStart)
	v.Add("c", velocityStart)
	v.Add("a", velocityStart)
	v.Counts("b", velocityStart) // reading keeps no key
	v.Add("d", velocityStart)
	want := map[string]int{"a": 2, "b": 0, "c": 1, "d": 1}
	for k, n := range want {
		if got := v.Counts(k, velocityStart).Minute; got != n {
			t.Errorf("%s: %d, want %d", k, got, n)
		}
	}
	v.Add("e", velocityStart) // c is now the least recently added to
	if got := v.Counts("c", velocityStart).Minute; got != 0 {
		t.Errorf("c: %d after e came, want 0", got)
	}
	// An evicted key that comes back starts from nothing.
	v.Add("b", velocityStart)
	if got := v.Counts("b", velocityStart).Minute; got != 1 {
		t.Errorf("b back: %d, want 1", got)
	}
	if v.Len() != 3 {
		t.Errorf("Len = %d, want 3", v.Len())
	}
}

func TestVelocityMemoryIsBounded(t *testing.T) {
	const maxKeys = 10_000
	v := NewVelocity(VelocityOptions{MaxKeys: maxKeys})
	if len(v.shards) < 2 {
		t.Fatalf("%d shards for %d keys: the test wants several", len(v.shards), maxKeys)
	}
	keys := make([]string, 10*maxKeys)
	for i := range keys {
		keys[i] = fmt.Sprint("key-", i)
		v.Add(keys[i], velocityStart)
	}
	if n := v.Len(); n != maxKeys {
		t.Fatalf("Len = %d, want %d", n, maxKeys)
	}
	// Each shard keeps its own most recent keys, hundreds of them, so the
	// last thousand of all are all still there.
	for _, k := range keys[len(keys)-1000:] {
		if v.Counts(k, velocityStart).Minute != 1 {
			t.Fatalf("%s, among the last thousand added, was evicted", k)
		}
	}
}

func TestVelocityShardsShareMaxKeys(t *testing.T) {
	for _, maxKeys := range []int{1, 255, 511, 512, 1000, 100_000, 1_000_003} {
		v := NewVelocity(VelocityOptions{MaxKeys: maxKeys})
		total := 0
		for i := range v.shards {
			total += v.shards[i].max
			if v.shards[i].max < min(256, maxKeys) {
				t.Errorf("MaxKeys %d: shard %d holds %d keys", maxKeys, i, v.shards[i].max)
			}
		}
		if total != maxKeys || len(v.shards) > 64 {
			t.Errorf("MaxKeys %d: %d shards hold %d keys", maxKeys, len(v.shards), total)
		}
	}
}

func TestVelocityConcurrentAdds(t *testing.T) {
	v := NewVelocity(VelocityOptions{MaxKeys: 1000})
	const goroutines, adds = 8, 2000
	keys := []string{"alice", "bob", "carol", "dave"}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range adds {
				k := keys[(g+i)%len(keys)]
				v.Add(k, velocityStart.Add(time.Duration(i%50)*time.Millisecond))
				v.Counts(k, velocityStart)
			}
		})
	}
	wg.Wait()
	var counts []int
	for _, k := range keys {
		counts = append(counts, v.Counts(k, velocityStart).Minute)
	}
	want := goroutines * adds / len(keys)
	if slices.ContainsFunc(counts, func(n int) bool { return n != want }) {
		t.Fatalf("counts %v, want %d each", counts, want)
	}
}
