package push

import "sync"

// hub wakes the long polls of a user's devices in this process when a
// push is created for them. Its zero value is ready.
type hub struct {
	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{}
}

// subscribe returns a channel that receives when wake is called for
// userID, and the function that ends the subscription. The channel holds
// one wake-up: a poller busy reading the store misses none.
func (h *hub) subscribe(userID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waiters == nil {
		h.waiters = map[string]map[chan struct{}]struct{}{}
	}
	if h.waiters[userID] == nil {
		h.waiters[userID] = map[chan struct{}]struct{}{}
	}
	h.waiters[userID][ch] = struct{}{}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(h.waiters[userID], ch)
			if len(h.waiters[userID]) == 0 {
				delete(h.waiters, userID)
			}
		})
	}
}

// wake tells every subscriber of userID, without waiting for any.
func (h *hub) wake(userID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters[userID] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already waiting
		}
	}
}
