package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func runJobs(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	queue := fs.String("queue", "default", "job queue")
	status := fs.String("status", "", "only this status (default: every status)")
	array := fs.String("array", "", "list this array job's children instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	statuses := []types.JobStatus{types.JobStatus(strings.ToUpper(*status))}
	if *status == "" {
		statuses = types.JobStatus("").Values()
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB ID\tNAME\tSTATUS\tCREATED\tEXIT\tREASON")
	for _, st := range statuses {
		in := &awsbatch.ListJobsInput{JobStatus: st}
		if *array != "" {
			in.ArrayJobId = array
		} else {
			in.JobQueue = queue
		}
		p := awsbatch.NewListJobsPaginator(c, in)
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("listing jobs: %w", err)
			}
			for _, j := range pg.JobSummaryList {
				exit := ""
				if j.Container != nil && j.Container.ExitCode != nil {
					exit = fmt.Sprint(*j.Container.ExitCode)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(j.JobId), aws.ToString(j.JobName), j.Status,
					msTime(j.CreatedAt), exit, aws.ToString(j.StatusReason))
			}
		}
	}
	return tw.Flush()
}

func msTime(ms *int64) string {
	if ms == nil || *ms == 0 {
		return "-"
	}
	return time.UnixMilli(*ms).Format(time.DateTime)
}

func runDescribe(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("describe: name at least one job id")
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	res, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: fs.Args()})
	if err != nil {
		return fmt.Errorf("describing jobs: %w", err)
	}
	return printJSON(out, res.Jobs)
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runCancel(ctx context.Context, args []string, out io.Writer) error {
	return stopCommand(ctx, "cancel", args, out, func(c *client, id, reason string) error {
		_, err := c.CancelJob(ctx, &awsbatch.CancelJobInput{JobId: &id, Reason: &reason})
		return err
	})
}

func runTerminate(ctx context.Context, args []string, out io.Writer) error {
	return stopCommand(ctx, "terminate", args, out, func(c *client, id, reason string) error {
		_, err := c.TerminateJob(ctx, &awsbatch.TerminateJobInput{JobId: &id, Reason: &reason})
		return err
	})
}

func stopCommand(ctx context.Context, name string, args []string, out io.Writer, do func(c *client, id, reason string) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	reason := fs.String("reason", name+" requested with the tanda CLI", "reason recorded as the job's statusReason")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s: name at least one job id", name)
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	for _, id := range fs.Args() {
		if err := do(c, id, *reason); err != nil {
			return fmt.Errorf("%s %s: %w", name, id, err)
		}
		fmt.Fprintln(out, id)
	}
	return nil
}

func runEnvironments(ctx context.Context, args []string, out io.Writer) error {
	c, err := connectOnly(ctx, "environments", args)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSTATUS\tMIN\tDESIRED\tMAX\tTYPES")
	p := awsbatch.NewDescribeComputeEnvironmentsPaginator(c, &awsbatch.DescribeComputeEnvironmentsInput{})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing compute environments: %w", err)
		}
		for _, ce := range pg.ComputeEnvironments {
			var minv, desired, maxv int32
			var typesList string
			if cr := ce.ComputeResources; cr != nil {
				minv, desired, maxv = aws.ToInt32(cr.MinvCpus), aws.ToInt32(cr.DesiredvCpus), aws.ToInt32(cr.MaxvCpus)
				typesList = strings.Join(cr.InstanceTypes, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", aws.ToString(ce.ComputeEnvironmentName), ce.State, ce.Status, minv, desired, maxv, typesList)
		}
	}
	return tw.Flush()
}

func runQueues(ctx context.Context, args []string, out io.Writer) error {
	c, err := connectOnly(ctx, "queues", args)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSTATUS\tPRIORITY\tCOMPUTE ENVIRONMENTS")
	p := awsbatch.NewDescribeJobQueuesPaginator(c, &awsbatch.DescribeJobQueuesInput{})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing job queues: %w", err)
		}
		for _, q := range pg.JobQueues {
			var ces []string
			for _, o := range q.ComputeEnvironmentOrder {
				arn := aws.ToString(o.ComputeEnvironment)
				ces = append(ces, arn[strings.LastIndexByte(arn, '/')+1:])
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", aws.ToString(q.JobQueueName), q.State, q.Status, aws.ToInt32(q.Priority), strings.Join(ces, ","))
		}
	}
	return tw.Flush()
}

func runDefinitions(ctx context.Context, args []string, out io.Writer) error {
	c, err := connectOnly(ctx, "definitions", args)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREVISION\tSTATUS\tIMAGE\tCOMMAND")
	p := awsbatch.NewDescribeJobDefinitionsPaginator(c, &awsbatch.DescribeJobDefinitionsInput{})
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing job definitions: %w", err)
		}
		for _, d := range pg.JobDefinitions {
			var image, command string
			if cp := d.ContainerProperties; cp != nil {
				image, command = aws.ToString(cp.Image), strings.Join(cp.Command, " ")
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", aws.ToString(d.JobDefinitionName), aws.ToInt32(d.Revision), aws.ToString(d.Status), image, command)
		}
	}
	return tw.Flush()
}

func connectOnly(ctx context.Context, name string, args []string) (*client, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return cf.connect(ctx)
}
