package batch

import "testing"

func fsJob(id, share string, vcpus float64, prio int) Job {
	return Job{JobID: id, ShareIdentifier: share, SchedulingPriority: &prio, Internal: JobInternal{VCPUs: vcpus}}
}

func ids(js []Job) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.JobID
	}
	return out
}

func TestFairShareOrder(t *testing.T) {
	half := 0.5
	policy := &FairsharePolicy{ShareDistribution: []ShareAttributes{{ShareIdentifier: "gold", WeightFactor: &half}}}
	tests := []struct {
		name    string
		policy  *FairsharePolicy
		running map[string]float64
		waiting []Job
		k       int
		want    []string
	}{
		{
			name:    "alternates equal shares",
			waiting: []Job{fsJob("a1", "A", 1, 0), fsJob("a2", "A", 1, 0), fsJob("b1", "B", 1, 0), fsJob("b2", "B", 1, 0)},
			k:       4,
			want:    []string{"a1", "b1", "a2", "b2"},
		},
		{
			name:    "least used share first",
			running: map[string]float64{"A": 4},
			waiting: []Job{fsJob("a1", "A", 1, 0), fsJob("b1", "B", 1, 0), fsJob("b2", "B", 1, 0)},
			k:       3,
			want:    []string{"b1", "b2", "a1"},
		},
		{
			name:    "lower weight gets more",
			policy:  policy,
			running: map[string]float64{"gold": 3, "std": 2},
			waiting: []Job{fsJob("s1", "std", 1, 0), fsJob("g1", "gold", 1, 0)},
			k:       1,
			want:    []string{"g1"},
		},
		{
			name:    "priority within a share",
			waiting: []Job{fsJob("low", "A", 1, 1), fsJob("high", "A", 1, 9)},
			k:       2,
			want:    []string{"high", "low"},
		},
		{
			name:    "k bounds the pick",
			waiting: []Job{fsJob("a1", "A", 1, 0), fsJob("a2", "A", 1, 0)},
			k:       1,
			want:    []string{"a1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(FairShareOrder(tt.policy, tt.running, tt.waiting, tt.k))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestShareWeightPrefix(t *testing.T) {
	w := 1.0
	p := &FairsharePolicy{ShareDistribution: []ShareAttributes{{ShareIdentifier: "User*", WeightFactor: &w}}}
	if got := ShareWeight(p, "UserA", []string{"UserA", "UserB", "Other"}); got != 2 {
		t.Errorf("prefix weight = %v, want 2 (two matches)", got)
	}
	if got := ShareWeight(p, "Other", nil); got != 1 {
		t.Errorf("unlisted weight = %v, want 1", got)
	}
}
