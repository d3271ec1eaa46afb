package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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

// waitJob follows a job to its end, showing array progress, and returns
// an exitError carrying its exit code when it did not succeed.
func waitJob(ctx context.Context, c *client, id string, out io.Writer) error {
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
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
		line := string(j.Status)
		if ap := j.ArrayProperties; ap != nil && ap.StatusSummary != nil {
			line += " " + progress(ap.StatusSummary, ap.Size)
		}
		if j.StatusReason != nil && j.Status != types.JobStatusSucceeded && j.Status != types.JobStatusFailed {
			line += " (" + aws.ToString(j.StatusReason) + ")"
		}
		if line != last {
			fmt.Fprintln(out, line)
			last = line
		}
		if j.Status == types.JobStatusSucceeded || j.Status == types.JobStatusFailed {
			code := 0
			if j.Container != nil && j.Container.ExitCode != nil {
				code = int(*j.Container.ExitCode)
			}
			fmt.Fprintf(out, "%s: %s", id, j.Status)
			if j.ArrayProperties == nil || j.ArrayProperties.Size == nil {
				fmt.Fprintf(out, ", exit code %s", exitCodeText(j))
			}
			if j.StatusReason != nil {
				fmt.Fprintf(out, " (%s)", aws.ToString(j.StatusReason))
			}
			fmt.Fprintln(out)
			if j.Status == types.JobStatusFailed {
				return exitError{code: max(code, 1)}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func exitCodeText(j types.JobDetail) string {
	if j.Container != nil && j.Container.ExitCode != nil {
		return strconv.Itoa(int(*j.Container.ExitCode))
	}
	return "none"
}

func progress(sum map[string]int32, size *int32) string {
	order := []string{"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"}
	var parts []string
	for _, s := range order {
		if n := sum[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", strings.ToLower(s), n))
		}
	}
	if size != nil {
		parts = append(parts, fmt.Sprintf("of %d", *size))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
