package docker

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/batch"
)

func TestContainerSettings(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	yes := true
	shm, nofile := int64(128), batch.Ulimit{Name: "nofile", SoftLimit: 1024, HardLimit: 2048}
	spec := jobSpec(instance, "job-settings", "sleep", "60")
	spec.Attempt = 3
	spec.VCPUs, spec.MemoryMiB = 0.5, 64
	spec.Container = &batch.ContainerProperties{
		ReadonlyRootFilesystem: &yes,
		Ulimits:                []batch.Ulimit{nofile},
		LinuxParameters: &batch.LinuxParameters{
			InitProcessEnabled: &yes,
			SharedMemorySize:   &shm,
			Tmpfs:              []batch.Tmpfs{{ContainerPath: "/scratch", Size: 16}},
		},
	}
	ex, out := start(t, r, spec)
	out.waitFor(t, "sleeping", 30*time.Second)
	c := inspect(t, ex.ContainerID()).Container
	ex.Stop(0)
	waitResult(t, ex, 30*time.Second)

	// The network is chosen by the daemon's: scripts/dockerd.sh runs one
	// with --bridge=none.
	wantNetwork := "bridge"
	if _, err := daemon.NetworkInspect(context.Background(), "bridge", client.NetworkInspectOptions{}); cerrdefs.IsNotFound(err) {
		wantNetwork = "none"
	}
	hc := c.HostConfig
	checks := []struct {
		what      string
		got, want any
	}{
		{"label " + LabelJobID, c.Config.Labels[LabelJobID], "job-settings"},
		{"label " + LabelAttempt, c.Config.Labels[LabelAttempt], "3"},
		{"label " + LabelInstance, c.Config.Labels[LabelInstance], instance},
		{"security options", strings.Join(hc.SecurityOpt, ","), "no-new-privileges"},
		{"added capabilities", len(hc.CapAdd), 0},
		{"privileged", hc.Privileged, false},
		{"NanoCpus", hc.NanoCPUs, int64(500_000_000)},
		{"Memory", hc.Memory, int64(64 << 20)},
		{"MemorySwap", hc.MemorySwap, int64(64 << 20)},
		{"ReadonlyRootfs", hc.ReadonlyRootfs, true},
		{"Init", hc.Init != nil && *hc.Init, true},
		{"ShmSize", hc.ShmSize, int64(128 << 20)},
		{"Tmpfs", hc.Tmpfs["/scratch"], "size=16m"},
		{"Ulimits", len(hc.Ulimits) == 1 && *hc.Ulimits[0] == container.Ulimit{Name: nofile.Name, Soft: nofile.SoftLimit, Hard: nofile.HardLimit}, true},
		{"NetworkMode", string(hc.NetworkMode), wantNetwork},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestWritablePathsOfReadOnlyRoot(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	yes := true
	tests := []struct {
		path     string
		wantCode int
	}{
		{"/tmp/file", 2},     // the image's /tmp is part of the read-only root
		{"/scratch/file", 0}, // a tmpfs
		{"/data/file", 0},    // a volume without a host path
		{"/ro/file", 2},      // a read-only mount point
	}
	for i, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			spec := jobSpec(instance, "job-ro-"+strconv.Itoa(i), "write", tt.path)
			spec.Container = &batch.ContainerProperties{
				ReadonlyRootFilesystem: &yes,
				LinuxParameters:        &batch.LinuxParameters{Tmpfs: []batch.Tmpfs{{ContainerPath: "/scratch", Size: 1}}},
				Volumes:                []batch.Volume{{Name: "data"}},
				MountPoints: []batch.MountPoint{
					{SourceVolume: "data", ContainerPath: "/data"},
					{SourceVolume: "data", ContainerPath: "/ro", ReadOnly: true},
				},
			}
			ex, out := start(t, r, spec)
			if res := waitResult(t, ex, time.Minute); res.ExitCode != tt.wantCode {
				t.Errorf("exit code %d, want %d; output %q", res.ExitCode, tt.wantCode, out.texts(""))
			}
		})
	}
	vols, err := daemon.VolumeList(context.Background(), client.VolumeListOptions{Filters: make(client.Filters).Add("name", "tanda-job-ro-")})
	if err != nil {
		t.Fatalf("listing volumes: %v", err)
	}
	for _, v := range vols.Items {
		t.Errorf("volume %s left behind", v.Name)
		daemon.VolumeRemove(context.Background(), v.Name, client.VolumeRemoveOptions{Force: true})
	}
}
