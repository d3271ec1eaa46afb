package cwlogs

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tanda-batch/tanda/batch"
)

// Limits of PutLogEvents.
const (
	// maxBatchEvents is the most events in one call.
	maxBatchEvents = 10000
	// maxBatchBytes is the most bytes in one call, counted by eventBytes.
	maxBatchBytes = 1048576
	// eventOverhead is what CloudWatch adds to each message's size.
	eventOverhead = 26
	// maxEventBytes is the largest event, overhead included.
	maxEventBytes = 256 * 1024
	// maxBatchSpan is the longest time one call's events may span.
	maxBatchSpan = 24 * time.Hour
)

// emptyMessage stands in for an empty message, which CloudWatch refuses.
const emptyMessage = " "

// limits bounds the batches of one PutLogEvents call.
type limits struct {
	events int   // most events
	bytes  int   // most bytes, counted by eventBytes
	spanMS int64 // longest span of timestamps, in milliseconds
}

// cloudWatchLimits are CloudWatch's own.
var cloudWatchLimits = limits{events: maxBatchEvents, bytes: maxBatchBytes, spanMS: maxBatchSpan.Milliseconds()}

// prepare returns events as CloudWatch accepts them: messages valid UTF-8,
// cut to the largest event, empty ones replaced by emptyMessage, and the
// events sorted by timestamp, equal ones in their order. events is left as
// it is.
func prepare(events []batch.LogEvent) []batch.LogEvent {
	out := make([]batch.LogEvent, len(events))
	for i, e := range events {
		out[i] = batch.LogEvent{Timestamp: e.Timestamp, Message: sanitize(e.Message)}
	}
	slices.SortStableFunc(out, func(a, b batch.LogEvent) int {
		switch {
		case a.Timestamp < b.Timestamp:
			return -1
		case a.Timestamp > b.Timestamp:
			return 1
		}
		return 0
	})
	return out
}

// sanitize makes msg a message CloudWatch accepts.
func sanitize(msg string) string {
	msg = strings.ToValidUTF8(msg, string(utf8.RuneError))
	if most := maxEventBytes - eventOverhead; len(msg) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	if msg == "" {
		return emptyMessage
	}
	return msg
}

// eventBytes is the size CloudWatch counts for e.
func eventBytes(e batch.LogEvent) int {
	return len(e.Message) + eventOverhead
}

// split cuts sorted events into consecutive batches within lim. Each event
// must fit in a batch alone, as prepare ensures.
func split(events []batch.LogEvent, lim limits) [][]batch.LogEvent {
	var batches [][]batch.LogEvent
	start, size := 0, 0
	for i, e := range events {
		n := eventBytes(e)
		full := i-start == lim.events ||
			size+n > lim.bytes ||
			e.Timestamp-events[start].Timestamp > lim.spanMS
		if i > start && full {
			batches = append(batches, events[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(events) {
		batches = append(batches, events[start:])
	}
	return batches
}
