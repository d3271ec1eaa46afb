package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
)

// Resume says where the output of an attempt taken over from an earlier
// agent goes.
type Resume struct {
	Logs bootstrap.LogFunc
	// Since skips the output written before it, e.g. the time of the last
	// line the earlier agent saved; zero replays all of it.
	Since time.Time
}

// Adopted is an attempt's container taken over from an earlier agent.
type Adopted struct {
	JobID     string
	Attempt   int
	Execution *Execution
}

// Adopt finds the containers an earlier agent of instanceID left behind,
// as after an agent restart. keep tells whether the agent still holds an
// attempt's lease, and where its output goes: those containers are
// followed again, without being run a second time (one that has ended
// already gives its result at once, and one never started is started).
// Every other container of the instance is killed and removed. Adopt
// goes on past a container it cannot handle and returns what it adopted
// with the errors met.
func (r *Runtime) Adopt(ctx context.Context, instanceID string, keep func(jobID string, attempt int) (Resume, bool)) ([]Adopted, error) {
	list, err := r.api.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelInstance+"="+instanceID),
	})
	if err != nil {
		return nil, fmt.Errorf("listing containers of instance %s: %w", instanceID, err)
	}
	var adopted []Adopted
	var errs []error
	for _, c := range list.Items {
		jobID, attempt, err := attemptOf(c.Labels)
		if err != nil {
			r.remove(c.ID)
			continue
		}
		resume, ok := keep(jobID, attempt)
		if !ok || resume.Logs == nil {
			r.remove(c.ID)
			continue
		}
		if c.State == container.StateCreated {
			if _, err := r.api.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("starting container of job %s attempt %d: %w", jobID, attempt, err))
				r.remove(c.ID)
				continue
			}
		}
		adopted = append(adopted, Adopted{JobID: jobID, Attempt: attempt, Execution: r.follow(c.ID, resume.Logs, resume.Since)})
	}
	return adopted, errors.Join(errs...)
}

// Reattach is Adopt in the agent's terms (bootstrap.Reattacher).
func (r *Runtime) Reattach(ctx context.Context, instanceID string, keep func(jobID string, attempt int) (bootstrap.LogFunc, time.Time, bool)) ([]bootstrap.Reattached, error) {
	adopted, err := r.Adopt(ctx, instanceID, func(jobID string, attempt int) (Resume, bool) {
		logs, since, ok := keep(jobID, attempt)
		return Resume{Logs: logs, Since: since}, ok
	})
	out := make([]bootstrap.Reattached, 0, len(adopted))
	for _, a := range adopted {
		out = append(out, bootstrap.Reattached{JobID: a.JobID, Attempt: a.Attempt, Execution: a.Execution})
	}
	return out, err
}

var _ bootstrap.Reattacher = (*Runtime)(nil)
