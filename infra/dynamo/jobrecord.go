package dynamo

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
)

// finishedRetention is how long a finished job without an expiry of its
// own is kept (DynamoDB's TTL then deletes it).
const finishedRetention = 7 * 24 * time.Hour

// leaseShard is the one partition of the leases index.
const leaseShard = "lease"

// jobDoc is how a job document is stored, as in infra/sqlite: Job.Internal
// is left off the job's JSON (it is not on the wire), so it goes beside it.
type jobDoc struct {
	Job      batch.Job         `json:"job"`
	Internal batch.JobInternal `json:"internal"`
}

// jobAttributes is the whole item of j stored at version: its document
// and the index attributes that its state calls for. now dates the expiry
// of a finished job that has none.
func jobAttributes(j batch.Job, version int64, now time.Time) (map[string]types.AttributeValue, error) {
	if j.JobID == "" {
		return nil, errors.New("job has no id")
	}
	in := j.Internal
	in.Version = version
	doc, err := json.Marshal(jobDoc{Job: j, Internal: in})
	if err != nil {
		return nil, fmt.Errorf("encoding job %s: %w", j.JobID, err)
	}
	status := j.Status.String()
	m := map[string]types.AttributeValue{
		attrID:        str(j.JobID),
		attrVersion:   num(version),
		attrDoc:       bin(doc),
		attrCreatedAt: num(j.CreatedAt),
		attrUpdatedAt: num(in.UpdatedAt),
	}
	if in.ArrayParent == "" {
		m[attrQueueStatus] = str(in.QueueName + "#" + status)
	} else {
		m[attrParent] = str(in.ArrayParent)
		m[attrChildKey] = str(fmt.Sprintf("%06d", childIndex(j)))
		m[attrChildStatus] = str(status)
	}
	if j.Status == batch.Runnable {
		m[attrRunnableKey] = str(in.QueueName)
		m[attrRunnableAt] = str(fmt.Sprintf("%015d#%s", in.RunnableAt, j.JobID))
	}
	switch j.Status {
	case batch.Submitted, batch.Pending, batch.Runnable:
		m[attrWaitingStatus] = str(status)
	}
	if j.Status.Active() {
		m[attrLeaseExpiresAt] = num(in.LeaseExpiresAt)
		m[attrLeaseShard] = str(leaseShard)
	}
	if in.Instance != "" {
		m[attrInstance] = str(in.Instance)
	}
	if j.Status.Terminal() {
		expires := in.ExpiresAt
		if expires == 0 {
			expires = batch.Millis(now.Add(finishedRetention))
		}
		m[attrTTL] = num(ttlSeconds(expires))
	}
	return m, nil
}

// childIndex is an array child's index; 0 if it has none.
func childIndex(j batch.Job) int {
	if j.ArrayProperties != nil && j.ArrayProperties.Index != nil {
		return *j.ArrayProperties.Index
	}
	return 0
}

// decodeJob reads a stored job item: its document, at the item's version.
func decodeJob(m map[string]types.AttributeValue) (batch.Job, error) {
	doc, err := getBinary(m, attrDoc)
	if err != nil {
		return batch.Job{}, fmt.Errorf("decoding job: %w", err)
	}
	version, err := getNumber(m, attrVersion)
	if err != nil {
		return batch.Job{}, fmt.Errorf("decoding job: %w", err)
	}
	var d jobDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return batch.Job{}, fmt.Errorf("decoding job: %w", err)
	}
	j := d.Job
	j.Internal = d.Internal
	j.Internal.Version = version
	return j, nil
}
