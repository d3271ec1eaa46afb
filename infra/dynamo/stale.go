package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// defaultStalePage is the page size of a StaleQuery without a Limit: the
// sweep index's entries are keys only (about 70 bytes), so a page is one
// Query of about 17 read units.
const defaultStalePage = 1000

// StaleJobs pages through the jobs of one status (SUBMITTED or PENDING)
// last written before q.UpdatedBefore, oldest first. It reads the sweep
// index alone: its sort key, sweepKey, is the time of the job's last
// write and its id (timeKey), so no document is read. Like any read of an
// index it may lag a write by a moment: a job that has just moved on may
// still be listed, and one just written may be listed at the next sweep.
// A page token is the sweepKey of the last job of the page.
func (s *Store) StaleJobs(ctx context.Context, q batch.StaleQuery) (batch.StalePage, error) {
	if q.Status != batch.Submitted && q.Status != batch.Pending {
		return batch.StalePage{}, fmt.Errorf("listing stale jobs: status %s: want SUBMITTED or PENDING", q.Status)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultStalePage
	}
	bound := timeBound(q.UpdatedBefore)
	values := map[string]types.AttributeValue{":h": str(q.Status.String()), ":b": str(bound)}
	cond := "#h = :h AND #s < :b"
	if q.Page != "" {
		if _, err := parseSweepKey(q.Page); err != nil {
			return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, batch.Clientf("invalid page token %q", q.Page))
		}
		after := resumeBound(q.Page, false)
		if after >= bound {
			return batch.StalePage{}, nil
		}
		values[":a"] = str(after)
		cond = "#h = :h AND #s BETWEEN :a AND :b"
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.opts.JobsTable),
		IndexName:                 aws.String(sweep.name),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#h": sweep.hash, "#s": sweep.sort},
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(true),
	}
	var page batch.StalePage
	for {
		in.Limit = aws.Int32(int32(limit - len(page.Jobs)))
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, translate(err))
		}
		for _, m := range out.Items {
			key, err := getString(m, attrSweepKey)
			if err == nil {
				var j batch.StaleJob
				j, err = parseSweepKey(key)
				page.Jobs = append(page.Jobs, j)
			}
			if err != nil {
				return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, err)
			}
		}
		if out.LastEvaluatedKey == nil {
			return page, nil
		}
		if len(page.Jobs) >= limit {
			last := page.Jobs[len(page.Jobs)-1]
			page.Next = timeKey(last.UpdatedAt, last.JobID)
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// parseSweepKey reads a sweepKey, <updatedAt>#<id> (timeKey).
func parseSweepKey(key string) (batch.StaleJob, error) {
	at, id, ok := strings.Cut(key, "#")
	ms, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return batch.StaleJob{}, fmt.Errorf("sweep key %q: want <updatedAt>#<id>", key)
	}
	return batch.StaleJob{JobID: id, UpdatedAt: ms}, nil
}
