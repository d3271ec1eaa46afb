package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

// recorded is one Backend call as the fake saw it.
type recorded struct {
	op   string
	in   any
	info batch.RequestInfo
}

// tagCall is the input the fake records for the tag operations.
type tagCall struct {
	ARN  string
	Tags map[string]string
	Keys []string
}

// fakeBackend records every call and answers with err, or with the output
// stored in outs under the operation's name (nil if none).
type fakeBackend struct {
	mu    sync.Mutex
	calls []recorded
	err   error
	outs  map[string]any
	tags  map[string]string
}

// answer records a call and returns its canned output.
func answer[Out any](ctx context.Context, f *fakeBackend, op string, in any) (*Out, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, _ := batch.RequestInfoFrom(ctx)
	f.calls = append(f.calls, recorded{op: op, in: in, info: info})
	if f.err != nil {
		return nil, f.err
	}
	out, _ := f.outs[op].(*Out)
	return out, nil
}

func (f *fakeBackend) recordedCalls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.calls...)
}

func (f *fakeBackend) SubmitJob(ctx context.Context, in *batch.SubmitJobInput) (*batch.SubmitJobOutput, error) {
	return answer[batch.SubmitJobOutput](ctx, f, "SubmitJob", in)
}

func (f *fakeBackend) DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput) (*batch.DescribeJobsOutput, error) {
	return answer[batch.DescribeJobsOutput](ctx, f, "DescribeJobs", in)
}

func (f *fakeBackend) ListJobs(ctx context.Context, in *batch.ListJobsInput) (*batch.ListJobsOutput, error) {
	return answer[batch.ListJobsOutput](ctx, f, "ListJobs", in)
}

func (f *fakeBackend) CancelJob(ctx context.Context, in *batch.JobActionInput) error {
	_, err := answer[struct{}](ctx, f, "CancelJob", in)
	return err
}

func (f *fakeBackend) TerminateJob(ctx context.Context, in *batch.JobActionInput) error {
	_, err := answer[struct{}](ctx, f, "TerminateJob", in)
	return err
}

func (f *fakeBackend) CancelJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error) {
	return answer[batch.BulkJobActionOutput](ctx, f, "CancelJobs", in)
}

func (f *fakeBackend) TerminateJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error) {
	return answer[batch.BulkJobActionOutput](ctx, f, "TerminateJobs", in)
}

func (f *fakeBackend) RegisterJobDefinition(ctx context.Context, in *batch.RegisterJobDefinitionInput) (*batch.RegisterJobDefinitionOutput, error) {
	return answer[batch.RegisterJobDefinitionOutput](ctx, f, "RegisterJobDefinition", in)
}

func (f *fakeBackend) DescribeJobDefinitions(ctx context.Context, in *batch.DescribeJobDefinitionsInput) (*batch.DescribeJobDefinitionsOutput, error) {
	return answer[batch.DescribeJobDefinitionsOutput](ctx, f, "DescribeJobDefinitions", in)
}

func (f *fakeBackend) DeregisterJobDefinition(ctx context.Context, in *batch.DeregisterJobDefinitionInput) error {
	_, err := answer[struct{}](ctx, f, "DeregisterJobDefinition", in)
	return err
}

func (f *fakeBackend) CreateComputeEnvironment(ctx context.Context, in *batch.CreateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error) {
	return answer[batch.ComputeEnvironmentOutput](ctx, f, "CreateComputeEnvironment", in)
}

func (f *fakeBackend) UpdateComputeEnvironment(ctx context.Context, in *batch.UpdateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error) {
	return answer[batch.ComputeEnvironmentOutput](ctx, f, "UpdateComputeEnvironment", in)
}

func (f *fakeBackend) DescribeComputeEnvironments(ctx context.Context, in *batch.DescribeComputeEnvironmentsInput) (*batch.DescribeComputeEnvironmentsOutput, error) {
	return answer[batch.DescribeComputeEnvironmentsOutput](ctx, f, "DescribeComputeEnvironments", in)
}

func (f *fakeBackend) DeleteComputeEnvironment(ctx context.Context, in *batch.DeleteComputeEnvironmentInput) error {
	_, err := answer[struct{}](ctx, f, "DeleteComputeEnvironment", in)
	return err
}

func (f *fakeBackend) CreateJobQueue(ctx context.Context, in *batch.CreateJobQueueInput) (*batch.JobQueueOutput, error) {
	return answer[batch.JobQueueOutput](ctx, f, "CreateJobQueue", in)
}

func (f *fakeBackend) UpdateJobQueue(ctx context.Context, in *batch.UpdateJobQueueInput) (*batch.JobQueueOutput, error) {
	return answer[batch.JobQueueOutput](ctx, f, "UpdateJobQueue", in)
}

func (f *fakeBackend) DescribeJobQueues(ctx context.Context, in *batch.DescribeJobQueuesInput) (*batch.DescribeJobQueuesOutput, error) {
	return answer[batch.DescribeJobQueuesOutput](ctx, f, "DescribeJobQueues", in)
}

func (f *fakeBackend) DeleteJobQueue(ctx context.Context, in *batch.DeleteJobQueueInput) error {
	_, err := answer[struct{}](ctx, f, "DeleteJobQueue", in)
	return err
}

func (f *fakeBackend) CreateSchedulingPolicy(ctx context.Context, in *batch.CreateSchedulingPolicyInput) (*batch.CreateSchedulingPolicyOutput, error) {
	return answer[batch.CreateSchedulingPolicyOutput](ctx, f, "CreateSchedulingPolicy", in)
}

func (f *fakeBackend) UpdateSchedulingPolicy(ctx context.Context, in *batch.UpdateSchedulingPolicyInput) error {
	_, err := answer[struct{}](ctx, f, "UpdateSchedulingPolicy", in)
	return err
}

func (f *fakeBackend) DescribeSchedulingPolicies(ctx context.Context, in *batch.DescribeSchedulingPoliciesInput) (*batch.DescribeSchedulingPoliciesOutput, error) {
	return answer[batch.DescribeSchedulingPoliciesOutput](ctx, f, "DescribeSchedulingPolicies", in)
}

func (f *fakeBackend) ListSchedulingPolicies(ctx context.Context, in *batch.ListSchedulingPoliciesInput) (*batch.ListSchedulingPoliciesOutput, error) {
	return answer[batch.ListSchedulingPoliciesOutput](ctx, f, "ListSchedulingPolicies", in)
}

func (f *fakeBackend) DeleteSchedulingPolicy(ctx context.Context, in *batch.DeleteSchedulingPolicyInput) error {
	_, err := answer[struct{}](ctx, f, "DeleteSchedulingPolicy", in)
	return err
}

func (f *fakeBackend) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	_, err := answer[struct{}](ctx, f, "TagResource", tagCall{ARN: arn, Tags: tags})
	return err
}

func (f *fakeBackend) UntagResource(ctx context.Context, arn string, keys []string) error {
	_, err := answer[struct{}](ctx, f, "UntagResource", tagCall{ARN: arn, Keys: keys})
	return err
}

func (f *fakeBackend) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	if _, err := answer[struct{}](ctx, f, "ListTagsForResource", tagCall{ARN: arn}); err != nil {
		return nil, err
	}
	return f.tags, nil
}

func (f *fakeBackend) GetJobQueueSnapshot(ctx context.Context, in *batch.GetJobQueueSnapshotInput) (*batch.GetJobQueueSnapshotOutput, error) {
	return answer[batch.GetJobQueueSnapshotOutput](ctx, f, "GetJobQueueSnapshot", in)
}

// authFailure is an authentication failure with an AWS code.
type authFailure struct{ code, msg string }

func (e authFailure) Error() string       { return e.msg }
func (e authFailure) AuthCode() string    { return e.code }
func (e authFailure) AuthMessage() string { return e.msg }

// fakeAuth accepts every request as accessKey, unless err is
// set, and records the bodies it was given.
type fakeAuth struct {
	accessKey string
	err       error

	mu     sync.Mutex
	bodies [][]byte
}

func (a *fakeAuth) Authenticate(_ context.Context, _ *http.Request, body []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.bodies = append(a.bodies, bytes.Clone(body))
	if a.err != nil {
		return "", a.err
	}
	return a.accessKey, nil
}

// fakeClock is a clock tests move by hand.
type fakeClock = batchtest.Clock

var testEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testOptions are Options with a fixed request id, a fake clock, a
// discarding logger and an accepting fake authenticator.
func testOptions() Options {
	return Options{
		Auth:      &fakeAuth{accessKey: "AKIDTEST"},
		Logger:    slog.New(slog.DiscardHandler),
		Clock:     batchtest.NewClock(testEpoch),
		RequestID: func() string { return "req-1" },
	}
}

// do sends one request to h and returns the recorded answer.
func do(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != "" {
		r = bytes.NewBufferString(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// awsError is a decoded error answer.
type awsError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// decodeErrorBody decodes an error answer, failing the test if it is not one.
func decodeErrorBody(t *testing.T, rec *httptest.ResponseRecorder) awsError {
	t.Helper()
	var e awsError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	if got := rec.Header().Get("X-Amzn-ErrorType"); got != e.Type {
		t.Errorf("X-Amzn-ErrorType = %q, body __type = %q; want them equal", got, e.Type)
	}
	return e
}
