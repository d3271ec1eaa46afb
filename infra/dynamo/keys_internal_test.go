package dynamo

import (
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// TestRunnableKeysKeepTimeKeyOrder: RUNNABLE jobs' keys, with their
// demand or without it (written before keys carried it), sort as their
// timeKeys do, also for ids that begin with another id; resumeBound lies
// between the keys of a job and those of its neighbours; splitKey gives
// back the timeKey and the demand.
func TestRunnableKeysKeepTimeKeyOrder(t *testing.T) {
	type job struct {
		at int64
		id string
	}
	jobs := []job{
		{1000, "3f2c9a4e-0000-4000-8000-000000000000"},
		{1000, "3f2c9a4e-0000-4000-8000-000000000000:1"},
		{1000, "3f2c9a4e-0000-4000-8000-000000000000:10"},
		{1000, "3f2c9a4e-0000-4000-8000-000000000000:2"},
		{1000, "3f2c9a4e-0000-4000-8000-0000000000001"},
		{1000, "a"},
		{1001, "0"},
	}
	slices.SortFunc(jobs, func(a, b job) int { return strings.Compare(timeKey(a.at, a.id), timeKey(b.at, b.id)) })
	demands := []batch.JobInternal{
		{RunnableAt: 5, VCPUs: 0.25, MemoryMiB: 512},
		{RunnableAt: 1_765_000_000_000, VCPUs: 96, MemoryMiB: 786_432, GPUs: 8},
	}
	// Every job's keys: without a demand, then with each demand.
	keysOf := func(j job) []string {
		keys := []string{timeKey(j.at, j.id)}
		for _, d := range demands {
			keys = append(keys, runnableKey(j.at, j.id, d))
		}
		return keys
	}
	var all []string
	owner := map[string]int{}
	for i, j := range jobs {
		for _, k := range keysOf(j) {
			all = append(all, k)
			owner[k] = i
		}
	}
	slices.Sort(all)
	for n := 1; n < len(all); n++ {
		if owner[all[n-1]] > owner[all[n]] {
			t.Fatalf("key %q sorts before %q: want the order of their timeKeys", all[n-1], all[n])
		}
	}

	for i, j := range jobs {
		for _, after := range keysOf(j) {
			asc, desc := resumeBound(after, false), resumeBound(after, true)
			for _, k := range all {
				mine := owner[k] == i
				if got, want := k > asc, owner[k] > i; got != want {
					t.Fatalf("resuming after %q, oldest first: %q > %q is %v, want %v", after, k, asc, got, want)
				}
				if got, want := k < desc, owner[k] < i; got != want && !mine || mine && got {
					t.Fatalf("resuming after %q, newest first: %q < %q is %v, want %v", after, k, desc, got, want)
				}
			}
			base, demand := splitKey(after)
			if base != timeKey(j.at, j.id) {
				t.Errorf("splitKey(%q) key = %q, want %q", after, base, timeKey(j.at, j.id))
			}
			if demand != "" {
				if _, err := parseDemand(demand); err != nil || !strings.HasSuffix(after, "#"+demand) {
					t.Errorf("splitKey(%q) demand = %q: %v", after, demand, err)
				}
			}
		}
	}
	for _, k := range []string{"000007", leaseKey(61_000, "j"), timeKey(5, "j")} {
		if base, extra := splitKey(k); base != k || extra != "" {
			t.Errorf("splitKey(%q) = %q, %q; want the key whole", k, base, extra)
		}
	}
}
