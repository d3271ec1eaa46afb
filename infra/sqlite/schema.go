package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema's versions: migrations[i] takes a database from
// user_version i to i+1. Append; never edit a released entry.
var migrations = []string{
	`
CREATE TABLE items (
	kind       TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	doc        BLOB    NOT NULL,
	version    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX items_expiry ON items (expires_at) WHERE expires_at != 0;

CREATE TABLE sequences (
	name  TEXT    NOT NULL PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE jobs (
	id               TEXT    NOT NULL PRIMARY KEY,
	queue            TEXT    NOT NULL,
	status           TEXT    NOT NULL,
	created_at       INTEGER NOT NULL,
	runnable_at      INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	parent           TEXT    NOT NULL,
	array_index      INTEGER NOT NULL,
	name_lower       TEXT    NOT NULL,
	def_name         TEXT    NOT NULL,
	def_arn          TEXT    NOT NULL,
	share_id         TEXT    NOT NULL,
	instance         TEXT    NOT NULL,
	lease_expires_at INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL,
	top_level        INTEGER NOT NULL,
	version          INTEGER NOT NULL,
	doc              BLOB    NOT NULL
) STRICT;
CREATE INDEX jobs_queue_created  ON jobs (queue, status, created_at);
CREATE INDEX jobs_queue_runnable ON jobs (queue, status, runnable_at, id);
CREATE INDEX jobs_parent_status  ON jobs (parent, status);
CREATE INDEX jobs_parent_index   ON jobs (parent, array_index);
CREATE INDEX jobs_status_updated ON jobs (status, updated_at);
CREATE INDEX jobs_status_lease   ON jobs (status, lease_expires_at);
CREATE INDEX jobs_expiry         ON jobs (expires_at) WHERE expires_at != 0;

CREATE TABLE deps (
	on_id        TEXT NOT NULL,
	dependent_id TEXT NOT NULL,
	PRIMARY KEY (on_id, dependent_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX deps_dependent ON deps (dependent_id);

CREATE TABLE messages (
	queue         TEXT    NOT NULL,
	id            TEXT    NOT NULL,
	body          TEXT    NOT NULL,
	visible_at    INTEGER NOT NULL,
	receive_count INTEGER NOT NULL,
	receipt       TEXT    NOT NULL,
	redeliver     INTEGER NOT NULL,
	PRIMARY KEY (queue, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX messages_visible ON messages (queue, visible_at, id);
`,
	// 2: messages keep the order they were sent in, within a millisecond
	// too (a fair-share dispatcher sends its picks in order in one batch).
	`
ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
DROP INDEX messages_visible;
CREATE INDEX messages_order ON messages (queue, visible_at, seq);
`,
	// 3: partial indexes, so that each write of a job maintains only the
	// indexes its state needs: most jobs are top level and most writes are
	// of running or finished jobs. Queries that use them repeat the
	// indexes' conditions literally (listjobs.go, relations.go).
	`
DROP INDEX jobs_parent_status;
DROP INDEX jobs_parent_index;
DROP INDEX jobs_status_updated;
DROP INDEX jobs_status_lease;
DROP INDEX jobs_queue_runnable;
CREATE INDEX jobs_parent_status ON jobs (parent, status) WHERE parent != '';
CREATE INDEX jobs_parent_index  ON jobs (parent, array_index) WHERE parent != '';
CREATE INDEX jobs_waiting       ON jobs (status, updated_at) WHERE status IN ('SUBMITTED', 'PENDING', 'RUNNABLE');
CREATE INDEX jobs_lease         ON jobs (lease_expires_at) WHERE lease_expires_at != 0;
CREATE INDEX jobs_instance      ON jobs (instance) WHERE instance != '';
CREATE INDEX jobs_runnable      ON jobs (queue, runnable_at, id) WHERE status = 'RUNNABLE';
`,
	// 4: what a job needs, in columns, and in the index of RUNNABLE jobs,
	// so that the provisioner's demand (SummarizeRunnable) is read from
	// the index alone, without the job documents. Waiting jobs get their
	// values from their documents; the others are rewritten whole before
	// they are RUNNABLE again.
	`
ALTER TABLE jobs ADD COLUMN vcpus      REAL    NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN memory_mib INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN gpus       INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET
	vcpus      = coalesce(json_extract(CAST(doc AS TEXT), '$.internal.vcpus'), 0),
	memory_mib = coalesce(json_extract(CAST(doc AS TEXT), '$.internal.memoryMiB'), 0),
	gpus       = coalesce(json_extract(CAST(doc AS TEXT), '$.internal.gpus'), 0)
WHERE status NOT IN ('SUCCEEDED', 'FAILED');
DROP INDEX jobs_runnable;
CREATE INDEX jobs_runnable ON jobs (queue, runnable_at, id, vcpus, memory_mib, gpus) WHERE status = 'RUNNABLE';
`,
	// 5: the ids in the index of waiting jobs, so that the sweeper pages
	// through the stale ones (StaleJobs) from the index alone, however
	// many there are, without reading a row.
	`
DROP INDEX jobs_waiting;
CREATE INDEX jobs_waiting ON jobs (status, updated_at, id) WHERE status IN ('SUBMITTED', 'PENDING', 'RUNNABLE');
`,
}

// migrate brings the schema to the newest version in one transaction.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrating schema to version %d: %w", v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("setting schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing schema: %w", err)
	}
	return nil
}
