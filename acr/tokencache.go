package acr

import (
	"sync"
	"time"
)

// cacheShards splits the verified-token cache so concurrent requests
// rarely wait on one lock. A power of two: the shard is a byte of the hash.
const cacheShards = 16

// tokenCache holds the claims of verified tokens by the SHA-256 of the raw
// token, each until a time no later than its exp. It is bounded: a full shard first drops its
// expired entries, and if none were, an arbitrary eighth of its entries (Go
// maps iterate from a random point), so a flood of distinct valid tokens
// costs a sweep only every few inserts.
type tokenCache struct {
	shards   [cacheShards]cacheShard
	perShard int
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[[32]byte]cacheEntry
}

// cacheEntry is a token's claims and when they stop being answered.
type cacheEntry struct {
	claims *Claims
	until  time.Time
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[32]byte]cacheEntry)
	}
	return c
}

// get returns the claims cached for the token of hash sum, if they are
// there and their entry has not expired at now. No leeway applies: the cache
// never accepts what Verify would not.
func (c *tokenCache) get(sum [32]byte, now time.Time) *Claims {
	s := &c.shards[sum[0]%cacheShards]
	s.mu.RLock()
	e, ok := s.entries[sum]
	s.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil
	}
	return e.claims
}

// put caches the claims of a token verified at now until until, or its exp
// if that is sooner, unless that has passed already (the token is in its
// leeway): such a token is checked again each time.
func (c *tokenCache) put(sum [32]byte, cl *Claims, until, now time.Time) {
	if cl.Expiry.Before(until) {
		until = cl.Expiry
	}
	if !now.Before(until) {
		return
	}
	s := &c.shards[sum[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[sum]; !ok && len(s.entries) >= c.perShard {
		s.evict(now, max(1, c.perShard/8))
	}
	s.entries[sum] = cacheEntry{claims: cl, until: until}
}

// evict drops the expired entries, or else n arbitrary ones.
func (s *cacheShard) evict(now time.Time, n int) {
	before := len(s.entries)
	for k, e := range s.entries {
		if !now.Before(e.until) {
			delete(s.entries, k)
		}
	}
	if len(s.entries) < before {
		return
	}
	for k := range s.entries {
		if n == 0 {
			return
		}
		delete(s.entries, k)
		n--
	}
}

// len is the number of entries, expired or not.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
