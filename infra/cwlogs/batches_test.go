package cwlogs

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tanda-batch/tanda/batch"
)

func TestPrepare(t *testing.T) {
	long := "a" + strings.Repeat("é", maxEventBytes) // the limit falls inside an é
	tests := []struct {
		name string
		in   []batch.LogEvent
		want []batch.LogEvent
	}{
		{"sorted stays", []batch.LogEvent{{Timestamp: 1, Message: "a"}, {Timestamp: 2, Message: "b"}}, []batch.LogEvent{{Timestamp: 1, Message: "a"}, {Timestamp: 2, Message: "b"}}},
		{"sorted stably", []batch.LogEvent{{Timestamp: 2, Message: "late"}, {Timestamp: 1, Message: "x"}, {Timestamp: 2, Message: "later"}, {Timestamp: 1, Message: "y"}},
			[]batch.LogEvent{{Timestamp: 1, Message: "x"}, {Timestamp: 1, Message: "y"}, {Timestamp: 2, Message: "late"}, {Timestamp: 2, Message: "later"}}},
		{"empty message", []batch.LogEvent{{Timestamp: 1, Message: ""}}, []batch.LogEvent{{Timestamp: 1, Message: emptyMessage}}},
		{"invalid UTF-8", []batch.LogEvent{{Timestamp: 1, Message: "a\xffb"}}, []batch.LogEvent{{Timestamp: 1, Message: "a\uFFFDb"}}},
		{"newlines kept", []batch.LogEvent{{Timestamp: 1, Message: "a\nb\n"}}, []batch.LogEvent{{Timestamp: 1, Message: "a\nb\n"}}},
		{"too long cut at a rune", []batch.LogEvent{{Timestamp: 1, Message: long}}, []batch.LogEvent{{Timestamp: 1, Message: long[:maxEventBytes-eventOverhead-1]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := prepare(in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("prepare(%.60v) = %.60v, want %.60v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("prepare changed its input to %.60v", in)
			}
			for _, e := range got {
				if !utf8.ValidString(e.Message) || eventBytes(e) > maxEventBytes {
					t.Errorf("event of %d bytes, valid UTF-8 %v: not accepted by CloudWatch", eventBytes(e), utf8.ValidString(e.Message))
				}
			}
		})
	}
}

// sizes is the number of events in each batch.
func sizes(batches [][]batch.LogEvent) []int {
	var n []int
	for _, b := range batches {
		n = append(n, len(b))
	}
	return n
}

func TestSplit(t *testing.T) {
	const hour = 3600 * 1000
	same := func(n int, msg string) []batch.LogEvent {
		events := make([]batch.LogEvent, n)
		for i := range events {
			events[i] = batch.LogEvent{Timestamp: 1, Message: msg}
		}
		return events
	}
	tests := []struct {
		name   string
		events []batch.LogEvent
		lim    limits
		want   []int
	}{
		{"none", nil, cloudWatchLimits, nil},
		{"one batch", same(3, "x"), cloudWatchLimits, []int{3}},
		{"by count", same(25000, "x"), cloudWatchLimits, []int{10000, 10000, 5000}},
		{"by count, lowered", same(7, "x"), limits{events: 3, bytes: maxBatchBytes, spanMS: hour}, []int{3, 3, 1}},
		// 27 bytes an event: 38,836 fit in 1,048,576 bytes (38,836*27 = 1,048,572).
		{"by bytes", same(40000, "x"), limits{events: 100000, bytes: maxBatchBytes, spanMS: hour}, []int{38836, 1164}},
		{"by bytes, exact fit", same(4, "1234"), limits{events: 10, bytes: 60, spanMS: hour}, []int{2, 2}},
		{"largest events", same(5, strings.Repeat("m", maxEventBytes-eventOverhead)), cloudWatchLimits, []int{4, 1}},
		{"by span", []batch.LogEvent{{Timestamp: 0, Message: "a"}, {Timestamp: 24 * hour, Message: "b"}, {Timestamp: 24*hour + 1, Message: "c"}, {Timestamp: 48 * hour, Message: "d"}}, cloudWatchLimits, []int{2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batches := split(tt.events, tt.lim)
			if got := sizes(batches); !slices.Equal(got, tt.want) {
				t.Fatalf("batch sizes = %v, want %v", got, tt.want)
			}
			var joined []batch.LogEvent
			for _, b := range batches {
				size := 0
				for _, e := range b {
					size += eventBytes(e)
				}
				if size > tt.lim.bytes || len(b) > tt.lim.events || b[len(b)-1].Timestamp-b[0].Timestamp > tt.lim.spanMS {
					t.Errorf("batch of %d events, %d bytes, spanning %d ms: over %+v", len(b), size, b[len(b)-1].Timestamp-b[0].Timestamp, tt.lim)
				}
				joined = append(joined, b...)
			}
			if !slices.Equal(joined, tt.events) {
				t.Errorf("batches joined differ from the events")
			}
		})
	}
}
