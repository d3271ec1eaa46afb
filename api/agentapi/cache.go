package agentapi

import (
	"sync"
	"time"
)

// ttlCache keeps values until a time each. Its zero value is empty and
// ready; it is safe for concurrent use.
type ttlCache[V any] struct {
	mu sync.Mutex
	m  map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v     V
	until time.Time
}

// maxCached bounds a cache; past it, expired entries are dropped, and if
// that is not enough, all of them.
const maxCached = 4096

// get is the value of key while it is kept at now.
func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps v under key until until.
func (c *ttlCache[V]) put(key string, v V, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]ttlEntry[V]{}
	}
	if len(c.m) >= maxCached {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m)
		}
	}
	c.m[key] = ttlEntry[V]{v: v, until: until}
}
