package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tanda-batch/tanda/batch"
)

// JobCounter counts the jobs of job queues by status: infra/sqlite's DB
// counts them all from an index; ActiveJobs counts the unfinished ones of
// any control.Store.
type JobCounter interface {
	CountJobs(ctx context.Context, queues []string) (map[string]map[batch.Status]int, error)
}

// QueueLister lists the job queues; *control.Service is one.
type QueueLister interface {
	JobQueues(ctx context.Context) ([]batch.JobQueue, error)
}

// jobsName is the jobs gauge's name.
const jobsName = Namespace + "_jobs"

// jobsDesc is the jobs gauge.
var jobsDesc = prometheus.NewDesc(jobsName,
	"Jobs by job queue and status, counted from the store when scraped (array children included).",
	[]string{"queue", "status"}, nil)

// Jobs is the jobs gauge: on each scrape it counts the jobs of every job
// queue by status, within timeout, and reports every status of every
// queue, 0 included. Statuses the counter does not count (ActiveJobs: the
// finished ones) are left out.
type Jobs struct {
	Queues  QueueLister
	Counter JobCounter
	// Statuses are the statuses reported; nil reports all seven.
	Statuses []batch.Status
	Timeout  time.Duration // default 5 s
	Logger   *slog.Logger  // default slog.Default()
}

// Describe sends the gauge's description.
func (j Jobs) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

// Collect counts the jobs. A failed count is logged and reports nothing,
// so the scrape shows the series missing rather than wrong.
func (j Jobs) Collect(ch chan<- prometheus.Metric) {
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	counts, err := j.count(ctx)
	if err != nil {
		logger := j.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("counting jobs for the metrics", "err", err)
		return
	}
	statuses := j.Statuses
	if statuses == nil {
		statuses = batch.AllStatuses
	}
	for q, byStatus := range counts {
		for _, s := range statuses {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(byStatus[s]), q, s.String())
		}
	}
}

func (j Jobs) count(ctx context.Context) (map[string]map[batch.Status]int, error) {
	qs, err := j.Queues.JobQueues(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing job queues: %w", err)
	}
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.JobQueueName
	}
	return j.Counter.CountJobs(ctx, names)
}

// JobLister pages through jobs; control.Store is one.
type JobLister interface {
	ListJobs(ctx context.Context, q batch.JobQuery) (batch.JobPage, error)
}

// ActiveStatuses are the statuses of unfinished jobs.
var ActiveStatuses = []batch.Status{batch.Submitted, batch.Pending, batch.Runnable, batch.Starting, batch.Running}

// ActiveJobs counts the unfinished jobs of each queue by paging through
// them (on DynamoDB, a Query of the queue and status index each page), up
// to Max per queue and status: a count that reaches it reports Max. The
// finished jobs, which may be many, are not counted; their rates are in
// tanda_job_transitions_total.
type ActiveJobs struct {
	Lister JobLister
	Max    int // default 10,000
}

// CountJobs counts the unfinished jobs of queues by status.
func (a ActiveJobs) CountJobs(ctx context.Context, queues []string) (map[string]map[batch.Status]int, error) {
	limit := a.Max
	if limit <= 0 {
		limit = 10_000
	}
	out := make(map[string]map[batch.Status]int, len(queues))
	for _, q := range queues {
		out[q] = map[batch.Status]int{}
		for _, s := range ActiveStatuses {
			query := batch.JobQuery{Queue: q, Statuses: []batch.Status{s}, Limit: min(limit, 1000)}
			n := 0
			for n < limit {
				page, err := a.Lister.ListJobs(ctx, query)
				if err != nil {
					return nil, fmt.Errorf("counting %s jobs of queue %s: %w", s, q, err)
				}
				n += len(page.Jobs)
				if page.Cursor == "" {
					break
				}
				query.Cursor = page.Cursor
			}
			out[q][s] = min(n, limit)
		}
	}
	return out, nil
}
