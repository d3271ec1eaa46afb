package sqlite

import (
	"database/sql"
	"fmt"
)

const (
	// checkpointEvery is how many write batches the writer commits between
	// background checkpoints. A batch adds a handful of pages to the WAL.
	checkpointEvery = 64
	// autoCheckpointPages is the WAL length, in pages, past which a commit
	// checkpoints by itself: the fallback for when background checkpoints
	// fall behind (a checkpoint can only copy the pages that no open read
	// still needs from the WAL).
	autoCheckpointPages = 8000
)

// checkpointer copies committed pages from the WAL into the database file
// on a connection of its own. Left to SQLite, the commit that takes the WAL
// past 1,000 pages would do the copy and its two fsyncs, and every write
// queued behind that commit would wait for them.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	// batches counts the writer's batches since the last kick; only the
	// writer's goroutine touches it.
	batches int
	stopped chan struct{}
}

// startCheckpointer opens the checkpoint connection and starts the
// goroutine that checkpoints when kicked, until done is closed.
func startCheckpointer(path, syncMode string, done <-chan struct{}) (*checkpointer, error) {
	db, err := sql.Open(driverName, checkpointerDSN(path, syncMode))
	if err != nil {
		return nil, fmt.Errorf("opening checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	go c.run(done)
	return c, nil
}

// committed counts one of the writer's batches and asks for a checkpoint
// every checkpointEvery batches, without waiting for it.
func (c *checkpointer) committed() {
	c.batches++
	if c.batches < checkpointEvery {
		return
	}
	c.batches = 0
	select {
	case c.kick <- struct{}{}:
	default: // one is asked for already
	}
}

func (c *checkpointer) run(done <-chan struct{}) {
	defer close(c.stopped)
	for {
		select {
		case <-done:
			return
		case <-c.kick:
			// A checkpoint that fails or copies only part of the WAL is
			// made good by the next one, or by a commit's own past
			// autoCheckpointPages.
			_, _, _ = c.checkpoint()
		}
	}
}

// checkpoint copies what it can of the WAL without waiting for readers or
// the writer, and returns the WAL's length and how much of it is copied, in
// pages.
func (c *checkpointer) checkpoint() (walPages, copied int, err error) {
	var busy int
	if err := c.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walPages, &copied); err != nil {
		return 0, 0, fmt.Errorf("checkpointing: %w", err)
	}
	return walPages, copied, nil
}

// close closes the connection once run has returned.
func (c *checkpointer) close() error {
	<-c.stopped
	return c.db.Close()
}

// checkpointerDSN configures the checkpoint connection; its synchronous
// setting decides the checkpoint's fsyncs.
func checkpointerDSN(path, syncMode string) string {
	return fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=synchronous(%s)", path, busyTimeoutMillis, syncMode)
}
