package bootstrap

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// LogStore keeps job output by log stream: *logfiles.Store on one
// machine, *cwlogs.Store on AWS.
type LogStore interface {
	Append(ctx context.Context, stream string, events []batch.LogEvent) error
}

// LogRouter is a LogStore that can also keep a stream in the log group,
// and region, that a job's awslogs options name: *cwlogs.Router. An agent
// whose LogStore is not one (files on one machine) keeps every stream in
// its LogStore, under the same names.
type LogRouter interface {
	LogStore
	// PrepareStream creates stream in t's group before the attempt's
	// container starts; its error says why the log cannot go there.
	PrepareStream(ctx context.Context, t batch.LogTarget, stream string) error
	AppendTo(ctx context.Context, t batch.LogTarget, stream string, events []batch.LogEvent) error
}

// routedLogs is the LogStore of one attempt whose log goes to a group
// of its own.
type routedLogs struct {
	router LogRouter
	target batch.LogTarget
}

func (r routedLogs) Append(ctx context.Context, stream string, events []batch.LogEvent) error {
	return r.router.AppendTo(ctx, r.target, stream, events)
}

// logBuffer batches an attempt's output into its log stream: lines reach
// the store within flushEvery while the job runs, not after it exits.
type logBuffer struct {
	store  LogStore
	stream string
	log    *slog.Logger

	mu      sync.Mutex
	pending []LogLine
	// flushing lets one write at a time through, so batches reach the
	// store in the order they were taken.
	flushing sync.Mutex

	stop chan struct{}
	done chan struct{}
}

const (
	flushEvery = 100 * time.Millisecond
	flushLines = 500
)

func newLogBuffer(store LogStore, stream string, log *slog.Logger) *logBuffer {
	b := &logBuffer{store: store, stream: stream, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// Add queues a line; a full batch is flushed at once.
func (b *logBuffer) Add(l LogLine) {
	b.mu.Lock()
	b.pending = append(b.pending, l)
	full := len(b.pending) >= flushLines
	b.mu.Unlock()
	if full {
		b.flush()
	}
}

func (b *logBuffer) loop() {
	defer close(b.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			b.flush()
			return
		case <-t.C:
			b.flush()
		}
	}
}

func (b *logBuffer) flush() {
	b.flushing.Lock()
	defer b.flushing.Unlock()
	b.mu.Lock()
	lines := b.pending
	b.pending = nil
	b.mu.Unlock()
	if len(lines) == 0 {
		return
	}
	// The attempt may be over; its last lines are still written.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := make([]batch.LogEvent, len(lines))
	for i, l := range lines {
		events[i] = batch.LogEvent{Timestamp: batch.Millis(l.At), Message: l.Text}
	}
	if err := b.store.Append(ctx, b.stream, events); err != nil {
		b.log.Error("writing job log", "stream", b.stream, "lines", len(lines), "err", err)
	}
}

// Close flushes what is left and stops the flusher.
func (b *logBuffer) Close() {
	close(b.stop)
	<-b.done
}
