package logfiles

import (
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestEventFormat(t *testing.T) {
	tests := []struct {
		name string
		in   batch.LogEvent
		line string
	}{
		{"plain", batch.LogEvent{Timestamp: 1700000000123, Message: "hello"}, "1700000000123\thello\n"},
		{"empty", batch.LogEvent{Timestamp: 0, Message: ""}, "0\t\n"},
		{"negative time", batch.LogEvent{Timestamp: -5, Message: "x"}, "-5\tx\n"},
		{"newline", batch.LogEvent{Timestamp: 1, Message: "a\nb"}, "1\ta\\nb\n"},
		{"backslash", batch.LogEvent{Timestamp: 1, Message: `a\b`}, "1\ta\\\\b\n"},
		{"backslash n text", batch.LogEvent{Timestamp: 1, Message: `a\nb`}, "1\ta\\\\nb\n"},
		{"trailing backslash", batch.LogEvent{Timestamp: 1, Message: `a\`}, "1\ta\\\\\n"},
		{"tabs kept", batch.LogEvent{Timestamp: 1, Message: "a\tb\t"}, "1\ta\tb\t\n"},
		{"carriage return and NUL kept", batch.LogEvent{Timestamp: 1, Message: "a\r\x00"}, "1\ta\r\x00\n"},
		{"unicode", batch.LogEvent{Timestamp: 1, Message: "héllo, 世界"}, "1\théllo, 世界\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := string(appendEvent(nil, tt.in))
			if line != tt.line {
				t.Errorf("encoded = %q, want %q", line, tt.line)
			}
			if got := parseEvent([]byte(line[:len(line)-1])); got != tt.in {
				t.Errorf("decoded = %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestParseDamagedLine(t *testing.T) {
	tests := []struct {
		line string
		want batch.LogEvent
	}{
		{"no tab", batch.LogEvent{Message: "no tab"}},
		{"12x\tbad time", batch.LogEvent{Message: "12x\tbad time"}},
		{`7\tstray \q escape`, batch.LogEvent{Message: `7\tstray \q escape`}},
		{"7\tstray \\q escape", batch.LogEvent{Timestamp: 7, Message: `stray \q escape`}},
	}
	for _, tt := range tests {
		if got := parseEvent([]byte(tt.line)); got != tt.want {
			t.Errorf("parseEvent(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseToken(t *testing.T) {
	tests := []struct {
		token   string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"4096", 4096, false},
		{"-1", 0, true},
		{"abc", 0, true},
		{"1.5", 0, true},
	}
	for _, tt := range tests {
		got, err := parseToken(tt.token)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseToken(%q) = %d, %v, want %d, error %v", tt.token, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !batch.IsClientError(err) {
			t.Errorf("parseToken(%q) error %v is not a client error", tt.token, err)
		}
	}
}
