package device

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/push"
)

// seen remembers the requests accepted lately, by the SHA-256 of what
// their signature covers, so that one replayed within its timestamp's
// validity is refused. Keyed by the message, not the signature: ECDSA
// signatures are malleable, and a second valid signature of the same
// request must not pass for a new one.
//
// It is bounded: when full of requests still in their window it refuses
// new ones rather than forget old ones, which would let those be
// replayed. Only requests whose signature verified are remembered, so
// only enrolled devices can fill it.
type seen struct {
	mu   sync.Mutex
	keys map[[sha256.Size]byte]struct{}
	// queue holds the keys in the order they were added, with the time
	// each may be forgotten; that time only grows along the queue.
	queue []seenEntry
	head  int
	cap   int
	keep  time.Duration
}

// replayWindow is how long an accepted request is remembered. A request
// stamped ts is taken while now is within push.MaxSkew of ts, so it can
// come back up to 2*MaxSkew after it was first taken, and at that very
// second too: Skewed works in whole seconds.
const replayWindow = 2*push.MaxSkew + time.Second

type seenEntry struct {
	key    [sha256.Size]byte
	forget time.Time
}

func newSeen(capacity int, keep time.Duration) *seen {
	return &seen{keys: map[[sha256.Size]byte]struct{}{}, cap: capacity, keep: keep}
}

// add records msg at now. It returns false, false for a message seen
// before, and false, true when the set is full.
func (s *seen) add(msg []byte, now time.Time) (fresh, full bool) {
	key := sha256.Sum256(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.head < len(s.queue) && !now.Before(s.queue[s.head].forget) {
		delete(s.keys, s.queue[s.head].key)
		s.head++
	}
	if s.head > len(s.queue)/2 {
		// Compact, so the queue's array does not grow without end.
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
	if _, ok := s.keys[key]; ok {
		return false, false
	}
	if len(s.keys) >= s.cap {
		return false, true
	}
	s.keys[key] = struct{}{}
	forget := now.Add(s.keep)
	if n := len(s.queue); n > s.head && forget.Before(s.queue[n-1].forget) {
		forget = s.queue[n-1].forget // a clock set back: keep the order
	}
	s.queue = append(s.queue, seenEntry{key, forget})
	return true, false
}
