// Package explain says in plain words why a job waits, from the same
// facts the control plane acts on: the job's status and reason, its
// dependencies, its array children, its job queue's state, and each of
// the queue's compute environments with the provisioner's last decision
// and the capacity it could not get. `tanda why` prints it (through the
// API's /tanda/v1/why endpoint), and the console shows it.
package explain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Source reads what an explanation is made of; *control.Service is one.
type Source interface {
	// Job reads a job as DescribeJobs shows it (an array parent with its
	// children's statusSummary), or batch.ErrNotFound.
	Job(ctx context.Context, id string) (batch.Job, error)
	JobQueue(ctx context.Context, ref string) (batch.JobQueue, error)
	ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error)
}

// Kinds of reasons.
const (
	KindStatus             = "status"
	KindDependency         = "dependency"
	KindArray              = "array"
	KindQueue              = "queue"
	KindComputeEnvironment = "computeEnvironment"
	KindDecision           = "decision"
	KindCapacity           = "capacity"
	KindMisconfiguration   = "misconfiguration"
)

// Reason is one fact that holds a job back (or says it is not held).
type Reason struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
	// Blocking is set on the reasons that keep the job from going on.
	Blocking bool `json:"blocking"`
}

// Explanation says why a job is where it is.
type Explanation struct {
	JobID   string `json:"jobId"`
	JobName string `json:"jobName"`
	Status  string `json:"status"`
	// Waiting is set while the job waits (SUBMITTED, PENDING, RUNNABLE).
	Waiting bool `json:"waiting"`
	// Summary is the first reason's text, or what the job does.
	Summary string   `json:"summary"`
	Reasons []Reason `json:"reasons"`
}

// maxDependencies bounds the dependencies read (AWS allows 20).
const maxDependencies = 20

// Why explains a job's status at now.
func Why(ctx context.Context, src Source, jobID string, now time.Time) (Explanation, error) {
	j, err := src.Job(ctx, jobID)
	if err != nil {
		return Explanation{}, fmt.Errorf("reading job %s: %w", jobID, err)
	}
	e := Explanation{JobID: j.JobID, JobName: j.JobName, Status: j.Status.String()}
	add := func(kind string, blocking bool, format string, args ...any) {
		e.Reasons = append(e.Reasons, Reason{Kind: kind, Text: fmt.Sprintf(format, args...), Blocking: blocking})
	}
	switch j.Status {
	case batch.Succeeded, batch.Failed:
		add(KindStatus, false, "It has finished: %s%s.", j.Status, withReason(j.StatusReason))
	case batch.Starting, batch.Running:
		add(KindStatus, false, "It is not waiting: it is %s on instance %s in compute environment %s (attempt %d).",
			j.Status, orUnknown(j.Internal.Instance), orUnknown(j.Internal.ComputeEnvironment), j.Internal.Attempt)
	case batch.Submitted:
		e.Waiting = true
		add(KindStatus, true, "The scheduler has not looked at it yet: it is SUBMITTED since %s. It should within seconds; a lost doorbell is rung again after 30 s.",
			ago(j.CreatedAt, now))
	case batch.Pending:
		e.Waiting = true
		if err := pending(ctx, src, &j, add); err != nil {
			return Explanation{}, err
		}
	case batch.Runnable:
		e.Waiting = true
		if err := runnable(ctx, src, &j, now, add); err != nil {
			return Explanation{}, err
		}
	}
	if len(e.Reasons) > 0 {
		e.Summary = e.Reasons[0].Text
		for _, r := range e.Reasons {
			if r.Blocking {
				e.Summary = r.Text
				break
			}
		}
	}
	return e, nil
}

type adder func(kind string, blocking bool, format string, args ...any)

// pending explains a PENDING job: the dependencies it waits for, or its
// array children.
func pending(ctx context.Context, src Source, j *batch.Job, add adder) error {
	if ap := j.ArrayProperties; ap != nil && ap.Size != nil && j.Internal.ArrayParent == "" {
		done := ap.StatusSummary["SUCCEEDED"] + ap.StatusSummary["FAILED"]
		add(KindArray, true, "It is an array job: %d of its %d children have finished (%s); it ends when all have.",
			done, *ap.Size, summary(ap.StatusSummary))
	}
	deps := j.DependsOn
	if len(deps) > maxDependencies {
		deps = deps[:maxDependencies]
	}
	waiting := 0
	for _, d := range deps {
		if d.JobID == "" {
			continue
		}
		dep, err := src.Job(ctx, d.JobID)
		if errors.Is(err, batch.ErrNotFound) {
			add(KindDependency, false, "Its dependency %s is gone (deleted after it finished).", d.JobID)
			continue
		}
		if err != nil {
			return fmt.Errorf("reading dependency %s: %w", d.JobID, err)
		}
		kind := ""
		if d.Type != "" {
			kind = " (" + d.Type + ")"
		}
		switch dep.Status {
		case batch.Succeeded:
			add(KindDependency, false, "Its dependency %s (%s)%s has SUCCEEDED.", dep.JobID, dep.JobName, kind)
		case batch.Failed:
			add(KindDependency, true, "Its dependency %s (%s)%s FAILED, so it will fail too (Dependent Job failed).", dep.JobID, dep.JobName, kind)
		default:
			waiting++
			add(KindDependency, true, "It waits for job %s (%s)%s, which is %s.", dep.JobID, dep.JobName, kind, dep.Status)
		}
	}
	if waiting == 0 && len(j.DependsOn) > 0 && (j.ArrayProperties == nil || j.Internal.ArrayParent != "") {
		add(KindStatus, true, "Its dependencies have finished; the scheduler will make it RUNNABLE (a lost wake-up is repaired within 5 minutes).")
	}
	return nil
}

// runnable explains a RUNNABLE job: its own reason, its queue's state,
// and each compute environment of the queue with its last decision.
func runnable(ctx context.Context, src Source, j *batch.Job, now time.Time, add adder) error {
	res := fmt.Sprintf("%g vCPUs and %d MiB", j.Internal.VCPUs, j.Internal.MemoryMiB)
	if j.Internal.GPUs > 0 {
		res += fmt.Sprintf(" and %d GPUs", j.Internal.GPUs)
	}
	add(KindStatus, false, "It is RUNNABLE since %s, asking for %s: it starts when an instance of its queue's compute environments has room for it.",
		ago(j.Internal.RunnableAt, now), res)
	if r := j.StatusReason; r != "" {
		kind := KindStatus
		switch {
		case strings.HasPrefix(r, "MISCONFIGURATION"):
			kind = KindMisconfiguration
		case strings.HasPrefix(r, "CAPACITY"):
			kind = KindCapacity
		}
		add(kind, true, "%s", r)
	}
	queueRef := j.Internal.QueueName
	if queueRef == "" {
		queueRef = j.JobQueue
	}
	q, err := src.JobQueue(ctx, queueRef)
	if errors.Is(err, batch.ErrNotFound) {
		add(KindQueue, true, "Its job queue %s is gone: it will not run.", queueRef)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading job queue %s: %w", queueRef, err)
	}
	switch {
	case q.State == batch.StateDisabled:
		add(KindQueue, true, "Its job queue %s is DISABLED: no job of it starts until it is enabled (aws batch update-job-queue --state ENABLED).", q.JobQueueName)
	case q.Status != "" && q.Status != batch.StatusValid:
		add(KindQueue, true, "Its job queue %s is %s%s.", q.JobQueueName, q.Status, withReason(q.StatusReason))
	default:
		add(KindQueue, false, "Its job queue %s is ENABLED (priority %d).", q.JobQueueName, q.Priority)
	}
	if q.SchedulingPolicyArn != "" {
		add(KindQueue, false, "Its queue shares capacity by the fair-share policy %s: other shares may go first.", q.SchedulingPolicyArn)
	}
	if len(q.ComputeEnvironmentOrder) == 0 {
		add(KindQueue, true, "Its job queue has no compute environment.")
	}
	for _, o := range q.ComputeEnvironmentOrder {
		ce, err := src.ComputeEnvironment(ctx, o.ComputeEnvironment)
		if errors.Is(err, batch.ErrNotFound) {
			add(KindComputeEnvironment, true, "Compute environment %s of its queue is gone.", o.ComputeEnvironment)
			continue
		}
		if err != nil {
			return fmt.Errorf("reading compute environment %s: %w", o.ComputeEnvironment, err)
		}
		computeEnvironment(&ce, j, now, add)
	}
	return nil
}

// computeEnvironment explains what one compute environment does for a job.
func computeEnvironment(ce *batch.ComputeEnvironment, j *batch.Job, now time.Time, add adder) {
	name := ce.ComputeEnvironmentName
	cr := ce.ComputeResources
	switch {
	case ce.State == batch.StateDisabled:
		add(KindComputeEnvironment, true, "Compute environment %s is DISABLED: it takes no new job and launches nothing.", name)
		return
	case ce.Status != "" && ce.Status != batch.StatusValid:
		add(KindComputeEnvironment, true, "Compute environment %s is %s.", name, ce.Status)
		return
	case ce.Type != batch.TypeManaged || cr == nil:
		add(KindComputeEnvironment, false, "Compute environment %s is UNMANAGED: Tanda launches no instance for it; its jobs run on the instances registered to it.", name)
		return
	}
	limits := fmt.Sprintf("%s, minvCpus %d, maxvCpus %d", cr.Type, deref(cr.MinvCpus), deref(cr.MaxvCpus))
	if float64(deref(cr.MaxvCpus)) < j.Internal.VCPUs {
		add(KindMisconfiguration, true, "Compute environment %s (%s) can never hold it: it asks for %g vCPUs.", name, limits, j.Internal.VCPUs)
	}
	d := ce.Decision
	if d == nil {
		add(KindDecision, false, "Compute environment %s (%s) has no scaling decision yet: the provisioner has not passed over it.", name, limits)
		return
	}
	at := time.UnixMilli(d.At)
	add(KindDecision, false, "Compute environment %s (%s): the provisioner's last decision (%s, %s) wants %d vCPUs: %s",
		name, limits, at.UTC().Format(time.RFC3339), ago(d.At, now), d.DesiredvCpus, d.Reason)
	if strings.Contains(d.Reason, "had no capacity") {
		add(KindCapacity, true, "EC2 had no capacity for some of compute environment %s's instance types: they are hidden for a while and others tried.", name)
	}
	if d.DesiredvCpus >= deref(cr.MaxvCpus) && deref(cr.MaxvCpus) > 0 {
		add(KindCapacity, true, "Compute environment %s is at maxvCpus (%d): jobs wait for running ones to end, or for maxvCpus to be raised.", name, deref(cr.MaxvCpus))
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func withReason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ago says how long ago an epoch-millisecond instant was.
func ago(millis int64, now time.Time) string {
	if millis <= 0 {
		return "an unknown time"
	}
	d := now.Sub(time.UnixMilli(millis))
	if d < time.Second {
		return "less than a second ago"
	}
	return d.Round(time.Second).String() + " ago"
}

// summary lists the children's counts in lifecycle order.
func summary(counts map[string]int) string {
	var parts []string
	for _, s := range batch.AllStatuses {
		if n := counts[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "none written yet"
	}
	return strings.Join(parts, ", ")
}
