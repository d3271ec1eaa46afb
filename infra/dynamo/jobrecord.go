package dynamo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// finishedRetention is how long a finished job without an expiry of its
// own is kept (DynamoDB's TTL then deletes it).
const finishedRetention = 7 * 24 * time.Hour

const (
	// activePartition is the byQueueStatus partition of the STARTING and
	// RUNNING jobs of every queue, sorted by lease expiry: the lease
	// sweep, the attempts of an instance and a queue's running jobs (by
	// its projected name) are read there, and a job that starts running
	// keeps its entry.
	activePartition = "ACTIVE"
	// leaseBucket rounds lease expiries down in the index, so that
	// starting to run and most heartbeats leave the entry as it is. The
	// sweeper reads the few candidates a bucket holds and checks each
	// job's own expiry.
	leaseBucket = 30 * time.Second
)

// jobDoc is how a job document is stored, as in infra/sqlite: Job.Internal
// is left off the job's JSON (it is not on the wire), so it goes beside it.
type jobDoc struct {
	Job      batch.Job         `json:"job"`
	Internal batch.JobInternal `json:"internal"`
}

// timeKey is a sort key that orders by a time in ms, then by job id: it is
// unique, so a listing can resume right after it.
func timeKey(ms int64, id string) string { return fmt.Sprintf("%015d#%s", max(ms, 0), id) }

// timeBound is the smallest timeKey of time ms: every key of an earlier
// time sorts below it.
func timeBound(ms int64) string { return fmt.Sprintf("%015d", max(ms, 0)) }

// splitKey splits a sort key ending with a job id from what a key may
// carry after it (a RUNNABLE job's demand, runnableKey): jobKey is the
// key up to the id, extra what follows the '#' after it, "" if nothing
// does. Neither a time nor a job id (a UUID, or <UUID>:<index>) contains
// '#'. A key of another shape (childKey) is all jobKey.
func splitKey(key string) (jobKey, extra string) {
	first := strings.IndexByte(key, '#')
	if first < 0 {
		return key, ""
	}
	second := strings.IndexByte(key[first+1:], '#')
	if second < 0 {
		return key, ""
	}
	return key[:first+1+second], key[first+2+second:]
}

// resumeBound is the value a key condition compares the sort key with to
// resume a listing past the job whose key was after: below every key
// that job may have, in a descending listing, or above every one, in an
// ascending listing. A RUNNABLE job's key may change between pages, with
// and without a suffix (runnableKey: a job that re-entered RUNNABLE, a
// key written before the demand was in it, or a cursor from then), but
// its jobKey does not. Every such key is the jobKey or starts with
// jobKey+"#", and '$' is the byte after '#': no other job's key falls
// between (ids hold no byte at or below '$'). Keys without a suffix
// resume as they always did.
func resumeBound(after string, desc bool) string {
	jobKey, _ := splitKey(after)
	if desc {
		return jobKey
	}
	return jobKey + "$"
}

// queuePartition is the byQueueStatus partition of a queue's jobs in a
// status.
func queuePartition(queue string, s batch.Status) string {
	if s.Active() {
		return activePartition
	}
	return queue + "#" + s.String()
}

// childKey sorts a parent's children by index.
func childKey(index int) string { return fmt.Sprintf("%06d", index) }

// leaseKey is the sweep key of a lease that expires at ms.
func leaseKey(ms int64, id string) string {
	bucket := leaseBucket.Milliseconds()
	return timeKey(ms/bucket*bucket, id)
}

// isChildID reports whether a job id is an array child's (`<parent>:<i>`).
func isChildID(id string) bool { return strings.Contains(id, ":") }

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
	m := map[string]types.AttributeValue{
		attrID:      str(j.JobID),
		attrVersion: num(version),
		attrDoc:     bin(compress(doc)),
	}
	// Array children are listed by their parent; a queue's partitions
	// hold them only while the passes need them: RUNNABLE for dispatch,
	// STARTING or RUNNING for the lease sweep and fair-share usage.
	switch {
	case j.Status.Active():
		m[attrQueue] = str(activePartition)
		m[attrQueueKey] = str(leaseKey(in.LeaseExpiresAt, j.JobID))
		m[attrJobQueue] = str(in.QueueName)
	case j.Status == batch.Runnable:
		m[attrQueue] = str(queuePartition(in.QueueName, j.Status))
		m[attrQueueKey] = str(runnableKey(j.CreatedAt, j.JobID, in))
	case in.ArrayParent == "":
		m[attrQueue] = str(queuePartition(in.QueueName, j.Status))
		m[attrQueueKey] = str(timeKey(j.CreatedAt, j.JobID))
	}
	if in.ArrayParent != "" {
		m[attrParent] = str(in.ArrayParent)
		m[attrChildKey] = str(childKey(childIndex(j)))
		m[attrChildStatus] = str(j.Status.String())
	}
	if j.Status == batch.Submitted || j.Status == batch.Pending {
		m[attrSweep] = str(j.Status.String())
		m[attrSweepKey] = str(timeKey(in.UpdatedAt, j.JobID))
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
	stored, err := getBinary(m, attrDoc)
	if err != nil {
		return batch.Job{}, fmt.Errorf("decoding job: %w", err)
	}
	doc, err := decompress(stored)
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
