package control

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Store is the durable truth the control plane reads and writes. Every write
// is conditional: a versioned write succeeds only if the stored version is the
// one the caller read (0 meaning "must not exist"), and otherwise fails with
// batch.ErrConflict. Messages passed with a write are delivered to their
// queues after the write is durable (in the same transaction where the
// backend can, otherwise right after, with the sweeper covering a crash in
// between).
type Store interface {
	// PutItem writes an item if its stored version equals expectVersion
	// (0: absent) and returns the new version.
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
	// GetItem reads an item or returns batch.ErrNotFound.
	GetItem(ctx context.Context, kind, key string) (batch.Item, error)
	// ListItems lists the items of a kind whose key starts with prefix, by key.
	ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error)
	// DeleteItem deletes an item if its version is expectVersion (0: any).
	DeleteItem(ctx context.Context, kind, key string, expectVersion int64) error
	// NextSequence atomically increments and returns a named counter.
	NextSequence(ctx context.Context, name string) (int64, error)

	// CreateJobs writes new jobs; any that exists is a conflict
	// (batch.ErrConflict). A store writes all or none, or, where it cannot
	// (DynamoDB beyond one transaction), writes the others and sends
	// their messages before it reports the conflict.
	CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error
	// UpdateJob writes job if the stored version is job.Internal.Version and
	// returns it with its new version. On batch.ErrConflict it returns the
	// stored job, so the caller need not read it again.
	UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error)
	// UpdateJobDeleting is UpdateJob that, when the write succeeds, also
	// deletes the received message that led to it (with the write where
	// the backend can, right after it otherwise).
	UpdateJobDeleting(ctx context.Context, job batch.Job, msgs []batch.Message, done batch.Delivery) (batch.Job, error)
	// GetJob reads one job or returns batch.ErrNotFound.
	GetJob(ctx context.Context, id string) (batch.Job, error)
	// GetJobs reads the jobs that exist among ids, in no particular order.
	GetJobs(ctx context.Context, ids []string) ([]batch.Job, error)
	// ListJobs pages through the jobs a query selects.
	ListJobs(ctx context.Context, q batch.JobQuery) (batch.JobPage, error)
	// SummarizeRunnable summarizes the front of a queue's RUNNABLE jobs in
	// dispatch order (the order ListJobs gives in QueueOrder), as runs of
	// jobs alike, reading no job documents where the backend can.
	SummarizeRunnable(ctx context.Context, q batch.DemandQuery) ([]batch.DemandRun, error)
	// CountChildren counts an array parent's children by status.
	CountChildren(ctx context.Context, parentID string) (map[batch.Status]int, error)
	// AnyChildOpen reports whether some child of an array parent has not
	// finished (is neither SUCCEEDED nor FAILED), reading no more than it
	// must to find one. It may answer true wrongly for a moment (an index
	// that lags the table), but never false while a child the store lists
	// under the parent is open in the table.
	AnyChildOpen(ctx context.Context, parentID string) (bool, error)
	// AddDependents records that each dependent waits on a job.
	AddDependents(ctx context.Context, edges []batch.Dependency) error
	// Dependents lists the jobs that wait on a job.
	Dependents(ctx context.Context, jobID string) ([]string, error)
	// DeleteExpired deletes finished jobs and items whose expiry has passed.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
	// StaleJobs pages through the SUBMITTED or PENDING jobs last written
	// before a time, oldest first, as ids and times read from an index
	// alone (no job documents): the sweeper's candidates, however many.
	StaleJobs(ctx context.Context, q batch.StaleQuery) (batch.StalePage, error)
}

// Queues are the doorbells: the submissions queue and one ready queue per
// job queue. Delivery is at least once.
type Queues interface {
	Send(ctx context.Context, msgs []batch.Message) error
	// Receive waits up to wait for at most max messages of a queue and hides
	// them from other receivers for visibility.
	Receive(ctx context.Context, queue string, max int, visibility, wait time.Duration) ([]batch.Delivery, error)
	Delete(ctx context.Context, queue, receipt string) error
	// ChangeVisibility hides (or, with 0, releases) a received message.
	ChangeVisibility(ctx context.Context, queue, receipt string, visibility time.Duration) error
	// DeleteQueue removes a queue and its messages.
	DeleteQueue(ctx context.Context, queue string) error
}
