package bootstrap_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func TestAgentRunsNoMoreThanFits(t *testing.T) {
	tests := []struct {
		name    string
		vcpus   float64
		memory  int64
		gpus    int64
		perJob  resources
		wantMax int
	}{
		{name: "vCPUs", vcpus: 2, memory: 4096, perJob: resources{vcpus: 1, memory: 256}, wantMax: 2},
		{name: "memory", vcpus: 8, memory: 1024, perJob: resources{vcpus: 1, memory: 512}, wantMax: 2},
		{name: "GPUs", vcpus: 8, memory: 4096, gpus: 2, perJob: resources{vcpus: 1, memory: 256, gpus: 1}, wantMax: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.VCPUs, cfg.MemoryMiB, cfg.GPUs = tt.vcpus, tt.memory, tt.gpus
			h := newHarness(t, cfg, "q")
			ids := []string{"j1", "j2", "j3"}
			for _, id := range ids {
				h.submit(newJob(id, "q", tt.perJob))
			}
			h.start()

			waitFor(t, "two jobs to start", func() bool { return len(h.rt.started()) == tt.wantMax })
			time.Sleep(quiet(cfg)) // the third must not start while the others run
			first := h.rt.started()
			if len(first) != tt.wantMax {
				t.Fatalf("started %v while %d fit, want %d started", first, tt.wantMax, tt.wantMax)
			}
			i := slices.IndexFunc(ids, func(id string) bool { return !contains(first, id) })
			third := ids[i]
			if got := h.ctl.job(third).Status; got != batch.Runnable {
				t.Fatalf("job %s waiting for room: status %v, want RUNNABLE", third, got)
			}
			if got := h.queue.holds(control.ReadyQueue("q")); !slices.Equal(got, []string{third}) {
				t.Fatalf("doorbells left = %v, want [%s]", got, third)
			}

			h.rt.exec(first[0]).exit(0)
			h.started(third)
			h.rt.exec(first[1]).exit(0)
			h.rt.exec(third).exit(0)
			for _, id := range ids {
				h.finished(id)
			}
			if got := h.rt.peak(); got != tt.wantMax {
				t.Errorf("most jobs running at once = %d, want %d", got, tt.wantMax)
			}
		})
	}
}

func TestAgentHandsBackJobsTooBigForTheInstance(t *testing.T) {
	tests := []struct {
		name string
		need resources
	}{
		{name: "vCPUs", need: resources{vcpus: 4, memory: 256}},
		{name: "memory", need: resources{vcpus: 1, memory: 8192}},
		{name: "GPUs", need: resources{vcpus: 1, memory: 256, gpus: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t) // 2 vCPUs, 4096 MiB, no GPU
			h := newHarness(t, cfg, "q")
			h.submit(newJob("big", "q", tt.need))
			h.submit(newJob("fits", "q", small))
			h.start()

			// A job that can never fit does not hold up the queue.
			h.started("fits")
			var back visibilityChange
			waitFor(t, "the big job's doorbell to be handed back", func() bool {
				for _, c := range h.queue.visibilityChanges() {
					if c.JobID == "big" {
						back = c
						return true
					}
				}
				return false
			})
			if back.Visibility <= 0 {
				t.Errorf("big job handed back with visibility %v, want it hidden a while so the agent does not spin on it", back.Visibility)
			}
			if got := h.callsFor("Claim", "big"); len(got) != 0 {
				t.Errorf("big job claimed: %+v", got)
			}
			if contains(h.queue.deletedIDs(), "big") || !contains(h.queue.holds(control.ReadyQueue("q")), "big") {
				t.Errorf("big job's doorbell deleted; want it kept for another instance")
			}
			if got := h.ctl.job("big").Status; got != batch.Runnable {
				t.Errorf("big job status = %v, want RUNNABLE", got)
			}
		})
	}
}

func TestAgentTakesQueuesInPriorityOrder(t *testing.T) {
	tests := []struct {
		name   string
		queues []string // highest priority first
		jobs   map[string]string
		want   string
	}{
		{name: "top queue first", queues: []string{"high", "low"},
			jobs: map[string]string{"low-job": "low", "high-job": "high"}, want: "high-job"},
		{name: "first queue with a job", queues: []string{"top", "mid", "bottom"},
			jobs: map[string]string{"bottom-job": "bottom", "mid-job": "mid"}, want: "mid-job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.VCPUs = 1 // room for one
			h := newHarness(t, cfg, tt.queues...)
			for id, q := range tt.jobs {
				h.submit(newJob(id, q, small))
			}
			h.start()

			h.started(tt.want).exit(0)
			if got := h.rt.started()[0]; got != tt.want {
				t.Fatalf("first job started = %s, want %s", got, tt.want)
			}
			for id := range tt.jobs {
				h.started(id).exit(0)
			}
			for id := range tt.jobs {
				h.finished(id)
			}
			if got := h.rt.peak(); got != 1 {
				t.Errorf("most jobs running at once = %d, want 1", got)
			}
		})
	}
}

func TestAgentDropsDoorbellsOfJobsItCannotClaim(t *testing.T) {
	tests := []struct {
		name        string
		job         *batch.Job // nil: the job does not exist
		beforeClaim func(j *batch.Job)
		wantClaim   bool
	}{
		{name: "job gone"},
		{name: "no longer RUNNABLE", job: func() *batch.Job {
			j := newJob("j", "q", small)
			j.Status, j.Internal.Attempt, j.Internal.Instance = batch.Starting, 1, "i-other"
			return &j
		}()},
		{name: "claimed by another agent first", job: func() *batch.Job {
			j := newJob("j", "q", small)
			return &j
		}(), beforeClaim: func(j *batch.Job) {
			j.Status, j.Internal.Attempt, j.Internal.Instance = batch.Starting, 1, "i-other"
		}, wantClaim: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(t), "q")
			h.ctl.beforeClaim = tt.beforeClaim
			if tt.job != nil {
				h.ctl.put(*tt.job)
			}
			h.queue.send(control.ReadyQueue("q"), "j")
			h.start()

			waitFor(t, "the doorbell to be deleted", func() bool { return contains(h.queue.deletedIDs(), "j") })
			h.idle()
			claims := h.callsFor("Claim", "j")
			if tt.wantClaim {
				if len(claims) != 1 || !errors.Is(claims[0].Err, control.ErrNotClaimable) {
					t.Errorf("claims = %+v, want one that failed with ErrNotClaimable", claims)
				}
			} else if len(claims) != 0 {
				t.Errorf("claims = %+v, want none", claims)
			}
			if got := h.rt.started(); len(got) != 0 {
				t.Errorf("started %v, want nothing", got)
			}
			if got := h.ctl.callsOf("MarkRunning"); len(got) != 0 {
				t.Errorf("MarkRunning calls = %+v, want none", got)
			}
		})
	}
}

func TestAgentHandsBackDoorbellWhenJobReadFails(t *testing.T) {
	cfg := testConfig(t)
	cfg.Visibility = time.Minute // a doorbell left hidden would not come back during the test
	h := newHarness(t, cfg, "q")
	h.ctl.jobErrs["j"] = []error{errors.New("store unavailable")}
	h.submit(newJob("j", "q", small))
	h.start()

	// The read fails once; the doorbell must come back at once rather
	// than after its visibility timeout.
	h.started("j").exit(0)
	h.finished("j")
}

func TestDrainTakesNoNewJobsAndFinishesRunningOnes(t *testing.T) {
	cfg := testConfig(t)
	cfg.VCPUs = 1
	h := newHarness(t, cfg, "q")
	h.submit(newJob("running", "q", small))
	h.start()
	e := h.started("running")

	h.agent.Drain()
	h.submit(newJob("waiting", "q", small))
	e.exit(0)
	if got := h.finished("running"); got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != 0 {
		t.Errorf("running job reported with outcome %+v, want exit code 0", got.Outcome)
	}
	h.idle()
	time.Sleep(quiet(cfg)) // room is free: a draining agent must still not take the job

	if got := h.callsFor("Claim", "waiting"); len(got) != 0 {
		t.Errorf("draining agent claimed a new job: %+v", got)
	}
	if got := h.rt.started(); !slices.Equal(got, []string{"running"}) {
		t.Errorf("started %v, want [running]", got)
	}
	if !contains(h.queue.holds(control.ReadyQueue("q")), "waiting") {
		t.Errorf("the waiting job's doorbell is gone; want it left for another instance")
	}
	waitFor(t, "a report that the instance drains", func() bool {
		r := h.ctl.reported()
		return len(r) > 0 && r[len(r)-1].Draining
	})
}

func TestAgentHandsBackJobsItsPackingRuleLeaves(t *testing.T) {
	cfg := testConfig(t) // 2 vCPUs
	var asked []float64
	var mu sync.Mutex
	cfg.Takes = func(vcpus float64, _, _ int64, _ time.Duration) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, vcpus)
		return vcpus >= 2 // jobs of 1 vCPU are for smaller instances
	}
	h := newHarness(t, cfg, "q")
	h.submit(newJob("small", "q", small))
	h.submit(newJob("right", "q", resources{vcpus: 2, memory: 256}))
	h.start()

	h.started("right")
	waitFor(t, "the small job's doorbell to be handed back", func() bool {
		for _, c := range h.queue.visibilityChanges() {
			if c.JobID == "small" && c.Visibility > 0 {
				return true
			}
		}
		return false
	})
	if got := h.callsFor("Claim", "small"); len(got) != 0 {
		t.Errorf("small job claimed although the packing rule leaves it: %+v", got)
	}
	if got := h.ctl.job("small").Status; got != batch.Runnable {
		t.Errorf("small job status = %v, want RUNNABLE", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(asked, 1) {
		t.Errorf("the rule was asked about %v, never about the small job", asked)
	}
}
