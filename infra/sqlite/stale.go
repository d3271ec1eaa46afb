package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// defaultStalePage is the page size of a StaleQuery without a Limit.
const defaultStalePage = 1000

// staleJobsSQL reads a page of waiting jobs of one status last written
// before a time, past the last one of the previous page, from the
// jobs_waiting index alone (it holds status, updated_at and id). The
// first condition is the index's, repeated so that the planner uses it.
const staleJobsSQL = `SELECT id, updated_at FROM jobs
WHERE status IN ('SUBMITTED', 'PENDING', 'RUNNABLE') AND status = ? AND updated_at < ?
AND (updated_at, id) > (?, ?)
ORDER BY updated_at, id LIMIT ?`

// StaleJobs pages through the jobs of one status (SUBMITTED or PENDING)
// last written before q.UpdatedBefore, oldest first, without their
// documents.
func (db *DB) StaleJobs(ctx context.Context, q batch.StaleQuery) (batch.StalePage, error) {
	if q.Status != batch.Submitted && q.Status != batch.Pending {
		return batch.StalePage{}, fmt.Errorf("listing stale jobs: status %s: want SUBMITTED or PENDING", q.Status)
	}
	afterAt, afterID, err := parseStalePage(q.Page)
	if err != nil {
		return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultStalePage
	}
	rows, err := db.read.query(ctx, staleJobsSQL, q.Status.String(), q.UpdatedBefore, afterAt, afterID, limit+1)
	if err != nil {
		return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, err)
	}
	defer rows.Close()
	var page batch.StalePage
	for rows.Next() {
		if len(page.Jobs) == limit {
			last := page.Jobs[limit-1]
			page.Next = strconv.FormatInt(last.UpdatedAt, 10) + "#" + last.JobID
			break
		}
		var j batch.StaleJob
		if err := rows.Scan(&j.JobID, &j.UpdatedAt); err != nil {
			return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, err)
		}
		page.Jobs = append(page.Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return batch.StalePage{}, fmt.Errorf("listing stale %s jobs: %w", q.Status, err)
	}
	return page, nil
}

// parseStalePage reads a StalePage.Next token, <updatedAt>#<id>; ""
// starts before every job.
func parseStalePage(token string) (int64, string, error) {
	if token == "" {
		return -1, "", nil
	}
	at, id, ok := strings.Cut(token, "#")
	ms, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return 0, "", batch.Clientf("invalid page token %q", token)
	}
	return ms, id, nil
}
