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
	token, stream := "", ""
	for {
		pg, err := c.readLog(ctx, id, *attempt, token)
		if err != nil {
			return err
		}
		if pg.LogStreamName != stream && stream != "" && token != "" {
			// A retry started a new attempt with a stream of its own.
			fmt.Fprintf(out, "--- %s\n", pg.LogStreamName)
			token, stream = "", pg.LogStreamName
			continue
		}
		stream = pg.LogStreamName
		for _, e := range pg.Events {
			if *timestamps {
				fmt.Fprintf(out, "%s ", time.UnixMilli(e.Timestamp).Format(time.RFC3339Nano))
			}
			fmt.Fprintln(out, e.Message)
		}
		if pg.NextToken != "" && pg.NextToken != token && len(pg.Events) > 0 {
			token = pg.NextToken
			continue // more is there now
		}
		if pg.NextToken != "" {
			token = pg.NextToken
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
			last, err := c.readLog(ctx, id, *attempt, token)
			if err != nil {
				return err
			}
			for _, e := range last.Events {
				fmt.Fprintln(out, e.Message)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
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

// readLog calls Tanda's logs endpoint, signed like any API call.
func (c *client) readLog(ctx context.Context, id string, attempt int, token string) (logPage, error) {
	q := url.Values{"jobId": {id}}
	if attempt > 0 {
		q.Set("attempt", strconv.Itoa(attempt))
	}
	if token != "" {
		q.Set("nextToken", token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+"/tanda/v1/logs?"+q.Encode(), nil)
	if err != nil {
		return logPage{}, fmt.Errorf("reading log: %w", err)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return logPage{}, fmt.Errorf("loading credentials: %w", err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "batch", c.cfg.Region, time.Now()); err != nil {
		return logPage{}, fmt.Errorf("signing log request: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return logPage{}, fmt.Errorf("reading log: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return logPage{}, fmt.Errorf("reading log: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return logPage{}, fmt.Errorf("reading log: %s: %s", aws.ToString(&e.Type), e.Message)
	}
	var pg logPage
	if err := json.Unmarshal(body, &pg); err != nil {
		return logPage{}, fmt.Errorf("decoding log page: %w", err)
	}
	return pg, nil
}
