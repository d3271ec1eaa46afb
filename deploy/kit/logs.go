package kit

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/logfiles"
)

// LogSource reads log streams by page: *logfiles.Store on one machine,
// *cwlogs.Store on AWS. A missing stream is batch.ErrNotFound.
type LogSource interface {
	Read(ctx context.Context, stream, fromToken string, limit int) ([]logfiles.Event, string, error)
}

// LogAppender appends to log streams: *logfiles.Store or *cwlogs.Store.
type LogAppender interface {
	Append(ctx context.Context, stream string, events []logfiles.Event) error
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
		return httpapi.LogPage{Events: []httpapi.LogEvent{}}, nil
	}
	if attempt <= 0 {
		attempt = len(j.Attempts)
	}
	if attempt > len(j.Attempts) {
		return httpapi.LogPage{}, batch.Clientf("job %s has %d attempts (asked for attempt %d)", jobID, len(j.Attempts), attempt)
	}
	stream := control.LogStreamName(j.Internal.DefinitionName, j.JobID, attempt)
	if c := j.Attempts[attempt-1].Container; c != nil && c.LogStreamName != "" {
		stream = c.LogStreamName
	}
	events, next, err := r.Logs.Read(ctx, stream, token, limit)
	if errors.Is(err, batch.ErrNotFound) {
		return httpapi.LogPage{LogStreamName: stream, Events: []httpapi.LogEvent{}, NextToken: token}, nil
	}
	if err != nil {
		return httpapi.LogPage{}, fmt.Errorf("reading log %s: %w", stream, err)
	}
	page := httpapi.LogPage{LogStreamName: stream, Events: make([]httpapi.LogEvent, len(events)), NextToken: next}
	for i, e := range events {
		page.Events[i] = httpapi.LogEvent{Timestamp: e.Timestamp, Message: e.Message}
	}
	return page, nil
}

// LogWriter writes the agents' job output to Logs (bootstrap.LogStore).
type LogWriter struct{ Logs LogAppender }

var _ bootstrap.LogStore = LogWriter{}

// AppendLines appends lines to a stream.
func (w LogWriter) AppendLines(ctx context.Context, stream string, lines []bootstrap.LogLine) error {
	events := make([]logfiles.Event, len(lines))
	for i, l := range lines {
		events[i] = logfiles.Event{Timestamp: batch.Millis(l.At), Message: l.Text}
	}
	return w.Logs.Append(ctx, stream, events)
}
