package batch

import (
	"sort"
	"strings"
)

// FairShareOrder picks up to k waiting jobs of a fair-share queue in the
// order a fair-share scheduler dispatches them. Each share's usage is its
// running vCPUs times its weight factor (a lower weight gets more); the
// next job comes from the share with the lowest usage, and within a share
// from the highest scheduling priority, then the earliest RUNNABLE. The
// usage of a share grows by each job picked from it.
//
// waiting must be in queue order (RunnableAt, then id).
func FairShareOrder(p *FairsharePolicy, running map[string]float64, waiting []Job, k int) []Job {
	byShare := map[string][]Job{}
	var shares []string
	for _, j := range waiting {
		if _, ok := byShare[j.ShareIdentifier]; !ok {
			shares = append(shares, j.ShareIdentifier)
		}
		byShare[j.ShareIdentifier] = append(byShare[j.ShareIdentifier], j)
	}
	for _, s := range shares {
		js := byShare[s]
		sort.SliceStable(js, func(a, b int) bool { return priority(js[a]) > priority(js[b]) })
	}
	usage := make(map[string]float64, len(shares))
	for _, s := range shares {
		usage[s] = running[s] * ShareWeight(p, s, shares)
	}
	var out []Job
	for len(out) < k {
		best := ""
		found := false
		for _, s := range shares {
			if len(byShare[s]) == 0 {
				continue
			}
			if !found || usage[s] < usage[best] || (usage[s] == usage[best] && s < best) {
				best, found = s, true
			}
		}
		if !found {
			break
		}
		j := byShare[best][0]
		byShare[best] = byShare[best][1:]
		out = append(out, j)
		usage[best] += j.Internal.VCPUs * ShareWeight(p, best, shares)
	}
	return out
}

func priority(j Job) int {
	if j.SchedulingPriority == nil {
		return 0
	}
	return *j.SchedulingPriority
}

// ShareWeight is a share identifier's weight factor under a policy. An
// entry ending in `*` covers every identifier with that prefix, and its
// weight is multiplied by how many of the known identifiers it covers.
// Identifiers the policy does not list weigh 1.0.
func ShareWeight(p *FairsharePolicy, share string, known []string) float64 {
	if p == nil {
		return 1
	}
	for _, sa := range p.ShareDistribution {
		w := 1.0
		if sa.WeightFactor != nil {
			w = *sa.WeightFactor
		}
		if sa.ShareIdentifier == share {
			return w
		}
		if prefix, ok := strings.CutSuffix(sa.ShareIdentifier, "*"); ok && strings.HasPrefix(share, prefix) {
			n := 0
			for _, k := range known {
				if strings.HasPrefix(k, prefix) {
					n++
				}
			}
			return w * float64(max(n, 1))
		}
	}
	return 1
}
