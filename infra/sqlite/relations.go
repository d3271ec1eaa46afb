package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

const (
	countChildrenSQL = `SELECT status, count(*) FROM jobs WHERE parent != '' AND parent = ? GROUP BY status`
	addDependentSQL  = `INSERT INTO deps (on_id, dependent_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	dependentsSQL    = `SELECT dependent_id FROM deps WHERE on_id = ? ORDER BY dependent_id`
)

// anyChildOpenSQL asks whether a parent has a child in an unfinished
// status. It is one lookup in the index on (parent, status) per such
// status: naming the statuses an unfinished child may be in, rather than
// excluding the finished ones, lets SQLite seek to each instead of
// reading the parent's finished children first.
var anyChildOpenSQL = `SELECT EXISTS (SELECT 1 FROM jobs WHERE parent != '' AND parent = ? AND status IN (` +
	openStatuses() + `))`

// openStatuses is the SQL list of the unfinished statuses.
func openStatuses() string {
	var names []string
	for _, st := range batch.AllStatuses {
		if !st.Terminal() {
			names = append(names, "'"+st.String()+"'")
		}
	}
	return strings.Join(names, ", ")
}

// CountChildren counts an array parent's children by status; statuses with
// no children are absent.
func (db *DB) CountChildren(ctx context.Context, parentID string) (map[batch.Status]int, error) {
	counts, err := db.countByStatus(ctx, countChildrenSQL, parentID)
	if err != nil {
		return nil, fmt.Errorf("counting children of %s: %w", parentID, err)
	}
	return counts, nil
}

// AnyChildOpen reports whether some child of an array parent has not
// finished.
func (db *DB) AnyChildOpen(ctx context.Context, parentID string) (bool, error) {
	var open bool
	if err := db.read.queryRow(ctx, anyChildOpenSQL, parentID).Scan(&open); err != nil {
		return false, fmt.Errorf("looking for an unfinished child of %s: %w", parentID, err)
	}
	return open, nil
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
