//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// ledger is the test's own record of what it submitted, kept outside
// Tanda in the manner of Jepsen's total-queue checker: every job id an
// acknowledged SubmitJob returned, by kind, and the names of submissions
// whose outcome is unknown because the server died mid-call. It is safe
// for concurrent use.
type ledger struct {
	mu            sync.Mutex
	kinds         map[string]string // job id to its kind
	order         []string          // job ids in acknowledgement order
	duplicateAcks int               // ids acknowledged more than once
	indeterminate []string          // job names
}

func newLedger() *ledger { return &ledger{kinds: map[string]string{}} }

// ack records an acknowledged submission.
func (l *ledger) ack(id, kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.kinds[id]; ok {
		l.duplicateAcks++
		return
	}
	l.kinds[id] = kind
	l.order = append(l.order, id)
}

// unknown records a submission that got no answer.
func (l *ledger) unknown(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.indeterminate = append(l.indeterminate, name)
}

// ids lists the acknowledged job ids, of the given kinds or of all kinds.
func (l *ledger) ids(kinds ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, id := range l.order {
		if len(kinds) == 0 || slices.Contains(kinds, l.kinds[id]) {
			out = append(out, id)
		}
	}
	return out
}

func (l *ledger) kind(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.kinds[id]
}

// describeAll describes ids in batches of 100, DescribeJobs' limit, and
// returns what Tanda knows of them by id: a missing id is a lost job.
func describeAll(ctx context.Context, c *awsbatch.Client, ids []string) (map[string]types.JobDetail, error) {
	out := make(map[string]types.JobDetail, len(ids))
	for batch := range slices.Chunk(ids, 100) {
		res, err := c.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: batch})
		if err != nil {
			return nil, fmt.Errorf("describing jobs: %w", err)
		}
		for _, j := range res.Jobs {
			if j.JobId != nil {
				out[*j.JobId] = j
			}
		}
	}
	return out, nil
}

func terminal(s types.JobStatus) bool {
	return s == types.JobStatusSucceeded || s == types.JobStatusFailed
}

// attemptKey names one attempt of one job.
type attemptKey struct {
	JobID   string
	Attempt int
}

// readStarts reads the starts file jobs append `JOB_ID ATTEMPT` to as
// they begin, and counts the starts of each attempt. A missing file means
// no job started.
func readStarts(path string) (map[attemptKey]int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[attemptKey]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading starts: %w", err)
	}
	defer f.Close()
	out := map[attemptKey]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, n, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		attempt, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("reading starts: malformed line %q", sc.Text())
		}
		out[attemptKey{id, attempt}]++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading starts: %w", err)
	}
	return out, nil
}
