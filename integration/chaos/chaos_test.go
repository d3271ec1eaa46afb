//go:build linux

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/infra/mototest"
)

func TestMain(m *testing.M) {
	if code, ok := Main(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// runSettings is a run's size, from the environment: the short run of
// make test by default, the long one of make chaos with TANDA_CHAOS=long.
type runSettings struct {
	jobs     int
	window   time.Duration
	faults   int // of each kind
	arrayMin int
	arrayMax int
	stall    time.Duration
	settle   time.Duration
	scale    float64
	disk     int64
	maxv     int32
}

func settingsFromEnv(t *testing.T) runSettings {
	s := runSettings{jobs: 300, window: 25 * time.Second, faults: 2, arrayMin: 100, arrayMax: 100,
		stall: time.Minute, settle: 3 * time.Minute, scale: 20, disk: 256 << 20, maxv: 16}
	if os.Getenv("TANDA_CHAOS") == "long" {
		s = runSettings{jobs: 10_000, window: 12 * time.Minute, faults: 12, arrayMin: 100, arrayMax: 1000,
			stall: 5 * time.Minute, settle: 15 * time.Minute, scale: 1, disk: 1 << 30, maxv: 32}
	}
	if v := os.Getenv("TANDA_CHAOS_JOBS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("TANDA_CHAOS_JOBS=%q: %v", v, err)
		}
		s.jobs = n
	}
	if v := os.Getenv("TANDA_CHAOS_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("TANDA_CHAOS_WINDOW=%q: want a positive duration", v)
		}
		s.window = d
	}
	s.stall, s.settle = settleFromEnv(t, s.stall, s.settle)
	return s
}

// settleFromEnv sets the settle's bound (Options) to TANDA_CHAOS_SETTLE (a
// duration) if set, and bounds the stall by it too: a short one shows the
// stall report of a run that did not settle, a long one lets a run on a
// slow backend (10,000 jobs on moto) drain its backlog.
func settleFromEnv(t *testing.T, stall, settle time.Duration) (time.Duration, time.Duration) {
	v := os.Getenv("TANDA_CHAOS_SETTLE")
	if v == "" {
		return stall, settle
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("TANDA_CHAOS_SETTLE=%q: %v", v, err)
	}
	return min(stall, d), d
}

// runDir is where a run keeps its data, records and logs: a directory
// under TANDA_CHAOS_DIR, kept after the test for a post-mortem, or a
// temporary one.
func runDir(t *testing.T) string {
	root := os.Getenv("TANDA_CHAOS_DIR")
	if root == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(root, t.Name()+"-")
	if err != nil {
		t.Fatalf("TANDA_CHAOS_DIR: %v", err)
	}
	t.Logf("run directory (kept): %s", dir)
	return dir
}

// seedFromEnv is TANDA_CHAOS_SEED, or a seed of this run's choosing.
// ciSeed is the moto run's seed in make test: the random seed with which
// CI found defect 4 of docs/RELIABILITY.md (a run that was slow, not
// stuck, cut off by a settle of 5 minutes flat).
const ciSeed = 1796682206231249706

func seedFromEnv(t *testing.T) uint64 {
	if v := os.Getenv("TANDA_CHAOS_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("TANDA_CHAOS_SEED=%q: %v", v, err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestChaosUp drives a seeded workload through one-machine Tanda under
// every fault this backend has, and checks the ledger. Its size comes from
// the environment (settingsFromEnv); the seed it prints replays it.
func TestChaosUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tanda under faults with hundreds of jobs: tens of seconds")
	}
	s := settingsFromEnv(t)
	seed := seedFromEnv(t)
	dir := runDir(t)
	records := filepath.Join(dir, "records")
	if err := os.Mkdir(records, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &UpBackend{
		Dir:       dir,
		DiskBytes: s.disk,
		Settings: ServerSettings{
			Lease: 4 * time.Second, Heartbeat: 500 * time.Millisecond,
			Visibility: 2 * time.Second, AgentVisibility: 500 * time.Millisecond,
			Stale: 2 * time.Second, TimeoutScale: s.scale,
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.window+s.settle+5*time.Minute)
	defer cancel()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			if err := b.Stop(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	kinds := []string{FaultKillControlPlane, FaultCrashInstance, FaultDiskFull, FaultAgentClock, FaultClientNetwork}
	counts := map[string]int{}
	for _, k := range kinds {
		counts[k] = s.faults
	}
	res, err := Run(ctx, b, Options{
		Seed: seed,
		Workload: Workload{
			Jobs: s.jobs, ArrayMin: s.arrayMin, ArrayMax: s.arrayMax, SeqArrayMax: 12, NToNMax: 30,
			TimeoutSecs: 60, ActionsShare: 0.05,
		},
		Window: s.window, Faults: counts, HoldMin: time.Second, HoldMax: 4 * time.Second,
		ClientBreakRate: 0.5, BaselineBreakRate: 0.1, Stall: s.stall, Settle: s.settle, MaxvCpus: s.maxv, Records: records,
		Logf: t.Logf,
	})
	stopped = true
	if serr := b.Stop(context.Background()); serr != nil {
		t.Error(serr)
	}
	judge(t, seed, res, err, b.LeaseTTL())
}

// judge logs a run's figures and fails the test on any violation or
// fault that could not be injected.
func judge(t *testing.T, seed uint64, res Result, err error, lease time.Duration) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	for _, l := range res.Lines(lease) {
		t.Log(l)
	}
	for _, l := range res.Report.Lines() {
		t.Log(l)
	}
	if n := len(res.Report.Violations); n > 0 {
		t.Errorf("seed %d: %d violations (replay with TANDA_CHAOS_SEED=%d)", seed, n, seed)
	}
	for _, in := range res.Injected {
		if in.Err != nil {
			t.Errorf("seed %d: fault %s at +%v: %v", seed, in.Kind, in.Event.At, in.Err)
		}
	}
}

// TestChaosAWS drives a seeded workload through `tanda serve --backend
// aws` on moto, with a `tanda agent` process per instance, under every
// fault this backend has, and checks the ledger. Its size comes from the
// environment (settingsFromEnv); the seed it prints replays it.
func TestChaosAWS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tanda on moto under faults with hundreds of jobs: a minute or two")
	}
	// make test runs the short run with seed ciSeed (a random one is
	// TANDA_CHAOS=short, make chaos-aws): CI has one try and this run
	// costs minutes of moto, so it replays a known schedule, where the
	// one-machine run, seconds long, draws a new one each time.
	seed := seedFromEnv(t)
	if os.Getenv("TANDA_CHAOS") == "" && os.Getenv("TANDA_CHAOS_SEED") == "" {
		seed = ciSeed
	}
	moto := mototest.Endpoint(t)
	s := settingsFromEnv(t)
	long := os.Getenv("TANDA_CHAOS") == "long"
	dir := runDir(t)
	records := filepath.Join(dir, "records")
	if err := os.Mkdir(records, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &AWSBackend{
		Dir: dir, Moto: moto, Lease: 4 * time.Second, InstanceType: "m6i.2xlarge", MinvCpus: 16,
		// Two minutes on EC2; 20 s in the short run.
		SpotNotice: 20 * time.Second,
		// SQS honours the visibility asked outside the queue-redelivery
		// fault's holds (which hide received messages 1 s): hiding every
		// received doorbell 2 s all through the run, as this did, had each
		// one the scheduler held longer than that (moto serves DynamoDB one
		// call at a time) delivered again to the other workers, until the
		// scheduler's queue grew faster than they drained it (seed 1: 37 to
		// 403 doorbells in a minute of settling).
		BreakRate: 0.5, BaselineRate: 0.02, Visibility: 0, DupRate: 0.05,
		Seed: seed, Race: os.Getenv("TANDA_CHAOS_RACE") != "", Logf: t.Logf,
	}
	// The short run: fewer jobs than on one machine (moto serves every
	// call of every job, DynamoDB's one at a time), arrays of 50. Seed 1
	// settles in about 1m20s whether 150 or 200 jobs are asked (the last
	// lost doorbells wait for their ring points), so it keeps 200. A run
	// gives up when no open job has moved for 3 minutes: a RUNNABLE job
	// whose doorbell a fault lost is rung again 30 s, 1, 2 and 4 minutes
	// after it became RUNNABLE, so by design it may wait 2 minutes with
	// nothing else moving. It allows 8 minutes in all: on a loaded machine
	// moto serves about one job a second, so 200 jobs take minutes though
	// they keep moving (defect 4 of docs/RELIABILITY.md was that, with a
	// 5-minute bound). A run that settles sooner ends sooner.
	window, faults, jobs, arrays, maxv, stall, settle := 40*time.Second, 2, 200, 50, int32(32), 3*time.Minute, 8*time.Minute
	if os.Getenv("TANDA_CHAOS_JOBS") != "" {
		jobs = s.jobs
	}
	if long {
		// moto serves 10,000 jobs at 1 to 4 a second: submissions and
		// faults are spread over 40 minutes (not one machine's 12), so
		// the faults meet the whole backlog, and the backlog left at the
		// end of the window may take up to an hour to drain.
		b.SpotNotice = 2 * time.Minute
		window, faults, jobs, arrays, maxv, stall, settle = 40*time.Minute, s.faults, s.jobs, s.arrayMax, 64, 6*time.Minute, 60*time.Minute
	}
	if os.Getenv("TANDA_CHAOS_WINDOW") != "" {
		window = s.window
	}
	stall, settle = settleFromEnv(t, stall, settle)
	ctx, cancel := context.WithTimeout(context.Background(), window+settle+5*time.Minute)
	defer cancel()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			if err := b.Stop(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	kinds := []string{FaultKillControlPlane, FaultKillAgent, FaultTerminateInstance, FaultSpotInterruption, FaultRebalance,
		FaultAgentsNetwork, FaultControlPlaneAWSNet, FaultQueueRedelivery, FaultAgentClock, FaultClientNetwork}
	counts := map[string]int{}
	for _, k := range kinds {
		counts[k] = faults
	}
	res, err := Run(ctx, b, Options{
		Seed: seed,
		Workload: Workload{
			Jobs: jobs, ArrayMin: min(s.arrayMin, arrays), ArrayMax: arrays, SeqArrayMax: 12, NToNMax: 30,
			TimeoutSecs: 60, ActionsShare: 0.05,
		},
		Window: window, Faults: counts, HoldMin: time.Second, HoldMax: 4 * time.Second,
		ClientBreakRate: 0.5, BaselineBreakRate: 0.1, Stall: stall, Settle: settle, MaxvCpus: maxv, Records: records,
		Logf: t.Logf,
	})
	stopped = true
	if serr := b.Stop(context.Background()); serr != nil {
		t.Error(serr)
	}
	t.Logf("AWS proxy: %v", b.ProxyCounts())
	judge(t, seed, res, err, b.LeaseTTL())
}
