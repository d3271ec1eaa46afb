package chaos

import (
	"slices"
	"sync"
	"time"
)

// Ack is a submission the API acknowledged: its answer named JobID.
type Ack struct {
	JobID string
	Name  string // unique per submission
	Kind  string // the workload's kind of job
	// ArraySize is the number of children of an array job, else 0.
	ArraySize int
	// Sequential: the array's children run one after the other.
	Sequential bool
	// DependsOn names the jobs it waits for; NToN, those it waits for
	// child by child (an array on an array of the same size).
	DependsOn []string
	NToN      []string
	At        time.Time
}

// Action is a CancelJob or TerminateJob the client issued.
type Action struct {
	Op     string // "cancel" or "terminate"
	JobID  string
	Reason string // unique per action
	At     time.Time
	Err    error // the API's answer; nil when it accepted the call
}

// Ledger is the client's record of what it asked Tanda to do: every job an
// acknowledged SubmitJob named, the submissions whose outcome is unknown
// (the call failed, perhaps after the write), and the cancels and
// terminates issued. It is safe for concurrent use.
type Ledger struct {
	mu            sync.Mutex
	acks          map[string]Ack
	order         []string
	twice         []Ack             // acknowledgements naming a job already acknowledged
	indeterminate map[string]string // name to kind of submissions with no answer
	actions       []Action
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{acks: map[string]Ack{}, indeterminate: map[string]string{}}
}

// Acknowledged records a submission the API acknowledged.
func (l *Ledger) Acknowledged(a Ack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.acks[a.JobID]; ok {
		l.twice = append(l.twice, a)
		return
	}
	l.acks[a.JobID] = a
	l.order = append(l.order, a.JobID)
}

// Indeterminate records a submission whose call failed: it may or may not
// have made a job.
func (l *Ledger) Indeterminate(name, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.indeterminate[name] = kind
}

// Issued records a cancel or terminate.
func (l *Ledger) Issued(a Action) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.actions = append(l.actions, a)
}

// Acks lists the acknowledged submissions in order.
func (l *Ledger) Acks() []Ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Ack, 0, len(l.order))
	for _, id := range l.order {
		out = append(out, l.acks[id])
	}
	return out
}

// Ack is the acknowledgement of job id, if any.
func (l *Ledger) Ack(id string) (Ack, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.acks[id]
	return a, ok
}

// Snapshot copies the ledger for the checker.
func (l *Ledger) Snapshot() LedgerSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := LedgerSnapshot{
		Acks:          make([]Ack, 0, len(l.order)),
		Twice:         slices.Clone(l.twice),
		Indeterminate: map[string]string{},
		Actions:       slices.Clone(l.actions),
	}
	for _, id := range l.order {
		s.Acks = append(s.Acks, l.acks[id])
	}
	for k, v := range l.indeterminate {
		s.Indeterminate[k] = v
	}
	return s
}

// LedgerSnapshot is the ledger as the checker reads it.
type LedgerSnapshot struct {
	Acks          []Ack
	Twice         []Ack
	Indeterminate map[string]string // name to kind
	Actions       []Action
}
