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

// startWriter takes db's connection and starts the writer's goroutine,
// which stops when done is closed.
func startWriter(ctx context.Context, db *sql.DB, n *notifier, done <-chan struct{}) (*writer, error) {
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
	// A batch runs to its end whatever its callers do; Close waits for it.
	t := &wtx{ctx: context.Background(), w: w}
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		failAll(ops, fmt.Errorf("beginning transaction: %w", err))
		return
	}
	for _, o := range ops {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			continue
		}
		if err := t.run(o); err != nil {
			t.exec("ROLLBACK")
			failAll(ops, fmt.Errorf("%w: %w", errBatchAborted, err))
			return
		}
	}
	if _, err := t.exec("COMMIT"); err != nil {
		t.exec("ROLLBACK") // in case the transaction is still open
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

// wtx is the transaction of one batch, seen by one operation at a time.
type wtx struct {
	ctx  context.Context
	w    *writer
	wake []string // queues the running operation wakes
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
