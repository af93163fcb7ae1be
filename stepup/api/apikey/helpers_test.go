package apikey_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
)

// keyStore is store.APIKeys in a map, counting reads and writes, so that
// tests see what reaches the store. It ignores expiry, as a store that
// has not swept yet would: the Authenticator must check it itself.
type keyStore struct {
	mu      sync.Mutex
	keys    map[string]*store.APIKey
	gets    int
	updates int
}

var _ store.APIKeys = (*keyStore)(nil)

func newKeyStore() *keyStore { return &keyStore{keys: map[string]*store.APIKey{}} }

func (s *keyStore) Create(_ context.Context, k *store.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return store.ErrConflict
	}
	k.Version = 1
	s.keys[k.ID] = k.Clone()
	return nil
}

func (s *keyStore) Get(_ context.Context, id string) (*store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	k, ok := s.keys[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return k.Clone(), nil
}

func (s *keyStore) Update(_ context.Context, k *store.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates++
	old, ok := s.keys[k.ID]
	if !ok {
		return store.ErrNotFound
	}
	if old.Version != k.Version {
		return store.ErrConflict
	}
	k.Version++
	s.keys[k.ID] = k.Clone()
	return nil
}

func (s *keyStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.keys, id)
	return nil
}

func (s *keyStore) List(_ context.Context, p store.Page) ([]*store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.keys))
	for id := range s.keys {
		if id > p.After {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*store.APIKey
	for _, id := range ids[:min(len(ids), p.PageLimit())] {
		out = append(out, s.keys[id].Clone())
	}
	return out, nil
}

func (s *keyStore) counts() (gets, updates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, s.updates
}

func (s *keyStore) get(t *testing.T, id string) *store.APIKey {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok {
		t.Fatalf("no key %s in the store", id)
	}
	return k.Clone()
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
