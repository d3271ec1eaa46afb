package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// TestConcurrentUpdatesLoseNothing has many goroutines increment counters
// on a few shared jobs by read-modify-write, retrying on conflict with the
// stored job the conflict returns. Every increment must land exactly once.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	const (
		jobs       = 4
		workers    = 16
		increments = 25
	)
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	for i := range jobs {
		createJobs(t, db, job(fmt.Sprintf("j%d", i)))
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			id := fmt.Sprintf("j%d", w%jobs)
			j, err := db.GetJob(ctx, id)
			if err != nil {
				errs <- err
				return
			}
			for range increments {
				for {
					j.Internal.Attempt++
					next, err := db.UpdateJob(ctx, j, []batch.Message{{Queue: "q", ID: id}})
					if err == nil {
						j = next
						break
					}
					if !errors.Is(err, batch.ErrConflict) {
						errs <- err
						return
					}
					j = next // the stored job: retry from it
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}

	perJob := workers / jobs * increments
	for i := range jobs {
		j, err := db.GetJob(ctx, fmt.Sprintf("j%d", i))
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		if j.Internal.Attempt != perJob || j.Internal.Version != int64(perJob+1) {
			t.Errorf("job %s: attempt %d, version %d; want %d, %d", j.JobID, j.Internal.Attempt, j.Internal.Version, perJob, perJob+1)
		}
	}
	ds, err := db.Receive(ctx, "q", 100, visibility, 0)
	if err != nil || len(ds) != jobs {
		t.Errorf("Receive = %d messages, %v; want one per job (%d)", len(ds), err, jobs)
	}
}

// TestConcurrentCreatesConflictAlone races creations of overlapping job
// sets: exactly one creation of each set wins, and a loser writes nothing
// even when it shares a transaction with winners.
func TestConcurrentCreatesConflictAlone(t *testing.T) {
	const sets, racers = 20, 8
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})

	wins := make([]int, sets)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			for s := range sets {
				// Each racer adds a job of its own, which must not survive a loss.
				js := []batch.Job{job(fmt.Sprintf("s%d", s)), job(fmt.Sprintf("s%d-r%d", s, r))}
				err := db.CreateJobs(ctx, js, nil)
				switch {
				case err == nil:
					mu.Lock()
					wins[s]++
					mu.Unlock()
				case !errors.Is(err, batch.ErrConflict):
					t.Errorf("CreateJobs: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for s, n := range wins {
		if n != 1 {
			t.Errorf("set %d created %d times; want once", s, n)
		}
	}
	page, err := db.ListJobs(ctx, batch.JobQuery{Limit: 1000})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if got, want := len(page.Jobs), 2*sets; got != want {
		t.Errorf("stored %d jobs; want %d (each winner's two)", got, want)
	}
}
