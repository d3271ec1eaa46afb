//go:build unix

package instances

import (
	"maps"
	"slices"
	"time"
)

// Agent describes the agent of one instance the harness has seen.
type Agent struct {
	InstanceID string
	Metadata   Metadata
	IMDS       string // the URL of the instance's IMDS (closed once it stops running)
	Dir        string // the agent's working directory and TMPDIR
	LogFile    string // its standard output and error
	PID        int    // 0 if it could not start
	// Live is true while the agent's process runs.
	Live bool
	// Killed is true when the harness killed the live agent, because its
	// instance stopped running or the harness stopped.
	Killed bool
	// InstanceRunning is true until the instance leaves the running state.
	InstanceRunning bool
	// Restarts counts the agents started on the instance after the first
	// (RestartAgent); PID, Live, LogFile and Err are the latest one's.
	Restarts int
	// InterruptAt is the time of the instance's Spot interruption notice;
	// zero if it has none.
	InterruptAt time.Time
	// Err is why the agent could not start, or, once it has ended, what
	// waiting for it returned (an *exec.ExitError for a signal or a
	// non-zero status).
	Err error
}

// Agents lists the instances whose agents run now, sorted.
func (h *Harness) Agents() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id, in := range h.instances {
		if in.running() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Agent describes the agent of the instance with that id, if the harness
// has seen it.
func (h *Harness) Agent(instanceID string) (Agent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	in, ok := h.instances[instanceID]
	if !ok {
		return Agent{}, false
	}
	return h.describe(in), true
}

// All describes the agent of every instance the harness has seen,
// sorted by instance id.
func (h *Harness) All() []Agent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Agent
	for _, id := range slices.Sorted(maps.Keys(h.instances)) {
		out = append(out, h.describe(h.instances[id]))
	}
	return out
}

// describe reports on in; h.mu is held.
func (h *Harness) describe(in *instance) Agent {
	meta := in.meta // a copy the caller may change
	meta.Tags, meta.UserData = maps.Clone(meta.Tags), slices.Clone(meta.UserData)
	a := Agent{
		InstanceID: in.meta.InstanceID, Metadata: meta, IMDS: in.imds.URL(),
		Dir: in.dir, LogFile: in.logFile,
		Killed: in.killed, InstanceRunning: !in.gone, InterruptAt: in.interruptAt, Restarts: in.restarts,
		Err: in.startErr,
	}
	if in.proc != nil {
		a.PID = in.proc.PID()
		if in.proc.Exited() {
			a.Err = in.proc.Err()
		} else {
			a.Live = true
		}
	}
	return a
}
