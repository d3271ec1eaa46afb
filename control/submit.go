package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/batch"
)

// invocationSpace is the UUID namespace of job ids derived from SDK
// invocation ids.
var invocationSpace = uuid.MustParse("6f1d3c2e-5b8a-4c1e-9a3d-7e2b1f0c4d5a")

// SubmitJob validates a submission, writes the job durably and rings the
// next step. An SDK retry of the same call (same access key and
// amz-sdk-invocation-id) returns the first job instead of a second: such a
// call's job id is derived from the two, so the retry's write finds the
// job there, for as long as the job is kept.
func (s *Service) SubmitJob(ctx context.Context, in *batch.SubmitJobInput) (*batch.SubmitJobOutput, error) {
	if err := batch.ValidateSubmitJob(in); err != nil {
		return nil, err
	}
	id, hash := s.opts.NewID(), ""
	ri, dedup := batch.RequestInfoFrom(ctx)
	dedup = dedup && ri.InvocationID != "" && ri.AccessKeyID != ""
	if dedup {
		id = invocationJobID(ri)
		hash = requestHash(ri, in)
	}
	job, err := s.buildJob(ctx, id, in)
	if err != nil {
		return nil, err
	}
	job.Internal.RequestHash = hash
	err = s.store.CreateJobs(ctx, []batch.Job{job}, s.firstDoorbells(&job))
	switch {
	case err == nil:
		s.jobsCreated([]batch.Job{job})
		if job.Status != batch.Submitted {
			// Straight to RUNNABLE: the one change after submission.
			s.publish(ctx, job)
		}
		return &batch.SubmitJobOutput{JobArn: job.JobArn, JobName: job.JobName, JobID: job.JobID}, nil
	case errors.Is(err, batch.ErrConflict) && dedup:
		return s.retriedSubmit(ctx, id, ri.InvocationID, hash)
	default:
		return nil, fmt.Errorf("writing job: %w", err)
	}
}

// invocationJobID is the job id of a SubmitJob call with an SDK
// invocation id: the same for each of its retries, and distinct for each
// access key.
func invocationJobID(ri batch.RequestInfo) string {
	return uuid.NewSHA1(invocationSpace, []byte(ri.AccessKeyID+"/"+ri.InvocationID)).String()
}

// retriedSubmit answers a SubmitJob whose job exists already: with that
// job, if the call is the same.
func (s *Service) retriedSubmit(ctx context.Context, id, invocationID, hash string) (*batch.SubmitJobOutput, error) {
	j, err := s.store.GetJob(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading job %s: %w", id, err)
	}
	if j.Internal.RequestHash != hash {
		return nil, batch.Clientf("amz-sdk-invocation-id %s was already used for a different SubmitJob request; use a new invocation id", invocationID)
	}
	return &batch.SubmitJobOutput{JobArn: j.JobArn, JobName: j.JobName, JobID: j.JobID}, nil
}

// requestHash identifies a request's content: the hash of the body as
// received, or, for an in-process caller, of the request re-encoded.
func requestHash(ri batch.RequestInfo, in *batch.SubmitJobInput) string {
	if ri.BodySHA256 != "" {
		return ri.BodySHA256
	}
	body, _ := json.Marshal(in) // plain data: cannot fail
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// firstDoorbells readies a new job. A job with nothing to wait for (no
// dependencies, not an array) is RUNNABLE from the start, its doorbell on
// its ready queue: the scheduler would have nothing to decide. Others are
// SUBMITTED, and the scheduler rings next.
func (s *Service) firstDoorbells(j *batch.Job) []batch.Message {
	if len(j.DependsOn) > 0 || j.ArrayProperties != nil {
		return []batch.Message{schedulerDoorbell(j.JobID)}
	}
	j.Status = batch.Runnable
	j.Internal.RunnableAt = j.CreatedAt
	return s.readyDoorbell(j)
}

// buildJob resolves the queue and definition and makes the job to write.
func (s *Service) buildJob(ctx context.Context, id string, in *batch.SubmitJobInput) (batch.Job, error) {
	q, err := s.JobQueue(ctx, in.JobQueue)
	if err != nil {
		return batch.Job{}, err
	}
	if err := batch.CheckSubmitQueue(&q, in.ShareIdentifier); err != nil {
		return batch.Job{}, err
	}
	jd, err := s.JobDefinition(ctx, in.JobDefinition)
	if err != nil {
		return batch.Job{}, err
	}
	if jd.Status != batch.DefinitionActive {
		return batch.Job{}, batch.Clientf("JobDefinition %s is INACTIVE; register a new revision", jd.JobDefinitionArn)
	}
	if jd.ContainerProperties == nil {
		return batch.Job{}, batch.Clientf("JobDefinition %s has no containerProperties; Tanda runs container jobs only", jd.JobDefinitionArn)
	}
	// A revision registered before Tanda checked log settings may name a
	// driver it does not support.
	if err := batch.ValidateLogConfiguration("containerProperties.logConfiguration", jd.ContainerProperties.LogConfiguration); err != nil {
		return batch.Job{}, batch.Clientf("JobDefinition %s: %v; register a new revision", jd.JobDefinitionArn, err)
	}
	if err := s.checkDependencies(ctx, in); err != nil {
		return batch.Job{}, err
	}

	container := batch.MergeContainer(jd.ContainerProperties, in.ContainerOverrides)
	container.Command = batch.SubstituteParameters(container.Command, jd.Parameters, in.Parameters)
	if err := batch.ValidateJobResources(container, jd.PlatformCapabilities); err != nil {
		return batch.Job{}, err
	}
	vcpus, mem, gpus := batch.Resources(container)
	params := maps.Clone(jd.Parameters)
	if len(in.Parameters) > 0 {
		if params == nil {
			params = map[string]string{}
		}
		maps.Copy(params, in.Parameters)
	}
	retry := jd.RetryStrategy
	if in.RetryStrategy != nil {
		retry = in.RetryStrategy
	}
	timeout := jd.Timeout
	if in.Timeout != nil {
		timeout = in.Timeout
	}
	propagate := jd.PropagateTags
	if in.PropagateTags != nil {
		propagate = in.PropagateTags
	}
	priority := jd.SchedulingPriority
	if in.SchedulingPriorityOverride != nil {
		priority = in.SchedulingPriorityOverride
	}

	now := s.nowMillis()
	job := batch.Job{
		JobArn:               s.opts.Partition.JobARN(id),
		JobName:              in.JobName,
		JobID:                id,
		JobQueue:             q.JobQueueArn,
		Status:               batch.Submitted,
		ShareIdentifier:      in.ShareIdentifier,
		SchedulingPriority:   priority,
		Attempts:             []batch.AttemptDetail{},
		CreatedAt:            now,
		RetryStrategy:        retry,
		DependsOn:            append([]batch.JobDependency{}, in.DependsOn...),
		JobDefinition:        jd.JobDefinitionArn,
		Parameters:           params,
		Container:            container,
		Timeout:              timeout,
		Tags:                 in.Tags,
		PropagateTags:        propagate,
		PlatformCapabilities: jd.PlatformCapabilities,
		Internal: batch.JobInternal{
			QueueName:      q.JobQueueName,
			DefinitionName: jd.JobDefinitionName,
			FairShare:      q.SchedulingPolicyArn != "",
			UpdatedAt:      now,
			LastProgressAt: now,
			VCPUs:          vcpus,
			MemoryMiB:      mem,
			GPUs:           gpus,
		},
	}
	if ri, ok := batch.RequestInfoFrom(ctx); ok {
		job.Internal.InvocationID = ri.InvocationID
	}
	if in.ArrayProperties != nil && in.ArrayProperties.Size != nil {
		size := *in.ArrayProperties.Size
		job.ArrayProperties = &batch.ArrayPropertiesDetail{Size: &size}
	}
	return job, nil
}

// checkDependencies checks that every job named in dependsOn exists, and
// that N_TO_N pairs arrays of one size.
func (s *Service) checkDependencies(ctx context.Context, in *batch.SubmitJobInput) error {
	var ids []string
	for _, d := range in.DependsOn {
		if d.JobID != "" {
			ids = append(ids, d.JobID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := s.store.GetJobs(ctx, ids)
	if err != nil {
		return fmt.Errorf("reading dependencies: %w", err)
	}
	byID := make(map[string]batch.Job, len(found))
	for _, j := range found {
		byID[j.JobID] = j
	}
	for i, d := range in.DependsOn {
		if d.JobID == "" {
			continue
		}
		dep, ok := byID[d.JobID]
		if !ok {
			return batch.Clientf("dependsOn[%d].jobId: job %s not found", i, d.JobID)
		}
		if d.Type == batch.DependencyNToN {
			size := 0
			if dep.ArrayProperties != nil && dep.ArrayProperties.Size != nil {
				size = *dep.ArrayProperties.Size
			}
			if in.ArrayProperties == nil || in.ArrayProperties.Size == nil || size != *in.ArrayProperties.Size {
				return batch.Clientf("dependsOn[%d]: an N_TO_N dependency needs job %s to be an array job of the same size as this one", i, d.JobID)
			}
		}
	}
	return nil
}
