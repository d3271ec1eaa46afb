package control

import (
	"context"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// maxReringGap caps the wait between two rings of one RUNNABLE job's
// doorbell.
const maxReringGap = 5 * time.Minute

// reringDue reports whether a job that has waited age since its doorbell
// first rang is due for another ring in a pass that follows the previous
// one by every (the time since that pass really began: see passGaps).
// Rings come at first, 2×first, 4×first, … after the job became RUNNABLE
// (or SUBMITTED or PENDING, for the sweep), at most maxReringGap apart: a
// job whose doorbell was lost is found quickly, and one that waits long
// does not pile up copies of its doorbell.
func reringDue(age, every, first time.Duration) bool {
	if first <= 0 || every <= 0 {
		return false
	}
	for at := first; at <= age; at += min(at, maxReringGap) {
		if at > age-every {
			return true
		}
	}
	return false
}

// unboundedGap is the gap before a pass that has not run in this process:
// it rings whatever is due, once.
const unboundedGap = time.Duration(1 << 62)

// passGaps remembers when each periodic pass (the queue pass, the sweep)
// last began, so that a pass rings what fell due since the previous one
// however late it comes: a pass that takes longer than its interval (a
// slow store) delays the next one, and reringDue with the nominal
// interval would then miss ring points that fell in between, leaving
// jobs without a doorbell until a later ring point (seen as RUNNABLE jobs
// never claimed in the chaos suite on moto).
type passGaps struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// since returns how long ago pass name last began, at least every, and
// records now as its start. The first pass in this process gets
// unboundedGap: a restarted control plane rings every due job once.
func (g *passGaps) since(name string, now time.Time, every time.Duration) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	last, ok := g.last[name]
	g.last[name] = now
	if !ok {
		return unboundedGap
	}
	return max(now.Sub(last), every)
}

// reringHead rings again the doorbells of the jobs at the front of a queue
// that are due (see reringDue). A doorbell is lost when a crash falls
// between a job's write and its send, or when a queue drops a message;
// duplicates are harmless, since every claim is a conditional write. Jobs
// behind the front are rung when they reach it. Fair-share jobs are
// offered by the fair-share pass instead.
func (s *Service) reringHead(ctx context.Context, jobs []batch.Job, o QueuePassOptions, gap time.Duration) error {
	now := s.nowMillis()
	var msgs []batch.Message
	for i := range jobs {
		j := &jobs[i]
		age := time.Duration(now-j.Internal.RunnableAt) * time.Millisecond
		if reringDue(age, gap, o.ReringAfter) {
			msgs = append(msgs, s.readyDoorbell(j)...)
		}
	}
	return s.send(ctx, msgs...)
}
