package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// queryPlan is SQLite's plan of query, one detail per step.
func queryPlan(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.read.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("reading the plan: %v", err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading the plan: %v", err)
	}
	return plan
}

// TestAnyChildOpenSeeksTheIndex: every child's end asks whether its
// parent has an open child, so the question must be a few seeks in the
// index on (parent, status), reading no table row and no finished
// child's entry.
func TestAnyChildOpenSeeksTheIndex(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tanda.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	plan := queryPlan(t, db, anyChildOpenSQL, "p")
	// The other steps are the EXISTS around it.
	want := "SEARCH jobs USING COVERING INDEX jobs_parent_status (parent=? AND status=?)"
	var reads []string
	for _, step := range plan {
		if strings.Contains(step, "jobs") {
			reads = append(reads, step)
		}
	}
	if len(reads) != 1 || reads[0] != want {
		t.Errorf("query plan %q; want one step reading jobs, %q", plan, want)
	}
}
