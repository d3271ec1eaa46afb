// Package soak runs `tanda up` (the real binary, as a process) under a
// steady rate of short jobs for a long while, with a short retention so
// that finished jobs expire during the run, and samples what would grow if
// something leaked: the process's resident memory, goroutines, threads and
// open file descriptors, the SQLite database with its WAL, and the rest of
// the data directory (job logs, working directories). It writes the series
// as CSV and as a PNG chart and judges whether each one levels off.
//
// The run itself is TestSoak, which runs only when TANDA_SOAK names its
// length (`make soak`; docs/RELIABILITY.md); the pieces (the sampler, the
// pacer, the judgement, the chart) are tested in every `go test`.
package soak
