package ec2fleet

import (
	"sync"
	"time"

	"github.com/tanda-batch/tanda/provisioner"
)

// TokenTTL is how long the fleet remembers what a client token launched:
// two token windows, so a request repeated just across a window boundary
// is still recognised.
const TokenTTL = 2 * provisioner.TokenWindow

// tokenCache remembers the instances each client token launched, for
// endpoints that do not deduplicate CreateFleet calls themselves.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]tokenEntry
}

type tokenEntry struct {
	instances []provisioner.Instance
	expires   time.Time
}

// get returns what token launched, if it is remembered at now.
func (c *tokenCache) get(token string, now time.Time) ([]provisioner.Instance, bool) {
	if token == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[token]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.instances, true
}

// put remembers what token launched and forgets expired tokens.
func (c *tokenCache) put(token string, launched []provisioner.Instance, now time.Time) {
	if token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[token] = tokenEntry{instances: launched, expires: now.Add(TokenTTL)}
}
