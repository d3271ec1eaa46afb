package docker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
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
	// Env is the environment the container was created with
	// (Config.Env), secrets included: what the agent gave it.
	Env []string
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
		// The environment is read before the container is followed: once
		// it ends, it is removed.
		ins, err := r.api.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("inspecting container of job %s attempt %d: %w", jobID, attempt, err))
		}
		var env []string
		if ins.Container.Config != nil {
			env = ins.Container.Config.Env
		}
		adopted = append(adopted, Adopted{JobID: jobID, Attempt: attempt, Execution: r.follow(c.ID, resume.Logs, resume.Since), Env: env})
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
		out = append(out, bootstrap.Reattached{JobID: a.JobID, Attempt: a.Attempt, Execution: a.Execution, RoleEnv: roleEnv(a.Env)})
	}
	return out, err
}

// roleEnv is the job role credentials entries of env, and no other.
func roleEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == rolecreds.EnvFullURI || name == rolecreds.EnvToken {
			out = append(out, kv)
		}
	}
	return out
}

var _ bootstrap.Reattacher = (*Runtime)(nil)
