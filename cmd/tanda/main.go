// Command tanda is Tanda's one binary: `tanda up` runs the whole service on
// this machine, and the other commands are clients of its AWS Batch API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `tanda: AWS Batch you own.

Usage:
  tanda up [--data-dir DIR] [--listen ADDR]     run Tanda on this machine
  tanda serve --backend aws [--init]            run Tanda on the AWS APIs (AWS, LocalStack, moto)
  tanda agent [--work-root DIR]                 run jobs on an EC2 instance the stack launched
  tanda keys issue [--stack S]                  issue an access key of a stack deployed with sam deploy
  tanda submit [flags] -- COMMAND [ARGS...]     submit a job (--wait to follow it)
  tanda jobs [--queue Q] [--status S]           list jobs
  tanda describe JOB_ID...                      describe jobs (JSON)
  tanda logs [-f] [--attempt N] JOB_ID          print a job's output
  tanda why JOB_ID                              say why a job waits, in plain words
  tanda top                                     watch queues and compute environments live
  tanda cancel JOB_ID [--reason R]              cancel a job that has not started
  tanda terminate JOB_ID [--reason R]           stop a job wherever it is
  tanda environments                            list compute environments
  tanda queues                                  list job queues
  tanda definitions                             list job definitions
  tanda triggers create|list|delete             manage the rules that start jobs on S3 uploads
  tanda sim --trace FILE [--ce JSON]            replay a workload trace through the provisioner

Client commands find the endpoint in --endpoint or TANDA_ENDPOINT
(default http://127.0.0.1:8265) and the credentials that 'tanda up' wrote
in --data-dir (default .tanda), or else the usual AWS variables.
Run 'tanda COMMAND -h' for a command's flags.
`

type command func(ctx context.Context, args []string, out io.Writer) error

var commands = map[string]command{
	"up":           runUp,
	"serve":        runServe,
	"keys":         runKeys,
	"agent":        runAgent,
	"submit":       runSubmit,
	"jobs":         runJobs,
	"describe":     runDescribe,
	"logs":         runLogs,
	"why":          runWhy,
	"top":          runTop,
	"cancel":       runCancel,
	"terminate":    runTerminate,
	"environments": runEnvironments,
	"queues":       runQueues,
	"definitions":  runDefinitions,
	"triggers":     runTriggers,
	"sim":          runSim,
}

// exitError carries a process exit code, e.g. a waited job's failure.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Fprint(os.Stderr, usage)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "tanda: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd(ctx, os.Args[2:], os.Stdout)
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "tanda:", err)
		os.Exit(1)
	}
}
