package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// jobDoc is how a job is stored: Job.Internal is left off the job's JSON
// (it is not on the wire), so it is stored beside it.
type jobDoc struct {
	Job      batch.Job         `json:"job"`
	Internal batch.JobInternal `json:"internal"`
}

// jobColumns are the jobs table's columns in the order of jobRow.args.
var jobColumns = []string{
	"id", "queue", "status", "created_at", "runnable_at", "updated_at",
	"parent", "array_index", "name_lower", "def_name", "def_arn", "share_id",
	"instance", "lease_expires_at", "expires_at", "top_level", "version", "doc",
	"vcpus", "memory_mib", "gpus",
}

// insertJobSQL inserts a job row.
var insertJobSQL = func() string {
	params := make([]string, len(jobColumns))
	for i := range params {
		params[i] = fmt.Sprintf("?%d", i+1)
	}
	return "INSERT INTO jobs (" + strings.Join(jobColumns, ", ") + ") VALUES (" +
		strings.Join(params, ", ") + ")"
}()

// updateJobSQL rewrites a job row whose version is the one past the
// columns' parameters.
var updateJobSQL = func() string {
	sets := make([]string, 0, len(jobColumns)-1)
	for i, c := range jobColumns[1:] {
		sets = append(sets, fmt.Sprintf("%s = ?%d", c, i+2))
	}
	return fmt.Sprintf("UPDATE jobs SET %s WHERE id = ?1 AND version = ?%d",
		strings.Join(sets, ", "), len(jobColumns)+1)
}()

// jobRow is a job as the jobs table stores it: the indexed fields and the
// document.
type jobRow struct {
	id, queue, status                string
	createdAt, runnableAt, updatedAt int64
	parent                           string
	arrayIndex                       int64
	nameLower, defName, defArn       string
	shareID, instance                string
	leaseExpiresAt, expiresAt        int64
	topLevel                         bool
	version                          int64
	doc                              []byte
	vcpus                            float64
	memoryMiB, gpus                  int64
}

// newJobRow makes the row of j stored at version.
func newJobRow(j batch.Job, version int64) (jobRow, error) {
	if j.JobID == "" {
		return jobRow{}, fmt.Errorf("job has no id")
	}
	j.Internal.Version = version
	doc, err := json.Marshal(jobDoc{Job: j, Internal: j.Internal})
	if err != nil {
		return jobRow{}, fmt.Errorf("encoding job %s: %w", j.JobID, err)
	}
	index := int64(-1)
	if j.ArrayProperties != nil && j.ArrayProperties.Index != nil {
		index = int64(*j.ArrayProperties.Index)
	}
	in := j.Internal
	return jobRow{
		id:             j.JobID,
		queue:          in.QueueName,
		status:         j.Status.String(),
		createdAt:      j.CreatedAt,
		runnableAt:     in.RunnableAt,
		updatedAt:      in.UpdatedAt,
		parent:         in.ArrayParent,
		arrayIndex:     index,
		nameLower:      strings.ToLower(j.JobName),
		defName:        in.DefinitionName,
		defArn:         j.JobDefinition,
		shareID:        j.ShareIdentifier,
		instance:       in.Instance,
		leaseExpiresAt: in.LeaseExpiresAt,
		expiresAt:      in.ExpiresAt,
		topLevel:       in.ArrayParent == "",
		version:        version,
		doc:            doc,
		vcpus:          in.VCPUs,
		memoryMiB:      in.MemoryMiB,
		gpus:           in.GPUs,
	}, nil
}

// args are the row's values in jobColumns order.
func (r jobRow) args() []any {
	return []any{
		r.id, r.queue, r.status, r.createdAt, r.runnableAt, r.updatedAt,
		r.parent, r.arrayIndex, r.nameLower, r.defName, r.defArn, r.shareID,
		r.instance, r.leaseExpiresAt, r.expiresAt, r.topLevel, r.version, r.doc,
		r.vcpus, r.memoryMiB, r.gpus,
	}
}

// decodeJob reads a stored job document; version is the row's.
func decodeJob(doc []byte, version int64) (batch.Job, error) {
	var d jobDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return batch.Job{}, fmt.Errorf("decoding job: %w", err)
	}
	j := d.Job
	j.Internal = d.Internal
	j.Internal.Version = version
	return j, nil
}
