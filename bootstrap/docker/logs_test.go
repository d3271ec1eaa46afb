package docker

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
)

func TestLineWriter(t *testing.T) {
	t1 := time.Date(2026, 11, 29, 13, 0, 0, 123456789, time.UTC)
	t2 := t1.Add(time.Second)
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	stamp := func(at time.Time, text string) string { return at.Format(time.RFC3339Nano) + " " + text }
	line := func(at time.Time, text string) bootstrap.LogLine {
		return bootstrap.LogLine{Stream: "stdout", At: at, Text: text}
	}
	long := strings.Repeat("x", maxLine)
	tests := []struct {
		name   string
		writes []string
		want   []bootstrap.LogLine
	}{
		{"one line", []string{stamp(t1, "hello\n")}, []bootstrap.LogLine{line(t1, "hello")}},
		{"empty line kept", []string{stamp(t1, "\n")}, []bootstrap.LogLine{line(t1, "")}},
		{"text with spaces", []string{stamp(t1, "a b  c\n")}, []bootstrap.LogLine{line(t1, "a b  c")}},
		{"several lines in one message", []string{stamp(t1, "a\nb\n")}, []bootstrap.LogLine{line(t1, "a"), line(t1, "b")}},
		{"line split by Docker keeps its first time", []string{stamp(t1, "par"), stamp(t2, "tial\n")}, []bootstrap.LogLine{line(t1, "partial")}},
		{"last line without newline flushed", []string{stamp(t1, "a\n"), stamp(t2, "end")}, []bootstrap.LogLine{line(t1, "a"), line(t2, "end")}},
		{"no timestamp: clock, never before the last", []string{stamp(t1, "a\n"), "bare\n"}, []bootstrap.LogLine{line(t1, "a"), line(t1, "bare")}},
		{"long line cut", []string{stamp(t1, long+"yz\n")}, []bootstrap.LogLine{line(t1, long), line(t1, "yz")}},
		{"newline right after a cut is no empty line", []string{stamp(t1, long), stamp(t2, "\n"), stamp(t2, "next\n")},
			[]bootstrap.LogLine{line(t1, long), line(t2, "next")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bootstrap.LogLine
			w := newLineWriter("stdout", func(l bootstrap.LogLine) { got = append(got, l) }, func() time.Time { return now })
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(s))
				}
			}
			w.Flush()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines:\n got %s\nwant %s", summary(got), summary(tt.want))
			}
		})
	}
}

func TestLineWriterWithoutTimestamps(t *testing.T) {
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []bootstrap.LogLine
	w := newLineWriter("stderr", func(l bootstrap.LogLine) { got = append(got, l) }, func() time.Time { return now })
	w.Write([]byte("not-a-time text\n"))
	want := []bootstrap.LogLine{{Stream: "stderr", At: now, Text: "not-a-time text"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s, want %s", summary(got), summary(want))
	}
}

// summary shows lines briefly, long ones by their length.
func summary(lines []bootstrap.LogLine) string {
	var b strings.Builder
	for _, l := range lines {
		text := l.Text
		if len(text) > 20 {
			text = text[:10] + "...(" + strconv.Itoa(len(text)) + " bytes)"
		}
		b.WriteString("[" + l.Stream + " " + l.At.Format(time.RFC3339Nano) + " " + text + "] ")
	}
	return b.String()
}
