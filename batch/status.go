package batch

import (
	"encoding/json"
	"fmt"
)

// Status is a job's state. The order is the lifecycle's order.
type Status int

// Job states, as AWS Batch names them.
const (
	StatusUnknown Status = iota
	Submitted
	Pending
	Runnable
	Starting
	Running
	Succeeded
	Failed
)

var statusNames = [...]string{"", "SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"}

// AllStatuses lists the seven job states in lifecycle order.
var AllStatuses = []Status{Submitted, Pending, Runnable, Starting, Running, Succeeded, Failed}

func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// Terminal reports whether s is SUCCEEDED or FAILED.
func (s Status) Terminal() bool { return s == Succeeded || s == Failed }

// Active reports whether a job in s holds capacity (STARTING or RUNNING).
func (s Status) Active() bool { return s == Starting || s == Running }

// ParseStatus parses an AWS job status name.
func ParseStatus(name string) (Status, bool) {
	for i, n := range statusNames {
		if i > 0 && n == name {
			return Status(i), true
		}
	}
	return StatusUnknown, false
}

// MarshalJSON writes the AWS name.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads an AWS name.
func (s *Status) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("job status: %w", err)
	}
	st, ok := ParseStatus(name)
	if !ok {
		return fmt.Errorf("job status: unknown status %q", name)
	}
	*s = st
	return nil
}

// transitions is the state machine of reference §3.1: from → allowed next states.
var transitions = map[Status][]Status{
	Submitted: {Pending, Runnable, Failed},
	Pending:   {Runnable, Failed, Succeeded}, // array parents end from PENDING
	Runnable:  {Starting, Failed},
	Starting:  {Running, Runnable, Failed},
	Running:   {Runnable, Succeeded, Failed},
}

// CanTransition reports whether a job may move from one state to another.
func CanTransition(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}
