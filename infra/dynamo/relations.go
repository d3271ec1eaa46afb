package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

const (
	// depKind is the items-table kind of dependency edges, keyed
	// `<on>#<dependent>`.
	depKind = "dep"
	// depRetention is how long an edge is kept: well past any job's wait,
	// after which DynamoDB's TTL deletes it. A dependent that outlives its
	// edges is still woken by the sweeper's re-ring of PENDING jobs.
	depRetention = 30 * 24 * time.Hour
	// batchWriteChunk is the most writes one BatchWriteItem may hold.
	batchWriteChunk = 25
)

// freshReadLimit is the most unfinished children CountChildren re-reads
// from the table (see there): one BatchGetItem.
const freshReadLimit = getJobsChunk

// CountChildren counts an array parent's children by status: one Query of
// the children index, which holds each child's status. A global secondary
// index is eventually consistent: the last child to finish rings its
// parent as soon as its write is done, and the index can still show it
// running, so the parent would wait for the sweeper. When the index shows
// at most freshReadLimit children unfinished, they are read again from
// the table (strongly consistent) and counted as they are there. (moto's
// indexes are consistent at once, so only a unit test shows this.)
func (s *Store) CountChildren(ctx context.Context, parentID string) (map[batch.Status]int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.JobsTable),
		IndexName:                 aws.String(children.name),
		KeyConditionExpression:    aws.String("#p = :p"),
		ProjectionExpression:      aws.String("#id, #c"),
		ExpressionAttributeNames:  map[string]string{"#p": attrParent, "#c": attrChildStatus, "#id": attrID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(parentID)},
	}
	counts := map[batch.Status]int{}
	unfinished := map[string]batch.Status{}
	pages := dynamodb.NewQueryPaginator(s.api, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("counting children of %s: %w", parentID, translate(err))
		}
		for _, m := range out.Items {
			name, err := getString(m, attrChildStatus)
			if err != nil {
				return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
			}
			st, ok := batch.ParseStatus(name)
			if !ok {
				return nil, fmt.Errorf("counting children of %s: unknown status %q", parentID, name)
			}
			counts[st]++
			if !st.Terminal() && len(unfinished) <= freshReadLimit {
				id, err := getString(m, attrID)
				if err != nil {
					return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
				}
				unfinished[id] = st
			}
		}
	}
	if len(unfinished) == 0 || len(unfinished) > freshReadLimit {
		return counts, nil
	}
	fresh, err := s.GetJobs(ctx, slices.Collect(maps.Keys(unfinished)))
	if err != nil {
		return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
	}
	for _, j := range fresh {
		counts[unfinished[j.JobID]]--
		counts[j.Status]++
	}
	maps.DeleteFunc(counts, func(_ batch.Status, n int) bool { return n == 0 })
	return counts, nil
}

// AddDependents records that each dependent waits on a job: one item per
// edge, written with BatchWriteItem (writing an edge twice is harmless).
func (s *Store) AddDependents(ctx context.Context, edges []batch.Dependency) error {
	expires := batch.Millis(s.opts.Clock.Now().Add(depRetention))
	seen := map[batch.Dependency]bool{}
	var writes []types.WriteRequest
	for _, e := range edges {
		if seen[e] {
			continue // one BatchWriteItem may not write a key twice
		}
		seen[e] = true
		it := batch.Item{Kind: depKind, Key: e.On + "#" + e.Dependent, ExpiresAt: expires}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: itemAttributes(it, 1)}})
	}
	if err := s.batchWrite(ctx, s.opts.ItemsTable, writes); err != nil {
		return fmt.Errorf("adding %d dependents: %w", len(writes), err)
	}
	return nil
}

// Dependents lists the jobs that wait on a job.
func (s *Store) Dependents(ctx context.Context, jobID string) ([]string, error) {
	items, err := s.ListItems(ctx, depKind, jobID+"#")
	if err != nil {
		return nil, fmt.Errorf("listing dependents of %s: %w", jobID, err)
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = strings.TrimPrefix(it.Key, jobID+"#")
	}
	return ids, nil
}

// DeleteExpired deletes nothing and returns 0: every finished job and
// every item with an expiry carries attribute "ttl", and DynamoDB's TTL
// deletes it, at no cost, usually within a few days of its time.
func (s *Store) DeleteExpired(context.Context, time.Time) (int, error) { return 0, nil }

// batchWrite writes requests in chunks of 25, asking again for the ones
// DynamoDB leaves unprocessed after a doubling wait; if some still are
// after that, the error wraps batch.ErrThrottled.
func (s *Store) batchWrite(ctx context.Context, table string, writes []types.WriteRequest) error {
	for start := 0; start < len(writes); start += batchWriteChunk {
		pending := map[string][]types.WriteRequest{table: writes[start:min(start+batchWriteChunk, len(writes))]}
		for attempt := 0; len(pending[table]) > 0; attempt++ {
			if attempt > unprocessedRetries {
				return fmt.Errorf("%d writes still unprocessed: %w", len(pending[table]), batch.ErrThrottled)
			}
			if err := s.waitBeforeRetry(ctx, attempt); err != nil {
				return err
			}
			out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return translate(err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
