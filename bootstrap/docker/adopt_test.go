package docker

import (
	"context"
	"slices"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

func TestAdoptAfterAgentRestart(t *testing.T) {
	before, instance := newRuntime(t, Options{})
	ctx := context.Background()
	// The agent before the restart started two attempts and went away
	// without following them.
	launch := func(spec bootstrap.RunSpec) string {
		t.Helper()
		id, err := before.launch(ctx, spec, func(bootstrap.LogLine) {})
		if err != nil {
			t.Fatalf("launching %s: %v", spec.JobID, err)
		}
		return id
	}
	keptSpec := jobSpec(instance, "job-kept", "lines", "5", "300", "7")
	roleVars := []string{rolecreds.EnvFullURI + "=http://127.0.0.1:51670/v1/credentials/x", rolecreds.EnvToken + "=t"}
	keptSpec.Env = append(keptSpec.Env, roleVars...)
	kept := launch(keptSpec)
	lost := launch(jobSpec(instance, "job-lost", "sleep", "60"))
	startedAt := inspect(t, kept).Container.State.StartedAt

	// The agent after the restart still holds job-kept's lease only.
	after, err := New(Options{Network: "none"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer after.Close()
	out := newOutput()
	var asked []string
	adopted, err := after.Adopt(ctx, instance, func(jobID string, attempt int) (Resume, bool) {
		asked = append(asked, jobID)
		if jobID == "job-kept" && attempt == 1 {
			return Resume{Logs: out.log}, true
		}
		return Resume{}, false
	})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	slices.Sort(asked)
	if want := []string{"job-kept", "job-lost"}; !slices.Equal(asked, want) {
		t.Errorf("asked about %q, want %q", asked, want)
	}
	if len(adopted) != 1 || adopted[0].JobID != "job-kept" || adopted[0].Attempt != 1 || adopted[0].Execution.ContainerID() != kept {
		t.Fatalf("adopted %+v, want job-kept attempt 1 in container %.12s", adopted, kept)
	}
	for _, kv := range append(roleVars, "AWS_BATCH_JOB_ID=job-kept") {
		if !slices.Contains(adopted[0].Env, kv) {
			t.Errorf("adopted environment %q lacks %q", adopted[0].Env, kv)
		}
	}
	if _, err := daemon.ContainerInspect(ctx, lost, client.ContainerInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspecting the container whose lease is gone: %v, want not found", err)
	}
	ins := inspect(t, kept).Container
	if ins.State.StartedAt != startedAt || ins.RestartCount != 0 {
		t.Errorf("kept container restarted: started %s (was %s), restart count %d", ins.State.StartedAt, startedAt, ins.RestartCount)
	}

	res := waitResult(t, adopted[0].Execution, time.Minute)
	if res != (bootstrap.RunResult{ExitCode: 7}) {
		t.Errorf("result %+v, want exit code 7", res)
	}
	// Its whole output, once: it ran once.
	want := []string{"start", "line 1", "line 2", "line 3", "line 4", "line 5"}
	if got := out.texts("stdout"); !slices.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestAdoptResumesOutputAfterSince(t *testing.T) {
	before, instance := newRuntime(t, Options{})
	ctx := context.Background()
	earlier := newOutput()
	id, err := before.launch(ctx, jobSpec(instance, "job-resume", "lines", "3", "200", "0"), earlier.log)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	// What the earlier agent saved: the output up to "line 1".
	ex := before.follow(id, earlier.log, time.Time{})
	saved := earlier.waitFor(t, "line 1", 30*time.Second)

	out := newOutput()
	adopted, err := before.Adopt(ctx, instance, func(string, int) (Resume, bool) {
		return Resume{Logs: out.log, Since: saved.At.Add(time.Nanosecond)}, true
	})
	if err != nil || len(adopted) != 1 {
		t.Fatalf("Adopt: %v, %d adopted; want 1", err, len(adopted))
	}
	waitResult(t, adopted[0].Execution, time.Minute)
	waitResult(t, ex, time.Minute)
	if got, want := out.texts("stdout"), []string{"line 2", "line 3"}; !slices.Equal(got, want) {
		t.Errorf("resumed output %q, want %q", got, want)
	}
}

func TestRoleEnvPassesOnTheCredentialsEntriesOnly(t *testing.T) {
	uri := rolecreds.EnvFullURI + "=http://169.254.170.2:51670/v1/credentials/x"
	token := rolecreds.EnvToken + "=t"
	env := []string{"PATH=/bin", "DB_PASSWORD=secret", uri, rolecreds.EnvToken + "_OTHER=y", "NOEQUALS", token}
	if got, want := roleEnv(env), []string{uri, token}; !slices.Equal(got, want) {
		t.Errorf("roleEnv = %q, want %q", got, want)
	}
	if got := roleEnv([]string{"PATH=/bin"}); len(got) != 0 {
		t.Errorf("roleEnv without them = %q, want none", got)
	}
}
