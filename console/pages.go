package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/explain"
)

// pageSize is how many jobs a list page shows.
const pageSize = 50

// countCap bounds how many jobs of a queue and status the dashboard counts
// (more shows as "1000+").
const countCap = 1000

// queueCard is a job queue on the dashboard and its page.
type queueCard struct {
	Queue  batch.JobQueue
	CEs    []string
	Counts []statusCount
}

type statusCount struct {
	Status string
	N      int
	More   bool
}

// ceCard is a compute environment on the dashboard and its page.
type ceCard struct {
	CE                batch.ComputeEnvironment
	Min, Desired, Max int
	Instances         []control.InstanceRecord
	UsedVCPUs, VCPUs  float64
	Queues            []string
	Chart             template.HTML
	ChartErr          string
}

type dashboardBody struct {
	Queues []queueCard
	CEs    []ceCard
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	ces, err := c.allCEs(ctx, s)
	if err != nil {
		return err
	}
	var b dashboardBody
	for _, q := range qs {
		card, err := c.queueCard(ctx, s, q)
		if err != nil {
			return err
		}
		b.Queues = append(b.Queues, card)
	}
	for _, ce := range ces {
		card, err := c.ceCard(ctx, ce, qs)
		if err != nil {
			return err
		}
		b.CEs = append(b.CEs, card)
	}
	c.render(w, s, http.StatusOK, "dashboard", "Dashboard", b)
	return nil
}

// collect reads every page of a Describe or List operation: in is its
// request, items picks a page's items and its next token.
func collect[Out, Item any](ctx context.Context, c *Console, s *session, op string, in map[string]any, items func(*Out) ([]Item, *string)) ([]Item, error) {
	var all []Item
	for {
		out, err := call[Out](ctx, c, s, op, in)
		if err != nil {
			return nil, err
		}
		page, next := items(out)
		all = append(all, page...)
		if next == nil || *next == "" {
			return all, nil
		}
		in["nextToken"] = *next
	}
}

func (c *Console) allQueues(ctx context.Context, s *session) ([]batch.JobQueue, error) {
	return collect(ctx, c, s, "DescribeJobQueues", map[string]any{}, func(o *batch.DescribeJobQueuesOutput) ([]batch.JobQueue, *string) {
		return o.JobQueues, o.NextToken
	})
}

func (c *Console) allCEs(ctx context.Context, s *session) ([]batch.ComputeEnvironment, error) {
	return collect(ctx, c, s, "DescribeComputeEnvironments", map[string]any{}, func(o *batch.DescribeComputeEnvironmentsOutput) ([]batch.ComputeEnvironment, *string) {
		return o.ComputeEnvironments, o.NextToken
	})
}

// queueCard counts a queue's jobs by status through ListJobs.
func (c *Console) queueCard(ctx context.Context, s *session, q batch.JobQueue) (queueCard, error) {
	card := queueCard{Queue: q}
	for _, o := range q.ComputeEnvironmentOrder {
		card.CEs = append(card.CEs, lastSegment(o.ComputeEnvironment))
	}
	for _, st := range batch.AllStatuses {
		n, more, err := c.countJobs(ctx, s, q.JobQueueName, st.String())
		if err != nil {
			return queueCard{}, err
		}
		card.Counts = append(card.Counts, statusCount{Status: st.String(), N: n, More: more})
	}
	return card, nil
}

// countJobs counts up to countCap jobs of a queue in a status.
func (c *Console) countJobs(ctx context.Context, s *session, queue, status string) (int, bool, error) {
	n, size := 0, 100
	in := batch.ListJobsInput{JobQueue: queue, JobStatus: status, MaxResults: &size}
	for {
		out, err := call[batch.ListJobsOutput](ctx, c, s, "ListJobs", in)
		if err != nil {
			return 0, false, err
		}
		n += len(out.JobSummaryList)
		if out.NextToken == nil || *out.NextToken == "" {
			return n, false, nil
		}
		if n >= countCap {
			return n, true, nil
		}
		in.NextToken = *out.NextToken
	}
}

func (c *Console) ceCard(ctx context.Context, ce batch.ComputeEnvironment, qs []batch.JobQueue) (ceCard, error) {
	card := ceCard{CE: ce}
	if cr := ce.ComputeResources; cr != nil {
		card.Min, card.Desired, card.Max = deref(cr.MinvCpus), deref(cr.DesiredvCpus), deref(cr.MaxvCpus)
	}
	insts, err := c.o.State.Instances(ctx, ce.ComputeEnvironmentName)
	if err != nil {
		return ceCard{}, fmt.Errorf("listing instances of %s: %w", ce.ComputeEnvironmentName, err)
	}
	slices.SortFunc(insts, func(a, b control.InstanceRecord) int { return strings.Compare(a.ID, b.ID) })
	card.Instances = insts
	for _, in := range insts {
		card.VCPUs += in.VCPUs
		card.UsedVCPUs += in.UsedVCPUs
	}
	for _, q := range qs {
		for _, o := range q.ComputeEnvironmentOrder {
			if o.ComputeEnvironment == ce.ComputeEnvironmentArn || o.ComputeEnvironment == ce.ComputeEnvironmentName {
				card.Queues = append(card.Queues, q.JobQueueName)
			}
		}
	}
	// The chart of demand against provisioned and used vCPUs over the last
	// hours (package capacity, drawn by kit.CapacityChart) comes in through
	// Options.Chart and shows in the "capacity" block of the ce template.
	if c.o.Chart != nil {
		chart, err := c.o.Chart(ctx, ce.ComputeEnvironmentName)
		if err != nil {
			card.ChartErr = err.Error()
		}
		card.Chart = chart
	}
	return card, nil
}

// jobsBody is the jobs list.
type jobsBody struct {
	Queues              []string
	Queue, Status       string
	Name, After, Before string
	Statuses            []string
	Jobs                []batch.JobSummary
	Next, Token         string
	Filtered            bool
}

// dateLayout is how the jobs list's date filters are written.
const dateLayout = "2006-01-02T15:04"

func (c *Console) jobs(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	b := jobsBody{
		Queue: q.Get("queue"), Status: q.Get("status"), Name: q.Get("name"),
		After: q.Get("after"), Before: q.Get("before"), Token: q.Get("next"),
	}
	for _, st := range batch.AllStatuses {
		b.Statuses = append(b.Statuses, st.String())
	}
	for _, jq := range qs {
		b.Queues = append(b.Queues, jq.JobQueueName)
	}
	if b.Queue == "" && len(b.Queues) > 0 {
		b.Queue = b.Queues[0]
	}
	if b.Status == "" {
		b.Status = batch.Running.String()
	}
	if b.Queue == "" {
		c.render(w, s, http.StatusOK, "jobs", "Jobs", b) // no queue, no jobs
		return nil
	}
	size := pageSize
	in := map[string]any{"jobQueue": b.Queue, "jobStatus": b.Status, "maxResults": size}
	if b.Token != "" {
		in["nextToken"] = b.Token
	}
	var filters []batch.KeyValuesPair
	if b.Name != "" {
		filters = append(filters, batch.KeyValuesPair{Name: batch.FilterJobName, Values: []string{b.Name}})
	}
	for _, f := range []struct{ name, value string }{{batch.FilterAfterCreatedAt, b.After}, {batch.FilterBeforeCreatedAt, b.Before}} {
		if f.value == "" {
			continue
		}
		// A date the browser's picker wrote becomes epoch milliseconds;
		// anything else goes to the API as written, which says what is
		// wrong with it.
		v := f.value
		if t, err := time.ParseInLocation(dateLayout, v, time.UTC); err == nil {
			v = fmt.Sprint(t.UnixMilli())
		}
		filters = append(filters, batch.KeyValuesPair{Name: f.name, Values: []string{v}})
	}
	if len(filters) > 0 {
		in["filters"] = filters
		b.Filtered = true
	}
	out, err := call[batch.ListJobsOutput](ctx, c, s, "ListJobs", in)
	if err != nil {
		return err
	}
	b.Jobs = out.JobSummaryList
	if out.NextToken != nil {
		b.Next = *out.NextToken
	}
	c.render(w, s, http.StatusOK, "jobs", "Jobs", b)
	return nil
}

// jobBody is a job's page.
type jobBody struct {
	Job                                batch.Job
	Why                                explain.Explanation
	Dependents                         []string
	Children                           []batch.JobSummary
	ChildStatus, ChildNext, ChildToken string
	Statuses                           []string
	HasLog                             bool
	// LogAttempt is the attempt whose log the page shows; 0: the latest.
	LogAttempt int
}

// describeJob reads one job through DescribeJobs.
func (c *Console) describeJob(ctx context.Context, s *session, id string) (batch.Job, error) {
	out, err := call[batch.DescribeJobsOutput](ctx, c, s, "DescribeJobs", batch.DescribeJobsInput{Jobs: []string{id}})
	if err != nil {
		return batch.Job{}, err
	}
	if len(out.Jobs) == 0 {
		return batch.Job{}, &callError{op: "DescribeJobs", requestID: c.o.RequestID(), err: batch.Clientf("job %s not found", id)}
	}
	return out.Jobs[0], nil
}

func (c *Console) job(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	j, err := c.describeJob(ctx, s, r.PathValue("id"))
	if err != nil {
		return err
	}
	b := jobBody{Job: j, HasLog: c.o.Logs != nil}
	if n, err := strconv.Atoi(r.URL.Query().Get("attempt")); err == nil && n > 0 && n <= len(j.Attempts) {
		b.LogAttempt = n
	}
	if b.Why, err = explain.Why(ctx, c.o.State, j.JobID, c.o.Clock.Now()); err != nil {
		return fmt.Errorf("explaining job %s: %w", j.JobID, err)
	}
	if b.Dependents, err = c.o.State.Dependents(ctx, j.JobID); err != nil {
		return err
	}
	slices.Sort(b.Dependents)
	for _, st := range batch.AllStatuses {
		b.Statuses = append(b.Statuses, st.String())
	}
	if ap := j.ArrayProperties; ap != nil && ap.Size != nil && ap.Index == nil {
		q := r.URL.Query()
		b.ChildStatus, b.ChildToken = q.Get("childStatus"), q.Get("next")
		size := pageSize
		in := batch.ListJobsInput{ArrayJobID: j.JobID, JobStatus: b.ChildStatus, MaxResults: &size, NextToken: b.ChildToken}
		if in.JobStatus == "" {
			in.JobStatus = batch.Runnable.String()
			b.ChildStatus = in.JobStatus
		}
		out, err := call[batch.ListJobsOutput](ctx, c, s, "ListJobs", in)
		if err != nil {
			return err
		}
		b.Children = out.JobSummaryList
		if out.NextToken != nil {
			b.ChildNext = *out.NextToken
		}
	}
	c.render(w, s, http.StatusOK, "job", "Job "+j.JobName, b)
	return nil
}

// jobLive is what the job page's script polls.
type jobLive struct {
	Status       string           `json:"status"`
	StatusReason string           `json:"statusReason"`
	Why          string           `json:"why"`
	Reasons      []explain.Reason `json:"reasons"`
	Attempts     int              `json:"attempts"`
	Terminal     bool             `json:"terminal"`
	StartedAt    string           `json:"startedAt"`
	StoppedAt    string           `json:"stoppedAt"`
}

func (c *Console) jobLive(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	j, err := c.describeJob(ctx, s, r.PathValue("id"))
	if err != nil {
		return err
	}
	why, err := explain.Why(ctx, c.o.State, j.JobID, c.o.Clock.Now())
	if err != nil {
		return fmt.Errorf("explaining job %s: %w", j.JobID, err)
	}
	live := jobLive{
		Status: j.Status.String(), StatusReason: j.StatusReason, Why: why.Summary, Attempts: len(j.Attempts),
		Terminal: j.Status.Terminal(), StartedAt: formatMillis(j.StartedAt), StoppedAt: formatMillis(j.StoppedAt),
		Reasons: why.Reasons,
	}
	if live.Reasons == nil {
		live.Reasons = []explain.Reason{}
	}
	writeJSON(w, http.StatusOK, live)
	return nil
}

// jobAttempts renders a job's attempts table alone, for the script to
// swap in when the job's attempts change.
func (c *Console) jobAttempts(w http.ResponseWriter, r *http.Request, s *session) error {
	j, err := c.describeJob(r.Context(), s, r.PathValue("id"))
	if err != nil {
		return err
	}
	t := c.pages["job"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return t.ExecuteTemplate(w, "attempts", j)
}

// logPage is a page of a job's log, for the script.
type logPage struct {
	Lines     []string `json:"lines"`
	Times     []string `json:"times"`
	NextToken string   `json:"nextToken"`
	Stream    string   `json:"stream"`
}

func (c *Console) jobLog(w http.ResponseWriter, r *http.Request, s *session) error {
	if c.o.Logs == nil {
		writeJSON(w, http.StatusOK, logPage{Lines: []string{}, Times: []string{}})
		return nil
	}
	ctx := r.Context()
	// The job is read through the API first: the same rules decide who
	// may see it.
	j, err := c.describeJob(ctx, s, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	attempt := 0
	if a := q.Get("attempt"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			return &callError{op: "GetJobLog", requestID: c.o.RequestID(), err: batch.Clientf("attempt must be a whole number, got %q", a)}
		}
		attempt = n
	}
	pg, err := c.o.Logs.ReadJobLog(ctx, j.JobID, attempt, q.Get("token"), 500)
	if err != nil {
		return &callError{op: "GetJobLog", requestID: c.o.RequestID(), err: err}
	}
	out := logPage{NextToken: pg.NextToken, Stream: pg.LogStreamName, Lines: []string{}, Times: []string{}}
	for _, e := range pg.Events {
		out.Lines = append(out.Lines, e.Message)
		out.Times = append(out.Times, formatMillis(e.Timestamp))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ceBody is a compute environment's page.
type ceBody struct {
	Card ceCard
}

func (c *Console) computeEnvironments(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	ces, err := c.allCEs(ctx, s)
	if err != nil {
		return err
	}
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	var cards []ceCard
	for _, ce := range ces {
		card, err := c.ceCard(ctx, ce, qs)
		if err != nil {
			return err
		}
		card.Chart = "" // the list stays compact; the chart is on each page
		cards = append(cards, card)
	}
	c.render(w, s, http.StatusOK, "ces", "Compute environments", cards)
	return nil
}

func (c *Console) computeEnvironment(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	name := r.PathValue("name")
	out, err := call[batch.DescribeComputeEnvironmentsOutput](ctx, c, s, "DescribeComputeEnvironments",
		batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{name}})
	if err != nil {
		return err
	}
	if len(out.ComputeEnvironments) == 0 {
		return &callError{op: "DescribeComputeEnvironments", requestID: c.o.RequestID(), err: batch.Clientf("compute environment %s not found", name)}
	}
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	card, err := c.ceCard(ctx, out.ComputeEnvironments[0], qs)
	if err != nil {
		return err
	}
	c.render(w, s, http.StatusOK, "ce", "Compute environment "+name, ceBody{Card: card})
	return nil
}

func (c *Console) jobQueues(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	var cards []queueCard
	for _, q := range qs {
		card, err := c.queueCard(ctx, s, q)
		if err != nil {
			return err
		}
		cards = append(cards, card)
	}
	c.render(w, s, http.StatusOK, "queues", "Job queues", cards)
	return nil
}

func (c *Console) jobQueue(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	name := r.PathValue("name")
	out, err := call[batch.DescribeJobQueuesOutput](ctx, c, s, "DescribeJobQueues", batch.DescribeJobQueuesInput{JobQueues: []string{name}})
	if err != nil {
		return err
	}
	if len(out.JobQueues) == 0 {
		return &callError{op: "DescribeJobQueues", requestID: c.o.RequestID(), err: batch.Clientf("job queue %s not found", name)}
	}
	card, err := c.queueCard(ctx, s, out.JobQueues[0])
	if err != nil {
		return err
	}
	c.render(w, s, http.StatusOK, "queue", "Job queue "+name, card)
	return nil
}

// definitionRow is a job definition's latest revision in the list.
type definitionRow struct {
	Latest    batch.JobDefinition
	Revisions int
}

func (c *Console) allDefinitions(ctx context.Context, s *session, in map[string]any) ([]batch.JobDefinition, error) {
	return collect(ctx, c, s, "DescribeJobDefinitions", in, func(o *batch.DescribeJobDefinitionsOutput) ([]batch.JobDefinition, *string) {
		return o.JobDefinitions, o.NextToken
	})
}

func (c *Console) jobDefinitions(w http.ResponseWriter, r *http.Request, s *session) error {
	defs, err := c.allDefinitions(r.Context(), s, map[string]any{"status": batch.DefinitionActive})
	if err != nil {
		return err
	}
	byName := map[string]*definitionRow{}
	var rows []*definitionRow
	for _, d := range defs {
		row, ok := byName[d.JobDefinitionName]
		if !ok {
			row = &definitionRow{Latest: d}
			byName[d.JobDefinitionName] = row
			rows = append(rows, row)
		}
		row.Revisions++
		if d.Revision > row.Latest.Revision {
			row.Latest = d
		}
	}
	slices.SortFunc(rows, func(a, b *definitionRow) int {
		return strings.Compare(a.Latest.JobDefinitionName, b.Latest.JobDefinitionName)
	})
	c.render(w, s, http.StatusOK, "definitions", "Job definitions", rows)
	return nil
}

// definitionBody is a job definition's page: its revisions, newest first,
// and the queues a job may be submitted to.
type definitionBody struct {
	Name      string
	Revisions []batch.JobDefinition
	Queues    []string
}

func (c *Console) jobDefinition(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	name := r.PathValue("name")
	defs, err := c.allDefinitions(ctx, s, map[string]any{"jobDefinitionName": name})
	if err != nil {
		return err
	}
	if len(defs) == 0 {
		return &callError{op: "DescribeJobDefinitions", requestID: c.o.RequestID(), err: batch.Clientf("job definition %s not found", name)}
	}
	slices.SortFunc(defs, func(a, b batch.JobDefinition) int { return b.Revision - a.Revision })
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	b := definitionBody{Name: name, Revisions: defs}
	for _, q := range qs {
		b.Queues = append(b.Queues, q.JobQueueName)
	}
	c.render(w, s, http.StatusOK, "definition", "Job definition "+name, b)
	return nil
}

func (c *Console) schedulingPolicies(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	listed, err := collect(ctx, c, s, "ListSchedulingPolicies", map[string]any{}, func(o *batch.ListSchedulingPoliciesOutput) ([]batch.SchedulingPolicyListingDetail, *string) {
		return o.SchedulingPolicies, o.NextToken
	})
	if err != nil {
		return err
	}
	arns := make([]string, 0, len(listed))
	for _, p := range listed {
		arns = append(arns, p.Arn)
	}
	var policies []batch.SchedulingPolicy
	for chunk := range slices.Chunk(arns, 100) {
		out, err := call[batch.DescribeSchedulingPoliciesOutput](ctx, c, s, "DescribeSchedulingPolicies", batch.DescribeSchedulingPoliciesInput{Arns: chunk})
		if err != nil {
			return err
		}
		policies = append(policies, out.SchedulingPolicies...)
	}
	c.render(w, s, http.StatusOK, "policies", "Scheduling policies", policies)
	return nil
}

// policyBody is a scheduling policy's page.
type policyBody struct {
	Policy batch.SchedulingPolicy
	Queues []string
}

func (c *Console) schedulingPolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	arn := r.URL.Query().Get("arn")
	out, err := call[batch.DescribeSchedulingPoliciesOutput](ctx, c, s, "DescribeSchedulingPolicies", batch.DescribeSchedulingPoliciesInput{Arns: []string{arn}})
	if err != nil {
		return err
	}
	if len(out.SchedulingPolicies) == 0 {
		return &callError{op: "DescribeSchedulingPolicies", requestID: c.o.RequestID(), err: batch.Clientf("scheduling policy %s not found", arn)}
	}
	qs, err := c.allQueues(ctx, s)
	if err != nil {
		return err
	}
	b := policyBody{Policy: out.SchedulingPolicies[0]}
	for _, q := range qs {
		if q.SchedulingPolicyArn == arn {
			b.Queues = append(b.Queues, q.JobQueueName)
		}
	}
	c.render(w, s, http.StatusOK, "policy", "Scheduling policy "+b.Policy.Name, b)
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// lastSegment is the name at the end of an ARN (or the name itself).
func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// formatMillis writes epoch milliseconds as a UTC time; 0 is "".
func formatMillis(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05Z")
}
