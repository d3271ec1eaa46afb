package ec2agent_test

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// logStream is a job's current attempt's log stream.
func logStream(j batch.Job) string {
	return j.Attempts[len(j.Attempts)-1].Container.LogStreamName
}

func TestAgentRegistersAndRunsJobs(t *testing.T) {
	w := newWorld(t)
	id := w.submit("hello", 1)
	w.waitStatus(id, batch.Running)
	w.open("hello")
	j := w.waitStatus(id, batch.Succeeded)

	if got := j.Attempts[0].Container.ContainerInstanceArn; got == "" || j.Attempts[0].Container.TaskArn == "" {
		t.Errorf("attempt container = %+v, want the instance's ARNs", j.Attempts[0].Container)
	}
	waitFor(t, "the job's output in its log stream", func() bool { return w.logs.has(logStream(j), "finished") })
	rec, ok := w.record()
	if !ok {
		t.Fatal("the instance never registered")
	}
	if rec.InstanceType != instanceType || rec.VCPUs != 4 || rec.MemoryMiB != 16384 || rec.Draining {
		t.Errorf("instance record = %+v, want a %s of 4 vCPUs and 16384 MiB, not draining", rec, instanceType)
	}
}

func TestSpotInterruptionHandsBackTheJobsStillRunningAtTheDeadline(t *testing.T) {
	w := newWorld(t)
	finishes := w.submit("finishes", 1)
	retried := w.submit("retried", 2)
	failed := w.submit("failed", 1)
	for _, id := range []string{finishes, retried, failed} {
		w.waitStatus(id, batch.Running)
	}

	w.imds.set(spotPath, `{"action":"terminate","time":"`+w.clock.Now().Add(2*time.Minute).Format(time.RFC3339)+`"}`)
	w.waitDraining()
	// A draining instance takes no new work.
	later := w.submit("later", 1)
	// A job that ends before the deadline just ends.
	w.open("finishes")
	w.waitStatus(finishes, batch.Succeeded)

	select {
	case got := <-w.after.waits:
		if want := 2*time.Minute - 30*time.Second; got != want {
			t.Errorf("the agent waits %v for the deadline, want %v (the notice's time less KillGrace)", got, want)
		}
	case <-time.After(patience):
		t.Fatal("the agent never waited for the interruption's deadline")
	}
	if j := w.job(retried); j.Status != batch.Running {
		t.Fatalf("job retried is %s before the deadline, want RUNNING", j.Status)
	}
	w.clock.Advance(90 * time.Second)
	w.after.fire <- w.clock.Now()

	reason := control.HostTerminatedReason(instanceID)
	tests := []struct {
		id   string
		want batch.Status
	}{
		{retried, batch.Runnable}, // attempts 2: retried elsewhere
		{failed, batch.Failed},    // attempts 1: no retry left
	}
	for _, tt := range tests {
		j := w.waitStatus(tt.id, tt.want)
		if len(j.Attempts) != 1 || j.Attempts[0].StatusReason != reason || j.StatusReason != reason {
			t.Errorf("job %s: statusReason %q, attempts %+v; want one attempt ended with %q", j.JobName, j.StatusReason, j.Attempts, reason)
		}
		if c := j.Attempts[0].Container; c == nil || c.ExitCode != nil {
			t.Errorf("job %s: attempt container %+v, want no exit code (the host was lost)", j.JobName, c)
		}
		if !w.logs.has(logStream(j), "going away") {
			t.Errorf("job %s: its log does not say why it was stopped", j.JobName)
		}
	}
	if j := w.job(later); j.Status != batch.Runnable || len(j.Attempts) != 0 {
		t.Errorf("job submitted after the notice: %s with %d attempts, want RUNNABLE and never claimed", j.Status, len(j.Attempts))
	}
}

func TestRebalanceRecommendationOnlyDrains(t *testing.T) {
	w := newWorld(t)
	id := w.submit("runs-on", 1)
	w.waitStatus(id, batch.Running)

	w.imds.set(rebalancePath, `{"noticeTime":"`+w.clock.Now().Format(time.RFC3339)+`"}`)
	w.waitDraining()
	later := w.submit("later", 1)
	w.open("runs-on")
	w.waitStatus(id, batch.Succeeded)
	if len(w.after.waits) > 0 {
		t.Error("a rebalance recommendation set an interruption deadline")
	}
	if j := w.job(later); j.Status != batch.Runnable || len(j.Attempts) != 0 {
		t.Errorf("job submitted after the recommendation: %s with %d attempts, want RUNNABLE and never claimed", j.Status, len(j.Attempts))
	}
}

func TestShutdownLeavesRunningJobsToTheirLeases(t *testing.T) {
	w := newWorld(t)
	id := w.submit("cut-short", 2)
	w.waitStatus(id, batch.Running)

	if err := w.stop(); err != nil {
		t.Fatalf("Run() = %v after its context ended, want nil", err)
	}
	// Nothing is reported: the attempt stays held until its lease lapses.
	if j := w.job(id); j.Status != batch.Running || j.Internal.Instance != instanceID {
		t.Fatalf("job after shutdown: %s on %q, want still RUNNING on %s", j.Status, j.Internal.Instance, instanceID)
	}
	w.clock.Advance(lease + time.Second)
	if n, err := w.ctl.ExpireLeases(t.Context(), 10); err != nil || n != 1 {
		t.Fatalf("ExpireLeases = %d, %v; want 1 attempt expired", n, err)
	}
	j := w.job(id)
	if want := control.HostTerminatedReason(instanceID); j.Status != batch.Runnable || j.StatusReason != want {
		t.Errorf("job after its lease lapsed: %s (%q), want RUNNABLE (%q)", j.Status, j.StatusReason, want)
	}
}

func TestNewClearsWhatAnEarlierAgentOfTheInstanceLeft(t *testing.T) {
	root := t.TempDir()
	stale := filepath.Join(root, instanceID, "job-1-1")
	other := filepath.Join(root, "i-other", "job-2-1")
	for _, dir := range []string{stale, other} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	inst := ec2agent.Instance{
		Identity:           imds.Identity{InstanceID: instanceID, InstanceType: instanceType, AvailabilityZone: "us-east-1a", Lifecycle: "spot"},
		Settings:           testSettings.WithDefaults(),
		ComputeEnvironment: ceName,
		Capacity:           ec2agent.Capacity{VCPUs: 4, MemoryMiB: 16384, Source: ec2agent.FromInstanceType},
	}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "tanda.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// New reads the compute environment's packing rule: from an empty
	// store, none.
	agent, err := ec2agent.New(t.Context(), inst, ec2agent.Backend{Store: db, Queues: db}, ec2agent.Config{WorkRoot: root, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the instance's leftover %s: stat error %v, want it removed", stale, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another instance's directory: %v, want it left alone", err)
	}
	banner := agent.Banner()
	for _, want := range []string{instanceID, instanceType, "spot", ceName, "stack test", "4 vCPUs, 16384 MiB", "process"} {
		if !strings.Contains(banner, want) {
			t.Errorf("Banner() = %q, want it to mention %q", banner, want)
		}
	}
}
