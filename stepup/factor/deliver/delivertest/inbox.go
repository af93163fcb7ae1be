package delivertest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// inbox keeps what a stand-in received, in order, and wakes waiters at
// each arrival.
type inbox[T any] struct {
	mu      sync.Mutex
	items   []T
	arrived chan struct{} // closed and replaced at each arrival
}

func newInbox[T any]() *inbox[T] { return &inbox[T]{arrived: make(chan struct{})} }

func (b *inbox[T]) add(x T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, x)
	close(b.arrived)
	b.arrived = make(chan struct{})
}

func (b *inbox[T]) all() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]T(nil), b.items...)
}

// wait returns the n-th item (from 1) that match takes, waiting for it
// at most 10 s; what names the item in the failure.
func (b *inbox[T]) wait(t testing.TB, match func(T) bool, n int, what string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		b.mu.Lock()
		seen := 0
		for _, x := range b.items {
			if match(x) {
				if seen++; seen == n {
					b.mu.Unlock()
					return x
				}
			}
		}
		arrived, total := b.arrived, len(b.items)
		b.mu.Unlock()
		select {
		case <-arrived:
		case <-ctx.Done():
			t.Fatalf("delivertest: no %s %d within 10 s (%d received in all)", what, n, total)
		}
	}
}
