package provisioner

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestPassReportVCPUs(t *testing.T) {
	r := PassReport{
		Instances: []Instance{
			{ID: "a", VCPUs: 4, State: InstanceRunning},
			{ID: "b", VCPUs: 2, State: InstancePending},
			{ID: "c", VCPUs: 16, State: InstanceTerminating},
		},
		Loads: map[string]Load{"a": {UsedVCPUs: 3}, "c": {UsedVCPUs: 16}},
	}
	if p, u := r.VCPUs(); p != 6 || u != 3 {
		t.Errorf("VCPUs() = %v, %v; want 6, 3 (terminating instances left out)", p, u)
	}
}

// callLog records the calls a Metrics gets, named.
type callLog struct {
	name  string
	calls *[]string
}

func (c callLog) Pass(r PassReport) {
	*c.calls = append(*c.calls, c.name+" pass "+r.ComputeEnvironment)
}

func (c callLog) Reconciled(ces []string, _ time.Duration, err error) {
	*c.calls = append(*c.calls, c.name+" reconciled "+err.Error())
}

func TestMultiMetricsTellsEach(t *testing.T) {
	var calls []string
	m := MultiMetrics(callLog{"a", &calls}, nil, callLog{"b", &calls})
	m.Pass(PassReport{ComputeEnvironment: "ce"})
	m.Reconciled([]string{"ce"}, time.Second, errors.New("boom"))
	want := []string{"a pass ce", "b pass ce", "a reconciled boom", "b reconciled boom"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
}
