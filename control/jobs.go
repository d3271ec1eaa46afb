package control

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// DescribeJobs describes up to 100 jobs; unknown ids are left out.
func (s *Service) DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput) (*batch.DescribeJobsOutput, error) {
	if err := batch.ValidateDescribeJobs(len(in.Jobs)); err != nil {
		return nil, err
	}
	found, err := s.store.GetJobs(ctx, in.Jobs)
	if err != nil {
		return nil, fmt.Errorf("reading jobs: %w", err)
	}
	byID := make(map[string]batch.Job, len(found))
	for _, j := range found {
		byID[j.JobID] = j
	}
	out := &batch.DescribeJobsOutput{Jobs: make([]batch.Job, 0, len(found))}
	seen := map[string]bool{}
	for _, id := range in.Jobs {
		j, ok := byID[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		if err := s.present(ctx, &j); err != nil {
			return nil, err
		}
		out.Jobs = append(out.Jobs, j)
	}
	return out, nil
}

// Job reads one job as DescribeJobs shows it.
func (s *Service) Job(ctx context.Context, id string) (batch.Job, error) {
	j, err := s.store.GetJob(ctx, id)
	if err != nil {
		return j, err
	}
	return j, s.present(ctx, &j)
}

// present fills what DescribeJobs derives on read: an array parent's
// statusSummary, and the members AWS returns even when empty.
func (s *Service) present(ctx context.Context, j *batch.Job) error {
	batch.PresentJob(j)
	if j.ArrayProperties != nil && j.ArrayProperties.Size != nil && j.Internal.ArrayParent == "" {
		counts, err := s.store.CountChildren(ctx, j.JobID)
		if err != nil {
			return fmt.Errorf("counting children of %s: %w", j.JobID, err)
		}
		j.ArrayProperties.StatusSummary = statusSummary(counts)
		j.ArrayProperties.StatusSummaryLastUpdatedAt = s.nowMillis()
	}
	return nil
}

func statusSummary(counts map[batch.Status]int) map[string]int {
	sum := make(map[string]int, len(batch.AllStatuses))
	for _, st := range batch.AllStatuses {
		sum[st.String()] = counts[st]
	}
	return sum
}

// ListJobs lists a queue's jobs (by status, or by filter newest first) or
// an array job's children.
func (s *Service) ListJobs(ctx context.Context, in *batch.ListJobsInput) (*batch.ListJobsOutput, error) {
	if err := batch.ValidateListJobs(in); err != nil {
		return nil, err
	}
	if in.MultiNodeJobID != "" {
		return nil, batch.Clientf("multiNodeJobId: Tanda does not run multi-node parallel jobs")
	}
	q := batch.JobQuery{Cursor: in.NextToken}
	maxPage := 1000
	if len(in.Filters) > 0 {
		maxPage = 100
	}
	limit, err := pageLimit(in.MaxResults, maxPage, maxPage)
	if err != nil {
		return nil, err
	}
	q.Limit = limit
	if in.ArrayJobID != "" {
		q.ArrayParent = in.ArrayJobID
		q.Order = batch.IndexOrder
	} else {
		jq, err := s.JobQueue(ctx, in.JobQueue)
		if err != nil {
			return nil, err
		}
		q.Queue = jq.JobQueueName
		q.TopLevel = true
	}
	status := in.JobStatus
	if status == "" {
		status = batch.Running.String()
	}
	st, ok := batch.ParseStatus(status)
	if !ok {
		return nil, batch.Clientf("jobStatus must be one of SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED (got %q)", in.JobStatus)
	}
	filtered := false
	for _, f := range in.Filters {
		if in.ArrayJobID != "" {
			break // filters do not apply to array children
		}
		if err := applyFilter(&q, f); err != nil {
			return nil, err
		}
		if f.Name != batch.FilterShareIdentifier {
			filtered = true
		}
	}
	if !filtered {
		q.Statuses = []batch.Status{st}
	}
	pg, err := s.store.ListJobs(ctx, q)
	if err != nil {
		if batch.IsClientError(err) {
			return nil, err
		}
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	out := &batch.ListJobsOutput{JobSummaryList: make([]batch.JobSummary, 0, len(pg.Jobs))}
	for _, j := range pg.Jobs {
		if err := s.present(ctx, &j); err != nil {
			return nil, err
		}
		out.JobSummaryList = append(out.JobSummaryList, summarize(j))
	}
	if pg.Cursor != "" {
		out.NextToken = &pg.Cursor
	}
	return out, nil
}

func applyFilter(q *batch.JobQuery, f batch.KeyValuesPair) error {
	if len(f.Values) != 1 {
		return batch.Clientf("filter %s takes exactly one value (got %d)", f.Name, len(f.Values))
	}
	v := f.Values[0]
	switch f.Name {
	case batch.FilterJobName:
		if p, ok := strings.CutSuffix(v, "*"); ok {
			q.NamePrefix = p
		} else {
			q.NameExact = v
		}
	case batch.FilterJobDefinition:
		switch {
		case strings.HasPrefix(v, "arn:"):
			q.DefinitionArn = v
		case strings.HasSuffix(v, "*"):
			q.DefinitionPrefix = strings.TrimSuffix(v, "*")
		default:
			q.DefinitionName = v
		}
	case batch.FilterBeforeCreatedAt, batch.FilterAfterCreatedAt:
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return batch.Clientf("filter %s needs epoch milliseconds (got %q)", f.Name, v)
		}
		if f.Name == batch.FilterBeforeCreatedAt {
			q.CreatedBefore = ms
		} else {
			q.CreatedAfter = ms
		}
	case batch.FilterShareIdentifier:
		q.ShareIdentifier = v
	default:
		return batch.Clientf("unknown filter %q: use JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT or SHARE_IDENTIFIER", f.Name)
	}
	return nil
}

func summarize(j batch.Job) batch.JobSummary {
	sum := batch.JobSummary{
		JobArn:          j.JobArn,
		JobID:           j.JobID,
		JobName:         j.JobName,
		CreatedAt:       j.CreatedAt,
		Status:          j.Status,
		StatusReason:    j.StatusReason,
		StartedAt:       j.StartedAt,
		StoppedAt:       j.StoppedAt,
		ArrayProperties: j.ArrayProperties,
		JobDefinition:   j.JobDefinition,
		ShareIdentifier: j.ShareIdentifier,
	}
	if c := j.Container; c != nil && (c.ExitCode != nil || c.Reason != "") {
		sum.Container = &batch.ContainerSummary{ExitCode: c.ExitCode, Reason: c.Reason}
	}
	return sum
}

// Dependents lists the ids of the jobs recorded as waiting on a job (those
// whose dependencies were not done when the scheduler looked at them).
func (s *Service) Dependents(ctx context.Context, jobID string) ([]string, error) {
	ids, err := s.store.Dependents(ctx, jobID)
	if err != nil {
		return nil, fmt.Errorf("listing dependents of %s: %w", jobID, err)
	}
	return ids, nil
}
