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
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// Control is the part of the control plane the agent API calls on an
// instance's behalf (*control.Service). The attempt writes are the forms
// by job id: the caller's instance, never a job it sends, fences them.
type Control interface {
	Job(ctx context.Context, id string) (batch.Job, error)
	ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error)
	QueuesOf(ctx context.Context, ce string) ([]batch.JobQueue, error)
	ClaimChecked(ctx context.Context, jobID string, p control.Placement, check func(j *batch.Job) error) (batch.Job, error)
	MarkRunning(ctx context.Context, jobID string, attempt int, instance string) (batch.Job, error)
	Heartbeat(ctx context.Context, jobID string, attempt int, instance string) (batch.Job, error)
	FinishAttempt(ctx context.Context, jobID string, attempt int, instance string, o batch.AttemptOutcome) (batch.Job, error)
	HeldBy(ctx context.Context, instanceID string) ([]batch.Job, error)
	ReportInstance(ctx context.Context, rec control.InstanceRecord) error
}

// Identifier authenticates the instance behind a request (*Authenticator).
// Refusals are *AuthError.
type Identifier interface {
	Authenticate(ctx context.Context, r *http.Request) (Caller, error)
}

// Options tune a Server; zero values take the defaults.
type Options struct {
	// QueuesFor is how long the job queues a compute environment serves
	// are kept before they are read again (5 s, the agent's own refresh).
	QueuesFor time.Duration
	Clock     batch.Clock  // the system clock
	Logger    *slog.Logger // slog.Default()
}

// Server serves the agent API.
type Server struct {
	ctl  Control
	auth Identifier
	opts Options

	queues ttlCache[[]string] // the names of the queues served, by compute environment
	// requests counts the requests of each operation, refused ones too
	// (on Lambda, each is an invocation).
	requests map[string]*atomic.Int64
}

// New is the agent API over ctl, for the instances auth identifies.
func New(ctl Control, auth Identifier, o Options) *Server {
	if o.QueuesFor <= 0 {
		o.QueuesFor = 5 * time.Second
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{ctl: ctl, auth: auth, opts: o, requests: map[string]*atomic.Int64{}}
	for op := range s.ops() {
		s.requests[op] = new(atomic.Int64)
	}
	return s
}

// Requests are how many requests of each operation the server has
// answered, refused ones included.
func (s *Server) Requests() map[string]int64 {
	out := make(map[string]int64, len(s.requests))
	for op, n := range s.requests {
		out[op] = n.Load()
	}
	return out
}

// Mount serves the agent API under PathPrefix and api everywhere else.
func Mount(agents, api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(PathPrefix, agents)
	mux.Handle("/", api)
	return mux
}

// apiError is a refusal of the request itself.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, errBadRequest, fmt.Sprintf(format, args...)}
}

func denied(format string, args ...any) error {
	return &apiError{http.StatusForbidden, errAccessDenied, fmt.Sprintf(format, args...)}
}

// ServeHTTP authenticates the caller, decodes the operation's input and
// calls the control plane on the caller's behalf, within its rights.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	op := strings.TrimPrefix(r.URL.Path, PathPrefix)
	handle, ok := s.ops()[op]
	if !ok {
		s.answerError(w, r, Caller{}, &apiError{http.StatusNotFound, errNotFound, fmt.Sprintf("no agent API operation %q", op)})
		return
	}
	s.requests[op].Add(1)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.answerError(w, r, Caller{}, &apiError{http.StatusMethodNotAllowed, errBadRequest, "agent API operations are POST"})
		return
	}
	caller, err := s.auth.Authenticate(ctx, r)
	if err != nil {
		s.answerError(w, r, Caller{}, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.answerError(w, r, caller, badRequest("reading the body: %v", err))
		return
	}
	if len(body) > maxBody {
		s.answerError(w, r, caller, badRequest("the body is larger than %d bytes", maxBody))
		return
	}
	out, err := handle(ctx, caller, body)
	if err != nil {
		s.answerError(w, r, caller, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

type opFunc func(ctx context.Context, c Caller, body []byte) (any, error)

func (s *Server) ops() map[string]opFunc {
	return map[string]opFunc{
		opEnvironment: s.environment,
		opJob:         s.job,
		opClaim:       s.claim,
		opRunning:     s.running,
		opHeartbeat:   s.heartbeat,
		opFinish:      s.finish,
		opHeld:        s.held,
		opReport:      s.report,
	}
}

// decode reads body into v, refusing unknown fields and trailing data.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("decoding the body: %v", err)
	}
	if dec.More() {
		return badRequest("decoding the body: data after the JSON object")
	}
	return nil
}

func (s *Server) environment(ctx context.Context, c Caller, body []byte) (any, error) {
	if err := decode(body, &struct{}{}); err != nil {
		return nil, err
	}
	ce, err := s.ctl.ComputeEnvironment(ctx, c.ComputeEnvironment)
	if err != nil {
		return nil, err
	}
	qs, err := s.ctl.QueuesOf(ctx, c.ComputeEnvironment)
	if err != nil {
		return nil, err
	}
	s.keepQueues(c.ComputeEnvironment, qs)
	if qs == nil {
		qs = []batch.JobQueue{}
	}
	return environmentOutput{ComputeEnvironment: ce, JobQueues: qs}, nil
}

// queuesOf names the job queues compute environment ce serves, read again
// once QueuesFor has passed.
func (s *Server) queuesOf(ctx context.Context, ce string) ([]string, error) {
	if names, ok := s.queues.get(ce, s.opts.Clock.Now()); ok {
		return names, nil
	}
	qs, err := s.ctl.QueuesOf(ctx, ce)
	if err != nil {
		return nil, fmt.Errorf("listing the job queues of %s: %w", ce, err)
	}
	return s.keepQueues(ce, qs), nil
}

func (s *Server) keepQueues(ce string, qs []batch.JobQueue) []string {
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.JobQueueName
	}
	now := s.opts.Clock.Now()
	s.queues.put(ce, names, now, now.Add(s.opts.QueuesFor))
	return names
}

func needJobID(id string) error {
	if id == "" || len(id) > 256 {
		return badRequest("jobId: want a job id of 1 to 256 characters")
	}
	return nil
}

func holds(c Caller, j *batch.Job) bool {
	return j.Status.Active() && j.Internal.Instance == c.InstanceID
}

// job answers a job the caller was offered or holds. A job of a queue
// its compute environment serves that is neither RUNNABLE nor its own is
// answered with its status only (the agent drops its doorbell); any other
// job is not found.
func (s *Server) job(ctx context.Context, c Caller, body []byte) (any, error) {
	var in jobInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := needJobID(in.JobID); err != nil {
		return nil, err
	}
	j, err := s.ctl.Job(ctx, in.JobID)
	if err != nil {
		return nil, err
	}
	if holds(c, &j) {
		return toWire(j), nil
	}
	queues, err := s.queuesOf(ctx, c.ComputeEnvironment)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(queues, j.Internal.QueueName) {
		return nil, fmt.Errorf("job %s is not in a job queue compute environment %s serves: %w", in.JobID, c.ComputeEnvironment, batch.ErrNotFound)
	}
	if j.Status == batch.Runnable {
		return toWire(j), nil
	}
	return toWire(batch.Job{
		JobID: j.JobID, JobQueue: j.JobQueue, Status: j.Status,
		Internal: batch.JobInternal{QueueName: j.Internal.QueueName, Attempt: j.Internal.Attempt},
	}), nil
}

// claim gives the caller the next attempt of a RUNNABLE job of a queue its
// compute environment serves, placed on its instance and compute
// environment as EC2 has them.
func (s *Server) claim(ctx context.Context, c Caller, body []byte) (any, error) {
	var in claimInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := needJobID(in.JobID); err != nil {
		return nil, err
	}
	if in.Attempt < 0 {
		return nil, badRequest("attempt: want the job's attempt number as read, 0 or more")
	}
	queues, err := s.queuesOf(ctx, c.ComputeEnvironment)
	if err != nil {
		return nil, err
	}
	j, err := s.ctl.ClaimChecked(ctx, in.JobID, control.Placement{InstanceID: c.InstanceID, ComputeEnvironment: c.ComputeEnvironment},
		func(j *batch.Job) error {
			if !slices.Contains(queues, j.Internal.QueueName) {
				return denied("job %s is in job queue %s, which compute environment %s does not serve", j.JobID, j.Internal.QueueName, c.ComputeEnvironment)
			}
			if j.Internal.Attempt != in.Attempt {
				return fmt.Errorf("job %s is at attempt %d, not %d: %w", j.JobID, j.Internal.Attempt, in.Attempt, control.ErrNotClaimable)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return toWire(j), nil
}

func decodeAttempt(body []byte) (attemptInput, error) {
	var in attemptInput
	if err := decode(body, &in); err != nil {
		return in, err
	}
	if err := needJobID(in.JobID); err != nil {
		return in, err
	}
	if in.Attempt < 1 {
		return in, badRequest("attempt: want the number of the attempt held, 1 or more")
	}
	return in, nil
}

func (s *Server) running(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := decodeAttempt(body)
	if err != nil {
		return nil, err
	}
	j, err := s.ctl.MarkRunning(ctx, in.JobID, in.Attempt, c.InstanceID)
	if err != nil {
		return nil, err
	}
	return toWire(j), nil
}

func (s *Server) heartbeat(ctx context.Context, c Caller, body []byte) (any, error) {
	in, err := decodeAttempt(body)
	if err != nil {
		return nil, err
	}
	j, err := s.ctl.Heartbeat(ctx, in.JobID, in.Attempt, c.InstanceID)
	if err != nil {
		return nil, err
	}
	return toWire(j), nil
}

// maxReason bounds an outcome's reasons (the control plane keeps 255
// characters of the container's reason).
const maxReason = 1024

func (s *Server) finish(ctx context.Context, c Caller, body []byte) (any, error) {
	var in finishInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := needJobID(in.JobID); err != nil {
		return nil, err
	}
	if in.Attempt < 1 {
		return nil, badRequest("attempt: want the number of the attempt held, 1 or more")
	}
	if len(in.Outcome.Reason) > maxReason || len(in.Outcome.StatusReason) > maxReason {
		return nil, badRequest("outcome: reason and statusReason take at most %d bytes", maxReason)
	}
	j, err := s.ctl.FinishAttempt(ctx, in.JobID, in.Attempt, c.InstanceID, in.Outcome.outcome())
	if err != nil {
		return nil, err
	}
	return toWire(j), nil
}

func (s *Server) held(ctx context.Context, c Caller, body []byte) (any, error) {
	if err := decode(body, &struct{}{}); err != nil {
		return nil, err
	}
	jobs, err := s.ctl.HeldBy(ctx, c.InstanceID)
	if err != nil {
		return nil, err
	}
	out := heldOutput{Jobs: make([]wireJob, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, toWire(j))
	}
	return out, nil
}

// report records the caller's own instance only, in its own compute
// environment.
func (s *Server) report(ctx context.Context, c Caller, body []byte) (any, error) {
	var in reportInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec := in.Instance
	if rec.ID != "" && rec.ID != c.InstanceID {
		return nil, denied("instance %s may report only itself, not %s", c.InstanceID, rec.ID)
	}
	if rec.ComputeEnvironment != "" && rec.ComputeEnvironment != c.ComputeEnvironment {
		return nil, denied("instance %s is in compute environment %s, not %s", c.InstanceID, c.ComputeEnvironment, rec.ComputeEnvironment)
	}
	if rec.VCPUs < 0 || rec.MemoryMiB < 0 || rec.GPUs < 0 || rec.UsedVCPUs < 0 || rec.UsedMemoryMiB < 0 || rec.RunningJobs < 0 {
		return nil, badRequest("instance: sizes and loads must not be negative")
	}
	if len(rec.InstanceType) > 64 {
		return nil, badRequest("instance: instanceType takes at most 64 characters")
	}
	rec.ID, rec.ComputeEnvironment = c.InstanceID, c.ComputeEnvironment
	if err := s.ctl.ReportInstance(ctx, rec); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// answerError writes err in AWS's error shape. Refusals are logged with
// the caller, so that an instance trying what it may not is on record.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, c Caller, err error) {
	status, code, msg := classify(err)
	log := s.opts.Logger.With("op", strings.TrimPrefix(r.URL.Path, PathPrefix), "instance", c.InstanceID, "status", status)
	switch {
	case status >= 500:
		log.Error("agent API request failed", "err", err)
		msg = "internal error: see the API's log"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		log.Warn("agent API request refused", "code", code, "reason", msg, "remote", r.RemoteAddr)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Type: code, Message: msg})
}

func classify(err error) (int, string, string) {
	var ae *AuthError
	var pe *apiError
	var ce *batch.ClientError
	switch {
	case errors.As(err, &ae):
		return ae.Status, ae.Code, ae.Message
	case errors.As(err, &pe):
		return pe.status, pe.code, pe.message
	case errors.Is(err, control.ErrLeaseLost):
		return http.StatusConflict, errLeaseLost, err.Error()
	case errors.Is(err, control.ErrNotClaimable):
		return http.StatusConflict, errNotClaimable, err.Error()
	case errors.Is(err, batch.ErrNotFound):
		return http.StatusNotFound, errNotFound, err.Error()
	case errors.As(err, &ce):
		return http.StatusBadRequest, errBadRequest, ce.Message
	case errors.Is(err, batch.ErrThrottled):
		return http.StatusTooManyRequests, "TooManyRequestsException", "slow down"
	}
	return http.StatusInternalServerError, errServer, err.Error()
}
