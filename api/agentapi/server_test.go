package agentapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/control"
)

// The client is what the agent uses as its control plane.
var _ bootstrap.Control = (*agentapi.Client)(nil)

const (
	instA = "i-0aaaaaaaaaaaaaaa1" // in ce1
	instB = "i-0bbbbbbbbbbbbbbb2" // in ce1 too
	instC = "i-0ccccccccccccccc3" // in ce2
)

// An instance does its agent's whole round through the API: it reads its
// queues, reads the job it was offered, claims it (the doorbell is deleted
// after the claim), marks it running, heartbeats, lists what it holds,
// reports its load and finishes the attempt.
func TestAttemptThroughTheAgentAPI(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	c := w.client(instA)
	qs, err := c.QueuesOf(ctx, "ignored")
	if err != nil || len(qs) != 1 || qs[0].JobQueueName != "q1" {
		t.Fatalf("QueuesOf = %v, %v; want [q1]", names(qs), err)
	}
	ce, err := c.ComputeEnvironment(ctx, "ignored")
	if err != nil || ce.ComputeEnvironmentName != "ce1" {
		t.Fatalf("ComputeEnvironment = %q, %v; want ce1", ce.ComputeEnvironmentName, err)
	}
	sub := w.submit("q1")
	offered, err := c.Job(ctx, sub.JobID)
	if err != nil || offered.Status != batch.Runnable || offered.Internal.VCPUs != 1 {
		t.Fatalf("Job = %v (%+v), %v; want RUNNABLE with its resources", offered.Status, offered.Internal, err)
	}
	held, err := c.ClaimJob(ctx, offered, control.Placement{InstanceID: instA}, batch.Delivery{Message: batch.Message{Queue: "ready-q1", ID: sub.JobID}, Receipt: "rcpt"})
	if err != nil {
		t.Fatalf("ClaimJob: %v", err)
	}
	if held.Status != batch.Starting || held.Internal.Instance != instA || held.Internal.ComputeEnvironment != "ce1" || held.Internal.Attempt != 1 {
		t.Fatalf("claimed = %v on %s in %s attempt %d; want STARTING on %s in ce1, attempt 1",
			held.Status, held.Internal.Instance, held.Internal.ComputeEnvironment, held.Internal.Attempt, instA)
	}
	if got := c.Doorbells.(*doorbells).deleted; len(got) != 1 || got[0] != "ready-q1/rcpt" {
		t.Errorf("doorbells deleted = %v, want [ready-q1/rcpt]", got)
	}
	if held, err = c.MarkHeldRunning(ctx, held); err != nil || held.Status != batch.Running {
		t.Fatalf("MarkHeldRunning = %v, %v; want RUNNING", held.Status, err)
	}
	if held, err = c.HeartbeatHeld(ctx, held); err != nil {
		t.Fatalf("HeartbeatHeld: %v", err)
	}
	list, err := c.HeldBy(ctx, "ignored")
	if err != nil || len(list) != 1 || list[0].JobID != sub.JobID || list[0].Internal.Attempt != 1 {
		t.Fatalf("HeldBy = %d jobs, %v; want %s attempt 1", len(list), err, sub.JobID)
	}
	if err := c.ReportInstance(ctx, control.InstanceRecord{VCPUs: 2, MemoryMiB: 4096, UsedVCPUs: 1, RunningJobs: 1}); err != nil {
		t.Fatalf("ReportInstance: %v", err)
	}
	recs, err := w.svc.Instances(ctx, "ce1")
	if err != nil || len(recs) != 1 || recs[0].ID != instA || recs[0].RunningJobs != 1 {
		t.Fatalf("instances of ce1 = %+v, %v; want %s with 1 running job", recs, err, instA)
	}
	zero := 0
	done, err := c.FinishHeld(ctx, held, batch.AttemptOutcome{ExitCode: &zero})
	if err != nil || done.Status != batch.Succeeded {
		t.Fatalf("FinishHeld = %v, %v; want SUCCEEDED", done.Status, err)
	}
	if got := w.job(sub.JobID); got.Status != batch.Succeeded {
		t.Errorf("stored job is %v, want SUCCEEDED", got.Status)
	}
}

func names(qs []batch.JobQueue) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.JobQueueName)
	}
	return out
}

// An instance writes only the attempts it holds: another instance's
// writes of them, and its own with a stale attempt number, are refused
// (409 LeaseLost) and change nothing.
func TestAnInstanceWritesOnlyTheAttemptsItHolds(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	held := w.claim(instA, w.submit("q1"))
	before := w.job(held.JobID)
	stale := held
	stale.Internal.Attempt = 2
	zero := 0
	for _, tt := range []struct {
		name string
		c    *agentapi.Client
		held batch.Job
	}{
		{"another instance of the same compute environment", w.client(instB), held},
		{"an instance of another compute environment", w.client(instC), held},
		{"the holder with another attempt number", w.client(instA), stale},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := map[string]func() error{
				"running":   func() error { _, err := tt.c.MarkHeldRunning(ctx, tt.held); return err },
				"heartbeat": func() error { _, err := tt.c.HeartbeatHeld(ctx, tt.held); return err },
				"finish": func() error {
					_, err := tt.c.FinishHeld(ctx, tt.held, batch.AttemptOutcome{ExitCode: &zero})
					return err
				},
			}
			for op, call := range calls {
				if err := call(); !errors.Is(err, control.ErrLeaseLost) {
					t.Errorf("%s: err = %v, want ErrLeaseLost", op, err)
				}
			}
		})
	}
	if after := w.job(held.JobID); after.Internal.Version != before.Internal.Version || after.Status != batch.Starting {
		t.Errorf("job after refused writes: version %d → %d, status %v; want unchanged, STARTING", before.Internal.Version, after.Internal.Version, after.Status)
	}
	// A job the instance never held at all.
	other := w.submit("q1")
	if _, err := w.client(instA).HeartbeatHeld(ctx, batch.Job{JobID: other.JobID, Internal: batch.JobInternal{Attempt: 1}}); !errors.Is(err, control.ErrLeaseLost) {
		t.Errorf("heartbeat of a RUNNABLE job never claimed: err = %v, want ErrLeaseLost", err)
	}
	if got := w.job(other.JobID); got.Status != batch.Runnable || got.Internal.Version != other.Internal.Version {
		t.Errorf("unclaimed job changed: %v version %d → %d", got.Status, other.Internal.Version, got.Internal.Version)
	}
}

// An instance claims and reads only jobs of the job queues its compute
// environment serves (its tag in EC2, whatever it says), and claims only
// the attempt it read.
func TestAnInstanceClaimsOnlyInItsComputeEnvironment(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	foreign := w.submit("q2") // ce2's
	a := w.client(instA)      // ce1
	_, err := a.ClaimJob(ctx, foreign, control.Placement{InstanceID: instA, ComputeEnvironment: "ce2"}, batch.Delivery{Message: batch.Message{Queue: "ready-q2"}, Receipt: "r"})
	var ce *agentapi.CallError
	if !errors.As(err, &ce) || ce.Status != http.StatusForbidden || ce.Code != "AccessDenied" {
		t.Errorf("claim of another compute environment's job: err = %v, want 403 AccessDenied", err)
	}
	if _, err := a.Job(ctx, foreign.JobID); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("read of another compute environment's job: err = %v, want not found", err)
	}
	if got := w.job(foreign.JobID); got.Status != batch.Runnable || got.Internal.Version != foreign.Internal.Version {
		t.Errorf("foreign job changed: %v version %d → %d", got.Status, foreign.Internal.Version, got.Internal.Version)
	}
	if d := a.Doorbells.(*doorbells).deleted; len(d) != 0 {
		t.Errorf("refused claim deleted doorbells %v", d)
	}
	// The same job claimed by an instance of ce2 is placed there.
	if held := w.claim(instC, foreign); held.Internal.ComputeEnvironment != "ce2" {
		t.Errorf("claimed by %s into %q, want ce2", instC, held.Internal.ComputeEnvironment)
	}

	// A stale read (attempt 0 after the job was retried to attempt 1)
	// claims nothing.
	j := w.submit("q1")
	held := w.claim(instA, j)
	one := 1
	if _, err := a.FinishHeld(ctx, held, batch.AttemptOutcome{ExitCode: &one}); err != nil {
		t.Fatalf("FinishHeld: %v", err)
	}
	// Without a retry strategy the job failed; a stale claim of it is not
	// claimable either way.
	if _, err := w.client(instB).ClaimJob(ctx, j, control.Placement{InstanceID: instB}, batch.Delivery{}); !errors.Is(err, control.ErrNotClaimable) {
		t.Errorf("stale claim: err = %v, want ErrNotClaimable", err)
	}
	// A job in a queue the instance serves that it does not hold and
	// that is not RUNNABLE is shown by status only.
	got, err := w.client(instB).Job(ctx, j.JobID)
	if err != nil || got.Status != batch.Failed || got.Container != nil || got.JobName != "" {
		t.Errorf("read of a finished job = %v (container %v, name %q), %v; want FAILED and nothing else", got.Status, got.Container, got.JobName, err)
	}
}

// An instance reports only itself, in its own compute environment.
func TestAnInstanceReportsOnlyItself(t *testing.T) {
	w := newWorld(t)
	a := w.client(instA)
	for _, rec := range []control.InstanceRecord{
		{ID: instB, ComputeEnvironment: "ce1", VCPUs: 2},
		{ID: instA, ComputeEnvironment: "ce2", VCPUs: 2},
	} {
		var ce *agentapi.CallError
		if err := a.ReportInstance(w.ctx, rec); !errors.As(err, &ce) || ce.Status != http.StatusForbidden {
			t.Errorf("report of %s in %s: err = %v, want 403", rec.ID, rec.ComputeEnvironment, err)
		}
	}
	for _, ce := range []string{"ce1", "ce2"} {
		if recs, err := w.svc.Instances(w.ctx, ce); err != nil || len(recs) != 0 {
			t.Errorf("instances of %s after refused reports = %+v, %v; want none", ce, recs, err)
		}
	}
}

// Bad input is a 4xx with a message, and writes nothing.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	j := w.submit("q1")
	tok, err := w.signer(instA).Token(w.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, method, op, body string
		status                 int
		want                   string
	}{
		{"unknown operation", "POST", "submitjob", `{}`, 404, "no agent API operation"},
		{"cancel is no operation", "POST", "cancel", `{"jobId":"` + j.JobID + `"}`, 404, "no agent API operation"},
		{"GET", "GET", "job", ``, 405, "POST"},
		{"unknown field", "POST", "claim", `{"jobId":"` + j.JobID + `","attempt":0,"instanceId":"` + instB + `"}`, 400, "unknown field"},
		{"no job id", "POST", "claim", `{"attempt":0}`, 400, "jobId"},
		{"negative attempt", "POST", "claim", `{"jobId":"` + j.JobID + `","attempt":-1}`, 400, "attempt"},
		{"attempt 0 held", "POST", "heartbeat", `{"jobId":"` + j.JobID + `","attempt":0}`, 400, "attempt"},
		{"not JSON", "POST", "claim", `jobId=1`, 400, "decoding"},
		{"trailing data", "POST", "claim", `{"jobId":"` + j.JobID + `","attempt":0} {}`, 400, "after the JSON"},
		{"too large", "POST", "report", `{"instance":{"instanceType":"` + strings.Repeat("x", 1<<20) + `"}}`, 400, "larger than"},
		{"long reason", "POST", "finish", `{"jobId":"` + j.JobID + `","attempt":1,"outcome":{"reason":"` + strings.Repeat("x", 2000) + `"}}`, 400, "at most"},
		{"negative load", "POST", "report", `{"instance":{"vcpus":-1}}`, 400, "negative"},
		{"unknown job", "POST", "job", `{"jobId":"nope"}`, 404, "not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, w.api.URL, tt.method, tt.op, tt.body, tok)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s: %d %s; want %d naming %q", tt.method, tt.op, status, body, tt.status, tt.want)
			}
		})
	}
	if got := w.job(j.JobID); got.Internal.Version != j.Internal.Version {
		t.Errorf("job written by bad requests: version %d → %d", j.Internal.Version, got.Internal.Version)
	}
	if recs, _ := w.svc.Instances(w.ctx, "ce1"); len(recs) != 0 {
		t.Errorf("instance records written by bad requests: %+v", recs)
	}
}

// post sends one raw request to the agent API.
func post(t *testing.T, base, method, op, body, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+agentapi.PathPrefix+op, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(agentapi.IdentityHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dropAnswers sends requests for op and then loses their answers, as a
// connection cut after the server wrote; with before, it loses them
// without sending.
type dropAnswers struct {
	next   agentapi.Doer
	op     string
	before bool
}

func (d dropAnswers) Do(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/"+d.op) {
		return d.next.Do(r)
	}
	if d.before {
		return nil, errors.New("connection refused")
	}
	resp, err := d.next.Do(r)
	if err == nil {
		resp.Body.Close()
	}
	return nil, errors.New("connection reset by peer")
}

// A claim whose answer is lost is found to be the agent's own by reading
// the job back, rather than left to lapse (and be charged as a failed
// attempt); one that never reached the server is not.
func TestClaimWithALostAnswer(t *testing.T) {
	w := newWorld(t)
	for _, before := range []bool{false, true} {
		j := w.submit("q1")
		c := w.client(instA)
		c.HTTP = dropAnswers{next: w.api.Client(), op: "claim", before: before}
		held, err := c.ClaimJob(w.ctx, j, control.Placement{InstanceID: instA}, batch.Delivery{Message: batch.Message{Queue: "ready-q1"}, Receipt: "r"})
		stored := w.job(j.JobID)
		switch {
		case !before && (err != nil || held.Internal.Attempt != 1 || held.Internal.Instance != instA):
			t.Errorf("claim applied, answer lost: %+v, %v; want the claim of attempt 1", held.Internal, err)
		case !before && len(c.Doorbells.(*doorbells).deleted) != 1:
			t.Errorf("claim applied, answer lost: doorbell not deleted")
		case before && (err == nil || stored.Status != batch.Runnable):
			t.Errorf("claim never sent: err = %v, job %v; want an error and RUNNABLE", err, stored.Status)
		}
	}
}
