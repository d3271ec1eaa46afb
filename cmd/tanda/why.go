package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"

	"github.com/tanda-batch/tanda/explain"
)

// runWhy is `tanda why JOB_ID`: why a job waits, in plain words, from the
// API's /tanda/v1/why endpoint (package explain).
func runWhy(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("why", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	asJSON := fs.Bool("json", false, "print the explanation as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("why: name one job id")
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	var e explain.Explanation
	if err := c.tandaGet(ctx, "/tanda/v1/why", url.Values{"jobId": {fs.Arg(0)}}, &e); err != nil {
		return fmt.Errorf("explaining job %s: %w", fs.Arg(0), err)
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	printWhy(out, e)
	return nil
}

// printWhy prints an explanation: the job, then each reason, the ones
// that hold it back marked.
func printWhy(out io.Writer, e explain.Explanation) {
	state := "is not waiting"
	if e.Waiting {
		state = "waits"
	}
	fmt.Fprintf(out, "Job %s (%s) is %s and %s.\n", e.JobID, e.JobName, e.Status, state)
	for _, r := range e.Reasons {
		mark := "  "
		if r.Blocking {
			mark = "! "
		}
		fmt.Fprintf(out, "%s%s\n", mark, r.Text)
	}
}
