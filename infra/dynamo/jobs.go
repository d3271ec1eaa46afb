package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
)

// jobKey is the primary key of a job.
func jobKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: str(id)}
}

// CreateJobs writes new jobs at version 1, each with a conditional
// PutItem (a transaction would cost twice as much), several at a time. A
// job that exists (or an id given twice) is not written, and the call
// then fails with an error wrapping batch.ErrConflict after writing the
// others. The messages of written jobs (a message goes with the job of
// its ID) go out once the writes are done, so an error leaves no written
// job unannounced; messages of no job go out only if every job was
// written.
func (s *Store) CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error {
	if err := s.checkQueues(msgs); err != nil {
		return fmt.Errorf("creating jobs: %w", err)
	}
	seen := make(map[string]bool, len(jobs))
	var unique []batch.Job
	conflicts := 0
	for _, j := range jobs {
		if seen[j.JobID] {
			conflicts++
			continue
		}
		seen[j.JobID] = true
		unique = append(unique, j)
	}
	written, err := s.putNewJobs(ctx, unique)
	byJob, unmatched := splitMessages(msgs, seen)
	var out []batch.Message
	for _, id := range written {
		out = append(out, byJob[id]...)
	}
	conflicts += len(unique) - len(written)
	if err == nil && conflicts == 0 {
		out = append(out, unmatched...)
	}
	if serr := s.send(ctx, out); serr != nil && err == nil {
		err = serr
	}
	switch {
	case err != nil:
		return fmt.Errorf("creating jobs: %w", err)
	case conflicts > 0:
		return fmt.Errorf("creating jobs: %d of %d exist: %w", conflicts, len(jobs), batch.ErrConflict)
	}
	return nil
}

// putWorkers bounds the PutItem calls one CreateJobs makes at a time.
const putWorkers = 8

// putNewJobs writes jobs that do not exist yet, putWorkers at a time, and
// returns the ids it wrote. Jobs that exist are skipped; the first other
// error stops the writing and is returned.
func (s *Store) putNewJobs(ctx context.Context, jobs []batch.Job) ([]string, error) {
	now := s.opts.Clock.Now()
	var (
		mu       sync.Mutex
		written  []string
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan batch.Job)
	for range min(putWorkers, len(jobs)) {
		wg.Go(func() {
			for j := range next {
				err := s.putNewJob(ctx, j, now)
				mu.Lock()
				switch {
				case err == nil:
					written = append(written, j.JobID)
				case !errors.Is(err, batch.ErrConflict) && firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	return written, firstErr
}

// putNewJob writes one job at version 1 if it does not exist.
func (s *Store) putNewJob(ctx context.Context, j batch.Job, now time.Time) error {
	item, err := jobAttributes(j, 1, now)
	if err != nil {
		return err
	}
	item[attrWriteID] = str(newWriteID())
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.opts.JobsTable),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames:            map[string]string{"#id": attrID},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf) && isOwnWrite(ccf.Item, item):
		return nil // a retry found its first try's write
	case errors.As(err, &ccf):
		return fmt.Errorf("job %s exists: %w", j.JobID, batch.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("writing job %s: %w", j.JobID, translate(err))
	}
	return nil
}

// splitMessages sorts msgs into those of each job (by ID) and the others.
func splitMessages(msgs []batch.Message, jobs map[string]bool) (map[string][]batch.Message, []batch.Message) {
	byJob := map[string][]batch.Message{}
	var other []batch.Message
	for _, m := range msgs {
		if jobs[m.ID] {
			byJob[m.ID] = append(byJob[m.ID], m)
		} else {
			other = append(other, m)
		}
	}
	return byJob, other
}

// UpdateJob writes job if the stored version is job.Internal.Version and
// returns it at its new version, then sends msgs. If the versions differ
// it returns the stored job (from the failed write's answer, without a
// second read) and an error wrapping batch.ErrConflict; if there is no
// such job, batch.ErrNotFound. If only the sending fails, it returns the
// written job and the sending error.
func (s *Store) UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error) {
	expect := job.Internal.Version
	if err := s.checkQueues(msgs); err != nil {
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, err)
	}
	item, err := jobAttributes(job, expect+1, s.opts.Clock.Now())
	if err != nil {
		return batch.Job{}, fmt.Errorf("updating job: %w", err)
	}
	item[attrWriteID] = str(newWriteID())
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
	case errors.As(err, &ccf) && isOwnWrite(ccf.Item, item):
		// The SDK retried a call whose first try was applied (its answer
		// was lost): the stored item is this very write.
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

// UpdateJobDeleting is UpdateJob that, when the write succeeds, then
// deletes the received message that led to it. The write stands even if
// the delete fails (that is logged): the message comes back, and what it
// leads to loses its condition, as after a crash in between.
func (s *Store) UpdateJobDeleting(ctx context.Context, job batch.Job, msgs []batch.Message, done batch.Delivery) (batch.Job, error) {
	if s.opts.Queues == nil {
		return batch.Job{}, fmt.Errorf("updating job %s: no Queues to delete its message from", job.JobID)
	}
	written, err := s.UpdateJob(ctx, job, msgs)
	if err != nil {
		return written, err
	}
	if err := s.opts.Queues.Delete(ctx, done.Queue, done.Receipt); err != nil {
		s.opts.Logger.Warn("deleting a consumed message", "job", job.JobID, "queue", done.Queue, "err", err)
	}
	return written, nil
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

// isOwnWrite reports whether the item a lost condition returned is the
// one this very call put: each write carries an id of its own, which the
// SDK's retries of the call repeat and no other write has.
func isOwnWrite(stored, written map[string]types.AttributeValue) bool {
	sw, err1 := getString(stored, attrWriteID)
	ww, err2 := getString(written, attrWriteID)
	return err1 == nil && err2 == nil && ww != "" && sw == ww
}

// newWriteID is a random id for one write.
func newWriteID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return base64.RawURLEncoding.EncodeToString(b)
}
