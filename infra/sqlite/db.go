package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tanda-batch/tanda/batch"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// driverName is the database/sql name of modernc.org/sqlite.
const driverName = "sqlite"

// busyTimeoutMillis bounds how long a connection waits for a lock another
// process holds (this process never contends with itself for writes).
const busyTimeoutMillis = 5000

// ErrClosed is returned by calls made on, or interrupted by, a closed DB.
var ErrClosed = errors.New("sqlite: store closed")

// Options configure a DB. The zero value is ready to use.
type Options struct {
	// Clock stamps message visibility; nil means the system clock.
	Clock batch.Clock
	// Synchronous is SQLite's synchronous setting: "NORMAL" (the default)
	// keeps every acknowledged write across a process crash; "FULL" also
	// keeps it across power loss, at the cost of an fsync per commit.
	Synchronous string
}

// DB is the embedded store and queue. It is safe for concurrent use.
type DB struct {
	clock    batch.Clock
	read     *reader
	write    *writer
	ckpt     *checkpointer
	notify   *notifier
	receipts *receiptSource
	// sendSeq orders messages sent in the same millisecond.
	sendSeq atomic.Int64

	// done is closed by Close; it stops the writer and wakes long polls.
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	db, err := open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	return db, nil
}

func open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("path must be a plain file name")
	}
	syncMode, err := synchronousMode(opts.Synchronous)
	if err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = batch.SystemClock{}
	}
	receipts, err := newReceiptSource()
	if err != nil {
		return nil, err
	}

	wdb, err := sql.Open(driverName, writerDSN(path, syncMode))
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := migrate(ctx, wdb); err != nil {
		wdb.Close()
		return nil, err
	}

	rdb, err := sql.Open(driverName, readerDSN(path))
	if err != nil {
		wdb.Close()
		return nil, err
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, err
	}

	db := &DB{
		clock:    clock,
		read:     newReader(rdb),
		notify:   newNotifier(),
		receipts: receipts,
		done:     make(chan struct{}),
	}
	var lastSeq int64
	if err := wdb.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM messages").Scan(&lastSeq); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, fmt.Errorf("reading message order: %w", err)
	}
	db.sendSeq.Store(lastSeq)
	if db.ckpt, err = startCheckpointer(path, syncMode, db.done); err != nil {
		rdb.Close()
		wdb.Close()
		return nil, err
	}
	if db.write, err = startWriter(ctx, wdb, db.notify, db.ckpt, db.done); err != nil {
		close(db.done)
		db.ckpt.close()
		rdb.Close()
		wdb.Close()
		return nil, err
	}
	return db, nil
}

// Close stops the writer once its current batch has committed, wakes every
// long poll (which then returns ErrClosed), and closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.done)
		err := errors.Join(db.write.close(), db.ckpt.close(), db.read.close())
		if err != nil {
			db.closeErr = fmt.Errorf("closing store: %w", err)
		}
	})
	return db.closeErr
}

// synchronousMode validates Options.Synchronous.
func synchronousMode(s string) (string, error) {
	switch strings.ToUpper(s) {
	case "", "NORMAL":
		return "NORMAL", nil
	case "FULL":
		return "FULL", nil
	}
	return "", fmt.Errorf("synchronous %q: want NORMAL or FULL", s)
}

// writerDSN configures the write connection: WAL mode, the synchronous
// setting, savepoint journals in memory, checkpoints left to the
// checkpointer up to autoCheckpointPages, and BEGIN IMMEDIATE for the
// schema's sql.Tx.
func writerDSN(path, syncMode string) string {
	return fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(%s)"+
		"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(%d)&_txlock=immediate",
		path, busyTimeoutMillis, syncMode, autoCheckpointPages)
}

// readerDSN configures the read connections, which may not write.
func readerDSN(path string) string {
	return fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=query_only(1)", path, busyTimeoutMillis)
}
