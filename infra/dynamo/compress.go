package dynamo

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// compressedMark begins a compressed document; a JSON document begins with
// '{'. Compression keeps a job's item under 1 KB, one write unit, where
// its JSON alone would take two.
const compressedMark = 'z'

// writers reuses flate writers, which are costly to make.
var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level: no error
	return w
}}

// compress returns the stored form of a JSON document.
func compress(doc []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(doc)/2 + 16)
	b.WriteByte(compressedMark)
	w := writers.Get().(*flate.Writer)
	defer writers.Put(w)
	w.Reset(&b)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(doc)
	_ = w.Close()
	return b.Bytes()
}

// decompress returns the JSON document of a stored one, compressed or not.
func decompress(stored []byte) ([]byte, error) {
	if len(stored) == 0 || stored[0] != compressedMark {
		return stored, nil
	}
	r := flate.NewReader(bytes.NewReader(stored[1:]))
	defer r.Close()
	doc, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decompressing document: %w", err)
	}
	return doc, nil
}
