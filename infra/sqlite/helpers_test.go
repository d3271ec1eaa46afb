package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// fakeClock is a clock tests move by hand.
type fakeClock = batchtest.Clock

func newFakeClock() *fakeClock {
	return batchtest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

// openDB opens a store in a fresh directory and closes it after the test.
func openDB(t testing.TB, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "tanda.db"), opts)
}

// openAt opens the store at path and closes it after the test.
func openAt(t testing.TB, path string, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// job makes a job in queue q, changed by the options.
func job(id string, opts ...func(*batch.Job)) batch.Job {
	j := batch.Job{
		JobID:         id,
		JobArn:        "arn:aws:batch:us-east-1:000000000000:job/" + id,
		JobName:       "job-" + id,
		JobQueue:      "arn:aws:batch:us-east-1:000000000000:job-queue/q",
		Status:        batch.Submitted,
		CreatedAt:     1000,
		JobDefinition: "arn:aws:batch:us-east-1:000000000000:job-definition/def:1",
		Internal: batch.JobInternal{
			QueueName:      "q",
			DefinitionName: "def",
			UpdatedAt:      1000,
			VCPUs:          1,
			MemoryMiB:      128,
		},
	}
	for _, o := range opts {
		o(&j)
	}
	return j
}

func createJobs(t testing.TB, db *sqlite.DB, jobs ...batch.Job) {
	t.Helper()
	if err := db.CreateJobs(context.Background(), jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
}

func ids(jobs []batch.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.JobID
	}
	return out
}

func intPtr(n int) *int { return &n }
