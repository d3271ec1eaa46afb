package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Backend is a Tanda deployment under test: it starts and stops Tanda,
// says where its API is and how its jobs run the chaos job program, and
// offers the faults it can inject. One-machine Tanda is UpBackend; `tanda
// serve --backend aws` with `tanda agent` processes on moto is another.
type Backend interface {
	// Name names the backend in the run's log.
	Name() string
	// Start starts Tanda and returns once its API answers. Records is the
	// directory where executions record themselves (jobrecord.EnvRecords): outside
	// anything a fault reaches.
	Start(ctx context.Context, records string) error
	// Endpoint is the API's URL now; it may change when a fault restarts
	// the control plane.
	Endpoint() string
	// AWSConfig is the SDK configuration (credentials, region) of a client
	// of the API.
	AWSConfig(ctx context.Context) (aws.Config, error)
	// Job is the command and environment with which a job runs the chaos
	// job program (jobrecord.RunJob) with args.
	Job(args []string) (command []string, env map[string]string)
	// Instances lists the instances alive now.
	Instances(ctx context.Context) ([]string, error)
	// LeaseTTL is how long an attempt's lease lasts without a heartbeat.
	LeaseTTL() time.Duration
	// Faults lists the faults the backend can inject, by kind, with why
	// those it cannot are missing.
	Faults() ([]Fault, map[string]string)
	// Stop stops Tanda cleanly and reports what went wrong in its life
	// (such as a data race it logged).
	Stop(ctx context.Context) error
}

// Fault is one kind of fault.
type Fault interface {
	// Kind names it, e.g. "kill-control-plane".
	Kind() string
	// Inject injects the fault, choosing what it hits with rng, and
	// returns what it did; Heal, if set, ends the fault.
	Inject(ctx context.Context, rng *rand.Rand) (Injection, error)
}

// Injection is a fault injected.
type Injection struct {
	Detail string
	// Lost are the instances the fault took away, for the recovery
	// figures.
	Lost []string
	// Probe asks the runner to submit a job while the fault holds and
	// report how the API answered.
	Probe bool
	// Heal ends the fault; nil for a fault that is over once injected.
	Heal func(ctx context.Context) (Healed, error)
}

// Healed is a fault ended.
type Healed struct {
	Detail string
	// APIAnswered is how long a restarted control plane took to answer,
	// measured from its start; 0 if none restarted.
	APIAnswered time.Duration
}

// Event is one fault of a schedule: its kind, when it starts from the
// beginning of the run, and how long it is held before it is healed.
type Event struct {
	At   time.Duration
	Kind string
	Hold time.Duration
}

func (e Event) String() string {
	return fmt.Sprintf("+%v %s (hold %v)", e.At.Round(time.Millisecond), e.Kind, e.Hold.Round(time.Millisecond))
}

// NewSchedule spreads count faults of each kind at random over window,
// each held for between holdMin and holdMax, from rng: the same seed gives
// the same schedule. Events do not overlap: each starts after the previous
// one is healed.
func NewSchedule(rng *rand.Rand, window time.Duration, counts map[string]int, holdMin, holdMax time.Duration) []Event {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var events []Event
	for _, k := range kinds {
		for range counts[k] {
			events = append(events, Event{Kind: k})
		}
	}
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	if len(events) == 0 {
		return nil
	}
	slot := window / time.Duration(len(events))
	for i := range events {
		hold := holdMin + time.Duration(rng.Int64N(int64(holdMax-holdMin)+1))
		hold = min(hold, slot/2)
		jitter := time.Duration(rng.Int64N(int64(slot-hold) + 1))
		events[i].At = time.Duration(i)*slot + jitter
		events[i].Hold = hold
	}
	return events
}

// FormatSchedule is the schedule on one line.
func FormatSchedule(events []Event) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}
