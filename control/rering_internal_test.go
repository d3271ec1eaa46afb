package control

import (
	"testing"
	"time"
)

func TestReringDue(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name              string
		age, every, first time.Duration
		want              bool
	}{
		{"before the first ring", 29 * s, s, 30 * s, false},
		{"the first ring", 30 * s, s, 30 * s, true},
		{"just after it", 31 * s, s, 30 * s, false},
		{"a ring caught by a late pass", 65 * s, 10 * s, 30 * s, true},
		{"between rings", 90 * s, s, 30 * s, false},
		{"rings at most five minutes apart", 780 * s, s, 30 * s, true},
		{"no rings without a first age", time.Hour, s, 0, false},
		{"no rings without a pass interval", 30 * s, 0, 30 * s, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reringDue(tt.age, tt.every, tt.first); got != tt.want {
				t.Errorf("reringDue(%v, %v, %v) = %v, want %v", tt.age, tt.every, tt.first, got, tt.want)
			}
		})
	}
}
