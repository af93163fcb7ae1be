package signals

// Velocity: how many events a key (a user, an address) had in the last
// minute, hour and day, counted in memory.
//
// The counters are per process. Behind a load balancer each replica counts
// the requests it served, so a rule reads its replica's share (about 1/n of
// the traffic with n replicas), and a restart starts from zero. Counter is
// the seam: a counter kept in a shared store could stand behind it later,
// and nothing that reads the counts would change.

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
	"time"
)

// Counts are the events of one key in the three windows.
type Counts struct {
	Minute int // in the last minute
	Hour   int // in the last hour
	Day    int // in the last 24 hours
}

// Counter counts events per key in sliding windows.
type Counter interface {
	// Add counts one event of key at t.
	Add(key string, t time.Time)
	// Counts returns key's events in the windows that end at now.
	Counts(key string, now time.Time) Counts
}

var _ Counter = (*Velocity)(nil)

// VelocityOptions configures a Velocity. A zero field takes its default.
type VelocityOptions struct {
	// MaxKeys bounds the keys kept (default 100,000, about 20 MB with
	// 36-byte keys). When it is reached, a new key replaces the least
	// recently added-to key (per shard; see Velocity).
	MaxKeys int
}

// DefaultVelocityMaxKeys is VelocityOptions.MaxKeys's default.
const DefaultVelocityMaxKeys = 100_000

// Velocity counts events per key in sliding windows of a minute, an hour
// and a day. It is safe for concurrent use.
//
// # Approximation
//
// Each window is a ring of fixed buckets aligned on the Unix epoch: 5
// seconds wide for the minute, 5 minutes for the hour, an hour for the
// day. A count sums the bucket now falls in and the 12 (minute, hour) or
// 24 (day) full buckets before it. So it includes every event of the
// window, and also the events of the part of the oldest bucket that lies
// just before the window: up to 5 seconds, 5 minutes or an hour more,
// depending on where now falls in its bucket. A count is never low, and
// high by at most one bucket's worth of events; a burst stays in the
// minute count for 60 to 65 seconds. Erring high makes a rule challenge a
// little longer, and never lets a burst slip under it at a bucket edge. A
// bucket holds at most 65,535 events and then stops counting, far beyond
// any rule's threshold.
//
// Events may arrive out of order (requests finish in any order): an event
// is counted in its own bucket as long as that bucket is still in the
// ring. Events older than the ring are dropped; they are outside every
// window anyway.
//
// # Memory
//
// A key costs about 200 bytes with a 36-byte key (a UUID). Keys live in
// 1 to 64 shards, each with its own lock and its own share of MaxKeys, so
// that cores do not wait on one another. A shard that is full drops its
// least recently added-to key for a new one, even while other shards have
// room, so a Velocity may keep a little fewer than MaxKeys keys. A key
// that has gone quiet holds only counts that are going to zero anyway,
// while one being added to keeps its counts. Eviction is least recently
// used within a shard, not over all keys; but a shard holds at least 256
// keys (when MaxKeys allows), so the key dropped is among the least
// recently used of all. Under a flood of new keys (an attacker rotating
// addresses), the keys with nothing added for the longest go first, and
// their counts are lost: use a Velocity per kind of key, so that cheap
// keys (addresses) never push out dear ones (users). Counts neither
// creates a key nor keeps one alive.
type Velocity struct {
	seed   maphash.Seed
	shards []velocityShard
}

type velocityShard struct {
	mu             sync.Mutex
	keys           map[string]*velocityEntry
	newest, oldest *velocityEntry // a list by time of the last Add
	max            int
	// A shard's lock is written by every operation on the shard: padding
	// keeps two shards' locks off one cache line.
	_ [64]byte
}

// The windows: each a ring of buckets of a width in seconds, of which a
// count sums the current one and the full ones before it. A ring has a
// power-of-two length, more than full, so that a bucket's place in it is
// a mask rather than a division; the divisions by the widths are by
// constants, which the compiler turns into multiplications.
const (
	minuteWidth, minuteFull = 5, 12
	hourWidth, hourFull     = 5 * 60, 12
	dayWidth, dayFull       = 60 * 60, 24
)

type velocityEntry struct {
	key          string
	newer, older *velocityEntry
	last         int64 // the latest second an event was counted at
	minute       [16]uint16
	hour         [16]uint16
	day          [32]uint16
}

// NewVelocity returns an empty Velocity.
func NewVelocity(opts VelocityOptions) *Velocity {
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = DefaultVelocityMaxKeys
	}
	n := 1
	for n < 64 && opts.MaxKeys/(2*n) >= 256 {
		n *= 2
	}
	v := &Velocity{seed: maphash.MakeSeed(), shards: make([]velocityShard, n)}
	for i := range v.shards {
		s := &v.shards[i]
		s.max = opts.MaxKeys / n
		if i < opts.MaxKeys%n {
			s.max++
		}
		s.keys = make(map[string]*velocityEntry)
	}
	return v
}

func (v *Velocity) shard(key string) *velocityShard {
	if len(v.shards) == 1 {
		return &v.shards[0]
	}
	return &v.shards[maphash.String(v.seed, key)&uint64(len(v.shards)-1)]
}

// Add counts one event of key at t.
func (v *Velocity) Add(key string, t time.Time) {
	sec := t.Unix()
	s := v.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.keys[key]
	if e == nil {
		e = s.insert(key, sec)
	} else {
		s.moveToFront(e)
	}
	e.add(sec)
}

// Counts returns key's events in the windows that end at now. It reads
// buckets as they are: when events later than now were added, those in
// now's own bucket count too.
func (v *Velocity) Counts(key string, now time.Time) Counts {
	sec := now.Unix()
	s := v.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.keys[key]
	if e == nil {
		return Counts{}
	}
	return e.counts(sec)
}

// Len returns how many keys are kept.
func (v *Velocity) Len() int {
	n := 0
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}

// insert adds key with no events, in a new entry or, when the shard is
// full, in the least recently added-to one, which it reuses.
func (s *velocityShard) insert(key string, sec int64) *velocityEntry {
	var e *velocityEntry
	if len(s.keys) >= s.max {
		e = s.oldest
		s.unlink(e)
		delete(s.keys, e.key)
		*e = velocityEntry{}
	} else {
		e = new(velocityEntry)
	}
	// A copy: the caller's key may share memory with a larger string (a
	// request line) that the map would otherwise keep alive.
	e.key = strings.Clone(key)
	e.last = sec
	s.keys[e.key] = e
	s.pushFront(e)
	return e
}

func (s *velocityShard) pushFront(e *velocityEntry) {
	e.older = s.newest
	if s.newest != nil {
		s.newest.newer = e
	}
	s.newest = e
	if s.oldest == nil {
		s.oldest = e
	}
}

func (s *velocityShard) unlink(e *velocityEntry) {
	if e.newer != nil {
		e.newer.older = e.older
	} else {
		s.newest = e.older
	}
	if e.older != nil {
		e.older.newer = e.newer
	} else {
		s.oldest = e.newer
	}
	e.newer, e.older = nil, nil
}

func (s *velocityShard) moveToFront(e *velocityEntry) {
	if s.newest != e {
		s.unlink(e)
		s.pushFront(e)
	}
}

// add counts an event at second sec in every window.
func (e *velocityEntry) add(sec int64) {
	last := e.last
	ringAdd(e.minute[:], bucketOf(last, minuteWidth), bucketOf(sec, minuteWidth))
	ringAdd(e.hour[:], bucketOf(last, hourWidth), bucketOf(sec, hourWidth))
	ringAdd(e.day[:], bucketOf(last, dayWidth), bucketOf(sec, dayWidth))
	e.last = max(last, sec)
}

func (e *velocityEntry) counts(now int64) Counts {
	last := e.last
	return Counts{
		Minute: ringSum(e.minute[:], bucketOf(last, minuteWidth), bucketOf(now, minuteWidth), minuteFull),
		Hour:   ringSum(e.hour[:], bucketOf(last, hourWidth), bucketOf(now, hourWidth), hourFull),
		Day:    ringSum(e.day[:], bucketOf(last, dayWidth), bucketOf(now, dayWidth), dayFull),
	}
}

// ringAdd counts an event in bucket b of a ring whose newest bucket is head:
// the ring holds the buckets from head-len(ring)+1 to head, each at its
// number modulo len(ring). A later bucket moves head forward and empties
// the buckets it passes, all of them after a gap longer than the ring.
func ringAdd(ring []uint16, head, b int64) {
	n := int64(len(ring))
	mask := n - 1
	switch {
	case b > head:
		if b-head >= n || b-head < 0 { // < 0: overflowed, times ages apart
			clear(ring)
		} else {
			for i := head + 1; i <= b; i++ {
				ring[i&mask] = 0
			}
		}
	case b <= head-n:
		return // older than the ring
	}
	if ring[b&mask] < math.MaxUint16 {
		ring[b&mask]++
	}
}

// ringSum adds up the buckets from c, now's bucket, back over full more, those
// of them that the ring holds.
func ringSum(ring []uint16, head, c, full int64) int {
	mask := int64(len(ring)) - 1
	total := 0
	for i := max(c-full, head-mask); i <= min(c, head); i++ {
		total += int(ring[i&mask])
	}
	return total
}

// bucketOf is the number of the bucket of width seconds that second sec
// falls in. It divides rounding towards minus infinity, so that a time
// before 1970 falls in the right bucket too.
func bucketOf(sec, width int64) int64 {
	q := sec / width
	if sec%width != 0 && sec < 0 {
		q--
	}
	return q
}
