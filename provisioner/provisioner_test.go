package provisioner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// harness wires a Provisioner to fakes and a fake clock.
type harness struct {
	clock *fakeClock
	obs   *fakeObserver
	fleet *fakeFleet
	prov  *Provisioner
}

func newHarness(ces ...batch.ComputeEnvironment) *harness {
	clock := &fakeClock{now: t0}
	h := &harness{clock: clock, obs: newFakeObserver(ces...), fleet: newFakeFleet(clock)}
	h.prov = New(h.obs, h.fleet, testCatalog, Options{
		Clock:  clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return h
}

// launched renders every Launch call's items.
func (h *harness) launched() [][]string {
	var out [][]string
	for _, req := range h.fleet.launches {
		out = append(out, launchList(req.Items))
	}
	return out
}

func TestReconcileLaunchesOnceAcrossPasses(t *testing.T) {
	h := newHarness(progressive(0, 64))
	h.obs.demand["ce"] = jobsOf(4, "j", 1, 1024, 0)
	ctx := context.Background()

	for pass := range 3 {
		if err := h.prov.Reconcile(ctx); err != nil {
			t.Fatalf("pass %d: Reconcile: %v", pass, err)
		}
		h.clock.now = h.clock.now.Add(5 * time.Second)
	}
	want := [][]string{{"1 x c6i.xlarge"}}
	if got := h.launched(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Launch calls = %v, want %v", got, want)
	}
	if n := len(h.fleet.instances["ce"]); n != 1 {
		t.Errorf("fleet has %d instances, want 1", n)
	}
	ds := h.obs.decisions["ce"]
	if len(ds) != 3 {
		t.Fatalf("recorded %d decisions, want 3", len(ds))
	}
	first := ds[0]
	if first.DesiredvCpus != 4 || !slices.Equal(first.Launch, []string{"1 x c6i.xlarge"}) || first.At != batch.Millis(t0) {
		t.Errorf("first decision = %+v, want desired 4, launch [1 x c6i.xlarge] at t0", first)
	}
	if last := ds[2]; last.DesiredvCpus != 4 || len(last.Launch) != 0 || !strings.Contains(last.Reason, "all fit on current instances") {
		t.Errorf("last decision = %+v, want desired 4, no launch, all fit", last)
	}
}

func TestReconcileRetriesLaunchWithSameToken(t *testing.T) {
	// A pass whose launch succeeded but whose instance listing lags behind
	// (eventual consistency) repeats the decision with the same token.
	h := newHarness(progressive(0, 64))
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 1024, 0)
	ctx := context.Background()
	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	h.fleet.instances["ce"] = nil // the listing has not caught up
	h.clock.now = h.clock.now.Add(5 * time.Second)
	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if n := len(h.fleet.launches); n != 2 {
		t.Fatalf("Launch calls = %d, want 2", n)
	}
	if a, b := h.fleet.launches[0].ClientToken, h.fleet.launches[1].ClientToken; a != b {
		t.Errorf("tokens differ: %s then %s", a, b)
	}
	if h.fleet.nextID != 1 {
		t.Errorf("fleet started %d instances, want 1", h.fleet.nextID)
	}
}

func TestReconcileInsufficientCapacity(t *testing.T) {
	h := newHarness(progressive(0, 64))
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 2048, 0)
	h.fleet.noCapacity["c6i.large"] = true
	ctx := context.Background()

	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v (capacity errors are not pass errors)", err)
	}
	want := [][]string{{"1 x c6i.large"}, {"1 x c7i.large"}}
	if got := h.launched(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Launch calls = %v, want %v", got, want)
	}
	d := h.obs.lastDecision("ce")
	if !slices.Equal(d.Launch, []string{"1 x c7i.large"}) || !strings.Contains(d.Reason, "c6i.large had no capacity, hidden for 3m0s") {
		t.Errorf("decision = %+v, want c7i.large launched and the capacity error explained", d)
	}

	// Within the TTL a new job avoids c6i.large without trying it.
	h.clock.now = t0.Add(time.Minute)
	h.obs.demand["ce"] = append(h.obs.demand["ce"], jobsOf(1, "k", 2, 2048, 0)...)
	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if got := h.launched()[2:]; !slices.EqualFunc(got, [][]string{{"1 x c7i.large"}}, slices.Equal) {
		t.Errorf("Launch calls within the TTL = %v, want [[1 x c7i.large]]", got)
	}

	// After the TTL the cheaper offering is tried again.
	h.clock.now = t0.Add(4 * time.Minute)
	h.fleet.noCapacity = map[string]bool{}
	h.obs.demand["ce"] = append(h.obs.demand["ce"], jobsOf(1, "l", 2, 2048, 0)...)
	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if got := h.launched()[3:]; !slices.EqualFunc(got, [][]string{{"1 x c6i.large"}}, slices.Equal) {
		t.Errorf("Launch calls after the TTL = %v, want [[1 x c6i.large]]", got)
	}
}

func TestReconcileBestFitWaitsOnInsufficientCapacity(t *testing.T) {
	h := newHarness(bestFit(0, 64))
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 2048, 0)
	h.fleet.noCapacity["c6i.large"] = true
	if err := h.prov.Reconcile(context.Background()); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if n := len(h.fleet.launches); n != 1 {
		t.Errorf("Launch calls = %d, want 1: BEST_FIT does not switch types", n)
	}
	if d := h.obs.lastDecision("ce"); !strings.Contains(d.Reason, "1 job waits for instance types without capacity (c6i.large)") {
		t.Errorf("reason = %q, want it to say the job waits for c6i.large", d.Reason)
	}
}

func TestReconcileRetiresIdleInstances(t *testing.T) {
	h := newHarness(progressive(0, 64))
	h.fleet.instances["ce"] = []Instance{instance("i-idle", "c6i.xlarge", time.Hour, InstanceRunning)}
	h.obs.loads["ce"] = map[string]Load{"i-idle": idleLoad(2 * time.Minute)}
	if err := h.prov.Reconcile(context.Background()); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if !slices.Equal(h.fleet.terminated, []string{"i-idle"}) {
		t.Errorf("terminated %v, want [i-idle]", h.fleet.terminated)
	}
	d := h.obs.lastDecision("ce")
	if d.DesiredvCpus != 0 || !slices.Equal(d.Retire, []string{"i-idle"}) {
		t.Errorf("decision = %+v, want desired 0 and i-idle retired", d)
	}
}

func TestReconcileIsolatesComputeEnvironments(t *testing.T) {
	bad := progressive(0, 64)
	bad.ComputeEnvironmentName = "bad"
	good := progressive(0, 64)
	good.ComputeEnvironmentName = "good"
	unmanaged := batch.ComputeEnvironment{ComputeEnvironmentName: "own", Type: batch.TypeUnmanaged, State: batch.StateEnabled}
	fargate := testCE("fargate", "FARGATE", "", 0, 64)
	h := newHarness(bad, unmanaged, fargate, good)
	h.fleet.listErr["bad"] = errors.New("DescribeInstances: throttled")
	for _, ce := range []string{"bad", "good", "own", "fargate"} {
		h.obs.demand[ce] = jobsOf(1, "j", 1, 1024, 0)
	}

	err := h.prov.Reconcile(context.Background())
	if err == nil || !strings.Contains(err.Error(), "compute environment bad: listing instances: DescribeInstances: throttled") {
		t.Errorf("Reconcile error = %v, want the bad compute environment's listing error", err)
	}
	if n := len(h.fleet.instances["good"]); n != 1 {
		t.Errorf("good compute environment has %d instances, want 1", n)
	}
	for _, ce := range []string{"bad", "own", "fargate"} {
		if n := len(h.obs.decisions[ce]); n != 0 {
			t.Errorf("%s: recorded %d decisions, want none", ce, n)
		}
	}
}

func TestReconcileLaunchErrorIsReturnedAndRecorded(t *testing.T) {
	h := newHarness(progressive(0, 64))
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 1024, 0)
	h.fleet.launchErr = errors.New("UnauthorizedOperation")
	err := h.prov.Reconcile(context.Background())
	if err == nil || !strings.Contains(err.Error(), "launching 1 x c6i.large") {
		t.Errorf("Reconcile error = %v, want the launch error", err)
	}
	if n := len(h.fleet.launches); n != 1 {
		t.Errorf("Launch calls = %d, want 1 (no re-plan on other errors)", n)
	}
	if n := len(h.obs.decisions["ce"]); n != 1 {
		t.Errorf("recorded %d decisions, want 1", n)
	}
}

func TestReconcileWaitsForTheRunningPass(t *testing.T) {
	ce := progressive(0, 64)
	h := newHarness(ce)
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 1024, 0)
	release, err := h.prov.acquire(context.Background(), "ce")
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With the pass held, the only way out is the context.
	if err := h.prov.reconcileCE(ctx, ce); !errors.Is(err, context.Canceled) {
		t.Errorf("reconcileCE while another pass runs = %v, want context.Canceled", err)
	}
	if n := len(h.fleet.launches) + len(h.obs.decisions["ce"]); n != 0 {
		t.Errorf("a blocked pass acted %d times, want none", n)
	}
	release()
	if err := h.prov.reconcileCE(context.Background(), ce); err != nil {
		t.Errorf("reconcileCE after release = %v, want nil", err)
	}
	if n := len(h.fleet.launches); n != 1 {
		t.Errorf("Launch calls after release = %d, want 1", n)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	h := newHarness(progressive(0, 64))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.obs.onList = func(calls int) {
		if calls == 3 {
			cancel()
		}
	}
	if err := h.prov.Run(ctx, time.Millisecond); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if h.obs.calls != 3 {
		t.Errorf("Run made %d passes, want 3", h.obs.calls)
	}
	if err := h.prov.Run(ctx, 0); err == nil {
		t.Errorf("Run with interval 0 = nil, want an error")
	}
}
