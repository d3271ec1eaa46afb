package docker

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// BenchmarkStart is the time Start takes with the image cached: from the
// call to a running container, after which the agent marks the job
// RUNNING.
func BenchmarkStart(b *testing.B) {
	r, instance := newRuntime(b, Options{})
	for i := 0; i < b.N; i++ {
		ex, _ := start(b, r, jobSpec(instance, "bench-start-"+strconv.Itoa(i), "sleep", "60"))
		b.StopTimer()
		ex.Stop(0)
		waitResult(b, ex, time.Minute)
		b.StartTimer()
	}
}

// BenchmarkJob is a whole job that exits at once, through the runtime:
// start, output followed, exit read, container removed.
func BenchmarkJob(b *testing.B) {
	r, instance := newRuntime(b, Options{})
	for i := 0; i < b.N; i++ {
		ex, _ := start(b, r, jobSpec(instance, "bench-job-"+strconv.Itoa(i), "exit", "0"))
		if res := waitResult(b, ex, time.Minute); res.ExitCode != 0 {
			b.Fatalf("exit code %d", res.ExitCode)
		}
	}
}

// BenchmarkBareContainer is the same container through the Engine API
// alone (create, start, wait, remove): what BenchmarkJob costs beyond it
// is the runtime's overhead per job.
func BenchmarkBareContainer(b *testing.B) {
	r, instance := newRuntime(b, Options{})
	ctx := context.Background()
	host, err := r.dockerHost(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cs, err := r.build.build(jobSpec(instance, "bench-bare-"+strconv.Itoa(i), "exit", "0"))
		if err != nil {
			b.Fatal(err)
		}
		cs.host.NetworkMode = container.NetworkMode(host.network)
		created, err := daemon.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cs.config, HostConfig: cs.host})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := daemon.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
			b.Fatal(err)
		}
		w := daemon.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
		select {
		case <-w.Result:
		case err := <-w.Error:
			b.Fatal(err)
		}
		if _, err := daemon.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}
