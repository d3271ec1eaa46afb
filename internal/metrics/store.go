package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// op times one kind of operation and counts its failures.
type op struct {
	duration prometheus.Observer
	failed   func(error)
}

// done records an operation that started at start and ended with err.
func (o op) done(start time.Time, err error) {
	o.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		o.failed(err)
	}
}

// storeOp is the op of a store operation.
func (r *Registry) storeOp(name string) op {
	conflict := r.storeErrors.WithLabelValues(name, "conflict")
	notFound := r.storeErrors.WithLabelValues(name, "not_found")
	other := r.storeErrors.WithLabelValues(name, "other")
	return op{
		duration: r.storeDuration.WithLabelValues(name),
		failed: func(err error) {
			switch {
			case errors.Is(err, batch.ErrConflict):
				conflict.Inc()
			case errors.Is(err, batch.ErrNotFound):
				notFound.Inc()
			default:
				other.Inc()
			}
		},
	}
}

// queueOp is the op of a queue operation.
func (r *Registry) queueOp(name string) op {
	failed := r.queueErrors.WithLabelValues(name)
	return op{duration: r.queueDuration.WithLabelValues(name), failed: func(error) { failed.Inc() }}
}

// Store is s with each operation timed and its failures counted.
func (r *Registry) Store(s control.Store) control.Store {
	return &store{
		s:         s,
		stale:     r.storeOp("StaleJobs"),
		putItem:   r.storeOp("PutItem"),
		getItem:   r.storeOp("GetItem"),
		listItems: r.storeOp("ListItems"),
		delItem:   r.storeOp("DeleteItem"),
		nextSeq:   r.storeOp("NextSequence"),
		create:    r.storeOp("CreateJobs"),
		update:    r.storeOp("UpdateJob"),
		updateDel: r.storeOp("UpdateJobDeleting"),
		getJob:    r.storeOp("GetJob"),
		getJobs:   r.storeOp("GetJobs"),
		listJobs:  r.storeOp("ListJobs"),
		children:  r.storeOp("CountChildren"),
		openChild: r.storeOp("AnyChildOpen"),
		demand:    r.storeOp("SummarizeRunnable"),
		addDeps:   r.storeOp("AddDependents"),
		deps:      r.storeOp("Dependents"),
		expired:   r.storeOp("DeleteExpired"),
	}
}

type store struct {
	s                                                  control.Store
	stale                                              op
	putItem, getItem, listItems, delItem, nextSeq      op
	create, update, updateDel, getJob, getJobs         op
	listJobs, children, demand, addDeps, deps, expired op
	openChild                                          op
}

func (s *store) PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error) {
	start := time.Now()
	v, err := s.s.PutItem(ctx, it, expectVersion)
	s.putItem.done(start, err)
	return v, err
}

func (s *store) GetItem(ctx context.Context, kind, key string) (batch.Item, error) {
	start := time.Now()
	v, err := s.s.GetItem(ctx, kind, key)
	s.getItem.done(start, err)
	return v, err
}

func (s *store) ListItems(ctx context.Context, kind, prefix string) ([]batch.Item, error) {
	start := time.Now()
	v, err := s.s.ListItems(ctx, kind, prefix)
	s.listItems.done(start, err)
	return v, err
}

func (s *store) DeleteItem(ctx context.Context, kind, key string, expectVersion int64) error {
	start := time.Now()
	err := s.s.DeleteItem(ctx, kind, key, expectVersion)
	s.delItem.done(start, err)
	return err
}

func (s *store) NextSequence(ctx context.Context, name string) (int64, error) {
	start := time.Now()
	v, err := s.s.NextSequence(ctx, name)
	s.nextSeq.done(start, err)
	return v, err
}

func (s *store) CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error {
	start := time.Now()
	err := s.s.CreateJobs(ctx, jobs, msgs)
	s.create.done(start, err)
	return err
}

func (s *store) UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error) {
	start := time.Now()
	v, err := s.s.UpdateJob(ctx, job, msgs)
	s.update.done(start, err)
	return v, err
}

func (s *store) UpdateJobDeleting(ctx context.Context, job batch.Job, msgs []batch.Message, done batch.Delivery) (batch.Job, error) {
	start := time.Now()
	v, err := s.s.UpdateJobDeleting(ctx, job, msgs, done)
	s.updateDel.done(start, err)
	return v, err
}

func (s *store) GetJob(ctx context.Context, id string) (batch.Job, error) {
	start := time.Now()
	v, err := s.s.GetJob(ctx, id)
	s.getJob.done(start, err)
	return v, err
}

func (s *store) GetJobs(ctx context.Context, ids []string) ([]batch.Job, error) {
	start := time.Now()
	v, err := s.s.GetJobs(ctx, ids)
	s.getJobs.done(start, err)
	return v, err
}

func (s *store) ListJobs(ctx context.Context, q batch.JobQuery) (batch.JobPage, error) {
	start := time.Now()
	v, err := s.s.ListJobs(ctx, q)
	s.listJobs.done(start, err)
	return v, err
}

func (s *store) SummarizeRunnable(ctx context.Context, q batch.DemandQuery) ([]batch.DemandRun, error) {
	start := time.Now()
	v, err := s.s.SummarizeRunnable(ctx, q)
	s.demand.done(start, err)
	return v, err
}

func (s *store) CountChildren(ctx context.Context, parentID string) (map[batch.Status]int, error) {
	start := time.Now()
	v, err := s.s.CountChildren(ctx, parentID)
	s.children.done(start, err)
	return v, err
}

func (s *store) AnyChildOpen(ctx context.Context, parentID string) (bool, error) {
	start := time.Now()
	v, err := s.s.AnyChildOpen(ctx, parentID)
	s.openChild.done(start, err)
	return v, err
}

func (s *store) AddDependents(ctx context.Context, edges []batch.Dependency) error {
	start := time.Now()
	err := s.s.AddDependents(ctx, edges)
	s.addDeps.done(start, err)
	return err
}

func (s *store) Dependents(ctx context.Context, jobID string) ([]string, error) {
	start := time.Now()
	v, err := s.s.Dependents(ctx, jobID)
	s.deps.done(start, err)
	return v, err
}

func (s *store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	start := time.Now()
	v, err := s.s.DeleteExpired(ctx, now)
	s.expired.done(start, err)
	return v, err
}

// Queues is q with each operation timed and its failures counted. It
// creates queues (control.QueueCreator) when q does.
func (r *Registry) Queues(q control.Queues) control.Queues {
	return &queues{
		q: q, send: r.queueOp("Send"), receive: r.queueOp("Receive"), del: r.queueOp("Delete"),
		visibility: r.queueOp("ChangeVisibility"), delQueue: r.queueOp("DeleteQueue"), ensure: r.queueOp("Ensure"),
	}
}

type queues struct {
	q                                                control.Queues
	send, receive, del, visibility, delQueue, ensure op
}

var _ control.QueueCreator = (*queues)(nil)

func (q *queues) Send(ctx context.Context, msgs []batch.Message) error {
	start := time.Now()
	err := q.q.Send(ctx, msgs)
	q.send.done(start, err)
	return err
}

func (q *queues) Receive(ctx context.Context, queue string, maxMessages int, visibility, wait time.Duration) ([]batch.Delivery, error) {
	start := time.Now()
	ds, err := q.q.Receive(ctx, queue, maxMessages, visibility, wait)
	if ctx.Err() == nil { // a receive cut short by shutdown is no failure
		q.receive.done(start, err)
	}
	return ds, err
}

func (q *queues) Delete(ctx context.Context, queue, receipt string) error {
	start := time.Now()
	err := q.q.Delete(ctx, queue, receipt)
	q.del.done(start, err)
	return err
}

func (q *queues) ChangeVisibility(ctx context.Context, queue, receipt string, visibility time.Duration) error {
	start := time.Now()
	err := q.q.ChangeVisibility(ctx, queue, receipt, visibility)
	q.visibility.done(start, err)
	return err
}

func (q *queues) DeleteQueue(ctx context.Context, queue string) error {
	start := time.Now()
	err := q.q.DeleteQueue(ctx, queue)
	q.delQueue.done(start, err)
	return err
}

// Ensure creates a queue when the queues underneath create queues, and
// does nothing otherwise, as control does without a QueueCreator.
func (q *queues) Ensure(ctx context.Context, queue string) error {
	c, ok := q.q.(control.QueueCreator)
	if !ok {
		return nil
	}
	start := time.Now()
	err := c.Ensure(ctx, queue)
	q.ensure.done(start, err)
	return err
}

func (s *store) StaleJobs(ctx context.Context, q batch.StaleQuery) (batch.StalePage, error) {
	start := time.Now()
	v, err := s.s.StaleJobs(ctx, q)
	s.stale.done(start, err)
	return v, err
}
