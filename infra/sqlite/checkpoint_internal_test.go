package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestCheckpointerCopiesTheWAL(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tanda.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for i := range 100 {
		it := batch.Item{Kind: "k", Key: fmt.Sprint(i), Doc: []byte(`{}`)}
		if _, err := db.PutItem(ctx, it, 0); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	walPages, copied, err := db.ckpt.checkpoint()
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if walPages == 0 || copied != walPages {
		t.Errorf("checkpoint copied %d of %d WAL pages; want all of at least one", copied, walPages)
	}
}

func TestCheckpointerIsKickedEveryCheckpointEveryBatches(t *testing.T) {
	c := &checkpointer{kick: make(chan struct{}, 1)}
	for n := 1; n <= 2*checkpointEvery; n++ {
		c.committed()
		kicked := false
		select {
		case <-c.kick:
			kicked = true
		default:
		}
		if want := n%checkpointEvery == 0; kicked != want {
			t.Fatalf("after batch %d: kicked = %v; want %v", n, kicked, want)
		}
	}
}
