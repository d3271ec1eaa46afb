package dynamo

import (
	"context"
	"errors"
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
	in := s.childrenQuery(parentID)
	counts := map[batch.Status]int{}
	unfinished := map[string]batch.Status{}
	pages := dynamodb.NewQueryPaginator(s.api, in)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("counting children of %s: %w", parentID, translate(err))
		}
		for _, m := range out.Items {
			id, st, err := childEntry(m)
			if err != nil {
				return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
			}
			counts[st]++
			if !st.Terminal() && len(unfinished) <= freshReadLimit {
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

// The pages of AnyChildOpen's scan: the first holds openScanFirstPage
// index entries, each next one twice as many as the last, up to
// openScanLastPage.
const (
	openScanFirstPage = 4
	openScanLastPage  = 1024
)

// AnyChildOpen reports whether some child of an array parent has not
// finished. It reads the children index from the end (highest index
// first), a small page at a time, growing, and stops at the first child
// the index shows unfinished that the table, read strongly consistently,
// shows unfinished too. One the index shows unfinished but the table
// finished (the index lags) is passed over; one the index does not hold
// yet is not seen, which finishParent's count against the array's size
// covers.
//
// Children run roughly in index order, so the open ones are mostly the
// last ones, and the first page read usually shows one. With k open
// children at random places among n, the scan reads about n/(k+1)
// entries (at least its first page), so an array whose every child's end
// asks once reads O(n log n) entries in all (about n·ln n + 4n), where
// counting the children at each end (CountChildren) read n²; only the
// end that finds none open reads all n. docs/DYNAMODB.md has the figures.
func (s *Store) AnyChildOpen(ctx context.Context, parentID string) (bool, error) {
	in := s.childrenQuery(parentID)
	in.ScanIndexForward = aws.Bool(false)
	for page := int32(openScanFirstPage); ; page = min(2*page, openScanLastPage) {
		in.Limit = aws.Int32(page)
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return false, fmt.Errorf("looking for an unfinished child of %s: %w", parentID, translate(err))
		}
		for _, m := range out.Items {
			id, st, err := childEntry(m)
			if err != nil {
				return false, fmt.Errorf("looking for an unfinished child of %s: %w", parentID, err)
			}
			if st.Terminal() {
				continue
			}
			open, err := s.jobOpen(ctx, id)
			if err != nil {
				return false, fmt.Errorf("looking for an unfinished child of %s: %w", parentID, err)
			}
			if open {
				return true, nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return false, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// childrenQuery is a Query of a parent's children in the children index,
// reading each one's id and status.
func (s *Store) childrenQuery(parentID string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.JobsTable),
		IndexName:                 aws.String(children.name),
		KeyConditionExpression:    aws.String("#p = :p"),
		ProjectionExpression:      aws.String("#id, #c"),
		ExpressionAttributeNames:  map[string]string{"#p": attrParent, "#c": attrChildStatus, "#id": attrID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(parentID)},
	}
}

// jobOpen reports whether a job is in the table and unfinished, reading
// it strongly consistently.
func (s *Store) jobOpen(ctx context.Context, id string) (bool, error) {
	j, err := s.GetJob(ctx, id)
	if errors.Is(err, batch.ErrNotFound) {
		return false, nil // only finished jobs expire
	}
	if err != nil {
		return false, err
	}
	return !j.Status.Terminal(), nil
}

// childEntry is the job id and status of an entry of the children index.
func childEntry(m map[string]types.AttributeValue) (string, batch.Status, error) {
	id, err := getString(m, attrID)
	if err != nil {
		return "", 0, err
	}
	name, err := getString(m, attrChildStatus)
	if err != nil {
		return "", 0, err
	}
	st, ok := batch.ParseStatus(name)
	if !ok {
		return "", 0, fmt.Errorf("child %s: unknown status %q", id, name)
	}
	return id, st, nil
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
