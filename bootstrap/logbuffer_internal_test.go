package bootstrap

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// recordingStore is a LogStore whose first write is slow: it ends only
// once a second write has begun, or after slowFor. It keeps the lines in
// the order the writes end, as a store would.
type recordingStore struct {
	slowFor time.Duration
	began   chan struct{} // closed when the first write begins
	second  chan struct{} // closed when the second write begins

	mu     sync.Mutex
	writes int
	texts  []string
}

func newRecordingStore(slowFor time.Duration) *recordingStore {
	return &recordingStore{slowFor: slowFor, began: make(chan struct{}), second: make(chan struct{})}
}

func (s *recordingStore) Append(_ context.Context, _ string, lines []batch.LogEvent) error {
	s.mu.Lock()
	s.writes++
	n := s.writes
	s.mu.Unlock()
	switch n {
	case 1:
		close(s.began)
		select {
		case <-s.second:
		case <-time.After(s.slowFor):
		}
	case 2:
		close(s.second)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		s.texts = append(s.texts, l.Message)
	}
	return nil
}

func (s *recordingStore) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.texts)
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

func TestLogBufferKeepsOrderWhenAFullBatchMeetsASlowFlush(t *testing.T) {
	store := newRecordingStore(200 * time.Millisecond)
	b := newLogBuffer(store, "s", slog.New(slog.DiscardHandler))
	b.Add(LogLine{Text: "0"})
	select {
	case <-store.began: // the periodic flush of line 0 is under way
	case <-time.After(10 * flushEvery):
		t.Fatalf("no flush within %v", 10*flushEvery)
	}
	// A full batch while that write is slow.
	for i := 1; i <= flushLines; i++ {
		b.Add(LogLine{Text: strconv.Itoa(i)})
	}
	b.Close()

	if got, want := store.lines(), numbered(flushLines+1); !slices.Equal(got, want) {
		t.Errorf("stored %d lines, first %q, want 0..%d in order", len(got), got[:min(3, len(got))], flushLines)
	}
}

func TestLogBufferClose(t *testing.T) {
	tests := []struct {
		name  string
		lines int
	}{
		{name: "nothing written", lines: 0},
		{name: "lines pending", lines: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newRecordingStore(0)
			b := newLogBuffer(store, "s", slog.New(slog.DiscardHandler))
			for _, text := range numbered(tt.lines) {
				b.Add(LogLine{Text: text})
			}
			b.Close()
			if got, want := store.lines(), numbered(tt.lines); !slices.Equal(got, want) {
				t.Errorf("stored %q after Close, want %q", got, want)
			}
		})
	}
}
