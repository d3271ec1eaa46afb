package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/tanda-batch/tanda/batch"
)

// DefaultGroup is the log group of AWS Batch's jobs.
const DefaultGroup = "/aws/batch/job"

// MaxReadLimit is the most events one Read returns, CloudWatch's limit.
const MaxReadLimit = 10000

// maxStreamName is CloudWatch Logs' limit on a stream name.
const maxStreamName = 512

// maxKnownStreams bounds the Store's memory of existing streams; past it,
// the memory starts again empty.
const maxKnownStreams = 100000

// ErrNotFound is returned for a stream that does not exist. It wraps
// batch.ErrNotFound.
var ErrNotFound = fmt.Errorf("log stream %w", batch.ErrNotFound)

// Options configure a Store.
type Options struct {
	// Group is the log group of the streams; DefaultGroup if empty.
	Group string
	// CreateGroup makes Append create the group when it is missing, as
	// for moto, LocalStack and `tanda serve --init`; on AWS the stack
	// creates it.
	CreateGroup bool
	// Logger takes what Append cannot report as an error, such as events
	// CloudWatch dropped; slog.Default() if nil.
	Logger *slog.Logger
}

// Store keeps log streams in a CloudWatch Logs group. It is safe for
// concurrent use.
type Store struct {
	api         logsAPI
	group       string
	createGroup bool
	log         *slog.Logger
	limits      limits
	retry       retrier

	mu    sync.Mutex
	known map[string]bool // streams known to exist
}

// New returns a Store that keeps its streams through api, usually a
// *cloudwatchlogs.Client.
func New(api logsAPI, opts Options) *Store {
	if opts.Group == "" {
		opts.Group = DefaultGroup
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Store{
		api:         api,
		group:       opts.Group,
		createGroup: opts.CreateGroup,
		log:         opts.Logger,
		limits:      cloudWatchLimits,
		retry:       defaultBackoff,
		known:       make(map[string]bool),
	}
}

// Group is the log group of the Store's streams.
func (s *Store) Group() string { return s.group }

// EnsureGroup creates the Store's log group if it does not exist.
func (s *Store) EnsureGroup(ctx context.Context) error {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(s.group)})
		return err
	})
	if err != nil && !hasCode(err, codeAlreadyExists) {
		return fmt.Errorf("creating log group %s: %w", s.group, err)
	}
	return nil
}

// Append adds events to the end of stream, creating it if needed, in as
// few PutLogEvents calls as CloudWatch's limits allow (see the package
// documentation for how events are adjusted). An invalid stream name is a
// *batch.ClientError. If a call fails, the batches before it stay written.
func (s *Store) Append(ctx context.Context, stream string, events []batch.LogEvent) error {
	if err := validateStream(stream); err != nil {
		return fmt.Errorf("appending to log stream: %w", err)
	}
	if len(events) == 0 {
		return nil
	}
	if err := s.ensureStream(ctx, stream); err != nil {
		return fmt.Errorf("appending to log stream %s: %w", stream, err)
	}
	for _, b := range split(prepare(events), s.limits) {
		err := s.put(ctx, stream, b)
		if hasCode(err, codeNotFound) {
			// Deleted behind our back: create it again, once.
			s.forget(stream)
			if err = s.ensureStream(ctx, stream); err == nil {
				err = s.put(ctx, stream, b)
			}
		}
		if err != nil {
			return fmt.Errorf("appending to log stream %s: %w", stream, err)
		}
	}
	return nil
}

// put writes one batch of events with PutLogEvents.
func (s *Store) put(ctx context.Context, stream string, events []batch.LogEvent) error {
	in := &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(s.group),
		LogStreamName: aws.String(stream),
		LogEvents:     make([]types.InputLogEvent, len(events)),
	}
	for i, e := range events {
		in.LogEvents[i] = types.InputLogEvent{Timestamp: aws.Int64(e.Timestamp), Message: aws.String(e.Message)}
	}
	var out *cloudwatchlogs.PutLogEventsOutput
	err := s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.api.PutLogEvents(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("putting %d events: %w", len(events), err)
	}
	if r := out.RejectedLogEventsInfo; r != nil {
		s.log.Warn("CloudWatch Logs dropped events", "group", s.group, "stream", stream,
			"tooOldEndIndex", aws.ToInt32(r.TooOldLogEventEndIndex),
			"tooNewStartIndex", aws.ToInt32(r.TooNewLogEventStartIndex),
			"expiredEndIndex", aws.ToInt32(r.ExpiredLogEventEndIndex))
	}
	return nil
}

// ensureStream creates stream unless it is known to exist, and the group
// first if it is missing and the Store may create it.
func (s *Store) ensureStream(ctx context.Context, stream string) error {
	if s.isKnown(stream) {
		return nil
	}
	err := s.createStream(ctx, stream)
	if hasCode(err, codeNotFound) && s.createGroup {
		if err := s.EnsureGroup(ctx); err != nil {
			return err
		}
		err = s.createStream(ctx, stream)
	}
	if err != nil && !hasCode(err, codeAlreadyExists) {
		return fmt.Errorf("creating log stream in group %s: %w", s.group, err)
	}
	s.remember(stream)
	return nil
}

// createStream calls CreateLogStream.
func (s *Store) createStream(ctx context.Context, stream string) error {
	return s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
			LogGroupName:  aws.String(s.group),
			LogStreamName: aws.String(stream),
		})
		return err
	})
}

func (s *Store) isKnown(stream string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known[stream]
}

func (s *Store) remember(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.known) >= maxKnownStreams {
		clear(s.known)
	}
	s.known[stream] = true
}

func (s *Store) forget(stream string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.known, stream)
}

// Read returns up to limit events of stream (MaxReadLimit when limit <= 0
// or larger) from the position fromToken names ("" for the head), and the
// token of the position after them. At the end of the stream it returns no
// events and fromToken again; CloudWatch may also return an empty page
// before the end, so read until the token stops changing. A missing stream
// is ErrNotFound; an invalid name or token is a *batch.ClientError.
func (s *Store) Read(ctx context.Context, stream, fromToken string, limit int) (events []batch.LogEvent, nextToken string, err error) {
	if err := validateStream(stream); err != nil {
		return nil, "", fmt.Errorf("reading log stream: %w", err)
	}
	if limit <= 0 || limit > MaxReadLimit {
		limit = MaxReadLimit
	}
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(s.group),
		LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(true),
		Limit:         aws.Int32(int32(limit)),
	}
	if fromToken != "" {
		in.NextToken = aws.String(fromToken)
	}
	var out *cloudwatchlogs.GetLogEventsOutput
	err = s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.api.GetLogEvents(ctx, in)
		return err
	})
	switch {
	case hasCode(err, codeNotFound):
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, ErrNotFound)
	case hasCode(err, codeInvalidParameter):
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, batch.Clientf("invalid log request: %s", apiMessage(err)))
	case err != nil:
		return nil, "", fmt.Errorf("reading log stream %s: %w", stream, err)
	}
	events = make([]batch.LogEvent, len(out.Events))
	for i, e := range out.Events {
		events[i] = batch.LogEvent{Timestamp: aws.ToInt64(e.Timestamp), Message: aws.ToString(e.Message)}
	}
	return events, aws.ToString(out.NextForwardToken), nil
}

// validateStream checks a stream name against CloudWatch's rules: 1 to 512
// characters, none of them ':' or '*'. A bad name is a *batch.ClientError.
func validateStream(name string) error {
	if name == "" || len(name) > maxStreamName {
		return batch.Clientf("invalid log stream name %q: length must be 1 to %d", name, maxStreamName)
	}
	if strings.ContainsAny(name, ":*") {
		return batch.Clientf("invalid log stream name %q: ':' and '*' are not allowed", name)
	}
	return nil
}

// apiMessage is the message of an API error, or err's text.
func apiMessage(err error) string {
	var apiErr interface{ ErrorMessage() string }
	if errors.As(err, &apiErr) && apiErr.ErrorMessage() != "" {
		return apiErr.ErrorMessage()
	}
	return err.Error()
}
