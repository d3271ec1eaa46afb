package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runSubmit(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	queue := fs.String("queue", "default", "job queue")
	definition := fs.String("definition", "example", "job definition (name, name:revision or ARN)")
	name := fs.String("name", "", "job name (default: the command's base name)")
	arraySize := fs.Int("array-size", 0, "submit an array job of this many children (2-10000)")
	attempts := fs.Int("attempts", 0, "retry strategy attempts (1-10)")
	timeout := fs.Int("timeout", 0, "attempt timeout in seconds (at least 60)")
	vcpus := fs.String("vcpus", "", "vCPUs (overrides the job definition)")
	memory := fs.String("memory", "", "memory in MiB (overrides the job definition)")
	wait := fs.Bool("wait", false, "follow the job to its end; exit with its exit code")
	var deps, env multiFlag
	fs.Var(&deps, "depends-on", "JOB_ID[:N_TO_N] a job this one waits for; 'SEQUENTIAL' chains array children (repeatable)")
	fs.Var(&env, "env", "NAME=VALUE environment variable (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	command := fs.Args()
	in := &awsbatch.SubmitJobInput{JobQueue: aws.String(*queue), JobDefinition: aws.String(*definition)}
	ov := &types.ContainerOverrides{}
	if len(command) > 0 {
		ov.Command = command
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--env %q: want NAME=VALUE", kv)
		}
		ov.Environment = append(ov.Environment, types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
	}
	if *vcpus != "" {
		ov.ResourceRequirements = append(ov.ResourceRequirements, types.ResourceRequirement{Type: types.ResourceTypeVcpu, Value: vcpus})
	}
	if *memory != "" {
		ov.ResourceRequirements = append(ov.ResourceRequirements, types.ResourceRequirement{Type: types.ResourceTypeMemory, Value: memory})
	}
	in.ContainerOverrides = ov
	in.JobName = aws.String(jobName(*name, command))
	if *arraySize > 0 {
		in.ArrayProperties = &types.ArrayProperties{Size: aws.Int32(int32(*arraySize))}
	}
	for _, d := range deps {
		if d == "SEQUENTIAL" {
			in.DependsOn = append(in.DependsOn, types.JobDependency{Type: types.ArrayJobDependencySequential})
			continue
		}
		id, nToN := strings.CutSuffix(d, ":N_TO_N")
		dep := types.JobDependency{JobId: aws.String(id)}
		if nToN {
			dep.Type = types.ArrayJobDependencyNToN
		}
		in.DependsOn = append(in.DependsOn, dep)
	}
	if *attempts > 0 {
		in.RetryStrategy = &types.RetryStrategy{Attempts: aws.Int32(int32(*attempts))}
	}
	if *timeout > 0 {
		in.Timeout = &types.JobTimeout{AttemptDurationSeconds: aws.Int32(int32(*timeout))}
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	res, err := c.SubmitJob(ctx, in)
	if err != nil {
		return fmt.Errorf("submitting job: %w", err)
	}
	fmt.Fprintln(out, aws.ToString(res.JobId))
	if !*wait {
		return nil
	}
	return waitJob(ctx, c, aws.ToString(res.JobId), out)
}

func jobName(name string, command []string) string {
	if name != "" {
		return name
	}
	if len(command) == 0 {
		return "job"
	}
	base := command[0][strings.LastIndexByte(command[0], '/')+1:]
	var b strings.Builder
	for _, r := range base {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "job"
	}
	return b.String()
}

// statusOut receives what `submit --wait` says about the job (its status
// changes, an array's progress line), apart from the job's own output.
var statusOut io.Writer = os.Stderr

// waitJob follows a job to its end like `docker run`: the job's output is
// streamed to out as it is written, its status changes and an array's
// progress line to statusOut; then the outcome goes to out, with an
// array's failed children, and an exitError carries the job's exit code
// when it did not succeed.
func waitJob(ctx context.Context, c *client, id string, out io.Writer) error {
	tail := &logTail{c: c, id: id}
	bar := newProgress(statusOut)
	last := ""
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{id}})
		if err != nil {
			return fmt.Errorf("describing job: %w", err)
		}
		if len(res.Jobs) == 0 {
			return errors.New("job " + id + " not found")
		}
		j := res.Jobs[0]
		done := j.Status == types.JobStatusSucceeded || j.Status == types.JobStatusFailed
		array := j.ArrayProperties != nil && j.ArrayProperties.Size != nil
		if array {
			bar.show(arrayProgress(j.ArrayProperties.StatusSummary, aws.ToInt32(j.ArrayProperties.Size)))
		} else if line := statusLine(j); line != last && !done {
			fmt.Fprintln(statusOut, line)
			last = line
		}
		if !array && (j.Status == types.JobStatusRunning || done && len(j.Attempts) > 0) {
			// The agent writes a job's last lines before it reports its
			// end, so a read after a terminal status has them all.
			if err := tail.next(ctx, out); err != nil && done {
				fmt.Fprintln(statusOut, "tanda: "+err.Error())
			}
		}
		if done {
			bar.end()
			return outcome(ctx, c, j, out)
		}
		select {
		case <-ctx.Done():
			bar.end()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// statusLine is a job's status with its reason, as `submit --wait` shows
// its changes.
func statusLine(j types.JobDetail) string {
	line := "status: " + string(j.Status)
	if j.StatusReason != nil {
		line += " (" + aws.ToString(j.StatusReason) + ")"
	}
	return line
}

// outcome prints how a job ended (an array's failed children too) and
// returns the exitError of a failure.
func outcome(ctx context.Context, c *client, j types.JobDetail, out io.Writer) error {
	id := aws.ToString(j.JobId)
	array := j.ArrayProperties != nil && j.ArrayProperties.Size != nil
	fmt.Fprintf(out, "%s: %s", id, j.Status)
	if !array {
		fmt.Fprintf(out, ", exit code %s", exitCodeText(j))
	} else {
		fmt.Fprintf(out, ", %s", arrayProgress(j.ArrayProperties.StatusSummary, aws.ToInt32(j.ArrayProperties.Size)).counts())
	}
	if j.StatusReason != nil {
		fmt.Fprintf(out, " (%s)", aws.ToString(j.StatusReason))
	}
	fmt.Fprintln(out)
	if array && j.ArrayProperties.StatusSummary["FAILED"] > 0 {
		failed, more, err := failedChildren(ctx, c, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "failed children: %s", strings.Join(failed, " "))
		if more {
			fmt.Fprint(out, " ...")
		}
		fmt.Fprintln(out)
	}
	if j.Status != types.JobStatusFailed {
		return nil
	}
	code := 1
	if j.Container != nil && j.Container.ExitCode != nil && *j.Container.ExitCode != 0 {
		code = int(*j.Container.ExitCode)
	}
	return exitError{code: code}
}

// maxFailedShown bounds the failed children `submit --wait` names.
const maxFailedShown = 50

// failedChildren lists the ids of an array's failed children, at most
// maxFailedShown; more is set when there are others.
func failedChildren(ctx context.Context, c *client, parent string) (ids []string, more bool, err error) {
	in := &awsbatch.ListJobsInput{ArrayJobId: aws.String(parent), JobStatus: types.JobStatusFailed, MaxResults: aws.Int32(maxFailedShown)}
	res, err := c.ListJobs(ctx, in)
	if err != nil {
		return nil, false, fmt.Errorf("listing failed children: %w", err)
	}
	for _, s := range res.JobSummaryList {
		ids = append(ids, aws.ToString(s.JobId))
	}
	return ids, res.NextToken != nil, nil
}

// progress is an array's children by state.
type progress struct {
	succeeded, failed, running, waiting, size int
}

func arrayProgress(sum map[string]int32, size int32) progress {
	return progress{
		succeeded: int(sum["SUCCEEDED"]),
		failed:    int(sum["FAILED"]),
		running:   int(sum["STARTING"] + sum["RUNNING"]),
		waiting:   int(sum["SUBMITTED"] + sum["PENDING"] + sum["RUNNABLE"]),
		size:      int(size),
	}
}

// counts says how many children are done, running and failed of all.
func (p progress) counts() string {
	return fmt.Sprintf("%d done, %d running, %d failed of %d", p.succeeded, p.running, p.failed, p.size)
}

// barWidth is the progress bar's width in cells.
const barWidth = 30

// line is the progress line: a bar of the finished children (failed ones
// as x) and the counts.
func (p progress) line() string {
	if p.size <= 0 {
		return p.counts()
	}
	ok := p.succeeded * barWidth / p.size
	bad := (p.succeeded+p.failed)*barWidth/p.size - ok
	bar := strings.Repeat("#", ok) + strings.Repeat("x", bad) + strings.Repeat(".", barWidth-ok-bad)
	return fmt.Sprintf("[%s] %s", bar, p.counts())
}

// progressLine keeps an array's progress line: redrawn in place on a
// terminal, printed again on each change elsewhere.
type progressLine struct {
	w        io.Writer
	terminal bool
	last     string
	drawn    bool
}

func newProgress(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	terminal := false
	if ok {
		if st, err := f.Stat(); err == nil {
			terminal = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progressLine{w: w, terminal: terminal}
}

func (p *progressLine) show(pr progress) {
	line := pr.line()
	if line == p.last {
		return
	}
	p.last = line
	if p.terminal {
		fmt.Fprint(p.w, "\r\x1b[K"+line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// end finishes the line on a terminal.
func (p *progressLine) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func exitCodeText(j types.JobDetail) string {
	if j.Container != nil && j.Container.ExitCode != nil {
		return strconv.Itoa(int(*j.Container.ExitCode))
	}
	return "none"
}
