package triggers

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tanda-batch/tanda/batch"
)

// Control is what a Dispatcher needs of the control plane.
type Control interface {
	// TriggerRules lists every rule.
	TriggerRules(ctx context.Context) ([]Rule, error)
	// SubmitJob submits a job; a request carrying batch.RequestInfo with
	// an access key and invocation id already submitted gets the job that
	// submission made.
	SubmitJob(ctx context.Context, in *batch.SubmitJobInput) (*batch.SubmitJobOutput, error)
}

// Submission is the job a rule submitted for an object.
type Submission struct {
	Rule   string
	Object Object
	JobID  string
}

// Dispatcher submits the jobs of created objects.
type Dispatcher struct {
	ctl Control
	log *slog.Logger
}

// NewDispatcher returns a Dispatcher submitting through ctl; a nil logger
// means slog.Default().
func NewDispatcher(ctl Control, logger *slog.Logger) *Dispatcher {
	if logger == nil {
		logger = slog.Default()
	}
	return &Dispatcher{ctl: ctl, log: logger}
}

// HandleNotification submits the jobs of the objects an S3 notification
// reports created, by the rules stored now.
func (d *Dispatcher) HandleNotification(ctx context.Context, body string) ([]Submission, error) {
	objs, err := ParseNotification(body)
	if err != nil || len(objs) == 0 {
		return nil, err
	}
	rules, err := d.ctl.TriggerRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing trigger rules: %w", err)
	}
	return d.Dispatch(ctx, rules, objs)
}

// Dispatch submits, for each object, one job per rule matching it. Doing
// it again for the same objects submits nothing new: each submission finds
// the job of the first. A job refused for a reason of the rule's own (its
// job queue or definition is gone, say) is logged and skipped, since it
// would be refused again; any other failure stops the dispatch and is
// returned, with the submissions made before it.
func (d *Dispatcher) Dispatch(ctx context.Context, rules []Rule, objs []Object) ([]Submission, error) {
	var subs []Submission
	for _, o := range objs {
		for i := range rules {
			r := &rules[i]
			if !r.Matches(o.Bucket, o.Key) {
				continue
			}
			id, err := d.submit(ctx, r, o)
			if batch.IsClientError(err) {
				d.log.Warn("trigger rule cannot submit its job; skipping the object", "rule", r.Name, "bucket", o.Bucket, "key", o.Key, "err", err)
				continue
			}
			if err != nil {
				return subs, err
			}
			subs = append(subs, Submission{Rule: r.Name, Object: o, JobID: id})
		}
	}
	return subs, nil
}

// submit submits r's job for o and returns its id.
func (d *Dispatcher) submit(ctx context.Context, r *Rule, o Object) (string, error) {
	ctx = batch.WithRequestInfo(ctx, requestInfo(r, o))
	out, err := d.ctl.SubmitJob(ctx, r.jobInput(o))
	if err != nil {
		return "", fmt.Errorf("submitting the job of trigger rule %s for s3://%s/%s: %w", r.Name, o.Bucket, o.Key, err)
	}
	d.log.Info("submitted triggered job", "rule", r.Name, "bucket", o.Bucket, "key", o.Key, "job", out.JobID)
	return out.JobID, nil
}
