package sqlite

import (
	"context"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

// countJobsSQL counts one queue's jobs by status from the index on
// (queue, status, created_at), without reading their documents.
const countJobsSQL = `SELECT status, COUNT(*) FROM jobs WHERE queue = ? GROUP BY status`

// CountJobs counts the jobs of each named job queue by status (array
// children included), for the jobs gauge of the metrics.
func (db *DB) CountJobs(ctx context.Context, queues []string) (map[string]map[batch.Status]int, error) {
	out := make(map[string]map[batch.Status]int, len(queues))
	for _, q := range queues {
		counts, err := db.countByStatus(ctx, countJobsSQL, q)
		if err != nil {
			return nil, fmt.Errorf("counting the jobs of queue %s: %w", q, err)
		}
		out[q] = counts
	}
	return out, nil
}

// countByStatus runs a query of (status, count) rows with one argument.
func (db *DB) countByStatus(ctx context.Context, query, arg string) (map[batch.Status]int, error) {
	rows, err := db.read.query(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make(map[batch.Status]int)
	for rows.Next() {
		var (
			name string
			n    int
		)
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		s, ok := batch.ParseStatus(name)
		if !ok {
			return nil, fmt.Errorf("unknown status %q", name)
		}
		counts[s] = n
	}
	return counts, rows.Err()
}
