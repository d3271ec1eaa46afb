package kit

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// LogSource reads log streams by page: *logfiles.Store on one machine,
// *cwlogs.Store on AWS. A missing stream is batch.ErrNotFound.
type LogSource interface {
	Read(ctx context.Context, stream, fromToken string, limit int) ([]batch.LogEvent, string, error)
}

// RoutedLogSource is a LogSource that can also read the log group, and
// region, that a job's awslogs options name: *cwlogs.Router.
type RoutedLogSource interface {
	LogSource
	ReadFrom(ctx context.Context, t batch.LogTarget, stream, fromToken string, limit int) ([]batch.LogEvent, string, error)
}

// LogReader serves Tanda's logs endpoint (httpapi.LogReader): the stream
// of a job's attempt, read from Logs.
type LogReader struct {
	Control *control.Service
	Logs    LogSource
}

var _ httpapi.LogReader = LogReader{}

// ReadJobLog reads a page of an attempt's log; attempt 0 is the latest.
// A stream not written yet is an empty page.
func (r LogReader) ReadJobLog(ctx context.Context, jobID string, attempt int, token string, limit int) (httpapi.LogPage, error) {
	j, err := r.Control.Job(ctx, jobID)
	if errors.Is(err, batch.ErrNotFound) {
		return httpapi.LogPage{}, batch.Clientf("job %s not found", jobID)
	}
	if err != nil {
		return httpapi.LogPage{}, err
	}
	if len(j.Attempts) == 0 {
		return httpapi.LogPage{Events: []batch.LogEvent{}}, nil
	}
	if attempt <= 0 {
		attempt = len(j.Attempts)
	}
	if attempt > len(j.Attempts) {
		return httpapi.LogPage{}, batch.Clientf("job %s has %d attempts (asked for attempt %d)", jobID, len(j.Attempts), attempt)
	}
	stream := control.AttemptLogStream(&j, attempt)
	if c := j.Attempts[attempt-1].Container; c != nil && c.LogStreamName != "" {
		stream = c.LogStreamName
	}
	events, next, err := r.read(ctx, batch.LogTargetOf(j.Container), stream, token, limit)
	if errors.Is(err, batch.ErrNotFound) {
		return httpapi.LogPage{LogStreamName: stream, Events: []batch.LogEvent{}, NextToken: token}, nil
	}
	if err != nil {
		return httpapi.LogPage{}, fmt.Errorf("reading log %s: %w", stream, err)
	}
	page := httpapi.LogPage{LogStreamName: stream, Events: make([]batch.LogEvent, len(events)), NextToken: next}
	for i, e := range events {
		page.Events[i] = batch.LogEvent{Timestamp: e.Timestamp, Message: e.Message}
	}
	return page, nil
}

// read reads a page of stream where the job's log went: the group its
// awslogs options name when Logs can read there, else Logs itself.
func (r LogReader) read(ctx context.Context, t batch.LogTarget, stream, token string, limit int) ([]batch.LogEvent, string, error) {
	if rs, ok := r.Logs.(RoutedLogSource); ok && t.Elsewhere() {
		return rs.ReadFrom(ctx, t, stream, token, limit)
	}
	return r.Logs.Read(ctx, stream, token, limit)
}
