package jobevents

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/tanda-batch/tanda/batch"
)

// Defaults of Options.
const (
	// DefaultBus is the account's default event bus, where AWS Batch
	// sends its events.
	DefaultBus = "default"
	// DefaultSource is the source of Tanda's job events. AWS Batch's own
	// source, "aws.batch", is reserved for AWS.
	DefaultSource = "tanda.batch"
)

// Options configure a Publisher.
type Options struct {
	// Bus is the name or ARN of the event bus; DefaultBus if empty.
	Bus string
	// Source is the events' source; DefaultSource if empty. It must not
	// start with "aws.", which EventBridge reserves.
	Source string
	// Logger takes what Publish does not report as an error, such as
	// events trimmed to fit; slog.Default() if nil.
	Logger *slog.Logger
}

// Publisher sends job state changes to an EventBridge bus. It is safe for
// concurrent use.
type Publisher struct {
	api    eventsAPI
	bus    string
	source string
	log    *slog.Logger
	limits limits
	retry  retrier
}

// New returns a Publisher that sends through api, usually an
// *eventbridge.Client.
func New(api eventsAPI, opts Options) *Publisher {
	if opts.Bus == "" {
		opts.Bus = DefaultBus
	}
	if opts.Source == "" {
		opts.Source = DefaultSource
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Publisher{
		api:    api,
		bus:    opts.Bus,
		source: opts.Source,
		log:    opts.Logger,
		limits: defaultLimits,
		retry:  defaultBackoff,
	}
}

// Skip reports whether a change of j must not be published: AWS Batch
// sends no event for the initial SUBMITTED. Publish applies it itself.
func Skip(j batch.Job) bool { return j.Status == batch.Submitted }

// Publish sends one "Batch Job State Change" event for each job in
// changes, in order, except those Skip leaves out. It sends every event it
// can and returns a *PublishError naming the jobs whose events were not
// published.
func (p *Publisher) Publish(ctx context.Context, changes []batch.Job) error {
	var (
		entries []entry
		failed  []Failure
		total   int
	)
	for _, j := range changes {
		if Skip(j) {
			continue
		}
		total++
		e, err := p.entry(j)
		if err != nil {
			failed = append(failed, Failure{JobID: j.JobID, Err: err})
			continue
		}
		entries = append(entries, e)
	}
	for _, req := range split(entries, p.limits) {
		if err := ctx.Err(); err != nil {
			failed = append(failed, failAll(req, fmt.Errorf("not sent: %w", err))...)
			continue
		}
		failed = append(failed, p.send(ctx, req)...)
	}
	if len(failed) > 0 {
		return &PublishError{Total: total, Failed: failed}
	}
	return nil
}

// send puts one request's entries, retrying the failed ones that may yet
// succeed, and returns those that did not.
func (p *Publisher) send(ctx context.Context, pending []entry) []Failure {
	var failed []Failure
	for attempt := 1; ; attempt++ {
		last := attempt >= p.retry.attempts
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: requests(pending)})
		var retry []entry
		switch {
		case err != nil:
			code := errorCode(err)
			if last || !retryable(code) {
				return append(failed, failAll(pending, giveUp(code, attempt, fmt.Errorf("putting events: %w", err)))...)
			}
			retry = pending
		case len(out.Entries) != len(pending):
			err := fmt.Errorf("putting events: %d results for %d entries", len(out.Entries), len(pending))
			return append(failed, failAll(pending, err)...)
		default:
			for i, r := range out.Entries {
				if r.ErrorCode == nil {
					continue
				}
				code := aws.ToString(r.ErrorCode)
				if !last && retryable(code) {
					retry = append(retry, pending[i])
					continue
				}
				err := giveUp(code, attempt, fmt.Errorf("%s: %s", code, aws.ToString(r.ErrorMessage)))
				failed = append(failed, Failure{JobID: pending[i].jobID, Code: code, Err: err})
			}
		}
		if len(retry) == 0 {
			return failed
		}
		if err := p.retry.sleep(ctx, p.retry.delay(attempt)); err != nil {
			return append(failed, failAll(retry, fmt.Errorf("waiting to retry: %w", err))...)
		}
		pending = retry
	}
}

// giveUp is the error of an entry abandoned after attempt calls ending in
// err with code; throttling wraps batch.ErrThrottled.
func giveUp(code string, attempt int, err error) error {
	if code == codeThrottling {
		return fmt.Errorf("%w after %d attempts: %w", batch.ErrThrottled, attempt, err)
	}
	return err
}

// requests are the PutEvents entries of entries.
func requests(entries []entry) []types.PutEventsRequestEntry {
	out := make([]types.PutEventsRequestEntry, len(entries))
	for i, e := range entries {
		out[i] = e.req
	}
	return out
}

// failAll is a failure with err for each of entries.
func failAll(entries []entry, err error) []Failure {
	out := make([]Failure, len(entries))
	for i, e := range entries {
		out[i] = Failure{JobID: e.jobID, Code: errorCode(err), Err: err}
	}
	return out
}
