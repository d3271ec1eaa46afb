package process

import (
	"bufio"
	"errors"
	"io"
)

// readLines reads r until it ends or fails and hands each line, without its
// newline, to emit as soon as it is complete. A line longer than maxLine
// bytes is emitted in pieces of maxLine bytes (at least 16); a last line
// without a newline is still emitted.
func readLines(r io.Reader, maxLine int, emit func(line string)) {
	br := bufio.NewReaderSize(r, maxLine)
	split := false // the previous piece was cut at maxLine
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			// The newline right after a cut piece ends that piece's line:
			// it is not an empty line of its own.
			if !split || len(chunk) > 1 {
				emit(string(chunk[:len(chunk)-1]))
			}
			split = false
		case errors.Is(err, bufio.ErrBufferFull):
			emit(string(chunk))
			split = true
		default:
			if len(chunk) > 0 {
				emit(string(chunk))
			}
			return
		}
	}
}
