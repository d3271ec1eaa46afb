package jobevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/tanda-batch/tanda/batch"
)

// DetailType is the detail-type of AWS Batch's job events.
const DetailType = "Batch Job State Change"

// PutEvents' limits.
const (
	maxEntriesPerRequest = 10
	maxRequestBytes      = 256 * 1024
	timeBytes            = 14 // what an entry's Time counts towards the size
)

// errTooLarge is the cause of a job whose event does not fit in a request
// even without its environment and parameters.
var errTooLarge = errors.New("event exceeds 256 KiB")

// entry is one job's PutEvents entry and its size as EventBridge counts it.
type entry struct {
	jobID string
	req   types.PutEventsRequestEntry
	size  int
}

// entry builds the event of job j, trimmed when it is too large to send.
func (p *Publisher) entry(j batch.Job) (entry, error) {
	e, err := p.buildEntry(j)
	if err != nil || e.size <= p.limits.requestBytes {
		return e, err
	}
	full := e.size
	e, err = p.buildEntry(trimmed(j))
	if err != nil {
		return e, err
	}
	if e.size > p.limits.requestBytes {
		return e, fmt.Errorf("%w: %d bytes without environment and parameters", errTooLarge, e.size)
	}
	p.log.Warn("job event too large; sent without container environment and parameters",
		"jobId", j.JobID, "bytes", full, "trimmedBytes", e.size)
	return e, nil
}

// buildEntry builds the event of job j as it is, with the members
// DescribeJobs always returns.
func (p *Publisher) buildEntry(j batch.Job) (entry, error) {
	batch.PresentJob(&j)
	detail, err := json.Marshal(j)
	if err != nil {
		return entry{}, fmt.Errorf("encoding job %s: %w", j.JobID, err)
	}
	e := entry{
		jobID: j.JobID,
		req: types.PutEventsRequestEntry{
			EventBusName: aws.String(p.bus),
			Source:       aws.String(p.source),
			DetailType:   aws.String(DetailType),
			Detail:       aws.String(string(detail)),
		},
		size: len(p.source) + len(DetailType) + len(detail),
	}
	if j.JobArn != "" {
		e.req.Resources = []string{j.JobArn}
		e.size += len(j.JobArn)
	}
	if j.Internal.UpdatedAt != 0 {
		e.req.Time = aws.Time(time.UnixMilli(j.Internal.UpdatedAt).UTC())
		e.size += timeBytes
	}
	return e, nil
}

// trimmed is j without its container's environment and its parameters,
// the parts of a job that can grow large. j itself is not changed.
func trimmed(j batch.Job) batch.Job {
	j.Parameters = nil
	if j.Container != nil {
		c := *j.Container
		c.Environment = nil
		j.Container = &c
	}
	return j
}
