package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// expireChunk bounds the jobs or items one DeleteExpired transaction
// deletes, so other writes are not held up behind a large sweep.
const expireChunk = 500

const (
	expiredJobsSQL  = `SELECT id FROM jobs WHERE expires_at != 0 AND expires_at < ? ORDER BY expires_at, id LIMIT ?`
	deleteJobSQL    = `DELETE FROM jobs WHERE id = ?`
	deleteDepsOnSQL = `DELETE FROM deps WHERE on_id = ?`
	deleteDepsOfSQL = `DELETE FROM deps WHERE dependent_id = ?`
	expireItemsSQL  = `DELETE FROM items WHERE (kind, key) IN (
		SELECT kind, key FROM items WHERE expires_at != 0 AND expires_at < ? LIMIT ?)`
)

// DeleteExpired deletes the jobs (with their dependency edges) and items
// whose expiry is set and before now, and returns how many it deleted.
func (db *DB) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	cutoff := batch.Millis(now)
	total := 0
	for _, step := range []func(*wtx) (int, error){
		func(t *wtx) (int, error) { return expireJobs(t, cutoff) },
		func(t *wtx) (int, error) { return expireItems(t, cutoff) },
	} {
		for {
			var n int
			err := db.write.do(ctx, func(t *wtx) error {
				var err error
				n, err = step(t)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("deleting expired records: %w", err)
			}
			total += n
			if n < expireChunk {
				break
			}
		}
	}
	return total, nil
}

// expireJobs deletes up to expireChunk expired jobs and their edges.
func expireJobs(t *wtx, cutoff int64) (int, error) {
	rows, err := t.query(expiredJobsSQL, cutoff, expireChunk)
	if err != nil {
		return 0, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		for _, q := range []string{deleteDepsOnSQL, deleteDepsOfSQL, deleteJobSQL} {
			if _, err := t.exec(q, id); err != nil {
				return 0, err
			}
		}
	}
	return len(ids), nil
}

// expireItems deletes up to expireChunk expired items.
func expireItems(t *wtx, cutoff int64) (int, error) {
	n, err := affected(t.exec(expireItemsSQL, cutoff, expireChunk))
	return int(n), err
}
