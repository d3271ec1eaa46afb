package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// invocationTTL is how long a SubmitJob invocation id is remembered. SDK
// retries of one call happen within seconds.
const invocationTTL = 15 * time.Minute

// invocation is the record that deduplicates a retried SubmitJob call.
type invocation struct {
	JobID       string `json:"jobId"`
	RequestHash string `json:"requestHash"`
}

// SubmitJob validates a submission, writes the job durably as SUBMITTED
// and rings the scheduler. An SDK retry of the same call (same access key
// and amz-sdk-invocation-id) returns the first job instead of a second.
func (s *Service) SubmitJob(ctx context.Context, in *batch.SubmitJobInput) (*batch.SubmitJobOutput, error) {
	if err := batch.ValidateSubmitJob(in); err != nil {
		return nil, err
	}
	job, err := s.buildJob(ctx, in)
	if err != nil {
		return nil, err
	}
	if ri, ok := batch.RequestInfoFrom(ctx); ok && ri.InvocationID != "" && ri.AccessKeyID != "" {
		id, existing, err := s.claimInvocation(ctx, ri, in, job.JobID)
		if err != nil {
			return nil, err
		}
		if existing {
			prev, err := s.store.GetJob(ctx, id)
			if err == nil {
				return &batch.SubmitJobOutput{JobArn: prev.JobArn, JobName: prev.JobName, JobID: prev.JobID}, nil
			}
			if !errors.Is(err, batch.ErrNotFound) {
				return nil, fmt.Errorf("reading job %s: %w", id, err)
			}
			// The first call recorded the id but died before writing the
			// job: write it now under that id.
			job.JobID = id
			job.JobArn = s.opts.Partition.JobARN(id)
		}
	}
	if err := s.store.CreateJobs(ctx, []batch.Job{job}, firstDoorbells(&job)); err != nil {
		if errors.Is(err, batch.ErrConflict) {
			return &batch.SubmitJobOutput{JobArn: job.JobArn, JobName: job.JobName, JobID: job.JobID}, nil
		}
		return nil, fmt.Errorf("writing job: %w", err)
	}
	return &batch.SubmitJobOutput{JobArn: job.JobArn, JobName: job.JobName, JobID: job.JobID}, nil
}

// firstDoorbells readies a new job. A job with nothing to wait for (no
// dependencies, not an array) is RUNNABLE from the start, its doorbell on
// its ready queue: the scheduler would have nothing to decide. Others are
// SUBMITTED, and the scheduler rings next.
func firstDoorbells(j *batch.Job) []batch.Message {
	if len(j.DependsOn) > 0 || j.ArrayProperties != nil {
		return []batch.Message{schedulerDoorbell(j.JobID)}
	}
	j.Status = batch.Runnable
	j.Internal.RunnableAt = j.CreatedAt
	return readyDoorbell(j)
}

// claimInvocation records (access key, invocation id) → job id, or returns
// the id an earlier attempt of the same call recorded.
func (s *Service) claimInvocation(ctx context.Context, ri batch.RequestInfo, in *batch.SubmitJobInput, jobID string) (string, bool, error) {
	hash := ri.BodySHA256
	if hash == "" {
		// An in-process caller: hash the request itself.
		body, err := json.Marshal(in)
		if err != nil {
			return "", false, fmt.Errorf("hashing request: %w", err)
		}
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	rec := invocation{JobID: jobID, RequestHash: hash}
	key := ri.AccessKeyID + "/" + ri.InvocationID
	doc, _ := json.Marshal(rec)
	it := batch.Item{Kind: batch.KindInvocation, Key: key, Doc: doc, ExpiresAt: batch.Millis(s.now().Add(invocationTTL))}
	if _, err := s.store.PutItem(ctx, it, 0); err == nil {
		return jobID, false, nil
	} else if !errors.Is(err, batch.ErrConflict) {
		return "", false, fmt.Errorf("recording invocation: %w", err)
	}
	prev, _, err := getDoc[invocation](ctx, s.store, batch.KindInvocation, key)
	if err != nil {
		return "", false, fmt.Errorf("reading invocation: %w", err)
	}
	if prev.RequestHash != rec.RequestHash {
		return "", false, batch.Clientf("amz-sdk-invocation-id %s was already used for a different SubmitJob request; use a new invocation id", ri.InvocationID)
	}
	return prev.JobID, true, nil
}

// buildJob resolves the queue and definition and makes the job to write.
func (s *Service) buildJob(ctx context.Context, in *batch.SubmitJobInput) (batch.Job, error) {
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
	id := s.opts.NewID()
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
