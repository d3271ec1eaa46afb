package control

import (
	"context"
	"errors"
	"maps"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

const maxTags = 50

// TagResource adds or replaces tags on a compute environment, job queue,
// job definition revision, scheduling policy or job.
func (s *Service) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if err := batch.ValidateTagResource(&batch.TagResourceInput{Tags: tags}); err != nil {
		return err
	}
	return s.editTags(ctx, arn, func(cur map[string]string) (map[string]string, error) {
		next := maps.Clone(cur)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, tags)
		if len(next) > maxTags {
			return nil, batch.Clientf("a resource may have at most %d tags; this would make %d", maxTags, len(next))
		}
		return next, nil
	})
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	if err := batch.ValidateUntagResource(keys); err != nil {
		return err
	}
	return s.editTags(ctx, arn, func(cur map[string]string) (map[string]string, error) {
		next := maps.Clone(cur)
		for _, k := range keys {
			delete(next, k)
		}
		if len(next) == 0 {
			next = nil
		}
		return next, nil
	})
}

// ListTagsForResource returns a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, arn string) (map[string]string, error) {
	var out map[string]string
	err := s.editTags(ctx, arn, func(cur map[string]string) (map[string]string, error) {
		out = maps.Clone(cur)
		return nil, errNoChange
	})
	if out == nil {
		out = map[string]string{}
	}
	return out, err
}

// editTags finds the resource an ARN names and applies fn to its tags.
func (s *Service) editTags(ctx context.Context, arn string, fn func(map[string]string) (map[string]string, error)) error {
	a, err := batch.ParseARN(arn)
	if err != nil {
		return err
	}
	p := s.opts.Partition
	if a.Service != "batch" || a.Region != p.Region || a.Account != p.Account {
		return batch.Clientf("resource %s not found (this endpoint serves region %s, account %s)", arn, p.Region, p.Account)
	}
	notFound := func(err error) error {
		if errors.Is(err, batch.ErrNotFound) {
			return batch.Clientf("resource %s not found", arn)
		}
		return err
	}
	switch a.ResourceType {
	case resComputeEnvironment:
		_, err = updateDoc(ctx, s.store, batch.KindComputeEnvironment, a.Resource, func(v *batch.ComputeEnvironment) error {
			return applyTags(&v.Tags, fn)
		})
	case resJobQueue:
		_, err = updateDoc(ctx, s.store, batch.KindJobQueue, a.Resource, func(v *batch.JobQueue) error {
			return applyTags(&v.Tags, fn)
		})
	case resSchedulingPolicy:
		_, err = updateDoc(ctx, s.store, batch.KindSchedulingPolicy, a.Resource, func(v *batch.SchedulingPolicy) error {
			return applyTags(&v.Tags, fn)
		})
	case resJobDefinition:
		key, kerr := definitionKeyFromResource(a.Resource)
		if kerr != nil {
			return kerr
		}
		_, err = updateDoc(ctx, s.store, batch.KindJobDefinition, key, func(v *batch.JobDefinition) error {
			return applyTags(&v.Tags, fn)
		})
	case resJob:
		if strings.ContainsAny(a.Resource, ":#") {
			return batch.Clientf("array and multi-node child jobs cannot be tagged (%s); tag the parent job", arn)
		}
		_, err = s.mutateJob(ctx, a.Resource, func(j *batch.Job) ([]batch.Message, error) {
			return nil, applyTags(&j.Tags, fn)
		})
	default:
		return batch.Clientf("resource type %q of %s cannot be tagged", a.ResourceType, arn)
	}
	return notFound(err)
}

func applyTags(tags *map[string]string, fn func(map[string]string) (map[string]string, error)) error {
	next, err := fn(*tags)
	if err != nil {
		return err
	}
	*tags = next
	return nil
}
