package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// runTop is `tanda top`: queues with their jobs by status and compute
// environments with their vCPUs and last scaling decision, refreshed every
// second in the terminal (Bubble Tea), until q or Ctrl-C.
func runTop(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("top", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	every := fs.Duration("every", time.Second, "refresh interval")
	once := fs.Bool("once", false, "print one frame and exit (no terminal needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	fetch := func() tea.Msg {
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return fetchTop(fctx, c, time.Now())
	}
	m := topModel{fetch: fetch, every: *every, endpoint: cf.endpoint, width: 120}
	if *once {
		m.snap = fetchTop(ctx, c, time.Now())
		fmt.Fprintln(out, m.View())
		return m.snap.err
	}
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(), tea.WithOutput(out))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("running the terminal view: %w", err)
	}
	return nil
}

// topSnapshot is what one refresh read.
type topSnapshot struct {
	at     time.Time
	queues []queueRow
	ces    []ceRow
	err    error
}

type queueRow struct {
	name, state string
	priority    int32
	ces         []string
	counts      map[types.JobStatus]int
	capped      map[types.JobStatus]bool // more than counted
}

type ceRow struct {
	name, state, kind string
	min, desired, max int32
	reason            string
}

// topStatuses are the columns of the queue table.
var topStatuses = []types.JobStatus{
	types.JobStatusSubmitted, types.JobStatusPending, types.JobStatusRunnable, types.JobStatusStarting,
	types.JobStatusRunning, types.JobStatusSucceeded, types.JobStatusFailed,
}

// countCap bounds how many jobs of a queue and status a refresh counts:
// unfinished ones are paged through up to 1,000; finished ones up to 100.
func countCap(s types.JobStatus) int {
	if s == types.JobStatusSucceeded || s == types.JobStatusFailed {
		return 100
	}
	return 1000
}

// fetchTop reads the queues, their jobs by status and the compute
// environments through the AWS Batch API.
func fetchTop(ctx context.Context, c *client, now time.Time) topSnapshot {
	snap := topSnapshot{at: now}
	qs, err := c.DescribeJobQueues(ctx, &awsbatch.DescribeJobQueuesInput{})
	if err != nil {
		snap.err = fmt.Errorf("describing job queues: %w", err)
		return snap
	}
	for _, q := range qs.JobQueues {
		row := queueRow{
			name: aws.ToString(q.JobQueueName), state: string(q.State), priority: aws.ToInt32(q.Priority),
			counts: map[types.JobStatus]int{}, capped: map[types.JobStatus]bool{},
		}
		for _, o := range q.ComputeEnvironmentOrder {
			row.ces = append(row.ces, lastSegment(aws.ToString(o.ComputeEnvironment)))
		}
		for _, s := range topStatuses {
			n, more, err := countJobs(ctx, c, row.name, s, countCap(s))
			if err != nil {
				snap.err = fmt.Errorf("listing %s jobs of %s: %w", s, row.name, err)
				return snap
			}
			row.counts[s], row.capped[s] = n, more
		}
		snap.queues = append(snap.queues, row)
	}
	ces, err := c.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{})
	if err != nil {
		snap.err = fmt.Errorf("describing compute environments: %w", err)
		return snap
	}
	for _, ce := range ces.ComputeEnvironments {
		row := ceRow{name: aws.ToString(ce.ComputeEnvironmentName), state: string(ce.State), kind: string(ce.Type), reason: aws.ToString(ce.StatusReason)}
		if cr := ce.ComputeResources; cr != nil {
			row.kind = string(cr.Type)
			row.min, row.desired, row.max = aws.ToInt32(cr.MinvCpus), aws.ToInt32(cr.DesiredvCpus), aws.ToInt32(cr.MaxvCpus)
		}
		snap.ces = append(snap.ces, row)
	}
	return snap
}

// countJobs counts a queue's jobs of one status, up to limit; more is set
// when there are others.
func countJobs(ctx context.Context, c *client, queue string, s types.JobStatus, limit int) (n int, more bool, err error) {
	in := &awsbatch.ListJobsInput{JobQueue: aws.String(queue), JobStatus: s, MaxResults: aws.Int32(int32(min(limit, 100)))}
	for {
		res, err := c.ListJobs(ctx, in)
		if err != nil {
			return 0, false, err
		}
		n += len(res.JobSummaryList)
		if res.NextToken == nil {
			return n, false, nil
		}
		if n >= limit {
			return n, true, nil
		}
		in.NextToken = res.NextToken
	}
}

func lastSegment(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// topModel is the terminal view's state (Bubble Tea's Elm architecture):
// Update takes snapshots, ticks, keys and resizes; View draws a frame.
type topModel struct {
	fetch    func() tea.Msg // reads a topSnapshot
	every    time.Duration
	endpoint string
	snap     topSnapshot
	width    int
}

type tickMsg time.Time

func (m topModel) Init() tea.Cmd { return m.fetch }

func (m topModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		}
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case topSnapshot:
		m.snap = msg
		return m, tea.Tick(m.every, func(t time.Time) tea.Msg { return tickMsg(t) })
	case tickMsg:
		return m, m.fetch
	}
	return m, nil
}

var (
	topTitle  = lipgloss.NewStyle().Bold(true)
	topHeader = lipgloss.NewStyle().Bold(true).Underline(true)
	topError  = lipgloss.NewStyle().Foreground(lipgloss.Color("9"))
	topDim    = lipgloss.NewStyle().Faint(true)
)

// View draws the frame: a title, the queue table, the compute environment
// table.
func (m topModel) View() string {
	var b strings.Builder
	at := "never"
	if !m.snap.at.IsZero() {
		at = m.snap.at.Format("15:04:05")
	}
	b.WriteString(topTitle.Render(fmt.Sprintf("tanda top — %s — %s", m.endpoint, at)) + "\n\n")
	if m.snap.err != nil {
		b.WriteString(topError.Render("error: "+m.snap.err.Error()) + "\n\n")
	}
	b.WriteString(topHeader.Render("JOB QUEUES") + "\n")
	head := fmt.Sprintf("%-20s %-9s %4s", "QUEUE", "STATE", "PRIO")
	for _, s := range topStatuses {
		head += fmt.Sprintf(" %10s", s)
	}
	b.WriteString(head + "  COMPUTE ENVIRONMENTS\n")
	for _, q := range m.snap.queues {
		line := fmt.Sprintf("%-20s %-9s %4d", clip(q.name, 20), q.state, q.priority)
		for _, s := range topStatuses {
			n := fmt.Sprint(q.counts[s])
			if q.capped[s] {
				n += "+"
			}
			line += fmt.Sprintf(" %10s", n)
		}
		b.WriteString(line + "  " + strings.Join(q.ces, ",") + "\n")
	}
	b.WriteString("\n" + topHeader.Render("COMPUTE ENVIRONMENTS") + "\n")
	b.WriteString(fmt.Sprintf("%-20s %-9s %-6s %5s %8s %5s  %s\n", "NAME", "STATE", "TYPE", "MIN", "DESIRED", "MAX", "LAST DECISION"))
	for _, ce := range m.snap.ces {
		prefix := fmt.Sprintf("%-20s %-9s %-6s %5d %8d %5d  ", clip(ce.name, 20), ce.state, ce.kind, ce.min, ce.desired, ce.max)
		b.WriteString(prefix + clip(decisionText(ce.reason), max(20, m.width-len(prefix))) + "\n")
	}
	b.WriteString("\n" + topDim.Render("q: quit") + "\n")
	return b.String()
}

// decisionText is the decision part of a compute environment's
// statusReason, if it has one.
func decisionText(reason string) string {
	if _, d, ok := strings.Cut(reason, "Last scaling decision "); ok {
		return d
	}
	return reason
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}
