package batchtest

import (
	"context"
	"testing"
)

// RunInBackground runs run until the test ends: its cleanup cancels the
// context run was given, waits for run to return and fails the test if run
// returned an error. It is how tests keep a server or an agent running.
func RunInBackground(tb testing.TB, run func(context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("running in the background: %v", err)
		}
	})
}
