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
// only enrolled devices can fill it, and each device only its share
// (perDevice): one device sending as fast as it can is refused on its
// own, not the server's other devices with it.
type seen struct {
	mu   sync.Mutex
	keys map[[sha256.Size]byte]struct{}
	// count is how many requests of each device are remembered.
	count     map[string]int
	perDevice int
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
	device string
	forget time.Time
}

func newSeen(capacity, perDevice int, keep time.Duration) *seen {
	return &seen{keys: map[[sha256.Size]byte]struct{}{}, count: map[string]int{}, cap: capacity, perDevice: perDevice, keep: keep}
}

// The outcomes of seen.add.
type seenResult int

const (
	seenFresh      seenResult = iota // new, and now remembered
	seenReplay                       // seen before
	seenDeviceFull                   // the device has its share remembered already
	seenFull                         // the memory is full
)

// add records msg of device at now.
func (s *seen) add(device string, msg []byte, now time.Time) seenResult {
	key := sha256.Sum256(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.head < len(s.queue) && !now.Before(s.queue[s.head].forget) {
		e := s.queue[s.head]
		delete(s.keys, e.key)
		if s.count[e.device]--; s.count[e.device] <= 0 {
			delete(s.count, e.device)
		}
		s.queue[s.head] = seenEntry{}
		s.head++
	}
	if s.head > len(s.queue)/2 {
		// Compact, so the queue's array does not grow without end.
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
	if _, ok := s.keys[key]; ok {
		return seenReplay
	}
	if s.count[device] >= s.perDevice {
		return seenDeviceFull
	}
	if len(s.keys) >= s.cap {
		return seenFull
	}
	s.keys[key] = struct{}{}
	s.count[device]++
	forget := now.Add(s.keep)
	if n := len(s.queue); n > s.head && forget.Before(s.queue[n-1].forget) {
		forget = s.queue[n-1].forget // a clock set back: keep the order
	}
	s.queue = append(s.queue, seenEntry{key, device, forget})
	return seenFresh
}
