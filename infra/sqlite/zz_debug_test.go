package sqlite

import (
	"fmt"
	"os"
	"sync/atomic"
)

var dbgBatches, dbgOps atomic.Int64

func init() {
	debugBatch = func(n int) { dbgBatches.Add(1); dbgOps.Add(int64(n)) }
}

func PrintBatchStats() {
	b, o := dbgBatches.Swap(0), dbgOps.Swap(0)
	fmt.Fprintf(os.Stderr, "batches=%d ops=%d avg=%.1f\n", b, o, float64(o)/float64(max(b, 1)))
}
