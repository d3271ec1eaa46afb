package batch

import "time"

// The value types below are the contract between Tanda's core and its stores
// and queues (SQLite on one machine, DynamoDB and SQS on AWS). The interfaces
// that use them are declared by their consumers.

// Message is a doorbell: a job id sent to a named queue. Queues deliver at
// least once; an embedded queue keeps one message per (Queue, ID).
type Message struct {
	Queue string
	ID    string
	Body  string
}

// Delivery is a received message and the receipt that deletes it.
type Delivery struct {
	Message
	Receipt      string
	ReceiveCount int
}

// Item is a versioned document in the store: definitions, instances,
// access keys and other small records, keyed by kind and key.
type Item struct {
	Kind    string
	Key     string
	Doc     []byte
	Version int64
	// ExpiresAt, when set (ms), lets the store delete the item after then.
	ExpiresAt int64
}

// Item kinds.
const (
	KindComputeEnvironment = "ce"
	KindJobQueue           = "jq"
	KindJobDefinition      = "jd"
	KindSchedulingPolicy   = "sp"
	KindInstance           = "instance"
	KindAccessKey          = "accesskey"
	KindSequence           = "sequence"
	KindLease              = "lease"
	// KindCapacity items are the capacity history: a compute environment's
	// demand and vCPUs, one item a minute (package capacity).
	KindCapacity = "capacity"
)

// JobOrder is the order of a job listing.
type JobOrder int

// Job listing orders.
const (
	// NewestFirst orders by createdAt descending (ties by id).
	NewestFirst JobOrder = iota
	// QueueOrder orders by the time the job became RUNNABLE, then by id.
	QueueOrder
	// IndexOrder orders array children by index.
	IndexOrder
)

// JobQuery selects jobs. Exactly one of Queue, ArrayParent or (for sweeps)
// neither is set; the other fields narrow the set.
type JobQuery struct {
	Queue       string // job queue name
	ArrayParent string // array parent id: list its children
	Statuses    []Status

	NameExact        string // case-insensitive equality
	NamePrefix       string // case-insensitive prefix
	DefinitionName   string // exact definition name (all revisions)
	DefinitionPrefix string
	DefinitionArn    string // exact revision ARN
	ShareIdentifier  string
	CreatedAfter     int64 // ms, exclusive; 0 = unset
	CreatedBefore    int64 // ms, exclusive; 0 = unset
	LeaseBefore      int64 // ms: lease expired before; for sweeps
	Instance         string
	// TopLevel leaves out array children.
	TopLevel bool

	Order JobOrder
	Limit int
	// Cursor continues a listing from the opaque token a previous page gave.
	Cursor string
}

// DemandQuery selects the front of a queue's RUNNABLE jobs, in dispatch
// order (QueueOrder), to summarize what they need without reading them
// (the provisioner's demand).
type DemandQuery struct {
	Queue string
	// Limit bounds the jobs summarized, from the front of the queue.
	Limit int
	// WaitedSince (ms) splits the runs: a run holds only jobs RUNNABLE at
	// a known time no later than WaitedSince, or only others.
	WaitedSince int64
}

// DemandRun is jobs in a row of a queue's dispatch order that need the
// same resources and are on the same side of DemandQuery.WaitedSince.
type DemandRun struct {
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
	// RunnableAt is the earliest time a job of the run became RUNNABLE
	// (ms; Job.Internal.RunnableAt), 0 if unknown.
	RunnableAt int64
	Count      int
}

// DemandRuns builds a summary: jobs added in dispatch order, run by run.
type DemandRuns []DemandRun

// Add appends a job (Count 0 or 1) or a run to the summary, as part of the
// last run when it is alike (same resources, same side of waitedSince).
func (rs *DemandRuns) Add(r DemandRun, waitedSince int64) {
	r.Count = max(r.Count, 1)
	if n := len(*rs); n > 0 {
		last := &(*rs)[n-1]
		if last.VCPUs == r.VCPUs && last.MemoryMiB == r.MemoryMiB && last.GPUs == r.GPUs &&
			last.waited(waitedSince) == r.waited(waitedSince) {
			last.Count += r.Count
			if r.RunnableAt > 0 && (last.RunnableAt == 0 || r.RunnableAt < last.RunnableAt) {
				last.RunnableAt = r.RunnableAt
			}
			return
		}
	}
	*rs = append(*rs, r)
}

// waited reports whether the run's jobs became RUNNABLE at a known time no
// later than waitedSince.
func (r DemandRun) waited(waitedSince int64) bool {
	return r.RunnableAt > 0 && r.RunnableAt <= waitedSince
}

// JobPage is one page of a job listing.
type JobPage struct {
	Jobs []Job
	// Cursor is empty when there are no more pages.
	Cursor string
}

// Clock tells the time; tests inject their own.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Millis is t in epoch milliseconds, the API's time unit.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Dependency is an edge: Dependent waits on On.
type Dependency struct {
	On        string
	Dependent string
}

// StaleQuery pages through the jobs of one status, SUBMITTED or PENDING,
// last written before a time, oldest first, reading the store's index of
// waiting jobs alone (control.Store.StaleJobs): the sweeper's candidates.
type StaleQuery struct {
	Status        Status
	UpdatedBefore int64 // ms, exclusive
	// Limit bounds a page; 0 leaves it to the store.
	Limit int
	// Page continues from the token a previous page gave; "" starts.
	Page string
}

// StaleJob is a job as the index of waiting jobs has it: its id and when
// it was last written (ms; JobInternal.UpdatedAt).
type StaleJob struct {
	JobID     string
	UpdatedAt int64
}

// StalePage is a page of stale jobs; Next is "" after the last.
type StalePage struct {
	Jobs []StaleJob
	Next string
}
