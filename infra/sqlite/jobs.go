package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

const (
	getJobSQL     = `SELECT doc, version FROM jobs WHERE id = ?`
	jobExistsSQL  = `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?)`
	itemExistsSQL = `SELECT EXISTS (SELECT 1 FROM items WHERE kind = ? AND key = ?)`
)

// getJobsChunk bounds the ids of one GetJobs query.
const getJobsChunk = 500

// CreateJobs writes new jobs at version 1 with their messages, all or none:
// if any job exists (or one id is given twice) it fails with
// batch.ErrConflict and writes nothing. The caller's jobs are not modified.
func (db *DB) CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error {
	return db.CreateJobsRecording(ctx, jobs, nil, msgs)
}

// CreateJobsRecording is CreateJobs that also writes new items in the same
// transaction: if any job or item exists, it fails with batch.ErrConflict
// and writes nothing.
func (db *DB) CreateJobsRecording(ctx context.Context, jobs []batch.Job, items []batch.Item, msgs []batch.Message) error {
	rows := make([]jobRow, len(jobs))
	seen := make(map[string]bool, len(jobs))
	for i, j := range jobs {
		if seen[j.JobID] {
			return fmt.Errorf("creating jobs: job %s given twice: %w", j.JobID, batch.ErrConflict)
		}
		seen[j.JobID] = true
		r, err := newJobRow(j, 1)
		if err != nil {
			return fmt.Errorf("creating jobs: %w", err)
		}
		rows[i] = r
	}
	if err := validMessages(msgs); err != nil {
		return fmt.Errorf("creating jobs: %w", err)
	}
	err := db.write.do(ctx, func(t *wtx) error {
		for _, r := range rows { // check all before writing any
			var exists bool
			if err := t.queryRow(jobExistsSQL, r.id).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("job %s exists: %w", r.id, batch.ErrConflict)
			}
		}
		for _, it := range items {
			var exists bool
			if err := t.queryRow(itemExistsSQL, it.Kind, it.Key).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("item %s/%s exists: %w", it.Kind, it.Key, batch.ErrConflict)
			}
		}
		for _, r := range rows {
			if _, err := t.exec(insertJobSQL, r.args()...); err != nil {
				return err
			}
		}
		for _, it := range items {
			if _, err := t.exec(insertItemSQL, it.Kind, it.Key, it.Doc, it.ExpiresAt); err != nil {
				return err
			}
		}
		return db.sendIn(t, msgs)
	})
	if err != nil {
		return fmt.Errorf("creating jobs: %w", err)
	}
	return nil
}

// UpdateJob writes job, with its messages, if the stored version is
// job.Internal.Version, and returns it at its new version. If the versions
// differ it returns the stored job and an error wrapping batch.ErrConflict;
// if there is no such job, batch.ErrNotFound.
func (db *DB) UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error) {
	return db.updateJob(ctx, job, msgs, nil)
}

// UpdateJobDeleting is UpdateJob that also deletes a received message in
// the same transaction, when the update succeeds: the doorbell that led to
// the write. A receipt that is no longer current deletes nothing.
func (db *DB) UpdateJobDeleting(ctx context.Context, job batch.Job, msgs []batch.Message, done batch.Delivery) (batch.Job, error) {
	id, err := receiptID(done.Receipt)
	if err != nil {
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, err)
	}
	return db.updateJob(ctx, job, msgs, func(t *wtx) error { return db.deleteIn(t, done.Queue, id, done.Receipt) })
}

func (db *DB) updateJob(ctx context.Context, job batch.Job, msgs []batch.Message, then func(*wtx) error) (batch.Job, error) {
	expect := job.Internal.Version
	r, err := newJobRow(job, expect+1)
	if err != nil {
		return batch.Job{}, fmt.Errorf("updating job: %w", err)
	}
	if err := validMessages(msgs); err != nil {
		return batch.Job{}, fmt.Errorf("updating job %s: %w", job.JobID, err)
	}
	var (
		storedDoc     []byte
		storedVersion int64
	)
	err = db.write.do(ctx, func(t *wtx) error {
		n, err := affected(t.exec(updateJobSQL, append(r.args(), expect)...))
		if err != nil {
			return err
		}
		if n == 0 {
			err := t.queryRow(getJobSQL, r.id).Scan(&storedDoc, &storedVersion)
			if errors.Is(err, sql.ErrNoRows) {
				return batch.ErrNotFound
			}
			if err != nil {
				return err
			}
			return batch.ErrConflict
		}
		if then != nil {
			if err := then(t); err != nil {
				return err
			}
		}
		return db.sendIn(t, msgs)
	})
	switch {
	case errors.Is(err, batch.ErrConflict):
		stored, derr := decodeJob(storedDoc, storedVersion)
		if derr != nil {
			return batch.Job{}, fmt.Errorf("updating job %s: %w", r.id, derr)
		}
		return stored, fmt.Errorf("updating job %s at version %d (stored %d): %w", r.id, expect, storedVersion, err)
	case err != nil:
		return batch.Job{}, fmt.Errorf("updating job %s: %w", r.id, err)
	}
	job.Internal.Version = expect + 1
	return job, nil
}

// GetJob reads one job or returns batch.ErrNotFound.
func (db *DB) GetJob(ctx context.Context, id string) (batch.Job, error) {
	var (
		doc     []byte
		version int64
	)
	err := db.read.queryRow(ctx, getJobSQL, id).Scan(&doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, batch.ErrNotFound)
	}
	if err != nil {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, err)
	}
	j, err := decodeJob(doc, version)
	if err != nil {
		return batch.Job{}, fmt.Errorf("getting job %s: %w", id, err)
	}
	return j, nil
}

// GetJobs reads the jobs that exist among ids, in no particular order.
func (db *DB) GetJobs(ctx context.Context, ids []string) ([]batch.Job, error) {
	ids = unique(ids)
	jobs := make([]batch.Job, 0, len(ids))
	for start := 0; start < len(ids); start += getJobsChunk {
		chunk := ids[start:min(start+getJobsChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		query := "SELECT doc, version FROM jobs WHERE id IN (?" + strings.Repeat(", ?", len(chunk)-1) + ")"
		rows, err := db.read.db.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("getting jobs: %w", err)
		}
		jobs, err = appendJobs(jobs, rows)
		if err != nil {
			return nil, fmt.Errorf("getting jobs: %w", err)
		}
	}
	return jobs, nil
}

// appendJobs decodes rows of (doc, version) and closes them.
func appendJobs(jobs []batch.Job, rows *sql.Rows) ([]batch.Job, error) {
	defer rows.Close()
	for rows.Next() {
		var (
			doc     []byte
			version int64
		)
		if err := rows.Scan(&doc, &version); err != nil {
			return nil, err
		}
		j, err := decodeJob(doc, version)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
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
