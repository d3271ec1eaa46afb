package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestDataSurvivesReopen(t *testing.T) {
	for _, mode := range []string{"", "NORMAL", "FULL"} {
		t.Run("synchronous="+mode, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "tanda.db")
			db, err := sqlite.Open(ctx, path, sqlite.Options{Synchronous: mode})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			createJobs(t, db, job("j1"))
			if _, err := db.PutItem(ctx, batch.Item{Kind: "k", Key: "a", Doc: []byte("doc")}, 0); err != nil {
				t.Fatalf("PutItem: %v", err)
			}
			if _, err := db.NextSequence(ctx, "s"); err != nil {
				t.Fatalf("NextSequence: %v", err)
			}
			if err := db.AddDependents(ctx, []batch.Dependency{{On: "j1", Dependent: "j2"}}); err != nil {
				t.Fatalf("AddDependents: %v", err)
			}
			send(t, db, batch.Message{Queue: "q", ID: "j1"})
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			db = openAt(t, path, sqlite.Options{})
			if j, err := db.GetJob(ctx, "j1"); err != nil || j.Internal.Version != 1 {
				t.Errorf("GetJob after reopen = v%d, %v; want v1", j.Internal.Version, err)
			}
			if it, err := db.GetItem(ctx, "k", "a"); err != nil || string(it.Doc) != "doc" {
				t.Errorf("GetItem after reopen = %q, %v; want doc", it.Doc, err)
			}
			if v, err := db.NextSequence(ctx, "s"); err != nil || v != 2 {
				t.Errorf("NextSequence after reopen = %d, %v; want 2", v, err)
			}
			if deps, err := db.Dependents(ctx, "j1"); err != nil || len(deps) != 1 {
				t.Errorf("Dependents after reopen = %q, %v; want j2", deps, err)
			}
			receiveOne(t, db, "q", "j1", 1)
		})
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts sqlite.Options
	}{
		{"unknown synchronous", filepath.Join(dir, "a.db"), sqlite.Options{Synchronous: "OFF"}},
		{"in-memory database", ":memory:", sqlite.Options{}},
		{"query in path", filepath.Join(dir, "a.db?mode=ro"), sqlite.Options{}},
		{"missing directory", filepath.Join(dir, "no", "such", "a.db"), sqlite.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Open(context.Background(), tt.path, tt.opts)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q, %+v) = nil error; want one", tt.path, tt.opts)
			}
		})
	}
}

func TestCallsAfterCloseFail(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Send(ctx, []batch.Message{{Queue: "q", ID: "m"}}); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Send after Close = %v; want ErrClosed", err)
	}
	if _, err := db.Receive(ctx, "q", 1, time.Second, time.Second); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Receive after Close = %v; want ErrClosed", err)
	}
}
