package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/internal/backoff"
)

// TokenSource gives the agent's identity, encoded for IdentityHeader
// (infra/agentid's signer on EC2). fresh asks for a newly signed one.
type TokenSource interface {
	Token(ctx context.Context, fresh bool) (string, error)
}

// Doorbells deletes a ready queue's doorbell once its job is claimed: the
// agent receives them from SQS itself.
type Doorbells interface {
	Delete(ctx context.Context, queue, receipt string) error
}

// Client is the agent's side of the agent API: the control plane as
// bootstrap.Agent uses it (bootstrap.Control). Its fields are set before
// first use; it is safe for concurrent use.
type Client struct {
	// Endpoint is the API's URL (the stack's function URL, or `tanda
	// serve`'s).
	Endpoint string
	Identity TokenSource
	// Doorbells deletes the doorbell of each job claimed.
	Doorbells Doorbells
	HTTP      Doer
	// Tries is how many times a call is made before its error is
	// returned, when it fails without an answer or with a 5xx or 429 (3).
	Tries  int
	Clock  batch.Clock // the system clock
	Logger *slog.Logger

	mu    sync.Mutex
	env   environmentOutput
	envAt time.Time
}

// envFresh is how long the compute environment read with the job queues
// serves ComputeEnvironment: the agent reads both together.
const envFresh = time.Second

// CallError is an answer of the agent API that is not a success.
type CallError struct {
	Op      string
	Status  int
	Code    string
	Message string
}

func (e *CallError) Error() string {
	return fmt.Sprintf("agent API %s: %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// Unwrap maps the answer to the control plane's errors, which the agent
// acts on.
func (e *CallError) Unwrap() error {
	switch e.Code {
	case errLeaseLost:
		return control.ErrLeaseLost
	case errNotClaimable:
		return control.ErrNotClaimable
	case errNotFound:
		return batch.ErrNotFound
	case "TooManyRequestsException":
		return batch.ErrThrottled
	}
	return nil
}

// retryable reports whether a call that failed with err may be made again:
// it had no answer, or a server error or throttling.
func retryable(err error) bool {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Status >= 500 || ce.Status == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func (c *Client) tries() int {
	if c.Tries <= 0 {
		return 3
	}
	return c.Tries
}

// call makes op, again while it fails retryably (with backoff), and
// once more with a freshly signed identity if the first was refused.
func (c *Client) call(ctx context.Context, op string, in, out any) error {
	var err error
	fresh := false
	for try := 0; try < c.tries(); try++ {
		if try > 0 {
			if werr := backoff.Sleep(ctx, backoff.Jitter(backoff.Exponential(retryBase, retryMax, try))); werr != nil {
				return err
			}
		}
		err = c.once(ctx, op, in, out, fresh)
		var ce *CallError
		if errors.As(err, &ce) && ce.Code == "IdentityRefused" && !fresh {
			fresh = true
			err = c.once(ctx, op, in, out, true)
		}
		if err == nil || !retryable(err) {
			return err
		}
	}
	return err
}

// retryBase and retryMax bound the waits between tries of one call:
// 200 ms doubling to at most 2 s, each spread over its upper half
// (100–200 ms before the second try).
const (
	retryBase = 200 * time.Millisecond
	retryMax  = 2 * time.Second
)

func (c *Client) once(ctx context.Context, op string, in, out any, fresh bool) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("agent API %s: encoding the request: %w", op, err)
	}
	tok, err := c.Identity.Token(ctx, fresh)
	if err != nil {
		return fmt.Errorf("agent API %s: signing the instance's identity: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+PathPrefix+op, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("agent API %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdentityHeader, tok)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("agent API %s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("agent API %s: reading the answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		_ = json.Unmarshal(raw, &eb)
		if eb.Type == "" {
			eb.Type = http.StatusText(resp.StatusCode)
		}
		return &CallError{Op: op, Status: resp.StatusCode, Code: eb.Type, Message: eb.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("agent API %s: decoding the answer: %w", op, err)
	}
	return nil
}

func (c *Client) jobCall(ctx context.Context, op string, in any) (batch.Job, error) {
	var out wireJob
	if err := c.call(ctx, op, in, &out); err != nil {
		return batch.Job{}, err
	}
	return out.job(), nil
}

// Job reads a job the instance was offered or holds.
func (c *Client) Job(ctx context.Context, id string) (batch.Job, error) {
	return c.jobCall(ctx, opJob, jobInput{JobID: id})
}

// environment reads the instance's compute environment and its queues.
func (c *Client) environment(ctx context.Context) (environmentOutput, error) {
	var out environmentOutput
	if err := c.call(ctx, opEnvironment, struct{}{}, &out); err != nil {
		return out, err
	}
	c.mu.Lock()
	c.env, c.envAt = out, c.now()
	c.mu.Unlock()
	return out, nil
}

// QueuesOf lists the job queues the instance's compute environment
// serves, highest priority first. The server knows the compute
// environment from EC2: ce is not sent.
func (c *Client) QueuesOf(ctx context.Context, ce string) ([]batch.JobQueue, error) {
	env, err := c.environment(ctx)
	return env.JobQueues, err
}

// ComputeEnvironment reads the instance's compute environment (ref is not
// sent), from the answer of a QueuesOf made just before if there is one.
func (c *Client) ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error) {
	c.mu.Lock()
	env, at := c.env, c.envAt
	c.mu.Unlock()
	if !at.IsZero() && c.now().Sub(at) < envFresh {
		return env.ComputeEnvironment, nil
	}
	env, err := c.environment(ctx)
	return env.ComputeEnvironment, err
}

// ClaimJob claims the next attempt of job, as read RUNNABLE, for this
// instance, then deletes the doorbell that announced it. p is the
// server's to decide (the caller's instance and its compute environment
// as EC2 has them) and is not sent.
//
// A claim is not simply made again: when it gets no answer, the job is
// read back, and the claim was this one's if the job is now held here at
// the next attempt (one agent claims one job at a time).
func (c *Client) ClaimJob(ctx context.Context, job batch.Job, p control.Placement, doorbell batch.Delivery) (batch.Job, error) {
	in := claimInput{JobID: job.JobID, Attempt: job.Internal.Attempt}
	var out wireJob
	err := c.once(ctx, opClaim, in, &out, false)
	var ce *CallError
	if errors.As(err, &ce) && ce.Code == "IdentityRefused" {
		err = c.once(ctx, opClaim, in, &out, true)
	}
	claimed := out.job()
	if err != nil && retryable(err) {
		var rerr error
		if claimed, rerr = c.Job(ctx, job.JobID); rerr != nil || !claimed.Status.Active() ||
			claimed.Internal.Instance != p.InstanceID || claimed.Internal.Attempt != job.Internal.Attempt+1 {
			return batch.Job{}, err
		}
		err = nil
	}
	if err != nil {
		return batch.Job{}, err
	}
	if derr := c.Doorbells.Delete(ctx, doorbell.Queue, doorbell.Receipt); derr != nil {
		c.logger().Warn("deleting a claimed job's doorbell", "job", job.JobID, "queue", doorbell.Queue, "err", derr)
	}
	return claimed, nil
}

func (c *Client) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock.Now()
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// MarkHeldRunning records that the held attempt started.
func (c *Client) MarkHeldRunning(ctx context.Context, held batch.Job) (batch.Job, error) {
	return c.jobCall(ctx, opRunning, attemptInput{JobID: held.JobID, Attempt: held.Internal.Attempt})
}

// HeartbeatHeld renews the held attempt's lease.
func (c *Client) HeartbeatHeld(ctx context.Context, held batch.Job) (batch.Job, error) {
	return c.jobCall(ctx, opHeartbeat, attemptInput{JobID: held.JobID, Attempt: held.Internal.Attempt})
}

// FinishHeld reports how the held attempt ended.
func (c *Client) FinishHeld(ctx context.Context, held batch.Job, o batch.AttemptOutcome) (batch.Job, error) {
	return c.jobCall(ctx, opFinish, finishInput{JobID: held.JobID, Attempt: held.Internal.Attempt, Outcome: outcomeToWire(o)})
}

// ReportInstance reports the instance's size and load.
func (c *Client) ReportInstance(ctx context.Context, rec control.InstanceRecord) error {
	return c.call(ctx, opReport, reportInput{Instance: rec}, nil)
}

// HeldBy lists the jobs whose attempts this instance holds (instanceID
// is the caller's own; it is not sent).
func (c *Client) HeldBy(ctx context.Context, instanceID string) ([]batch.Job, error) {
	var out heldOutput
	if err := c.call(ctx, opHeld, struct{}{}, &out); err != nil {
		return nil, err
	}
	jobs := make([]batch.Job, len(out.Jobs))
	for i, w := range out.Jobs {
		jobs[i] = w.job()
	}
	return jobs, nil
}
