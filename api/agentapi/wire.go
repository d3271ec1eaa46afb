package agentapi

import (
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// PathPrefix is where the agent API is served, beside the AWS Batch API.
// Every operation is a POST of a JSON body to PathPrefix+<operation>.
const PathPrefix = "/tanda/agent/v1/"

// The operations.
const (
	opEnvironment = "environment" // the instance's compute environment and its job queues
	opJob         = "job"         // read a job offered (RUNNABLE in a queue served) or held
	opClaim       = "claim"       // RUNNABLE → STARTING, a new attempt held by the caller
	opRunning     = "running"     // the held attempt started
	opHeartbeat   = "heartbeat"   // renew the held attempt's lease
	opFinish      = "finish"      // the held attempt ended
	opHeld        = "held"        // the jobs whose attempts the caller holds
	opReport      = "report"      // the instance's size and load
)

// maxBody bounds a request's body.
const maxBody = 1 << 20

// wireJob is a job with the part of it that is Tanda's own state, which
// the agent needs (its attempt, instance, resources, lease) and which
// batch.Job does not encode.
type wireJob struct {
	Job      batch.Job         `json:"job"`
	Internal batch.JobInternal `json:"internal"`
}

func toWire(j batch.Job) wireJob { return wireJob{Job: j, Internal: j.Internal} }

func (w wireJob) job() batch.Job {
	j := w.Job
	j.Internal = w.Internal
	return j
}

type environmentOutput struct {
	ComputeEnvironment batch.ComputeEnvironment `json:"computeEnvironment"`
	JobQueues          []batch.JobQueue         `json:"jobQueues"`
}

type jobInput struct {
	JobID string `json:"jobId"`
}

// claimInput names the job and the attempt it was at when the agent read
// it RUNNABLE: the claim is of the next one.
type claimInput struct {
	JobID   string `json:"jobId"`
	Attempt int    `json:"attempt"`
}

// attemptInput names the attempt the caller holds.
type attemptInput struct {
	JobID   string `json:"jobId"`
	Attempt int    `json:"attempt"`
}

type finishInput struct {
	JobID   string      `json:"jobId"`
	Attempt int         `json:"attempt"`
	Outcome wireOutcome `json:"outcome"`
}

// wireOutcome is batch.AttemptOutcome on the wire.
type wireOutcome struct {
	ExitCode     *int   `json:"exitCode,omitempty"`
	Reason       string `json:"reason,omitempty"`
	StatusReason string `json:"statusReason,omitempty"`
	Cancelled    bool   `json:"cancelled,omitempty"`
	Terminated   bool   `json:"terminated,omitempty"`
	TimedOut     bool   `json:"timedOut,omitempty"`
}

func outcomeToWire(o batch.AttemptOutcome) wireOutcome {
	return wireOutcome{ExitCode: o.ExitCode, Reason: o.Reason, StatusReason: o.StatusReason,
		Cancelled: o.Cancelled, Terminated: o.Terminated, TimedOut: o.TimedOut}
}

func (w wireOutcome) outcome() batch.AttemptOutcome {
	return batch.AttemptOutcome{ExitCode: w.ExitCode, Reason: w.Reason, StatusReason: w.StatusReason,
		Cancelled: w.Cancelled, Terminated: w.Terminated, TimedOut: w.TimedOut}
}

type heldOutput struct {
	Jobs []wireJob `json:"jobs"`
}

type reportInput struct {
	Instance control.InstanceRecord `json:"instance"`
}

// errorBody is every error's body, in AWS's shape.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// Error types beside AuthError's.
const (
	errBadRequest   = "BadRequest"
	errAccessDenied = "AccessDenied"
	errNotFound     = "NotFound"
	errLeaseLost    = "LeaseLost"
	errNotClaimable = "NotClaimable"
	errServer       = "ServerError"
)
