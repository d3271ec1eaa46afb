package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

func TestAgentClockOffsetOnlyOnLoopback(t *testing.T) {
	file := filepath.Join(t.TempDir(), "offset")
	tests := []struct {
		name, file, imds, aws string
		wantErr               string
		wantSystem            bool
	}{
		{"no file: the system clock", "", "http://169.254.169.254", "", "", true},
		{"loopback", file, "http://127.0.0.1:1338", "http://127.0.0.1:5000", "", false},
		{"localhost and ::1", file, "http://localhost:1338", "http://[::1]:5000", "", false},
		{"real IMDS", file, "http://169.254.169.254", "http://127.0.0.1:5000", "instance metadata service", false},
		{"AWS itself", file, "http://127.0.0.1:1338", "", "AWS endpoint", false},
		{"remote endpoint", file, "http://127.0.0.1:1338", "https://localstack.example.com", "AWS endpoint", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := agentClock(tt.file, tt.imds, tt.aws)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("agentClock = %v, %v; want an error naming %q", c, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, system := c.(batch.SystemClock); system != tt.wantSystem {
				t.Errorf("agentClock = %T, want the system clock: %v", c, tt.wantSystem)
			}
		})
	}
}

func TestTestClockFollowsItsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "offset")
	base := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := base
	c := &testClock{path: file, now: func() time.Time { return now }}
	check := func(what string, want time.Duration) {
		t.Helper()
		if got := c.Now().Sub(now); got != want {
			t.Errorf("%s: offset %v, want %v", what, got, want)
		}
	}
	check("no file", 0)
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("-5m\n")
	check("re-read too soon", 0)
	now = now.Add(offsetReread)
	check("file says -5m", -5*time.Minute)
	write("garbage")
	now = now.Add(offsetReread)
	check("a bad offset keeps the last", -5*time.Minute)
	write("7m")
	now = now.Add(offsetReread)
	check("file says 7m", 7*time.Minute)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	now = now.Add(offsetReread)
	check("file removed", 0)
}
