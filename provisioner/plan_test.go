package provisioner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testCatalog is the built-in catalogue, built once for the tests.
var testCatalog = DefaultCatalog()

func intp(n int) *int { return &n }

// testCE is an ENABLED, VALID managed compute environment.
func testCE(name, typ, strategy string, minv, maxv int, instanceTypes ...string) batch.ComputeEnvironment {
	if len(instanceTypes) == 0 {
		instanceTypes = []string{"optimal"}
	}
	return batch.ComputeEnvironment{
		ComputeEnvironmentName: name, Type: batch.TypeManaged,
		State: batch.StateEnabled, Status: batch.StatusValid,
		ComputeResources: &batch.ComputeResource{
			Type: typ, AllocationStrategy: strategy,
			MinvCpus: intp(minv), MaxvCpus: intp(maxv), DesiredvCpus: intp(minv),
			InstanceTypes: instanceTypes,
		},
	}
}

func progressive(minv, maxv int, instanceTypes ...string) batch.ComputeEnvironment {
	return testCE("ce", ResourceEC2, StrategyBestFitProgressive, minv, maxv, instanceTypes...)
}

func bestFit(minv, maxv int, instanceTypes ...string) batch.ComputeEnvironment {
	return testCE("ce", ResourceEC2, StrategyBestFit, minv, maxv, instanceTypes...)
}

func with(ce batch.ComputeEnvironment, change func(*batch.ComputeEnvironment)) batch.ComputeEnvironment {
	cr := *ce.ComputeResources
	ce.ComputeResources = &cr
	change(&ce)
	return ce
}

// jobsOf makes n jobs of one shape, with ids prefix-0, prefix-1, ...
func jobsOf(n int, prefix string, vcpus float64, memMiB, gpus int64) []Job {
	out := make([]Job, n)
	for i := range out {
		out[i] = Job{ID: fmt.Sprintf("%s-%d", prefix, i), VCPUs: vcpus, MemoryMiB: memMiB, GPUs: gpus}
	}
	return out
}

// instance is a catalog type launched ago before t0.
func instance(id, typ string, ago time.Duration, state string) Instance {
	t, ok := testCatalog.Lookup(typ)
	if !ok {
		panic("unknown type " + typ)
	}
	return Instance{ID: id, Type: typ, VCPUs: t.VCPUs, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs, LaunchedAt: t0.Add(-ago), State: state}
}

// idleLoad is a registered agent's report of an instance last busy ago.
func idleLoad(ago time.Duration) Load { return Load{LastBusyAt: t0.Add(-ago)} }

// launchList renders a decision's launches as "N x type".
func launchList(items []LaunchItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%d x %s", it.Count, it.Type.Name))
	}
	return out
}

func planFor(t testing.TB, in PlanInput) Decision {
	t.Helper()
	types, err := testCatalog.Expand(in.CE.ComputeResources.InstanceTypes)
	if err != nil {
		t.Fatalf("Expand(%v): %v", in.CE.ComputeResources.InstanceTypes, err)
	}
	in.Types = types
	if in.Now.IsZero() {
		in.Now = t0
	}
	return Plan(in)
}

func TestPlan(t *testing.T) {
	pinned := Job{ID: "pinned", VCPUs: 1, MemoryMiB: 1024, InstanceType: "m6i.large"}
	tests := []struct {
		name            string
		in              PlanInput
		wantLaunch      []string
		wantRetire      []string
		wantDesired     int
		wantUnplaceable []string
		wantWaiting     int
		wantReason      []string // substrings
	}{
		{
			name:        "scale out from zero for one job",
			in:          PlanInput{CE: progressive(0, 256), Demand: jobsOf(1, "j", 1, 2048, 0)},
			wantLaunch:  []string{"1 x c6i.large"},
			wantDesired: 2,
			wantReason:  []string{"1 RUNNABLE job needs 1 vCPU; free capacity 0", "launching 1 x c6i.large (2 vCPUs) at $0.085/h"},
		},
		{
			// Packing: a job of 1 vCPU goes on instances of at most twice
			// the smallest type that holds it (c6i.large, 2 vCPUs).
			name:        "100 jobs of 1 vCPU stop at maxvCpus 16, on instances of at most 4 vCPUs",
			in:          PlanInput{CE: progressive(0, 16), Demand: jobsOf(100, "j", 1, 1024, 0)},
			wantLaunch:  []string{"4 x c6i.xlarge"},
			wantDesired: 16,
			wantWaiting: 84,
			wantReason:  []string{"100 RUNNABLE jobs need 100 vCPUs; free capacity 0; launching 4 x c6i.xlarge (16 vCPUs) at $0.68/h", "at maxvCpus 16: 84 jobs wait (CAPACITY)"},
		},
		{
			// Each big job opens an m6i.xlarge (the type cheapest per vCPU
			// within the packing bound of 4 vCPUs that holds 15 GiB) and
			// takes a small one beside it; the last two small ones share
			// a bin shrunk to a c6i.large.
			name: "largest first, shrunk to the cheapest type that holds the mix",
			in: PlanInput{CE: progressive(0, 256), Demand: append(
				jobsOf(4, "small", 1, 1024, 0), jobsOf(2, "big", 2, 15*1024, 0)...)},
			wantLaunch:  []string{"2 x m6i.xlarge", "1 x c6i.large"},
			wantDesired: 10,
		},
		{
			name:        "BEST_FIT takes the cheapest type that fits each job",
			in:          PlanInput{CE: bestFit(0, 256), Demand: jobsOf(3, "j", 3, 1024, 0)},
			wantLaunch:  []string{"3 x c6i.xlarge"},
			wantDesired: 12,
		},
		{
			name:        "BEST_FIT On-Demand never exceeds maxvCpus",
			in:          PlanInput{CE: bestFit(0, 10), Demand: jobsOf(100, "j", 4, 1024, 0)},
			wantLaunch:  []string{"2 x c6i.xlarge"},
			wantDesired: 8,
			wantWaiting: 98,
		},
		{
			name:        "progressive may exceed maxvCpus by one instance",
			in:          PlanInput{CE: progressive(0, 10), Demand: jobsOf(100, "j", 4, 1024, 0)},
			wantLaunch:  []string{"1 x c6i.2xlarge", "1 x c6i.xlarge"},
			wantDesired: 12,
			wantWaiting: 97, // 8 vCPUs (packing's bound) for two jobs, then one more instance
		},
		{
			name:        "minvCpus keeps capacity without demand",
			in:          PlanInput{CE: progressive(4, 64)},
			wantLaunch:  []string{"1 x c6i.xlarge"},
			wantDesired: 4,
			wantReason:  []string{"no RUNNABLE jobs", "keeping minvCpus 4: launching 1 x c6i.xlarge"},
		},
		{
			name: "minvCpus keeps an idle instance past grace",
			in: PlanInput{CE: progressive(4, 64),
				Instances: []Instance{instance("i-a", "c6i.xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-a": idleLoad(10 * time.Minute)}},
			wantDesired: 4,
			wantReason:  []string{"keeping idle i-a for minvCpus 4"},
		},
		{
			name: "idle past grace is retired",
			in: PlanInput{CE: progressive(0, 64),
				Instances: []Instance{instance("i-a", "c6i.xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-a": idleLoad(61 * time.Second)}},
			wantRetire:  []string{"i-a"},
			wantDesired: 0,
			wantReason:  []string{"idle for 61s past the 60s grace: retiring i-a (minvCpus 0)"},
		},
		{
			name: "idle within grace is kept",
			in: PlanInput{CE: progressive(0, 64),
				Instances: []Instance{instance("i-a", "c6i.xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-a": idleLoad(59 * time.Second)}},
			wantDesired: 4,
			wantReason:  []string{"keeping 1 instance (4 vCPUs)"},
		},
		{
			name: "never-busy instance gets the grace from its launch",
			in: PlanInput{CE: progressive(0, 64),
				Instances: []Instance{instance("i-a", "c6i.xlarge", 30*time.Second, InstanceRunning)},
				Loads:     map[string]Load{"i-a": {}}},
			wantDesired: 4,
		},
		{
			name: "minScaleDownDelayMinutes lengthens the grace",
			in: PlanInput{CE: with(progressive(0, 64), func(ce *batch.ComputeEnvironment) {
				ce.ComputeResources.ScalingPolicy = &batch.ScalingPolicy{MinScaleDownDelayMinutes: intp(20)}
			}),
				Instances: []Instance{instance("i-a", "c6i.xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-a": idleLoad(10 * time.Minute)}},
			wantDesired: 4,
		},
		{
			name: "most expensive idle instance is retired first, down to minvCpus",
			in: PlanInput{CE: progressive(4, 64),
				Instances: []Instance{
					instance("i-cheap", "c6i.xlarge", time.Hour, InstanceRunning),
					instance("i-dear", "r6i.xlarge", time.Hour, InstanceRunning),
				},
				Loads: map[string]Load{"i-cheap": idleLoad(time.Hour), "i-dear": idleLoad(time.Hour)}},
			wantRetire:  []string{"i-dear"},
			wantDesired: 4,
		},
		{
			name: "busy and needed instances are not retired",
			in: PlanInput{CE: progressive(0, 64),
				Instances: []Instance{
					instance("i-busy", "c6i.xlarge", time.Hour, InstanceRunning),
					instance("i-needed", "c6i.xlarge", time.Hour, InstanceRunning),
				},
				Loads: map[string]Load{
					"i-busy":   {UsedVCPUs: 4, UsedMemoryMiB: 4096, RunningJobs: 1, LastBusyAt: t0},
					"i-needed": idleLoad(time.Hour),
				},
				Demand: jobsOf(1, "j", 2, 1024, 0)},
			wantDesired: 8,
			wantReason:  []string{"all fit on current instances"},
		},
		{
			name: "DISABLED launches nothing and still retires idle instances",
			in: PlanInput{CE: with(progressive(0, 64), func(ce *batch.ComputeEnvironment) { ce.State = batch.StateDisabled }),
				Instances: []Instance{instance("i-a", "g4dn.xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-a": idleLoad(time.Hour)},
				Demand:    jobsOf(5, "j", 1, 1024, 0)},
			wantRetire:  []string{"i-a"},
			wantDesired: 0,
			wantWaiting: 5,
			wantReason:  []string{"compute environment DISABLED: 5 jobs wait, launching nothing"},
		},
		{
			name:        "DISABLED does not launch for minvCpus",
			in:          PlanInput{CE: with(progressive(4, 64), func(ce *batch.ComputeEnvironment) { ce.State = batch.StateDisabled })},
			wantDesired: 4,
		},
		{
			name: "GPU jobs go only onto GPU types",
			in: PlanInput{CE: progressive(0, 256, "optimal", "g4dn"),
				Demand: append(jobsOf(1, "gpu", 4, 8192, 1), jobsOf(1, "cpu", 1, 1024, 0)...)},
			wantLaunch:  []string{"1 x g4dn.xlarge", "1 x c6i.large"},
			wantDesired: 6,
		},
		{
			name: "jobs that fit no allowed type are unplaceable",
			in: PlanInput{CE: progressive(0, 256), Demand: []Job{
				{ID: "huge", VCPUs: 200, MemoryMiB: 1024},
				{ID: "gpu", VCPUs: 1, MemoryMiB: 1024, GPUs: 1},
				{ID: "ok", VCPUs: 1, MemoryMiB: 1024},
			}},
			wantLaunch:      []string{"1 x c6i.large"},
			wantDesired:     2,
			wantUnplaceable: []string{"huge", "gpu"},
			wantReason:      []string{"2 jobs fit no allowed instance type (MISCONFIGURATION)"},
		},
		{
			name:        "a pinned job gets its type",
			in:          PlanInput{CE: progressive(0, 256), Demand: []Job{pinned}},
			wantLaunch:  []string{"1 x m6i.large"},
			wantDesired: 2,
		},
		{
			name:            "a job pinned to a type the CE does not allow is unplaceable",
			in:              PlanInput{CE: progressive(0, 256), Demand: []Job{{ID: "t3", VCPUs: 1, MemoryMiB: 512, InstanceType: "t3.micro"}}},
			wantUnplaceable: []string{"t3"},
		},
		{
			name: "launching instances count, so a second pass launches nothing",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-new", "c6i.xlarge", 10*time.Second, InstancePending)},
				Demand:    jobsOf(4, "j", 1, 1024, 0)},
			wantDesired: 4,
			wantReason:  []string{"all fit on current instances"},
		},
		{
			// Packing: the idle 16-vCPU instance is not for a job of 1
			// vCPU; it gets an instance of its size, and the idle one is
			// retired after its grace.
			name: "a small job does not keep a large instance",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-big", "c6i.4xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-big": idleLoad(10 * time.Second)},
				Demand:    jobsOf(1, "j", 1, 1024, 0)},
			wantLaunch:  []string{"1 x c6i.large"},
			wantDesired: 18,
		},
		{
			name: "after PackingPatience any instance a job fits takes it",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-big", "c6i.4xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-big": idleLoad(10 * time.Second)},
				Demand:    []Job{{ID: "j", VCPUs: 1, MemoryMiB: 1024, RunnableSince: t0.Add(-PackingPatience)}}},
			wantDesired: 16,
			wantReason:  []string{"all fit on current instances"},
		},
		{
			name: "terminating instances do not count",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-old", "c6i.4xlarge", time.Hour, InstanceTerminating)},
				Demand:    jobsOf(1, "j", 1, 1024, 0)},
			wantLaunch:  []string{"1 x c6i.large"},
			wantDesired: 2,
		},
		{
			name: "draining instances are not free capacity",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-drain", "c6i.4xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-drain": {UsedVCPUs: 1, RunningJobs: 1, LastBusyAt: t0, Draining: true}},
				Demand:    jobsOf(1, "j", 1, 1024, 0)},
			wantLaunch:  []string{"1 x c6i.large"},
			wantDesired: 2,
		},
		{
			name: "idle draining instances are retired at once",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{instance("i-drain", "c6i.4xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-drain": {LastBusyAt: t0, Draining: true}}},
			wantRetire: []string{"i-drain"},
			wantReason: []string{"draining and idle: retiring i-drain"},
		},
		{
			name: "an agent that never registered is retired after the timeout",
			in: PlanInput{CE: progressive(0, 256),
				Instances: []Instance{
					instance("i-lost", "c6i.large", 6*time.Minute, InstanceRunning),
					instance("i-booting", "c6i.large", 4*time.Minute, InstanceRunning),
				}},
			wantRetire:  []string{"i-lost"},
			wantDesired: 2,
			wantReason:  []string{"agent never registered within 5m0s: retiring i-lost"},
		},
		{
			name: "an offering without capacity is skipped",
			in: PlanInput{CE: progressive(0, 256), Demand: jobsOf(1, "j", 1, 2048, 0),
				Unavailable: map[string]bool{"c6i.large": true, "c6i.xlarge": true, "c6i.2xlarge": true, "c6i.4xlarge": true, "c6i.8xlarge": true}},
			wantLaunch:  []string{"1 x c7i.large"},
			wantDesired: 2,
		},
		{
			name: "BEST_FIT waits for its type rather than switching",
			in: PlanInput{CE: bestFit(0, 256), Demand: jobsOf(2, "j", 1, 2048, 0),
				Unavailable: map[string]bool{"c6i.large": true}},
			wantWaiting: 2,
			wantReason:  []string{"2 jobs wait for instance types without capacity (c6i.large)"},
		},
		{
			name: "ordered strategy follows the list",
			in: PlanInput{CE: testCE("ce", ResourceEC2, StrategyBestFitProgressiveOrdered, 0, 256, "m6i.xlarge", "c6i"),
				Demand: jobsOf(1, "j", 1, 1024, 0)},
			wantLaunch:  []string{"1 x m6i.xlarge"},
			wantDesired: 4,
		},
		{
			name: "a desiredvCpus the user raised is launched",
			in: PlanInput{CE: with(progressive(0, 64), func(ce *batch.ComputeEnvironment) {
				ce.ComputeResources.DesiredvCpus = intp(8)
				ce.Decision = &batch.ScalingDecision{DesiredvCpus: 0}
			})},
			wantLaunch:  []string{"1 x c6i.2xlarge"},
			wantDesired: 8,
			wantReason:  []string{"keeping desiredvCpus 8"},
		},
		{
			name: "the provisioner's own desiredvCpus is no floor",
			in: PlanInput{CE: with(progressive(0, 64), func(ce *batch.ComputeEnvironment) {
				ce.ComputeResources.DesiredvCpus = intp(8)
				ce.Decision = &batch.ScalingDecision{DesiredvCpus: 8}
			})},
			wantDesired: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := planFor(t, tc.in)
			if got := launchList(d.Launch); !slices.Equal(got, tc.wantLaunch) {
				t.Errorf("Launch = %v, want %v", got, tc.wantLaunch)
			}
			if !slices.Equal(d.Retire, tc.wantRetire) {
				t.Errorf("Retire = %v, want %v", d.Retire, tc.wantRetire)
			}
			if d.DesiredvCpus != tc.wantDesired {
				t.Errorf("DesiredvCpus = %d, want %d", d.DesiredvCpus, tc.wantDesired)
			}
			if !slices.Equal(d.Unplaceable, tc.wantUnplaceable) {
				t.Errorf("Unplaceable = %v, want %v", d.Unplaceable, tc.wantUnplaceable)
			}
			if d.Waiting != tc.wantWaiting {
				t.Errorf("Waiting = %d, want %d", d.Waiting, tc.wantWaiting)
			}
			for _, want := range tc.wantReason {
				if !strings.Contains(d.Reason, want) {
					t.Errorf("Reason = %q, want it to contain %q", d.Reason, want)
				}
			}
		})
	}
}
