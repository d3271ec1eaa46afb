package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// keysPage is how many index entries one Query of a listing asks for.
const keysPage = 200

// listed is a job a part of a listing found, with its sort key there and
// the key the parts are merged by.
type listed struct {
	part       int
	key, merge string
	job        batch.Job
}

// ListJobs pages through the jobs q selects. It reads the keys of the
// index that serves q (see planFor), then the documents, and checks each
// document against q. A query over several statuses reads one partition
// per status and merges them (a queue's jobs newest first by creation);
// its cursor holds where each partition stopped and the last job
// returned, so a listing neither skips nor repeats jobs.
func (s *Store) ListJobs(ctx context.Context, q batch.JobQuery) (batch.JobPage, error) {
	plan, err := planFor(q)
	if err != nil {
		return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
	}
	cur, err := decodeCursor(q.Cursor, plan)
	if err != nil {
		return batch.JobPage{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	var found []listed
	exhausted := make([]bool, len(plan.parts))
	for i := range plan.parts {
		if cur.Done[i] {
			exhausted[i] = true
			continue
		}
		got, done, err := s.readPart(ctx, plan, i, cur, limit+1)
		if err != nil {
			return batch.JobPage{}, fmt.Errorf("listing jobs: %w", err)
		}
		found, exhausted[i] = append(found, got...), done
	}
	slices.SortFunc(found, func(a, b listed) int {
		if plan.desc {
			return cmp.Compare(b.merge, a.merge)
		}
		return cmp.Compare(a.merge, b.merge)
	})
	page := batch.JobPage{Jobs: make([]batch.Job, 0, min(limit, len(found)))}
	next := cursor{After: cur.After, Done: cur.Done, Last: cur.Last}
	for _, f := range found[:min(limit, len(found))] {
		page.Jobs = append(page.Jobs, f.job)
		next.After[f.part], next.Last = f.key, f.merge
	}
	left := make([]bool, len(plan.parts))
	for _, f := range found[min(limit, len(found)):] {
		left[f.part] = true
	}
	more := false
	for i := range plan.parts {
		next.Done[i] = exhausted[i] && !left[i]
		more = more || !next.Done[i]
	}
	if more {
		page.Cursor = next.encode(plan)
	}
	return page, nil
}

// readPart reads up to want jobs of one part of a plan past the cursor,
// and reports whether the part has no more. A part whose order is not the
// merge order is read whole, and keeps the jobs past the cursor's last.
func (s *Store) readPart(ctx context.Context, plan listPlan, i int, cur cursor, want int) ([]listed, bool, error) {
	p := plan.parts[i]
	after := cur.After[i]
	if p.whole {
		after, want = "", math.MaxInt
	}
	in := s.partQuery(plan, p, after)
	var out []listed
	for {
		keys, last, stop, err := s.queryKeys(ctx, plan, in)
		if err != nil {
			return nil, false, err
		}
		jobs, err := s.jobsByKey(ctx, keys)
		if err != nil {
			return nil, false, err
		}
		for _, k := range keys {
			j, ok := jobs[k.id]
			if !ok || !plan.keep(&j) {
				continue
			}
			merge := k.sort
			if plan.byCreation {
				merge = timeKey(j.CreatedAt, j.JobID)
			}
			if p.whole && cur.Last != "" && (plan.desc && merge >= cur.Last || !plan.desc && merge <= cur.Last) {
				continue // returned on an earlier page
			}
			out = append(out, listed{part: i, key: k.sort, merge: merge, job: j})
		}
		if stop || last == nil {
			return out, true, nil
		}
		if len(out) >= want {
			return out, false, nil
		}
		in.ExclusiveStartKey = last
	}
}

// indexKey is one entry of an index: the job's id and its sort key there.
type indexKey struct{ id, sort string }

// partQuery is the Query of one part past after.
func (s *Store) partQuery(plan listPlan, p part, after string) *dynamodb.QueryInput {
	names := map[string]string{"#h": plan.index.hash}
	values := map[string]types.AttributeValue{":h": str(p.hash)}
	cond := "#h = :h"
	if after != "" {
		names["#s"] = plan.index.sort
		values[":s"] = str(resumeBound(after, plan.desc))
		if plan.desc {
			cond += " AND #s < :s"
		} else {
			cond += " AND #s > :s"
		}
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.JobsTable),
		IndexName:                 aws.String(plan.index.name),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(!plan.desc),
		Limit:                     aws.Int32(keysPage),
	}
	if p.filterAttr != "" {
		names["#f"] = p.filterAttr
		refs := make([]string, len(p.filterValues))
		for i, v := range p.filterValues {
			refs[i] = fmt.Sprintf(":f%d", i)
			values[refs[i]] = str(v)
		}
		in.FilterExpression = aws.String("#f IN (" + strings.Join(refs, ", ") + ")")
	}
	return in
}

// queryKeys runs one page of a part's Query and returns the entries that
// are in the part's range, the key to continue from, and whether an entry
// past the range ended the part.
func (s *Store) queryKeys(ctx context.Context, plan listPlan, in *dynamodb.QueryInput) ([]indexKey, map[string]types.AttributeValue, bool, error) {
	out, err := s.api.Query(ctx, in)
	if err != nil {
		return nil, nil, false, fmt.Errorf("querying index %s: %w", plan.index.name, translate(err))
	}
	keys := make([]indexKey, 0, len(out.Items))
	for _, m := range out.Items {
		id, err1 := getString(m, attrID)
		sortKey, err2 := getString(m, plan.index.sort)
		if err1 != nil || err2 != nil {
			return nil, nil, false, fmt.Errorf("reading index %s: %w", plan.index.name, cmp.Or(err1, err2))
		}
		if plan.bound != "" && sortKey >= plan.bound {
			return keys, nil, true, nil
		}
		if plan.keepID(id) {
			keys = append(keys, indexKey{id: id, sort: sortKey})
		}
	}
	return keys, out.LastEvaluatedKey, false, nil
}

// jobsByKey reads the documents of index entries, by id.
func (s *Store) jobsByKey(ctx context.Context, keys []indexKey) (map[string]batch.Job, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	jobs, err := s.GetJobs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]batch.Job, len(jobs))
	for _, j := range jobs {
		byID[j.JobID] = j
	}
	return byID, nil
}
