package sqlite_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestCountChildren(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	child := func(id string, s batch.Status) batch.Job {
		return job(id, func(j *batch.Job) { j.Internal.ArrayParent, j.Status = "p", s })
	}
	createJobs(t, db, job("p"), child("p:0", batch.Runnable), child("p:1", batch.Runnable),
		child("p:2", batch.Failed), child("p:3", batch.Succeeded), job("other"))

	tests := []struct {
		parent string
		want   map[batch.Status]int
	}{
		{"p", map[batch.Status]int{batch.Runnable: 2, batch.Failed: 1, batch.Succeeded: 1}},
		{"other", map[batch.Status]int{}},
	}
	for _, tt := range tests {
		got, err := db.CountChildren(ctx, tt.parent)
		if err != nil || !maps.Equal(got, tt.want) {
			t.Errorf("CountChildren(%q) = %v, %v; want %v", tt.parent, got, err, tt.want)
		}
	}
}

func TestDependents(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	edges := []batch.Dependency{{On: "a", Dependent: "c"}, {On: "a", Dependent: "b"}, {On: "b", Dependent: "c"}}
	for range 2 { // recording edges again changes nothing
		if err := db.AddDependents(ctx, edges); err != nil {
			t.Fatalf("AddDependents: %v", err)
		}
	}
	tests := []struct {
		on   string
		want []string
	}{{"a", []string{"b", "c"}}, {"b", []string{"c"}}, {"c", nil}}
	for _, tt := range tests {
		got, err := db.Dependents(ctx, tt.on)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Dependents(%q) = %q, %v; want %q", tt.on, got, err, tt.want)
		}
	}
}

func TestDeleteExpired(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	now := time.UnixMilli(10_000)
	expiring := func(at int64) func(*batch.Job) {
		return func(j *batch.Job) { j.Status, j.Internal.ExpiresAt = batch.Succeeded, at }
	}
	// More expired jobs than one sweep transaction deletes.
	var jobs []batch.Job
	var oldIDs []string
	for i := range 1200 {
		id := fmt.Sprintf("old%04d", i)
		jobs = append(jobs, job(id, expiring(9_999)))
		oldIDs = append(oldIDs, id)
	}
	jobs = append(jobs, job("fresh", expiring(10_001)), job("live"), job("due", expiring(10_000)))
	createJobs(t, db, jobs...)
	edges := []batch.Dependency{{On: oldIDs[0], Dependent: "live"}, {On: "live", Dependent: oldIDs[1]}, {On: "live", Dependent: "fresh"}}
	if err := db.AddDependents(ctx, edges); err != nil {
		t.Fatalf("AddDependents: %v", err)
	}
	for _, it := range []batch.Item{
		{Kind: "k", Key: "old", ExpiresAt: 1}, {Kind: "k", Key: "fresh", ExpiresAt: 20_000}, {Kind: "k", Key: "kept"},
	} {
		if _, err := db.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}

	n, err := db.DeleteExpired(ctx, now)
	if err != nil || n != 1201 {
		t.Fatalf("DeleteExpired = %d, %v; want 1201 (1200 jobs, 1 item)", n, err)
	}
	left, err := db.GetJobs(ctx, append(oldIDs, "fresh", "live", "due"))
	gotIDs := ids(left)
	slices.Sort(gotIDs)
	if want := []string{"due", "fresh", "live"}; err != nil || !slices.Equal(gotIDs, want) {
		t.Errorf("jobs left = %q, %v; want %q", gotIDs, err, want)
	}
	items, err := db.ListItems(ctx, "k", "")
	if err != nil || len(items) != 2 {
		t.Errorf("items left = %+v, %v; want fresh and kept", items, err)
	}
	for on, want := range map[string][]string{oldIDs[0]: nil, "live": {"fresh"}} {
		if got, err := db.Dependents(ctx, on); err != nil || !slices.Equal(got, want) {
			t.Errorf("Dependents(%q) = %q, %v; want %q", on, got, err, want)
		}
	}
	if n, err := db.DeleteExpired(ctx, now); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0", n, err)
	}
}

func TestAnyChildOpen(t *testing.T) {
	batchtest.CheckAnyChildOpen(t, openDB(t, sqlite.Options{}), job("base"))
}
