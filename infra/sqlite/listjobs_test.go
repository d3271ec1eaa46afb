package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// listFixture is a set of jobs that differ in every field a query filters on.
func listFixture() []batch.Job {
	child := func(i int) func(*batch.Job) {
		return func(j *batch.Job) {
			j.Internal.ArrayParent = "arr"
			j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: intPtr(i)}
			j.Status = batch.Runnable
			j.CreatedAt = 2000
			j.Internal.RunnableAt = int64(100 - i)
		}
	}
	return []batch.Job{
		job("a", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "Alpha", batch.Runnable, 1000
			j.Internal.RunnableAt, j.Internal.UpdatedAt = 30, 500
			j.ShareIdentifier = "blue"
		}),
		job("b", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "ALPHABET", batch.Runnable, 1100
			j.Internal.RunnableAt, j.Internal.UpdatedAt = 10, 600
			j.JobDefinition, j.Internal.DefinitionName = "arn:jd/other:3", "other"
		}),
		job("c", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "gamma", batch.Running, 1200
			j.Internal.Instance, j.Internal.LeaseExpiresAt, j.Internal.UpdatedAt = "i-1", 50, 700
		}),
		job("d", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "delta", batch.Running, 1200
			j.Internal.Instance, j.Internal.LeaseExpiresAt, j.Internal.UpdatedAt = "i-2", 90, 800
			j.Internal.QueueName = "other-q"
		}),
		job("e", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "epsilon", batch.Succeeded, 1300
			j.JobDefinition, j.Internal.DefinitionName = "arn:jd/definitely:1", "definitely"
			j.Internal.UpdatedAt = 900
		}),
		job("arr", func(j *batch.Job) {
			j.JobName, j.Status, j.CreatedAt = "array", batch.Pending, 2000
			j.ArrayProperties = &batch.ArrayPropertiesDetail{Size: intPtr(3)}
		}),
		job("arr:2", child(2)),
		job("arr:0", child(0)),
		job("arr:1", child(1), func(j *batch.Job) { j.Status = batch.Succeeded }),
	}
}

func TestListJobsFiltersAndOrders(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	createJobs(t, db, listFixture()...)

	tests := []struct {
		name string
		q    batch.JobQuery
		want []string
	}{
		{"queue newest first", batch.JobQuery{Queue: "q"}, []string{"arr:2", "arr:1", "arr:0", "arr", "e", "c", "b", "a"}},
		{"other queue", batch.JobQuery{Queue: "other-q"}, []string{"d"}},
		{"everything", batch.JobQuery{}, []string{"arr:2", "arr:1", "arr:0", "arr", "e", "d", "c", "b", "a"}},
		{"top level", batch.JobQuery{Queue: "q", TopLevel: true}, []string{"arr", "e", "c", "b", "a"}},
		{"statuses", batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Running, batch.Succeeded}, TopLevel: true}, []string{"e", "c"}},
		{"queue order", batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Runnable}, Order: batch.QueueOrder}, []string{"b", "a", "arr:2", "arr:0"}},
		{"children by index", batch.JobQuery{ArrayParent: "arr", Order: batch.IndexOrder}, []string{"arr:0", "arr:1", "arr:2"}},
		{"children by status", batch.JobQuery{ArrayParent: "arr", Statuses: []batch.Status{batch.Runnable}, Order: batch.IndexOrder}, []string{"arr:0", "arr:2"}},
		{"name exact ignores case", batch.JobQuery{NameExact: "alpha"}, []string{"a"}},
		{"name prefix ignores case", batch.JobQuery{NamePrefix: "alPHa"}, []string{"b", "a"}},
		{"definition name", batch.JobQuery{DefinitionName: "other"}, []string{"b"}},
		{"definition prefix", batch.JobQuery{DefinitionPrefix: "def", TopLevel: true}, []string{"arr", "e", "d", "c", "a"}},
		{"definition arn", batch.JobQuery{DefinitionArn: "arn:jd/definitely:1"}, []string{"e"}},
		{"share identifier", batch.JobQuery{ShareIdentifier: "blue"}, []string{"a"}},
		{"created after", batch.JobQuery{CreatedAfter: 1200, TopLevel: true}, []string{"arr", "e"}},
		{"created before", batch.JobQuery{CreatedBefore: 1200}, []string{"b", "a"}},
		{"created between", batch.JobQuery{CreatedAfter: 1000, CreatedBefore: 1300}, []string{"d", "c", "b"}},
		{"lease before", batch.JobQuery{Statuses: []batch.Status{batch.Running}, LeaseBefore: 60}, []string{"c"}},
		{"lease before skips unleased", batch.JobQuery{LeaseBefore: 1000}, []string{"d", "c"}},
		{"instance", batch.JobQuery{Instance: "i-2"}, []string{"d"}},
		{"no match", batch.JobQuery{Queue: "q", NameExact: "zeta"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := db.ListJobs(ctx, tt.q)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			if got := ids(page.Jobs); !slices.Equal(got, tt.want) {
				t.Errorf("ListJobs = %q; want %q", got, tt.want)
			}
			if page.Cursor != "" {
				t.Errorf("ListJobs cursor = %q; want none on the last page", page.Cursor)
			}
		})
	}
}

func TestListJobsCursorWalksEveryRowOnce(t *testing.T) {
	for _, order := range []batch.JobOrder{batch.NewestFirst, batch.QueueOrder, batch.IndexOrder} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, sqlite.Options{})
			var jobs []batch.Job
			for i := range 25 {
				jobs = append(jobs, job(fmt.Sprintf("j%02d", i), func(j *batch.Job) {
					j.CreatedAt = int64(1000 + i%4) // ties, broken by id
					j.Internal.RunnableAt = int64(50 - i%3)
					j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: intPtr(i % 5)}
				}))
			}
			createJobs(t, db, jobs...)
			all, err := db.ListJobs(ctx, batch.JobQuery{Queue: "q", Order: order, Limit: 1000})
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}

			q := batch.JobQuery{Queue: "q", Order: order, Limit: 4}
			var walked []string
			for page := 0; ; page++ {
				p, err := db.ListJobs(ctx, q)
				if err != nil {
					t.Fatalf("ListJobs page %d: %v", page, err)
				}
				walked = append(walked, ids(p.Jobs)...)
				if page == 1 {
					// Jobs added mid-walk must not disturb the rows already listed.
					createJobs(t, db, job("late", func(j *batch.Job) {
						j.CreatedAt, j.Internal.RunnableAt = 5000, 5000
						j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: intPtr(99)}
					}))
				}
				if p.Cursor == "" {
					break
				}
				q.Cursor = p.Cursor
			}
			want := append(ids(all.Jobs), "late")
			if order == batch.NewestFirst {
				// The newest job sorts before the cursor, so the walk misses it.
				want = ids(all.Jobs)
			}
			if !slices.Equal(walked, want) {
				t.Errorf("walk = %q\nwant %q", walked, want)
			}
		})
	}
}

func TestListJobsDefaultLimit(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	var jobs []batch.Job
	for i := range 101 {
		jobs = append(jobs, job(fmt.Sprintf("j%03d", i)))
	}
	createJobs(t, db, jobs...)
	page, err := db.ListJobs(ctx, batch.JobQuery{Queue: "q"})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(page.Jobs) != 100 || page.Cursor == "" {
		t.Fatalf("ListJobs = %d jobs, cursor %q; want 100 and a cursor", len(page.Jobs), page.Cursor)
	}
	page, err = db.ListJobs(ctx, batch.JobQuery{Queue: "q", Cursor: page.Cursor})
	if err != nil || len(page.Jobs) != 1 || page.Cursor != "" {
		t.Errorf("second page = %d jobs, cursor %q, %v; want 1 job and no cursor", len(page.Jobs), page.Cursor, err)
	}
}

func TestListJobsRejectsBadCursor(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	createJobs(t, db, job("a"), job("b"))
	page, err := db.ListJobs(ctx, batch.JobQuery{Limit: 1})
	if err != nil || page.Cursor == "" {
		t.Fatalf("ListJobs = %v, cursor %q; want a cursor", err, page.Cursor)
	}
	for _, cursor := range []string{"%%%", "bm9wZQ", page.Cursor} {
		_, err := db.ListJobs(ctx, batch.JobQuery{Order: batch.QueueOrder, Cursor: cursor})
		if !batch.IsClientError(err) {
			t.Errorf("ListJobs(cursor %q in another order) error = %v; want a client error", cursor, err)
		}
	}
}
