package logfiles

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

func TestDeleteOlderThan(t *testing.T) {
	s := openStore(t)
	now := time.Now()
	event := []batch.LogEvent{{Timestamp: 1700000000000, Message: "m"}}
	streams := map[string]time.Duration{ // stream: age of its last write
		"old/default/a":   2 * time.Hour,
		"old/default/b":   90 * time.Minute,
		"mixed/default/c": 2 * time.Hour,
		"mixed/default/d": time.Minute,
		"new/default/e":   0,
	}
	for stream, age := range streams {
		if err := s.Append(t.Context(), stream, event); err != nil {
			t.Fatalf("Append(%s): %v", stream, err)
		}
		path, err := s.path(t.Context(), stream)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(s.dir, "not-a-stream.txt")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(other, now.Add(-24*time.Hour), now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	n, err := s.DeleteOlderThan(t.Context(), now.Add(-time.Hour))
	if err != nil {
		t.Fatalf("DeleteOlderThan: %v", err)
	}
	if n != 3 {
		t.Errorf("deleted %d streams, want 3", n)
	}
	for stream, age := range streams {
		_, _, err := s.Read(t.Context(), stream, "", 0)
		if gone := errors.Is(err, ErrNotFound); gone != (age > time.Hour) {
			t.Errorf("%s, last written %v ago: Read err = %v; want it gone: %v", stream, age, err, age > time.Hour)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, "old.d")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emptied directory old.d is still there (stat err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "mixed.d", "default.d")); err != nil {
		t.Errorf("mixed.d/default.d, which still holds a stream, is gone: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a stream was deleted: %v", err)
	}
	// A deleted stream written again starts anew, its directories too.
	if err := s.Append(t.Context(), "old/default/a", event); err != nil {
		t.Fatalf("Append after deletion: %v", err)
	}
	if got := readAll(t, s, "old/default/a", 0); len(got) != 1 {
		t.Errorf("the stream written again holds %d events, want 1", len(got))
	}
	if n, err := s.DeleteOlderThan(t.Context(), now.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("a second pass deleted %d streams (err %v), want 0", n, err)
	}
}
