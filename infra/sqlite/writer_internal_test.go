package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// newTestWriter makes a writer without its goroutine, so a test can hand
// commit a batch of its choosing.
func newTestWriter(t *testing.T) *writer {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(driverName, writerDSN(filepath.Join(t.TempDir(), "w.db"), "NORMAL"))
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	w := &writer{db: db, conn: conn, notify: newNotifier(), stmts: make(map[string]*sql.Stmt)}
	t.Cleanup(func() {
		for _, st := range w.stmts {
			st.Close()
		}
		conn.Close()
		db.Close()
	})
	return w
}

func newOp(ctx context.Context, fn func(*wtx) error) *op {
	return &op{ctx: ctx, fn: fn, done: make(chan struct{})}
}

// putOp writes an item, wakes queue, and then returns result.
func putOp(key, queue string, result error) *op {
	return newOp(context.Background(), func(t *wtx) error {
		if _, err := t.exec(insertItemSQL, "k", key, []byte{}, 0); err != nil {
			return err
		}
		t.wakeQueue(queue)
		return result
	})
}

// TestCommitIsolatesFailingOperations commits a batch whose middle operation
// fails: the operations around it, writing items a and c, must commit.
func TestCommitIsolatesFailingOperations(t *testing.T) {
	boom := errors.New("boom")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		failing *op
		wantErr error
	}{
		{"lost condition", newOp(context.Background(), func(*wtx) error { return batch.ErrConflict }), batch.ErrConflict},
		{"error after writing", putOp("b", "rb", boom), boom},
		{"caller gone", newOp(canceled, func(*wtx) error { panic("ran the operation of a caller who left") }), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWriter(t)
			wakeA, stopA := w.notify.watch("ra")
			wakeB, stopB := w.notify.watch("rb")
			defer stopA()
			defer stopB()
			woken := map[string]<-chan struct{}{"ra": wakeA, "rb": wakeB}
			ops := []*op{putOp("a", "ra", nil), tt.failing, putOp("c", "rc", nil)}
			w.commit(ops)

			for i, o := range ops {
				<-o.done
				want := error(nil)
				if i == 1 {
					want = tt.wantErr
				}
				if !errors.Is(o.err, want) {
					t.Errorf("op %d error = %v; want %v", i, o.err, want)
				}
			}
			rows, err := w.conn.QueryContext(context.Background(), "SELECT key FROM items ORDER BY key")
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			defer rows.Close()
			var keys []string
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					t.Fatalf("scan: %v", err)
				}
				keys = append(keys, k)
			}
			if want := []string{"a", "c"}; !slices.Equal(keys, want) {
				t.Errorf("committed keys = %q; want %q", keys, want)
			}
			select {
			case <-woken["ra"]:
			default:
				t.Error("queue ra of a committed operation was not woken")
			}
			select {
			case <-woken["rb"]:
				t.Error("queue rb of a failed operation was woken")
			default:
			}
		})
	}
}

// TestCommitReportsAFullStore fills the database to its size limit (as a
// full disk would): the write that does not fit fails with
// batch.ErrStoreFull and leaves nothing behind, and writes succeed again
// once there is room.
func TestCommitReportsAFullStore(t *testing.T) {
	ctx := context.Background()
	w := newTestWriter(t)
	var pages int
	if err := w.conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+1)); err != nil {
		t.Fatal(err)
	}
	big := newOp(ctx, func(t *wtx) error {
		_, err := t.exec(insertItemSQL, "k", "big", make([]byte, 1<<20), 0)
		return err
	})
	w.commit([]*op{big})
	if !errors.Is(big.err, batch.ErrStoreFull) {
		t.Fatalf("writing past the limit: err = %v, want batch.ErrStoreFull", big.err)
	}
	var n int
	if err := w.conn.QueryRowContext(ctx, "SELECT count(*) FROM items WHERE key = 'big'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the write that did not fit left %d rows", n)
	}
	if _, err := w.conn.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	again := newOp(ctx, func(t *wtx) error {
		_, err := t.exec(insertItemSQL, "k", "big", make([]byte, 1<<20), 0)
		return err
	})
	w.commit([]*op{again})
	if again.err != nil {
		t.Fatalf("writing once there is room: %v", again.err)
	}
}
