package acr

import (
	"sync"
	"time"
)

// cacheShards splits the verified-token cache so concurrent requests
// rarely wait on one lock. A power of two: the shard is a byte of the hash.
const cacheShards = 16

// tokenCache holds the claims of verified tokens by the SHA-256 of the raw
// token, each until its exp. It is bounded: a full shard first drops its
// expired entries, and if none were, an arbitrary eighth of its entries (Go
// maps iterate from a random point), so a flood of distinct valid tokens
// costs a sweep only every few inserts.
type tokenCache struct {
	shards   [cacheShards]cacheShard
	perShard int
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[[32]byte]*Claims
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[32]byte]*Claims)
	}
	return c
}

// get returns the claims cached for the token of hash sum, if they are
// there and the token has not expired at now. No leeway applies: the cache
// never accepts what Verify would not.
func (c *tokenCache) get(sum [32]byte, now time.Time) *Claims {
	s := &c.shards[sum[0]%cacheShards]
	s.mu.RLock()
	cl := s.entries[sum]
	s.mu.RUnlock()
	if cl == nil || !now.Before(cl.Expiry) {
		return nil
	}
	return cl
}

// put caches the claims of a token verified at now, unless it has expired
// already (it is in its leeway): such a token is checked again each time.
func (c *tokenCache) put(sum [32]byte, cl *Claims, now time.Time) {
	if !now.Before(cl.Expiry) {
		return
	}
	s := &c.shards[sum[0]%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[sum]; !ok && len(s.entries) >= c.perShard {
		s.evict(now, max(1, c.perShard/8))
	}
	s.entries[sum] = cl
}

// evict drops the expired entries, or else n arbitrary ones.
func (s *cacheShard) evict(now time.Time, n int) {
	before := len(s.entries)
	for k, cl := range s.entries {
		if !now.Before(cl.Expiry) {
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
