package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// logPage is the answer of Tanda's logs endpoint.
type logPage struct {
	LogStreamName string `json:"logStreamName"`
	Events        []struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	} `json:"events"`
	NextToken string `json:"nextToken"`
}

func runLogs(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	follow := fs.Bool("f", false, "follow the log until the job ends")
	attempt := fs.Int("attempt", 0, "attempt number (default: the latest)")
	timestamps := fs.Bool("timestamps", false, "prefix each line with its time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("logs: name one job id")
	}
	id := fs.Arg(0)
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	tail := &logTail{c: c, id: id, attempt: *attempt, timestamps: *timestamps}
	for {
		if err := tail.next(ctx, out); err != nil {
			return err
		}
		if !*follow {
			return nil
		}
		done, err := c.jobDone(ctx, id)
		if err != nil {
			return err
		}
		if done {
			// One last read for lines written as the job ended.
			return tail.next(ctx, out)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// logTail prints a job's log a page at a time, following it across
// attempts: each call prints what was written since the last.
type logTail struct {
	c          *client
	id         string
	attempt    int // 0: the latest
	timestamps bool
	token      string
	stream     string
}

// next prints the lines written since the last call, and returns once it
// has caught up.
func (l *logTail) next(ctx context.Context, out io.Writer) error {
	for {
		pg, err := l.c.readLog(ctx, l.id, l.attempt, l.token)
		if err != nil {
			return err
		}
		if pg.LogStreamName != l.stream && l.stream != "" && l.token != "" {
			// A retry started a new attempt with a stream of its own.
			fmt.Fprintf(out, "--- %s\n", pg.LogStreamName)
			l.token, l.stream = "", pg.LogStreamName
			continue
		}
		l.stream = pg.LogStreamName
		for _, e := range pg.Events {
			if l.timestamps {
				fmt.Fprintf(out, "%s ", time.UnixMilli(e.Timestamp).Format(time.RFC3339Nano))
			}
			fmt.Fprintln(out, e.Message)
		}
		more := pg.NextToken != "" && pg.NextToken != l.token && len(pg.Events) > 0
		if pg.NextToken != "" {
			l.token = pg.NextToken
		}
		if !more {
			return nil
		}
	}
}

func (c *client) jobDone(ctx context.Context, id string) (bool, error) {
	res, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{id}})
	if err != nil {
		return false, fmt.Errorf("describing job: %w", err)
	}
	if len(res.Jobs) == 0 {
		return true, nil
	}
	st := res.Jobs[0].Status
	return st == types.JobStatusSucceeded || st == types.JobStatusFailed, nil
}

// readLog calls Tanda's logs endpoint.
func (c *client) readLog(ctx context.Context, id string, attempt int, token string) (logPage, error) {
	q := url.Values{"jobId": {id}}
	if attempt > 0 {
		q.Set("attempt", strconv.Itoa(attempt))
	}
	if token != "" {
		q.Set("nextToken", token)
	}
	var pg logPage
	if err := c.tandaGet(ctx, "/tanda/v1/logs", q, &pg); err != nil {
		return logPage{}, fmt.Errorf("reading log: %w", err)
	}
	return pg, nil
}

// tandaGet calls one of Tanda's own GET endpoints, signed like any API
// call, and decodes its JSON answer into out.
func (c *client) tandaGet(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("loading credentials: %w", err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "batch", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("signing request: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("%s: %s", aws.ToString(&e.Type), e.Message)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}
