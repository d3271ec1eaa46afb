package control

import "github.com/tanda-batch/tanda/batch"

// Metrics is told of job status changes once they are durable, for
// monitoring (an adapter exports them; this package imports no metrics
// library). It is called on the write path: implementations must be quick
// and must not block.
type Metrics interface {
	// JobsCreated is told of jobs just written: submitted jobs and array
	// children, in their first status (SUBMITTED, PENDING or RUNNABLE).
	JobsCreated(jobs []batch.Job)
	// JobChanged is told that a job went from one status to another.
	JobChanged(from batch.Status, job batch.Job)
}

// jobsCreated tells Options.Metrics of new jobs.
func (s *Service) jobsCreated(jobs []batch.Job) {
	if s.opts.Metrics != nil && len(jobs) > 0 {
		s.opts.Metrics.JobsCreated(jobs)
	}
}

// jobChanged tells Options.Metrics of a status change.
func (s *Service) jobChanged(from batch.Status, job batch.Job) {
	if s.opts.Metrics != nil && from != job.Status {
		s.opts.Metrics.JobChanged(from, job)
	}
}
