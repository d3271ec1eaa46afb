package standalone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/process"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/httpapi"
	"github.com/tanda-batch/tanda/infra/logfiles"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/sigv4"
)

// observer shows the control plane to the provisioner.
type observer struct {
	ctl   *control.Service
	fleet provisioner.Fleet
	clock batch.Clock
}

func (o observer) ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error) {
	all, err := o.ctl.ComputeEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ce := range all {
		if ce.Status == batch.StatusDeleting {
			// A deleted compute environment shrinks to nothing, then goes.
			insts, err := o.fleet.Instances(ctx, ce.ComputeEnvironmentName)
			if err != nil {
				return nil, err
			}
			if len(insts) == 0 {
				if err := o.ctl.ForgetComputeEnvironment(ctx, ce.ComputeEnvironmentName); err != nil {
					return nil, err
				}
				continue
			}
			ce.State = batch.StateDisabled
			if ce.ComputeResources != nil {
				zero := 0
				ce.ComputeResources.MinvCpus = &zero
			}
		}
		out = append(out, ce)
	}
	return out, nil
}

func (o observer) Demand(ctx context.Context, ce string, limit int) ([]provisioner.Job, error) {
	jobs, err := o.ctl.Demand(ctx, ce, limit)
	if err != nil {
		return nil, err
	}
	out := make([]provisioner.Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, provisioner.Job{ID: j.JobID, VCPUs: j.Internal.VCPUs, MemoryMiB: j.Internal.MemoryMiB, GPUs: j.Internal.GPUs})
	}
	return out, nil
}

func (o observer) Loads(ctx context.Context, ce string) (map[string]provisioner.Load, error) {
	recs, err := o.ctl.Instances(ctx, ce)
	if err != nil {
		return nil, err
	}
	out := make(map[string]provisioner.Load, len(recs))
	for _, r := range recs {
		l := provisioner.Load{UsedVCPUs: r.UsedVCPUs, UsedMemoryMiB: r.UsedMemoryMiB, RunningJobs: r.RunningJobs, Draining: r.Draining}
		if r.LastBusyAt > 0 {
			l.LastBusyAt = time.UnixMilli(r.LastBusyAt)
		}
		// The job rows are the truth: an instance holding an attempt is
		// busy now, whatever its last report said.
		held, err := o.ctl.HeldBy(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if len(held) > 0 {
			l.RunningJobs, l.UsedVCPUs, l.UsedMemoryMiB = len(held), 0, 0
			for _, j := range held {
				l.UsedVCPUs += j.Internal.VCPUs
				l.UsedMemoryMiB += j.Internal.MemoryMiB
				l.UsedGPUs += j.Internal.GPUs
			}
			l.LastBusyAt = o.clock.Now()
		}
		out[r.ID] = l
	}
	return out, nil
}

func (o observer) RecordDecision(ctx context.Context, ce string, d batch.ScalingDecision) error {
	return o.ctl.RecordDecision(ctx, ce, d)
}

// instanceTypes shows the catalogue to the control plane.
type instanceTypes struct{ cat *provisioner.Catalog }

func (t instanceTypes) Check(types []string) error {
	_, err := t.cat.Expand(types)
	return err
}

func (t instanceTypes) Fits(types []string, vcpus float64, mem, gpus int64) bool {
	all, err := t.cat.Expand(types)
	if err != nil {
		return false
	}
	for _, it := range all {
		if it.VCPUs >= vcpus && it.MemoryMiB >= mem && it.GPUs >= gpus {
			return true
		}
	}
	return false
}

// processRuntime runs attempts as plain processes.
type processRuntime struct{ rt *process.Runtime }

func (processRuntime) Name() string { return "process" }

func (p processRuntime) Start(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	// A process runs in its attempt's working directory.
	if err := os.MkdirAll(spec.WorkDir, 0o755); err != nil {
		return nil, &bootstrap.StartError{Reason: "ResourceInitializationError: creating working directory: " + err.Error()}
	}
	run, err := p.rt.Start(ctx, process.Spec{
		JobID: spec.JobID, Attempt: spec.Attempt, Image: spec.Image, Command: spec.Command,
		Env: spec.Env, WorkDir: spec.WorkDir, User: spec.User,
	}, logSink(logs))
	if err != nil {
		var se *process.StartError
		if errors.As(err, &se) {
			return nil, &bootstrap.StartError{Reason: se.Reason}
		}
		return nil, err
	}
	return processRun{run}, nil
}

type processRun struct{ run *process.Run }

func (r processRun) Wait() bootstrap.RunResult {
	res := r.run.Wait()
	return bootstrap.RunResult{ExitCode: res.ExitCode, Reason: res.Reason}
}

func (r processRun) Stop(grace time.Duration) { r.run.Stop(grace) }

type logSink bootstrap.LogFunc

func (f logSink) Log(stream string, at time.Time, line string) {
	f(bootstrap.LogLine{Stream: stream, At: at, Text: line})
}

// logStore writes job output to log files.
type logStore struct{ files *logfiles.Store }

func (s logStore) AppendLines(ctx context.Context, stream string, lines []bootstrap.LogLine) error {
	events := make([]logfiles.Event, len(lines))
	for i, l := range lines {
		events[i] = logfiles.Event{Timestamp: batch.Millis(l.At), Message: l.Text}
	}
	return s.files.Append(ctx, stream, events)
}

// logReader serves Tanda's logs endpoint.
type logReader struct {
	ctl   *control.Service
	files *logfiles.Store
}

func (r logReader) ReadJobLog(ctx context.Context, jobID string, attempt int, token string, limit int) (httpapi.LogPage, error) {
	j, err := r.ctl.Job(ctx, jobID)
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
	events, next, err := r.files.Read(ctx, stream, token, limit)
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

// authenticator verifies SigV4 for the API.
type authenticator struct{ v *sigv4.Verifier }

func (a authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (string, string, error) {
	id, err := a.v.Verify(ctx, r, body)
	if err != nil {
		return "", "", err
	}
	return id.AccessKeyID, id.Signature, nil
}
