package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tanda-batch/tanda/batch"
)

// maxBatch bounds the operations committed in one transaction.
const maxBatch = 256

// writer owns the single write connection. Callers hand it operations; it
// runs every operation waiting when it becomes free in one transaction,
// commits once, and then answers each caller with its own outcome. New
// operations queue up while a batch commits, so batches grow with the load
// (group commit) and no timer adds latency when the load is light.
//
// Operations check their conditions before they write: one that loses
// (batch.ErrConflict, batch.ErrNotFound) has written nothing, so the batch
// goes on without it. Any other error may leave the operation half done, so
// the writer rolls the transaction back, gives that operation its error,
// and runs the others again in a new transaction.
//
// The writer drives transactions with BEGIN and COMMIT statements on its
// connection rather than with sql.Tx, so that the statements it prepares
// once stay usable in every transaction.
type writer struct {
	db     *sql.DB
	conn   *sql.Conn
	notify *notifier
	ops    chan *op
	// done is closed by DB.Close; stopped is closed when run returns.
	done    <-chan struct{}
	stopped chan struct{}
	// stmts are statements prepared on conn, by query; only run uses them.
	stmts map[string]*sql.Stmt
	// checkpoints is told of every batch; nil in tests.
	checkpoints *checkpointer
}

// op is one caller's operation.
type op struct {
	ctx  context.Context
	fn   func(*wtx) error
	err  error
	wake []string // queues to wake once the operation commits
	done chan struct{}
}

// startWriter takes db's connection and starts the writer's goroutine,
// which tells c of its batches and stops when done is closed.
func startWriter(ctx context.Context, db *sql.DB, n *notifier, c *checkpointer, done <-chan struct{}) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting writer: %w", err)
	}
	w := &writer{
		db:      db,
		conn:    conn,
		notify:  n,
		ops:     make(chan *op),
		done:    done,
		stopped: make(chan struct{}),
		stmts:   make(map[string]*sql.Stmt),

		checkpoints: c,
	}
	go w.run()
	return w, nil
}

// close releases the connection and the database once run has returned.
func (w *writer) close() error {
	<-w.stopped
	return errors.Join(w.conn.Close(), w.db.Close())
}

// do runs fn in the writer's next transaction and returns fn's error, or the
// transaction's. A nil error means the transaction committed. fn may run
// more than once, so it must reset whatever it reports; it may return
// batch.ErrConflict or batch.ErrNotFound only before it has written.
//
// Once the writer has taken the operation, do waits for its outcome even if
// ctx ends, so a caller never mistakes a committed write for a failed one.
func (w *writer) do(ctx context.Context, fn func(*wtx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case w.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		return ErrClosed
	}
	<-o.done
	return o.err
}

func (w *writer) run() {
	defer close(w.stopped)
	defer func() {
		for _, st := range w.stmts {
			st.Close()
		}
	}()
	for {
		select {
		case <-w.done:
			return
		case o := <-w.ops:
			w.commit(w.collect(o))
			if w.checkpoints != nil {
				w.checkpoints.committed()
			}
		}
	}
}

// collect gathers the operations already waiting behind first.
func (w *writer) collect(first *op) []*op {
	ops := []*op{first}
	for len(ops) < maxBatch {
		select {
		case o := <-w.ops:
			ops = append(ops, o)
		default:
			return ops
		}
	}
	return ops
}

// commit runs ops in as few transactions as their failures allow and
// answers each of them.
func (w *writer) commit(ops []*op) {
	defer func(all []*op) {
		for _, o := range all {
			close(o.done)
		}
	}(ops)
	for len(ops) > 0 {
		bad, err := w.try(ops)
		err = fullError(err)
		switch {
		case err == nil:
			return
		case bad < 0:
			failAll(ops, err)
			return
		}
		ops[bad].err = err
		ops = slices.Delete(slices.Clone(ops), bad, bad+1)
	}
}

// try runs ops in one transaction. If operation bad fails with an error
// other than a lost condition, try rolls back and returns bad and the
// error; if the transaction fails as a whole, it returns -1 and the error.
func (w *writer) try(ops []*op) (bad int, err error) {
	// A batch runs to its end whatever its callers do; Close waits for it.
	t := &wtx{ctx: context.Background(), w: w}
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		return -1, fmt.Errorf("beginning transaction: %w", err)
	}
	for i, o := range ops {
		if o.err = o.ctx.Err(); o.err != nil {
			continue
		}
		t.wake = nil
		err := o.fn(t)
		if err != nil && !lostCondition(err) {
			t.exec("ROLLBACK") // its error changes nothing: the batch is over
			return i, err
		}
		o.err, o.wake = err, t.wake
	}
	if _, err := t.exec("COMMIT"); err != nil {
		t.exec("ROLLBACK") // in case the transaction is still open
		return -1, fmt.Errorf("committing: %w", err)
	}
	for _, o := range ops {
		if o.err == nil {
			w.notify.signal(o.wake...)
		}
	}
	return -1, nil
}

// lostCondition reports whether err is an operation's lost condition,
// after which it has written nothing.
func lostCondition(err error) bool {
	return errors.Is(err, batch.ErrConflict) || errors.Is(err, batch.ErrNotFound)
}

// fullError marks SQLite's SQLITE_FULL (the disk, or the database's
// size limit, is full) as batch.ErrStoreFull, keeping the cause.
func fullError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return fmt.Errorf("%w: %w", batch.ErrStoreFull, err)
	}
	return err
}

// failAll gives every operation err.
func failAll(ops []*op, err error) {
	for _, o := range ops {
		o.err = err
	}
}

// stmt returns the statement prepared for query, preparing it on first use,
// or nil if it cannot be prepared (the caller then runs query directly and
// meets the error there).
func (w *writer) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return st
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	w.stmts[query] = st
	return st
}

// wtx is the transaction of a batch, seen by one operation at a time.
type wtx struct {
	ctx  context.Context
	w    *writer
	wake []string // queues the running operation wakes
}

// wakeQueue asks for queue's long polls to be woken once the operation
// commits.
func (t *wtx) wakeQueue(queue string) { t.wake = append(t.wake, queue) }

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.w.stmt(t.ctx, query); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.w.conn.ExecContext(t.ctx, query, args...)
}

func (t *wtx) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.w.stmt(t.ctx, query); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.w.conn.QueryContext(t.ctx, query, args...)
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	if st := t.w.stmt(t.ctx, query); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.w.conn.QueryRowContext(t.ctx, query, args...)
}

// affected returns the number of rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
