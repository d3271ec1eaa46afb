package cwlogs

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/tanda-batch/tanda/batch"
)

// maxTargets bounds the Router's memory of the groups jobs named; past
// it, the memory starts again empty.
const maxTargets = 1000

// Router keeps job logs where each job's awslogs options send them: the
// deployment's job log group (its Append and Read, a Store's), or the
// group and region a job definition names (AppendTo, ReadFrom). It is safe
// for concurrent use.
type Router struct {
	*Store
	opts   Options
	region func(region string) logsAPI // a client for another region

	mu      sync.Mutex
	targets map[batch.LogTarget]*Store
}

// NewRouter returns a Router whose default group is opts.Group, reached
// with cfg (its region is the deployment's); groups of other regions are
// reached with cfg in that region.
func NewRouter(cfg aws.Config, opts Options) *Router {
	return newRouter(cloudwatchlogs.NewFromConfig(cfg), func(region string) logsAPI {
		return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
	}, opts)
}

func newRouter(api logsAPI, region func(string) logsAPI, opts Options) *Router {
	return &Router{Store: New(api, opts), opts: opts, region: region, targets: map[batch.LogTarget]*Store{}}
}

// target is the Store of t's group: the default Store when t names no
// group or region of its own. A group in another region gets a client of
// that region.
func (r *Router) target(t batch.LogTarget) *Store {
	if !t.Elsewhere() {
		return r.Store
	}
	t.StreamPrefix = "" // not part of where the group is
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.targets[t]; ok {
		return s
	}
	api := r.Store.api
	if t.Region != "" {
		api = r.region(t.Region)
	}
	opts := r.opts
	opts.Group, opts.CreateGroup = t.Group, t.CreateGroup
	if opts.Group == "" {
		opts.Group = r.Store.group
	}
	s := New(api, opts)
	s.retry = r.Store.retry
	if len(r.targets) >= maxTargets {
		clear(r.targets)
	}
	r.targets[t] = s
	return s
}

// PrepareStream creates stream in t's group, and the group first when it
// is missing and t lets it be created (awslogs-create-group). An attempt
// calls it before its container starts: a group that does not exist, or
// that the agent may not write to, fails the attempt, as the awslogs
// driver fails a container on ECS.
func (r *Router) PrepareStream(ctx context.Context, t batch.LogTarget, stream string) error {
	s := r.target(t)
	if err := validateStream(stream); err != nil {
		return fmt.Errorf("preparing log stream: %w", err)
	}
	if err := s.ensureStream(ctx, stream); err != nil {
		return fmt.Errorf("failed to create CloudWatch log stream %s in log group %s: %s", stream, s.group, describeAPIError(err))
	}
	return nil
}

// AppendTo is Append to a stream of t's group.
func (r *Router) AppendTo(ctx context.Context, t batch.LogTarget, stream string, events []batch.LogEvent) error {
	return r.target(t).Append(ctx, stream, events)
}

// ReadFrom is Read of a stream of t's group.
func (r *Router) ReadFrom(ctx context.Context, t batch.LogTarget, stream, fromToken string, limit int) ([]batch.LogEvent, string, error) {
	return r.target(t).Read(ctx, stream, fromToken, limit)
}
