package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// TestSummarizeRunnableReadsTheIndexOnly: the provisioner summarizes the
// demand every second, so its query must read the jobs_runnable index and
// no table row (docs/RELIABILITY.md, defect 4).
func TestSummarizeRunnableReadsTheIndexOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tanda.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	plan := queryPlan(t, db, summarizeRunnableSQL, "q", 100)
	if len(plan) != 1 || !strings.Contains(plan[0], "USING COVERING INDEX jobs_runnable") {
		t.Errorf("query plan %q; want one step, USING COVERING INDEX jobs_runnable", plan)
	}
}

// TestMigrationGivesWaitingJobsTheirNeeds: a database of schema version 3
// has no resource columns; the migration fills them from the documents of
// waiting jobs, so that their demand is counted as before.
func TestMigrationGivesWaitingJobsTheirNeeds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tanda.db")
	raw, err := sql.Open(driverName, path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	for _, m := range migrations[:3] {
		if _, err := raw.Exec(m); err != nil {
			t.Fatalf("schema version 3: %v", err)
		}
	}
	if _, err := raw.Exec("PRAGMA user_version = 3"); err != nil {
		t.Fatalf("setting user_version: %v", err)
	}
	insert := func(id string, status batch.Status, runnableAt int64, vcpus float64, mem, gpus int64) {
		t.Helper()
		j := batch.Job{JobID: id, Status: status, Internal: batch.JobInternal{QueueName: "q", RunnableAt: runnableAt, VCPUs: vcpus, MemoryMiB: mem, GPUs: gpus}}
		doc, err := json.Marshal(jobDoc{Job: j, Internal: j.Internal})
		if err != nil {
			t.Fatalf("encoding %s: %v", id, err)
		}
		const v3 = `INSERT INTO jobs (id, queue, status, created_at, runnable_at, updated_at, parent, array_index, name_lower,
			def_name, def_arn, share_id, instance, lease_expires_at, expires_at, top_level, version, doc)
			VALUES (?, 'q', ?, 0, ?, 0, '', -1, '', '', '', '', '', 0, 0, 1, 1, ?)`
		if _, err := raw.Exec(v3, id, status.String(), runnableAt, doc); err != nil {
			t.Fatalf("inserting %s: %v", id, err)
		}
	}
	insert("a", batch.Runnable, 1000, 2, 4096, 0)
	insert("b", batch.Runnable, 2000, 0.5, 1024, 1)
	insert("c", batch.Succeeded, 0, 8, 8192, 0)
	raw.Close()

	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open (migrating): %v", err)
	}
	defer db.Close()
	got, err := db.SummarizeRunnable(ctx, batch.DemandQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("SummarizeRunnable: %v", err)
	}
	want := []batch.DemandRun{
		{VCPUs: 2, MemoryMiB: 4096, RunnableAt: 1000, Count: 1},
		{VCPUs: 0.5, MemoryMiB: 1024, GPUs: 1, RunnableAt: 2000, Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("demand after the migration = %+v, want %+v", got, want)
	}
}
