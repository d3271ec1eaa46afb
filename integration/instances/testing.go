//go:build unix

package instances

import (
	"context"
	"os"
	"testing"
)

// logTail is how much of each agent's log Run shows when a test fails.
const logTail = 8 << 10

// Run starts a harness for the test and stops it when the test ends,
// showing the tail of every agent's log if the test failed. Unset, Dir is
// a temporary directory of the test and Logf is t.Logf.
func Run(t testing.TB, opts Options) *Harness {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Not t.Context(): it ends before the cleanups run, and Stop must be
	// the one to stop the agents and wait for them.
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			h.showLogs(t)
		}
	})
	return h
}

// showLogs logs the tail of each agent's log.
func (h *Harness) showLogs(t testing.TB) {
	for _, a := range h.All() {
		data, err := os.ReadFile(a.LogFile)
		if err != nil {
			t.Logf("agent of %s: no log: %v", a.InstanceID, err)
			continue
		}
		if len(data) > logTail {
			data = data[len(data)-logTail:]
		}
		t.Logf("agent of %s (pid %d, err %v), log %s (tail):\n%s", a.InstanceID, a.PID, a.Err, a.LogFile, data)
	}
}
