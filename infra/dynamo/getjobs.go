package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/backoff"
)

const (
	// getJobsChunk is the most keys one BatchGetItem may ask for.
	getJobsChunk = 100
	// unprocessedRetries bounds the retries of a chunk's unprocessed keys.
	unprocessedRetries = 8
	// maxRetryDelay caps the doubling wait between those retries.
	maxRetryDelay = 2 * time.Second
)

// GetJobs reads the jobs that exist among ids, in no particular order,
// with BatchGetItem in chunks of 100. Keys DynamoDB leaves unprocessed are
// asked again after a doubling wait; if some still are after that, the
// error wraps batch.ErrThrottled.
func (s *Store) GetJobs(ctx context.Context, ids []string) ([]batch.Job, error) {
	ids = unique(ids)
	jobs := make([]batch.Job, 0, len(ids))
	for start := 0; start < len(ids); start += getJobsChunk {
		chunk := ids[start:min(start+getJobsChunk, len(ids))]
		var err error
		jobs, err = s.getJobsChunk(ctx, chunk, jobs)
		if err != nil {
			return nil, fmt.Errorf("getting %d jobs: %w", len(ids), err)
		}
	}
	return jobs, nil
}

// getJobsChunk appends to jobs those of at most 100 ids that exist.
func (s *Store) getJobsChunk(ctx context.Context, ids []string, jobs []batch.Job) ([]batch.Job, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = jobKey(id)
	}
	request := map[string]types.KeysAndAttributes{
		s.opts.JobsTable: {Keys: keys, ConsistentRead: aws.Bool(true)},
	}
	for attempt := 0; ; attempt++ {
		out, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, translate(err)
		}
		for _, m := range out.Responses[s.opts.JobsTable] {
			j, err := decodeJob(m)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, j)
		}
		request = out.UnprocessedKeys
		if len(request[s.opts.JobsTable].Keys) == 0 {
			return jobs, nil
		}
		if attempt == unprocessedRetries {
			return nil, fmt.Errorf("%d keys still unprocessed: %w", len(request[s.opts.JobsTable].Keys), batch.ErrThrottled)
		}
		if err := s.waitBeforeRetry(ctx, attempt+1); err != nil {
			return nil, err
		}
	}
}

// waitBeforeRetry waits before retry number attempt (none before the
// first call, attempt 0) of unprocessed keys or writes: exponential from
// RetryDelay, with jitter.
func (s *Store) waitBeforeRetry(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	return backoff.Sleep(ctx, backoff.Jitter(backoff.Exponential(s.opts.RetryDelay, maxRetryDelay, attempt)))
}

// unique returns ids without repeats, in first-seen order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
