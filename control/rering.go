package control

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// maxReringGap caps the wait between two rings of one RUNNABLE job's
// doorbell.
const maxReringGap = 5 * time.Minute

// reringDue reports whether a RUNNABLE job that has waited age since its
// doorbell first rang is due for another ring in a pass that follows the
// previous one by every. Rings come at first, 2×first, 4×first, … after
// the job became RUNNABLE, at most maxReringGap apart: a job whose
// doorbell was lost is found quickly, and one that waits long for
// capacity does not pile up copies of its doorbell.
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

// reringHead rings again the doorbells of the jobs at the front of a queue
// that are due (see reringDue). A doorbell is lost when a crash falls
// between a job's write and its send, or when a queue drops a message;
// duplicates are harmless, since every claim is a conditional write. Jobs
// behind the front are rung when they reach it. Fair-share jobs are
// offered by the fair-share pass instead.
func (s *Service) reringHead(ctx context.Context, jobs []batch.Job, o QueuePassOptions) error {
	now := s.nowMillis()
	var msgs []batch.Message
	for i := range jobs {
		j := &jobs[i]
		age := time.Duration(now-j.Internal.RunnableAt) * time.Millisecond
		if reringDue(age, o.Every, o.ReringAfter) {
			msgs = append(msgs, s.readyDoorbell(j)...)
		}
	}
	return s.send(ctx, msgs...)
}
