package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
)

// maxTransactItems is the most writes one TransactWriteItems may hold.
const maxTransactItems = 100

// jobKey is the primary key of a job.
func jobKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: str(id)}
}

// CreateJobs writes new jobs at version 1, all or none, in one
// transaction: if any job exists (or one id is given twice) it fails with
// an error wrapping batch.ErrConflict and writes nothing. The messages go
// to the Sender once the jobs are written. At most 100 jobs per call.
func (s *Store) CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error {
	if len(jobs) > maxTransactItems {
		return fmt.Errorf("creating %d jobs: at most %d per call", len(jobs), maxTransactItems)
	}
	if err := s.checkSender(msgs); err != nil {
		return fmt.Errorf("creating jobs: %w", err)
	}
	if len(jobs) == 0 {
		return s.send(ctx, msgs)
	}
	now := s.opts.Clock.Now()
	seen := make(map[string]bool, len(jobs))
	writes := make([]types.TransactWriteItem, len(jobs))
	for i, j := range jobs {
		if seen[j.JobID] {
			return fmt.Errorf("creating jobs: job %s given twice: %w", j.JobID, batch.ErrConflict)
		}
		seen[j.JobID] = true
		item, err := jobAttributes(j, 1, now)
		if err != nil {
			return fmt.Errorf("creating jobs: %w", err)
		}
		writes[i] = types.TransactWriteItem{Put: &types.Put{
			TableName:                aws.String(s.opts.JobsTable),
			Item:                     item,
			ConditionExpression:      aws.String("attribute_not_exists(#id)"),
			ExpressionAttributeNames: map[string]string{"#id": attrID},
		}}
	}
	_, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if isTransactionConflict(err) {
		return fmt.Errorf("creating jobs: a job exists: %w: %w", batch.ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("creating jobs: %w", translate(err))
	}
	if err := s.send(ctx, msgs); err != nil {
		return fmt.Errorf("creating jobs: %w", err)
	}
	return nil
}

// UpdateJob writes job if the stored version is job.Internal.Version and
// returns it at its new version, then sends msgs. If the versions differ
// it returns the stored job (from the failed write's answer, without a
// second read) and an error wrapping batch.ErrConflict; if there is no
// such job, batch.ErrNotFound. If only the sending fails, it returns the
// written job and the sending error.
func (s *Store) UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error) {
	expect := job.Internal.Version
	if err := s.checkSender(msgs); err != nil {
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, err)
	}
	item, err := jobAttributes(job, expect+1, s.opts.Clock.Now())
	if err != nil {
		return batch.Job{}, fmt.Errorf("updating job: %w", err)
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.opts.JobsTable),
		Item:                                item,
		ConditionExpression:                 aws.String("#v = :v"),
		ExpressionAttributeNames:            map[string]string{"#v": attrVersion},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(expect)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf) && ccf.Item == nil:
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, batch.ErrNotFound)
	case errors.As(err, &ccf):
		stored, derr := decodeJob(ccf.Item)
		if derr != nil {
			return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, derr)
		}
		return stored, fmt.Errorf("updating job %s at version %d (stored %d): %w",
			job.JobID, expect, stored.Internal.Version, batch.ErrConflict)
	case err != nil:
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, translate(err))
	}
	job.Internal.Version = expect + 1
	if err := s.send(ctx, msgs); err != nil {
		return job, fmt.Errorf("updating job %s: %w", job.JobID, err)
	}
	return job, nil
}

// GetJob reads one job or returns batch.ErrNotFound.
func (s *Store) GetJob(ctx context.Context, id string) (batch.Job, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.opts.JobsTable),
		Key:            jobKey(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, translate(err))
	}
	if out.Item == nil {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, batch.ErrNotFound)
	}
	j, err := decodeJob(out.Item)
	if err != nil {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, err)
	}
	return j, nil
}
