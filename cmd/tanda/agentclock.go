package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// testClock is the agent's clock for tests of a skewed instance clock:
// the system clock plus an offset (a Go duration such as "-5m") read from
// a file, re-read at most every offsetReread, so a test can change it
// while the agent runs, as an NTP step would. An absent or empty file is
// no offset; one that does not parse keeps the last offset.
type testClock struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	offset time.Duration
	read   time.Time // when the file was last read (by now)
}

// offsetReread bounds how stale the offset of a testClock may be.
const offsetReread = 100 * time.Millisecond

// Now is the system time plus the file's offset.
func (c *testClock) Now() time.Time {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.read) >= offsetReread || now.Before(c.read) {
		c.read = now
		data, err := os.ReadFile(c.path)
		switch {
		case errors.Is(err, os.ErrNotExist), err == nil && strings.TrimSpace(string(data)) == "":
			c.offset = 0
		case err == nil:
			if d, perr := time.ParseDuration(strings.TrimSpace(string(data))); perr == nil {
				c.offset = d
			}
		}
	}
	return now.Add(c.offset)
}

// agentClock is the agent's clock: the system clock, or with
// --clock-offset-file a testClock. The offset is for tests only: it is
// refused unless the instance metadata service and the stack's AWS
// endpoint are both on this machine's loopback, as when a test harness
// plays instances on moto or LocalStack. On EC2 the IMDS is at
// 169.254.169.254 and the AWS APIs are remote, so a production agent
// cannot be started with a skewed clock by mistake.
func agentClock(offsetFile, imdsEndpoint, awsEndpoint string) (batch.Clock, error) {
	if offsetFile == "" {
		return batch.SystemClock{}, nil
	}
	for _, e := range []struct{ what, url string }{{"the instance metadata service", imdsEndpoint}, {"the stack's AWS endpoint", awsEndpoint}} {
		if !loopbackURL(e.url) {
			return nil, fmt.Errorf("--clock-offset-file is for tests on one machine: %s (%q) must be on the loopback interface", e.what, e.url)
		}
	}
	return &testClock{path: offsetFile, now: time.Now}, nil
}

// loopbackURL tells whether u names a loopback address (127.0.0.0/8,
// ::1, or localhost).
func loopbackURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return false
	}
	host := parsed.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
