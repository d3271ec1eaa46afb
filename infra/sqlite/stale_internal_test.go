package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestStaleJobsReadsTheIndexOnly: every sweep pages through all stale
// waiting jobs, so its query must seek the jobs_waiting index, read no
// table row and need no sort.
func TestStaleJobsReadsTheIndexOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tanda.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	rows, err := db.read.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+staleJobsSQL, "PENDING", 100, 5, "j", 10)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var step string
		if err := rows.Scan(&id, &parent, &unused, &step); err != nil {
			t.Fatalf("reading the plan: %v", err)
		}
		steps = append(steps, step)
	}
	want := "SEARCH jobs USING COVERING INDEX jobs_waiting (status=? AND (updated_at,id)>(?,?) AND updated_at<?)"
	if err := rows.Err(); err != nil || len(steps) != 1 || steps[0] != want {
		t.Errorf("query plan %q (%v); want one step, %q", steps, err, want)
	}
}
