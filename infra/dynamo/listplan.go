package dynamo

import (
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// defaultListLimit is the page size of a query without a Limit.
const defaultListLimit = 100

// allStatuses are the partitions a listing without statuses reads.
var allStatuses = []batch.Status{
	batch.Submitted, batch.Pending, batch.Runnable, batch.Starting,
	batch.Running, batch.Succeeded, batch.Failed,
}

// part is one partition of an index a listing reads, and, when
// filterAttr is set, the values of that projected attribute the entries
// it keeps have.
type part struct {
	hash         string
	filterAttr   string
	filterValues []string
	// whole: the part's sort order is not the listing's, so it is read
	// whole on every page.
	whole bool
}

// listPlan is how a JobQuery is read: which index, which key ranges, in
// which direction, and what each job must be to be listed.
type listPlan struct {
	index index
	parts []part
	desc  bool
	// bound, in ascending plans, stops a part at the first sort key not
	// below it.
	bound string
	// byCreation merges the parts by creation time rather than by sort
	// key.
	byCreation bool
	// keepID drops entries by id before their documents are read.
	keepID func(id string) bool
	// keep is the whole query, checked on each job's document: the index
	// is eventually consistent, the document is the truth.
	keep func(j *batch.Job) bool
}

// planFor chooses the index and key ranges that serve q.
func planFor(q batch.JobQuery) (listPlan, error) {
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = allStatuses
	}
	p := listPlan{keep: matcher(q), keepID: func(string) bool { return true }}
	switch {
	case q.LeaseBefore != 0 || q.Instance != "":
		// Every leased job is in the one ACTIVE partition, by expiry.
		active := part{hash: activePartition}
		if q.Instance != "" {
			active.filterAttr, active.filterValues = attrInstance, []string{q.Instance}
		}
		p.index, p.parts = byQueueStatus, []part{active}
		if q.LeaseBefore != 0 {
			p.bound = timeBound(q.LeaseBefore)
		}
	case q.ArrayParent != "":
		all := part{hash: q.ArrayParent}
		if len(q.Statuses) > 0 {
			all.filterAttr = attrChildStatus
			for _, s := range q.Statuses {
				all.filterValues = append(all.filterValues, s.String())
			}
		}
		p.index, p.parts = children, []part{all}
	case q.Queue != "":
		p.index, p.desc, p.byCreation = byQueueStatus, q.Order == batch.NewestFirst, true
		seen := map[string]bool{}
		for _, s := range statuses {
			// STARTING and RUNNING jobs of every queue share a partition.
			h := queuePartition(q.Queue, s)
			if seen[h] {
				continue
			}
			seen[h] = true
			pt := part{hash: h}
			if s.Active() {
				// Shared by every queue and sorted by lease expiry.
				pt.filterAttr, pt.filterValues, pt.whole = attrJobQueue, []string{q.Queue}, true
			}
			p.parts = append(p.parts, pt)
		}
		if q.TopLevel {
			p.keepID = func(id string) bool { return !isChildID(id) }
		}
	default:
		return listPlan{}, fmt.Errorf("a job listing needs a queue, an array parent, an instance, a lease or an update bound")
	}
	return p, nil
}

// matcher is q's selection as a test of one job.
func matcher(q batch.JobQuery) func(j *batch.Job) bool {
	statuses := make(map[batch.Status]bool, len(q.Statuses))
	for _, s := range q.Statuses {
		statuses[s] = true
	}
	nameExact, namePrefix := strings.ToLower(q.NameExact), strings.ToLower(q.NamePrefix)
	return func(j *batch.Job) bool {
		in := &j.Internal
		name := strings.ToLower(j.JobName)
		switch {
		case len(statuses) > 0 && !statuses[j.Status],
			q.Queue != "" && in.QueueName != q.Queue,
			q.ArrayParent != "" && in.ArrayParent != q.ArrayParent,
			q.TopLevel && in.ArrayParent != "",
			q.NameExact != "" && name != nameExact,
			q.NamePrefix != "" && !strings.HasPrefix(name, namePrefix),
			q.DefinitionName != "" && in.DefinitionName != q.DefinitionName,
			q.DefinitionPrefix != "" && !strings.HasPrefix(in.DefinitionName, q.DefinitionPrefix),
			q.DefinitionArn != "" && j.JobDefinition != q.DefinitionArn,
			q.ShareIdentifier != "" && j.ShareIdentifier != q.ShareIdentifier,
			q.CreatedAfter != 0 && j.CreatedAt <= q.CreatedAfter,
			q.CreatedBefore != 0 && j.CreatedAt >= q.CreatedBefore,
			q.LeaseBefore != 0 && (in.LeaseExpiresAt == 0 || in.LeaseExpiresAt >= q.LeaseBefore),
			q.Instance != "" && in.Instance != q.Instance:
			return false
		}
		return true
	}
}
