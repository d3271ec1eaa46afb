package provisioner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

func TestReconcileForgetsInstancesWhoseAgentWentSilent(t *testing.T) {
	for _, tt := range []struct {
		name        string
		forgetAfter time.Duration
		want        []string
	}{
		{"kept without a limit", 0, nil},
		{"the silent one forgotten", time.Minute, []string{"i-quiet"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(progressive(0, 64))
			h.prov.opts.ForgetSilentAfter = tt.forgetAfter
			h.fleet.instances["ce"] = []Instance{
				instance("i-quiet", "c6i.xlarge", time.Hour, InstanceRunning),
				instance("i-talking", "c6i.xlarge", time.Hour, InstanceRunning),
			}
			busy := Load{RunningJobs: 1, UsedVCPUs: 1, LastBusyAt: t0}
			quiet, talking := busy, busy
			quiet.LastSeenAt = t0.Add(-2 * time.Minute)
			talking.LastSeenAt = t0.Add(-time.Second)
			h.obs.loads["ce"] = map[string]Load{"i-quiet": quiet, "i-talking": talking}
			if err := h.prov.Reconcile(context.Background()); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if !slices.Equal(h.obs.forgottenInstances, tt.want) {
				t.Errorf("forgot %v, want %v", h.obs.forgottenInstances, tt.want)
			}
			if slices.Contains(h.fleet.terminated, "i-talking") {
				t.Error("the busy instance that reports was retired")
			}
		})
	}
}

func TestReconcileShrinksADeletingComputeEnvironmentThenForgetsIt(t *testing.T) {
	ce := with(progressive(4, 64), func(ce *batch.ComputeEnvironment) { ce.Status = batch.StatusDeleting })
	h := newHarness(ce)
	h.fleet.instances["ce"] = []Instance{instance("i-idle", "c6i.xlarge", time.Hour, InstanceRunning)}
	h.obs.loads["ce"] = map[string]Load{"i-idle": idleLoad(2 * time.Minute)}
	ctx := context.Background()

	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("first pass: %v", err)
	}
	if !slices.Equal(h.fleet.terminated, []string{"i-idle"}) {
		t.Errorf("terminated %v, want the idle instance (minvCpus 4 does not hold while DELETING)", h.fleet.terminated)
	}
	if len(h.obs.forgottenCEs) != 0 {
		t.Errorf("forgot %v while an instance was left", h.obs.forgottenCEs)
	}
	if got := *h.obs.ces[0].ComputeResources.MinvCpus; got != 4 {
		t.Errorf("the pass changed the stored minvCpus to %d", got)
	}

	if err := h.prov.Reconcile(ctx); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if !slices.Equal(h.obs.forgottenCEs, []string{"ce"}) {
		t.Errorf("forgot %v, want the compute environment once its instances are gone", h.obs.forgottenCEs)
	}
	if n := len(h.obs.decisions["ce"]); n != 1 {
		t.Errorf("%d decisions recorded, want only the first pass's", n)
	}
}

func TestDecisionReasonNamesTypesWithEstimatedPrices(t *testing.T) {
	types := testCatalog.Types()
	for i := range types {
		if types[i].Name == "c6i.xlarge" {
			types[i].PriceEstimated = true
		}
	}
	cat, err := NewCatalog(types)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(progressive(0, 64, "c6i"))
	h.prov.cat = cat
	h.obs.demand["ce"] = jobsOf(1, "j", 1, 1024, 0)
	if err := h.prov.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := h.obs.lastDecision("ce").Reason; !strings.Contains(r, "prices estimated (no list price) for c6i.xlarge") {
		t.Errorf("reason %q does not name the type priced by estimate", r)
	}
	if got := estimatedPrices(nil); got != "" {
		t.Errorf("no estimated types: %q", got)
	}
}
