package logfiles

import (
	"bytes"
	"strconv"

	"github.com/tanda-batch/tanda/batch"
)

// encodeEvents is events in the file format.
func encodeEvents(events []batch.LogEvent) []byte {
	var buf []byte
	for _, e := range events {
		buf = appendEvent(buf, e)
	}
	return buf
}

// appendEvent appends e to buf as one line of the file format.
func appendEvent(buf []byte, e batch.LogEvent) []byte {
	buf = strconv.AppendInt(buf, e.Timestamp, 10)
	buf = append(buf, '\t')
	for i := 0; i < len(e.Message); i++ {
		switch c := e.Message[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\n':
			buf = append(buf, '\\', 'n')
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '\n')
}

// parseEvent decodes one line, without its newline. A line that is not
// "<ms>\t<message>", as a write cut short by a crash can leave, is kept
// whole as the message of an event at time 0 rather than hiding the rest
// of the stream behind an error.
func parseEvent(line []byte) batch.LogEvent {
	ms, msg, ok := bytes.Cut(line, []byte{'\t'})
	ts, err := strconv.ParseInt(string(ms), 10, 64)
	if !ok || err != nil {
		return batch.LogEvent{Message: unescape(line)}
	}
	return batch.LogEvent{Timestamp: ts, Message: unescape(msg)}
}

// unescape reverses the escaping of appendEvent. A backslash before any
// other byte is kept as it is.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case 'n':
				out = append(out, '\n')
				i++
				continue
			case '\\':
				out = append(out, '\\')
				i++
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

// formatToken is the token of a byte offset.
func formatToken(offset int64) string { return strconv.FormatInt(offset, 10) }

// parseToken is the byte offset of a token; "" is the start. A token Read
// did not give is a *batch.ClientError.
func parseToken(token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	offset, err := strconv.ParseInt(token, 10, 64)
	if err != nil || offset < 0 {
		return 0, batch.Clientf("invalid log token %q", token)
	}
	return offset, nil
}
