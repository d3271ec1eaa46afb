package docker

import (
	"bytes"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
)

// maxLine is the longest line handed to a LogFunc, CloudWatch Logs' event
// size limit; longer lines are cut into pieces of this size.
const maxLine = 256 << 10

// lineWriter turns one stream (stdout or stderr) of a container's log, as
// followed with timestamps, into lines. Each write is one frame of the
// demultiplexed stream, which is one log message: Docker's RFC 3339
// timestamp, a space, and the text. A message without a newline (a line
// Docker split, or the last output) continues in the next one, and the
// line keeps its first message's time.
type lineWriter struct {
	stream string
	emit   bootstrap.LogFunc
	now    func() time.Time // for a message without a timestamp

	partial []byte
	cut     bool      // the last piece handed over was cut at maxLine
	at      time.Time // the partial line's time
	last    time.Time // the latest message's time
}

func newLineWriter(stream string, emit bootstrap.LogFunc, now func() time.Time) *lineWriter {
	return &lineWriter{stream: stream, emit: emit, now: now}
}

// Write takes one log message.
func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	at, text, ok := cutTimestamp(p)
	if !ok {
		at, text = w.now(), p
		if at.Before(w.last) {
			at = w.last
		}
	}
	w.last = at
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		chunk := text
		if i >= 0 {
			chunk = text[:i]
		}
		if len(w.partial) == 0 {
			w.at = at
		}
		w.add(chunk)
		if i < 0 {
			break
		}
		// A newline right after a piece cut at maxLine ends that piece's
		// line: it is not an empty line of its own.
		if len(w.partial) > 0 || !w.cut {
			w.line(w.partial)
		}
		w.partial, w.cut = w.partial[:0], false
		text = text[i+1:]
	}
	return n, nil
}

// add appends to the partial line, handing over maxLine-sized pieces.
func (w *lineWriter) add(b []byte) {
	w.partial = append(w.partial, b...)
	for len(w.partial) >= maxLine {
		w.line(w.partial[:maxLine])
		w.partial = append(w.partial[:0], w.partial[maxLine:]...)
		w.cut = true
	}
}

// Flush hands over a last line that has no newline.
func (w *lineWriter) Flush() {
	if len(w.partial) > 0 {
		w.line(w.partial)
		w.partial = nil
	}
}

func (w *lineWriter) line(b []byte) {
	w.emit(bootstrap.LogLine{Stream: w.stream, At: w.at, Text: string(b)})
}

// cutTimestamp splits Docker's "2006-01-02T15:04:05.999999999Z text"
// into its time and text.
func cutTimestamp(p []byte) (time.Time, []byte, bool) {
	const longest = len("2006-01-02T15:04:05.000000000+07:00")
	i := bytes.IndexByte(p[:min(len(p), longest+1)], ' ')
	if i < 0 {
		return time.Time{}, p, false
	}
	at, err := time.Parse(time.RFC3339Nano, string(p[:i]))
	if err != nil {
		return time.Time{}, p, false
	}
	return at, p[i+1:], true
}
