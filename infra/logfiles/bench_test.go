package logfiles

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// BenchmarkAppend measures one batch of ten 100-byte events, to one stream
// and spread over 10,000 streams (a fresh file per call, as the agent's
// batches are).
func BenchmarkAppend(b *testing.B) {
	events := make([]batch.LogEvent, 10)
	for i := range events {
		events[i] = batch.LogEvent{Timestamp: int64(1700000000000 + i), Message: strings.Repeat("m", 100)}
	}
	for _, streams := range []int{1, 10000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			names := make([]string, streams)
			for i := range names {
				names[i] = fmt.Sprintf("job%d/default/%d", i%10, i)
			}
			b.SetBytes(int64(len(encodeEvents(events))))
			i := 0
			for b.Loop() {
				if err := s.Append(b.Context(), names[i%streams], events); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
