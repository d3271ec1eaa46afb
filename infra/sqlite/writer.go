package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds the operations committed in one transaction.
const maxBatch = 256

// writer owns the single write connection. Callers hand it operations; it
// runs every operation waiting when it becomes free in one transaction, each
// in its own savepoint, commits once, and then answers each caller. New
// operations queue up while a batch commits, so batches grow with the load
// (group commit) and no timer adds latency when the load is light.
type writer struct {
	db     *sql.DB
	notify *notifier
	ops    chan *op
	// done is closed by DB.Close; stopped is closed when run returns.
	done    <-chan struct{}
	stopped chan struct{}
	// stmts are statements prepared on db, by query; only run uses them.
	stmts map[string]*sql.Stmt
}

// op is one caller's operation.
type op struct {
	ctx  context.Context
	fn   func(*wtx) error
	err  error
	wake []string // queues to wake once the operation commits
	done chan struct{}
}

// errBatchAborted answers the operations of a transaction that could not
// go on after one of its operations failed below the savepoint level.
var errBatchAborted = errors.New("write batch aborted")

func startWriter(db *sql.DB, n *notifier, done <-chan struct{}) *writer {
	w := &writer{
		db:      db,
		notify:  n,
		ops:     make(chan *op),
		done:    done,
		stopped: make(chan struct{}),
		stmts:   make(map[string]*sql.Stmt),
	}
	go w.run()
	return w
}

// do runs fn in the writer's next transaction and returns fn's error, or the
// commit's. A nil error means the transaction committed. Once the writer has
// taken the operation, do waits for its outcome even if ctx ends, so a
// caller never mistakes a committed write for a failed one.
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

// commit runs ops in one transaction and answers each of them.
func (w *writer) commit(ops []*op) {
	defer func() {
		for _, o := range ops {
			close(o.done)
		}
	}()
	ctx := context.Background() // a batch runs to its end; Close waits for it
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		failAll(ops, fmt.Errorf("beginning transaction: %w", err))
		return
	}
	t := &wtx{ctx: ctx, tx: tx, w: w, stmts: make(map[string]*sql.Stmt)}
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if err := t.run(o); err != nil {
			tx.Rollback()
			failAll(ops, fmt.Errorf("%w: %w", errBatchAborted, err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(ops, fmt.Errorf("committing: %w", err))
		return
	}
	for _, o := range ops {
		if o.err == nil {
			w.notify.signal(o.wake...)
		}
	}
}

// failAll gives every operation err.
func failAll(ops []*op, err error) {
	for _, o := range ops {
		o.err = err
	}
}

// prepared returns the statement prepared for query, preparing it on first
// use, or nil if it cannot be prepared (the caller then runs query directly
// and meets the error there).
func (w *writer) prepared(ctx context.Context, query string) *sql.Stmt {
	if st, ok := w.stmts[query]; ok {
		return st
	}
	st, err := w.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	w.stmts[query] = st
	return st
}

// wtx is the transaction of one batch, seen by one operation at a time.
type wtx struct {
	ctx   context.Context
	tx    *sql.Tx
	w     *writer
	stmts map[string]*sql.Stmt // the writer's statements bound to tx
	wake  []string             // queues the running operation wakes
}

// run runs o inside a savepoint, setting o.err to o's own outcome. It
// returns an error only when the transaction itself can no longer be used.
func (t *wtx) run(o *op) error {
	if _, err := t.exec("SAVEPOINT op"); err != nil {
		return err
	}
	t.wake = nil
	o.err = o.fn(t)
	if o.err == nil {
		o.wake = t.wake
	} else if _, err := t.exec("ROLLBACK TO op"); err != nil {
		return err
	}
	_, err := t.exec("RELEASE op")
	return err
}

// wakeQueue asks for queue's long polls to be woken once the operation
// commits.
func (t *wtx) wakeQueue(queue string) { t.wake = append(t.wake, queue) }

// stmt returns the prepared statement for query bound to the transaction,
// or nil if it cannot be prepared.
func (t *wtx) stmt(query string) *sql.Stmt {
	if st, ok := t.stmts[query]; ok {
		return st
	}
	st := t.w.prepared(t.ctx, query)
	if st == nil {
		return nil
	}
	st = t.tx.StmtContext(t.ctx, st)
	t.stmts[query] = st
	return st
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	if st := t.stmt(query); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *wtx) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(query); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	if st := t.stmt(query); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// affected returns the number of rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
