//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/deploy/local"
)

// Kinds of job in the crash test's ledger.
const (
	kindQuick        = "quick"         // ends at once; no retry strategy
	kindSleeper      = "sleeper"       // running at the kill; attempts 1
	kindRetrySleeper = "retry-sleeper" // running at the kill; attempts 2
	kindArray        = "array"         // quick children; attempts 2
	kindDependent    = "dependent"     // waits for a retry sleeper
	kindDoomed       = "doomed"        // waits for a sleeper that fails
	kindBurst        = "burst"         // submitted as the kill lands
	kindRecovered    = "recovered"     // a burst job whose submit got no answer
)

// The crash test's workload.
const (
	sleepersPerKind = 5
	quickJobs       = 20
	arraySize       = 20
	// burstBeforeKill is how many burst submissions are acknowledged
	// before the kill; the burst goes on until the server is gone.
	burstBeforeKill = 5
	// sleepOnFirstAttempt keeps a first attempt running past the kill and
	// lets a retry end at once.
	sleepOnFirstAttempt = `test "$AWS_BATCH_JOB_ATTEMPT" -gt 1 || sleep 30`
)

// TestKill9WhileJobsRunLosesNothing kills `tanda up` with SIGKILL while
// jobs run, are queued and are being submitted, restarts it on the same
// data directory, and checks, Jepsen-style against the test's own ledger,
// that every acknowledged job ends in a terminal state: the running ones
// retried or failed as lost hosts per their retry strategy, nothing lost,
// nothing run twice. The restarted tanda must then stop cleanly on SIGTERM.
func TestKill9WhileJobsRunLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tanda and runs it twice, with jobs: takes tens of seconds")
	}
	ctx := t.Context()
	dataDir := t.TempDir()
	work := filepath.Join(dataDir, "work")
	starts := filepath.Join(t.TempDir(), "starts")
	// Registered first, so it runs last, once both tandas are gone.
	cleanUpJobProcesses(t, work)
	led := newLedger()

	first := startUp(t, "first tanda", dataDir)
	sub := submitter{client: first.client(t, dataDir, 0), ledger: led, starts: starts}
	raiseMaxvCpus(ctx, t, sub.client, 64)
	running := submitWorkload(ctx, t, sub)
	waitStarted(ctx, t, sub.client, running, starts, 30*time.Second)
	burstSub := submitter{client: first.client(t, dataDir, 1), ledger: led, starts: starts}
	killDuringBurst(ctx, t, first, burstSub)
	orphans, err := jobProcesses(work)
	if err != nil {
		t.Fatal(err)
	}

	restarted := time.Now()
	second := startUp(t, "second tanda", dataDir)
	waitGone(t, orphans, 10*time.Second)
	c := second.client(t, dataDir, 0)
	recovered, unexpected := reconcileListing(ctx, t, c, led)
	jobs := waitTerminal(ctx, t, c, led.ids(), 60*time.Second)
	recovery := time.Since(restarted)

	acc := checkOutcomes(ctx, t, c, led, jobs)
	dup, unknownStarts := checkStarts(t, starts, led, jobs)

	if code := second.terminate(t, 30*time.Second); code != 0 {
		t.Errorf("second tanda exited with code %d after SIGTERM, want 0", code)
	}
	checkNothingLeftBehind(t, work, nil)
	first.checkNoDataRace(t)
	second.checkNoDataRace(t)

	t.Logf("accounting: acked %d, terminal %d, lost %d, unexpected %d, acked twice %d; indeterminate submits %d (recovered %d)",
		len(led.ids())-len(recovered), acc.terminal, acc.lost, unexpected, led.duplicateAcks, len(led.indeterminate), len(recovered))
	t.Logf("outcomes: succeeded %d, failed %d, attempts lost with their host %d; job-side starts: duplicates %d, unknown %d",
		acc.succeeded, acc.failed, acc.hostLost, dup, unknownStarts)
	t.Logf("recovery: restart to all terminal in %v; %d job processes outlived the killed tanda until the restart reaped them", recovery.Round(time.Millisecond), len(orphans))
}

// raiseMaxvCpus lets the default compute environment run every sleeper
// at once, however few CPUs the machine has.
func raiseMaxvCpus(ctx context.Context, t *testing.T, c *awsbatch.Client, maxv int32) {
	t.Helper()
	_, err := c.UpdateComputeEnvironment(ctx, &awsbatch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String(local.DefaultComputeEnvironment),
		ComputeResources:   &types.ComputeResourceUpdate{MaxvCpus: aws.Int32(maxv)},
	})
	if err != nil {
		t.Fatalf("UpdateComputeEnvironment: %v", err)
	}
}

// submitWorkload submits the jobs the kill finds in every state: sleepers
// first, so they start first, then jobs waiting on them, quick jobs and an
// array job. It returns the sleepers, which must be running at the kill.
func submitWorkload(ctx context.Context, t *testing.T, sub submitter) []string {
	t.Helper()
	must := func(spec jobSpec) string {
		t.Helper()
		id, err := sub.submit(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	var sleepers []string
	for i := range sleepersPerKind {
		sleepers = append(sleepers,
			must(jobSpec{kind: kindRetrySleeper, name: fmt.Sprintf("retry-sleeper-%d", i), script: sleepOnFirstAttempt, attempts: 2}),
			must(jobSpec{kind: kindSleeper, name: fmt.Sprintf("sleeper-%d", i), script: sleepOnFirstAttempt, attempts: 1}))
	}
	must(jobSpec{kind: kindDependent, name: "dependent", script: "true", dependsOn: sleepers[0]})
	must(jobSpec{kind: kindDoomed, name: "doomed", script: "true", dependsOn: sleepers[1]})
	for i := range quickJobs {
		must(jobSpec{kind: kindQuick, name: fmt.Sprintf("quick-%d", i), script: "true"})
	}
	must(jobSpec{kind: kindArray, name: "array", script: "true", attempts: 2, arraySize: arraySize})
	return sleepers
}

// waitStarted waits until every job of ids is RUNNING and its first
// attempt's process has recorded its start.
func waitStarted(ctx context.Context, t *testing.T, c *awsbatch.Client, ids []string, starts string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		jobs, err := describeAll(ctx, c, ids)
		if err != nil {
			t.Fatal(err)
		}
		began, err := readStarts(starts)
		if err != nil {
			t.Fatal(err)
		}
		waiting := 0
		for _, id := range ids {
			if jobs[id].Status != types.JobStatusRunning || began[attemptKey{id, 1}] == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sleepers not running after %v", waiting, len(ids), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killDuringBurst submits quick jobs back to back and kills the server
// once burstBeforeKill of them are acknowledged, so that the kill lands
// among submissions. The submission the kill interrupts is recorded as
// indeterminate.
func killDuringBurst(ctx context.Context, t *testing.T, up *upProcess, sub submitter) {
	t.Helper()
	ready := make(chan struct{})   // closed at burstBeforeKill acknowledgements
	stopped := make(chan struct{}) // closed when the burst ends
	var burstErr error             // why it ended, read after stopped
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			name := fmt.Sprintf("burst-%d", i)
			if _, err := sub.submit(ctx, jobSpec{kind: kindBurst, name: name, script: "true"}); err != nil {
				sub.ledger.unknown(name)
				burstErr = err
				return
			}
			if i+1 == burstBeforeKill {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-stopped:
		t.Fatalf("submissions failed before the kill: %v", burstErr)
	}
	up.kill9(t)
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("submissions still succeeding 30s after the kill")
	}
	t.Logf("kill -9 landed after %d burst submissions; the next one failed: %v", len(sub.ledger.ids(kindBurst)), burstErr)
}

// reconcileListing lists every job Tanda has and compares it with the
// ledger: a job not in the ledger is either an indeterminate submission
// that did land (recovered, added to the ledger as such) or one nobody
// asked for (unexpected, an error).
func reconcileListing(ctx context.Context, t *testing.T, c *awsbatch.Client, led *ledger) (recovered []string, unexpected int) {
	t.Helper()
	all, err := listAllJobs(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{}
	for _, name := range led.indeterminate {
		pending[name] = true
	}
	for _, j := range all {
		id, name := aws.ToString(j.JobId), aws.ToString(j.JobName)
		switch {
		case led.kind(id) != "":
		case pending[name]:
			delete(pending, name)
			led.ack(id, kindRecovered)
			recovered = append(recovered, id)
		default:
			unexpected++
			t.Errorf("job %s (%s, %s) is in Tanda but was never acknowledged", id, name, j.Status)
		}
	}
	return recovered, unexpected
}

// waitTerminal waits until every job of ids is SUCCEEDED or FAILED, and
// returns them. A job Tanda does not know is lost: the wait goes on, so
// the checks that follow report it.
func waitTerminal(ctx context.Context, t *testing.T, c *awsbatch.Client, ids []string, timeout time.Duration) map[string]types.JobDetail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		jobs, err := describeAll(ctx, c, ids)
		if err != nil {
			t.Fatal(err)
		}
		var open []string
		for _, id := range ids {
			if j, ok := jobs[id]; !ok || !terminal(j.Status) {
				open = append(open, fmt.Sprintf("%s(%s)=%s", id, aws.ToString(jobs[id].JobName), jobs[id].Status))
			}
		}
		if len(open) == 0 {
			return jobs
		}
		if time.Now().After(deadline) {
			t.Errorf("%d of %d jobs not terminal %v after the restart: %v", len(open), len(ids), timeout, open)
			return jobs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// accounting counts the ledger's jobs by outcome.
type accounting struct {
	terminal, lost, succeeded, failed, hostLost int
}

// checkOutcomes checks each acknowledged job's end against its kind.
func checkOutcomes(ctx context.Context, t *testing.T, c *awsbatch.Client, led *ledger, jobs map[string]types.JobDetail) accounting {
	t.Helper()
	var acc accounting
	for _, id := range led.ids() {
		kind := led.kind(id)
		j, ok := jobs[id]
		if !ok {
			acc.lost++
			t.Errorf("%s job %s was acknowledged and is lost", kind, id)
			continue
		}
		if !terminal(j.Status) {
			continue // reported by waitTerminal
		}
		acc.terminal++
		if j.Status == types.JobStatusSucceeded {
			acc.succeeded++
		} else {
			acc.failed++
		}
		for _, a := range j.Attempts {
			if hostTerminated(aws.ToString(a.StatusReason)) {
				acc.hostLost++
			}
		}
		if err := checkOutcome(kind, j); err != nil {
			t.Errorf("%s job %s (%s): %v", kind, id, aws.ToString(j.JobName), err)
		}
		if kind == kindArray {
			checkArrayChildren(ctx, t, c, id)
		}
	}
	return acc
}

// checkOutcome says what is wrong with a terminal job's end for its kind.
func checkOutcome(kind string, j types.JobDetail) error {
	reason := aws.ToString(j.StatusReason)
	got := fmt.Sprintf("%s (%s) after %d attempts", j.Status, reason, len(j.Attempts))
	switch kind {
	case kindSleeper:
		if j.Status != types.JobStatusFailed || !hostTerminated(reason) || len(j.Attempts) != 1 {
			return fmt.Errorf("got %s, want FAILED (Host EC2 (instance ...) terminated.) after 1 attempt", got)
		}
	case kindRetrySleeper:
		if j.Status != types.JobStatusSucceeded || len(j.Attempts) != 2 || !hostTerminated(aws.ToString(j.Attempts[0].StatusReason)) {
			return fmt.Errorf("got %s, want SUCCEEDED on attempt 2 after a first attempt lost with its host", got)
		}
	case kindQuick, kindBurst, kindRecovered:
		// A quick job running at the kill fails with its host: it has no
		// retry strategy.
		lostHost := j.Status == types.JobStatusFailed && hostTerminated(reason) && len(j.Attempts) == 1
		if j.Status != types.JobStatusSucceeded && !lostHost {
			return fmt.Errorf("got %s, want SUCCEEDED, or FAILED with its host", got)
		}
	case kindArray:
		if j.Status != types.JobStatusSucceeded {
			return fmt.Errorf("got %s, want SUCCEEDED", got)
		}
		if ap := j.ArrayProperties; ap == nil || ap.StatusSummary["SUCCEEDED"] != arraySize {
			return fmt.Errorf("arrayProperties = %+v, want %d children SUCCEEDED", ap, arraySize)
		}
	case kindDependent:
		if j.Status != types.JobStatusSucceeded || len(j.Attempts) != 1 {
			return fmt.Errorf("got %s, want SUCCEEDED after 1 attempt", got)
		}
	case kindDoomed:
		if j.Status != types.JobStatusFailed || reason != "Dependent Job failed" || len(j.Attempts) != 0 {
			return fmt.Errorf("got %s, want FAILED (Dependent Job failed) without an attempt", got)
		}
	default:
		return fmt.Errorf("unknown kind")
	}
	return nil
}

// checkArrayChildren checks that an array job's children all succeeded.
func checkArrayChildren(ctx context.Context, t *testing.T, c *awsbatch.Client, parent string) {
	t.Helper()
	children, err := describeAll(ctx, c, arrayChildren(parent))
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != arraySize {
		t.Errorf("array %s: %d children described, want %d", parent, len(children), arraySize)
	}
	for id, j := range children {
		if j.Status != types.JobStatusSucceeded {
			t.Errorf("array child %s = %s (%s), want SUCCEEDED", id, j.Status, aws.ToString(j.StatusReason))
		}
	}
}

func arrayChildren(parent string) []string {
	ids := make([]string, arraySize)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s:%d", parent, i)
	}
	return ids
}

// hostTerminated reports whether reason is AWS Batch's lost-host reason,
// `Host EC2 (instance i-...) terminated.`.
func hostTerminated(reason string) bool {
	return strings.HasPrefix(reason, "Host EC2 (instance ") && strings.HasSuffix(reason, " terminated.")
}

// checkStarts compares the job-side starts with Tanda's records: no
// attempt may start twice, every start must belong to a known attempt, and
// every job that succeeded must have started its last attempt. It returns
// the number of duplicate and of unknown starts.
func checkStarts(t *testing.T, path string, led *ledger, jobs map[string]types.JobDetail) (duplicates, unknown int) {
	t.Helper()
	began, err := readStarts(path)
	if err != nil {
		t.Fatal(err)
	}
	attempts := map[string]int{} // ran job (or array child) id to its attempts
	for _, id := range led.ids() {
		j := jobs[id]
		if led.kind(id) == kindArray {
			for _, child := range arrayChildren(id) {
				attempts[child] = 2 // at most, by its retry strategy
			}
			continue
		}
		attempts[id] = len(j.Attempts)
		if j.Status == types.JobStatusSucceeded && began[attemptKey{id, len(j.Attempts)}] == 0 {
			t.Errorf("job %s SUCCEEDED on attempt %d, which never started", id, len(j.Attempts))
		}
	}
	for k, n := range began {
		if n > 1 {
			duplicates++
			t.Errorf("job %s attempt %d started %d times", k.JobID, k.Attempt, n)
		}
		if most, ok := attempts[k.JobID]; !ok || k.Attempt < 1 || k.Attempt > most {
			unknown++
			t.Errorf("job %s attempt %d started, but Tanda knows of no such attempt", k.JobID, k.Attempt)
		}
	}
	return duplicates, unknown
}

// waitGone fails the test unless the killed tanda's job processes are
// gone: the restarted tanda reaps them before it runs anything.
func waitGone(t *testing.T, orphans []jobProcess, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, p := range orphans {
		for {
			stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "stat"))
			if err != nil || strings.Contains(string(stat), ") Z ") {
				break // gone, or a zombie
			}
			if time.Now().After(deadline) {
				t.Errorf("job process %d of the killed tanda still runs after the restart", p.PID)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// checkNothingLeftBehind fails the test if job processes other than the
// killed tanda's orphans still run after a clean shutdown.
func checkNothingLeftBehind(t *testing.T, work string, orphans []jobProcess) {
	t.Helper()
	known := map[int]bool{}
	for _, p := range orphans {
		known[p.PID] = true
	}
	left, err := jobProcesses(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range left {
		if !known[p.PID] {
			t.Errorf("process %d still runs in %s after a clean shutdown", p.PID, p.Cwd)
		}
	}
}
