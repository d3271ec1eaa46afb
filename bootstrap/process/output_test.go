package process

import (
	"slices"
	"strings"
	"testing"
)

func TestReadLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"lines", "a\nb\n", []string{"a", "b"}},
		{"empty lines kept", "\n\nx\n", []string{"", "", "x"}},
		{"last line without newline", "a\nb", []string{"a", "b"}},
		{"carriage returns kept", "a\r\n", []string{"a\r"}},
		{"long line split", strings.Repeat("x", 40) + "\n", []string{strings.Repeat("x", 16), strings.Repeat("x", 16), strings.Repeat("x", 8)}},
		{"line of exactly max", strings.Repeat("y", 16) + "\nz\n", []string{strings.Repeat("y", 16), "z"}},
		{"long last line", strings.Repeat("w", 20), []string{strings.Repeat("w", 16), "wwww"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			readLines(strings.NewReader(tt.in), 16, func(l string) { got = append(got, l) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
		})
	}
}
