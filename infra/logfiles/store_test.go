package logfiles

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

const testStream = "sleep/default/4f1c"

// openStore opens a Store in a temporary directory, closed when the test ends.
func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readAll reads a whole stream, page by page.
func readAll(t *testing.T, s *Store, stream string, limit int) []batch.LogEvent {
	t.Helper()
	var all []batch.LogEvent
	token := ""
	for range 100000 {
		events, next, err := s.Read(t.Context(), stream, token, limit)
		if err != nil {
			t.Fatalf("Read(%q, %q): %v", stream, token, err)
		}
		all = append(all, events...)
		if len(events) == 0 {
			return all
		}
		token = next
	}
	t.Fatal("Read never reached the end")
	return nil
}

func TestRoundTrip(t *testing.T) {
	s := openStore(t)
	want := []batch.LogEvent{
		{Timestamp: 1700000000000, Message: "plain"},
		{Timestamp: 1700000000001, Message: ""},
		{Timestamp: 1700000000002, Message: "multi\nline\n"},
		{Timestamp: 1700000000003, Message: "tabs\tand\\backslashes\\n"},
		{Timestamp: 1700000000004, Message: `\`},
		{Timestamp: 1700000000005, Message: "héllo \r\x00 世界"},
		{Timestamp: 1700000000006, Message: strings.Repeat("long ", 100000)},
	}
	if err := s.Append(t.Context(), testStream, want[:3]); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if err := s.Append(t.Context(), testStream, want[3:]); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if got := readAll(t, s, testStream, 0); !slices.Equal(got, want) {
		t.Errorf("events = %.200v, want %.200v", got, want)
	}
}

func TestAppendNothing(t *testing.T) {
	s := openStore(t)
	if err := s.Append(t.Context(), testStream, nil); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if _, _, err := s.Read(t.Context(), testStream, "", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Read after an empty append: error %v, want ErrNotFound", err)
	}
}

func TestReadPages(t *testing.T) {
	s := openStore(t)
	var all []batch.LogEvent
	for i := range 25 {
		all = append(all, batch.LogEvent{Timestamp: int64(i), Message: fmt.Sprint("event ", i)})
	}
	for _, part := range [][]batch.LogEvent{all[:7], all[7:20], all[20:]} {
		if err := s.Append(t.Context(), testStream, part); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}

	token := ""
	for _, want := range [][]batch.LogEvent{all[:10], all[10:20], all[20:], nil} {
		got, next, err := s.Read(t.Context(), testStream, token, 10)
		if err != nil {
			t.Fatalf("Read(%q): %v", token, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Read(%q) = %v, want %v", token, got, want)
		}
		if len(want) == 0 && next != token {
			t.Errorf("token at the end = %q, want the same %q", next, token)
		}
		token = next
	}

	// A token keeps its place as the stream grows.
	more := []batch.LogEvent{{Timestamp: 99, Message: "later"}}
	if err := s.Append(t.Context(), testStream, more); err != nil {
		t.Fatalf("Append: %v", err)
	}
	got, _, err := s.Read(t.Context(), testStream, token, 10)
	if err != nil || !slices.Equal(got, more) {
		t.Errorf("Read after growth = %v, %v, want %v", got, err, more)
	}
}

func TestReadSkipsPartialLine(t *testing.T) {
	s := openStore(t)
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: 1, Message: "whole"}}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	path, err := s.path(t.Context(), testStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := appendFile(path, []byte("2\tbeing writ")); err != nil {
		t.Fatal(err)
	}
	got, token, err := s.Read(t.Context(), testStream, "", 0)
	if want := []batch.LogEvent{{Timestamp: 1, Message: "whole"}}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Read = %v, %v, want %v", got, err, want)
	}
	if err := appendFile(path, []byte("ten\n")); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.Read(t.Context(), testStream, token, 0)
	if want := []batch.LogEvent{{Timestamp: 2, Message: "being written"}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Read once complete = %v, %v, want %v", got, err, want)
	}
}

func TestMissingStream(t *testing.T) {
	s := openStore(t)
	_, _, err := s.Read(t.Context(), "nothing/default/here", "", 0)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("error = %v, want ErrNotFound wrapping batch.ErrNotFound", err)
	}
}

func TestInvalidInputIsClientError(t *testing.T) {
	s := openStore(t)
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: 1, Message: "x"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"append bad name", func() error { return s.Append(t.Context(), "../x", []batch.LogEvent{{Timestamp: 1, Message: "x"}}) }},
		{"append empty batch, bad name", func() error { return s.Append(t.Context(), "/abs", nil) }},
		{"read bad name", func() error { _, _, err := s.Read(t.Context(), "a//b", "", 0); return err }},
		{"read bad token", func() error { _, _, err := s.Read(t.Context(), testStream, "x", 0); return err }},
		{"follow bad name", func() error { return s.Follow(t.Context(), "a b", "", nil) }},
		{"follow bad token", func() error { return s.Follow(t.Context(), testStream, "-3", nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !batch.IsClientError(err) {
				t.Errorf("error = %v, want a client error", err)
			}
		})
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("store directory holds %v (%v), want only the valid stream", entries, err)
	}
}

func TestConcurrentAppends(t *testing.T) {
	const writers, batches, perBatch = 8, 50, 5
	s := openStore(t)
	pad := strings.Repeat("p", 2000) // long lines would show interleaving
	streams := []string{testStream, testStream, "other/default/1", "other/default/2"}

	var wg sync.WaitGroup
	for w := range writers {
		stream := streams[w%len(streams)]
		wg.Go(func() {
			for b := range batches {
				events := make([]batch.LogEvent, perBatch)
				for e := range events {
					events[e] = batch.LogEvent{Timestamp: int64(b*perBatch + e), Message: fmt.Sprintf("w%d %s", w, pad)}
				}
				if err := s.Append(t.Context(), stream, events); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()

	for _, stream := range []string{testStream, "other/default/1", "other/default/2"} {
		next := map[string]int64{} // writer → next timestamp expected
		events := readAll(t, s, stream, 0)
		for _, e := range events {
			writer, rest, _ := strings.Cut(e.Message, " ")
			if rest != pad {
				t.Fatalf("%s: damaged message %.50q", stream, e.Message)
			}
			if e.Timestamp != next[writer] {
				t.Fatalf("%s: %s event %d, want %d", stream, writer, e.Timestamp, next[writer])
			}
			next[writer]++
		}
		want := writers / len(streams) * batches * perBatch
		if stream == testStream {
			want *= 2
		}
		if len(events) != want {
			t.Errorf("%s has %d events, want %d", stream, len(events), want)
		}
	}
}

func TestManyStreamsHoldNoFiles(t *testing.T) {
	streams := 10000
	if testing.Short() {
		streams = 1000 // creating files is most of this test's time
	}
	s := openStore(t)
	before := openFiles(t)
	for i := range streams {
		if err := s.Append(t.Context(), fmt.Sprintf("job%d/default/%d", i%10, i), []batch.LogEvent{{Timestamp: int64(i), Message: "x"}}); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	if after := openFiles(t); after > before {
		t.Errorf("open files went from %d to %d", before, after)
	}
	last := streams - 1
	got, _, err := s.Read(t.Context(), fmt.Sprintf("job%d/default/%d", last%10, last), "", 0)
	if want := []batch.LogEvent{{Timestamp: int64(last), Message: "x"}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Read = %v, %v, want %v", got, err, want)
	}
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(fds)
}

func TestClosedStore(t *testing.T) {
	s := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Append(t.Context(), testStream, []batch.LogEvent{{Timestamp: 1, Message: "x"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, _, err := s.Read(t.Context(), testStream, "", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}
