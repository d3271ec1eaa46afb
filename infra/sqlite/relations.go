package sqlite

import (
	"context"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

const (
	countChildrenSQL = `SELECT status, count(*) FROM jobs WHERE parent != '' AND parent = ? GROUP BY status`
	addDependentSQL  = `INSERT INTO deps (on_id, dependent_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	dependentsSQL    = `SELECT dependent_id FROM deps WHERE on_id = ? ORDER BY dependent_id`
)

// CountChildren counts an array parent's children by status; statuses with
// no children are absent.
func (db *DB) CountChildren(ctx context.Context, parentID string) (map[batch.Status]int, error) {
	counts, err := db.countByStatus(ctx, countChildrenSQL, parentID)
	if err != nil {
		return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
	}
	return counts, nil
}

// AddDependents records that each dependent waits on a job; recording an
// edge again changes nothing.
func (db *DB) AddDependents(ctx context.Context, edges []batch.Dependency) error {
	if len(edges) == 0 {
		return nil
	}
	err := db.write.do(ctx, func(t *wtx) error {
		for _, e := range edges {
			if _, err := t.exec(addDependentSQL, e.On, e.Dependent); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("adding dependents: %w", err)
	}
	return nil
}

// Dependents lists the jobs that wait on a job, by id.
func (db *DB) Dependents(ctx context.Context, jobID string) ([]string, error) {
	rows, err := db.read.query(ctx, dependentsSQL, jobID)
	if err != nil {
		return nil, fmt.Errorf("listing dependents of %s: %w", jobID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing dependents of %s: %w", jobID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing dependents of %s: %w", jobID, err)
	}
	return ids, nil
}
