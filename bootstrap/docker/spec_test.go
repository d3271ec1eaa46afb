package docker

import (
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

func TestBuildResources(t *testing.T) {
	swap, swappiness := int64(100), int64(10)
	tests := []struct {
		name string
		spec bootstrap.RunSpec
		lp   *batch.LinuxParameters
		want container.Resources
	}{
		{"none", bootstrap.RunSpec{}, nil, container.Resources{}},
		{"vcpus and memory", bootstrap.RunSpec{VCPUs: 1.5, MemoryMiB: 512}, nil,
			container.Resources{NanoCPUs: 1_500_000_000, Memory: 512 << 20, MemorySwap: 512 << 20}},
		{"fractional vcpus", bootstrap.RunSpec{VCPUs: 0.25}, nil, container.Resources{NanoCPUs: 250_000_000}},
		{"gpus", bootstrap.RunSpec{GPUs: 2}, nil,
			container.Resources{DeviceRequests: []container.DeviceRequest{{Count: 2, Capabilities: [][]string{{"gpu"}}}}}},
		{"max swap", bootstrap.RunSpec{MemoryMiB: 256}, &batch.LinuxParameters{MaxSwap: &swap, Swappiness: &swappiness},
			container.Resources{Memory: 256 << 20, MemorySwap: 356 << 20, MemorySwappiness: &swappiness}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Image = "img"
			if tt.lp != nil {
				tt.spec.Container = &batch.ContainerProperties{LinuxParameters: tt.lp}
			}
			got, err := specBuilder{}.build(tt.spec)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if !reflect.DeepEqual(got.host.Resources, tt.want) {
				t.Errorf("resources %+v, want %+v", got.host.Resources, tt.want)
			}
		})
	}
}

func TestBuildContainer(t *testing.T) {
	yes, no := true, false
	shm := int64(64)
	spec := bootstrap.RunSpec{
		JobID: "abc:7", Attempt: 2, InstanceID: "i-1", Image: "img:1",
		Command: []string{"run", "it"}, Env: []string{"A=1"}, User: "1000",
		Container: &batch.ContainerProperties{
			ReadonlyRootFilesystem: &yes,
			Privileged:             &no,
			Ulimits:                []batch.Ulimit{{Name: "nofile", SoftLimit: 10, HardLimit: 20}},
			Volumes:                []batch.Volume{{Name: "scratch"}},
			MountPoints:            []batch.MountPoint{{SourceVolume: "scratch", ContainerPath: "/data", ReadOnly: true}},
			LinuxParameters: &batch.LinuxParameters{
				InitProcessEnabled: &yes,
				SharedMemorySize:   &shm,
				Tmpfs:              []batch.Tmpfs{{ContainerPath: "/run", Size: 8, MountOptions: []string{"noexec"}}, {ContainerPath: "/t"}},
			},
		},
	}
	got, err := specBuilder{}.build(spec)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	wantConfig := &container.Config{
		Image: "img:1", Cmd: []string{"run", "it"}, Env: []string{"A=1"}, User: "1000",
		Labels: map[string]string{LabelJobID: "abc:7", LabelAttempt: "2", LabelInstance: "i-1"},
	}
	if !reflect.DeepEqual(got.config, wantConfig) {
		t.Errorf("config %+v, want %+v", got.config, wantConfig)
	}
	if want := "tanda-abc-7-2"; got.name != want {
		t.Errorf("name %q, want %q", got.name, want)
	}
	hc := got.host
	checks := []struct {
		what      string
		got, want any
	}{
		{"security options", hc.SecurityOpt, []string{"no-new-privileges"}},
		{"capabilities added", hc.CapAdd, []string(nil)},
		{"privileged", hc.Privileged, false},
		{"read-only root", hc.ReadonlyRootfs, true},
		{"init", hc.Init, &yes},
		{"shm size", hc.ShmSize, int64(64 << 20)},
		{"tmpfs", hc.Tmpfs, map[string]string{"/run": "size=8m,noexec", "/t": ""}},
		{"ulimits", hc.Ulimits, []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}}},
		{"mounts", hc.Mounts, []mount.Mount{{Type: mount.TypeVolume, Source: "tanda-abc-7-2_v_scratch", Target: "/data", ReadOnly: true}}},
		{"log driver", hc.LogConfig.Type, "json-file"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
}

func TestBuildPolicy(t *testing.T) {
	yes := true
	hostVolume := &batch.ContainerProperties{
		Volumes:     []batch.Volume{{Name: "data", Host: &batch.Host{SourcePath: "/srv/data"}}},
		MountPoints: []batch.MountPoint{{SourceVolume: "data", ContainerPath: "/data"}},
	}
	device := &batch.ContainerProperties{LinuxParameters: &batch.LinuxParameters{
		Devices: []batch.Device{{HostPath: "/dev/fuse", Permissions: []string{"READ", "WRITE"}}},
	}}
	everything := &batch.ContainerProperties{
		Privileged: &yes, Volumes: hostVolume.Volumes, MountPoints: hostVolume.MountPoints,
		LinuxParameters: device.LinuxParameters,
	}
	tests := []struct {
		name    string
		c       *batch.ContainerProperties
		allow   Allow
		wantErr string // "" when allowed
		check   func(*container.HostConfig) bool
	}{
		{"privileged refused", &batch.ContainerProperties{Privileged: &yes}, Allow{}, "not allowed by this instance's Docker runtime: privileged mode", nil},
		{"privileged allowed", &batch.ContainerProperties{Privileged: &yes}, Allow{Privileged: true}, "",
			func(hc *container.HostConfig) bool { return hc.Privileged }},
		{"host volume refused", hostVolume, Allow{}, `host volume "data" (/srv/data)`, nil},
		{"host volume allowed", hostVolume, Allow{HostVolumes: true}, "",
			func(hc *container.HostConfig) bool {
				return reflect.DeepEqual(hc.Mounts, []mount.Mount{{Type: mount.TypeBind, Source: "/srv/data", Target: "/data"}})
			}},
		{"device refused", device, Allow{}, "device /dev/fuse", nil},
		{"device allowed", device, Allow{Devices: true}, "",
			func(hc *container.HostConfig) bool {
				return reflect.DeepEqual(hc.Devices, []container.DeviceMapping{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rw"}})
			}},
		{"every refusal named", everything, Allow{}, `privileged mode, host volume "data" (/srv/data), device /dev/fuse`, nil},
		{"unknown volume", &batch.ContainerProperties{MountPoints: []batch.MountPoint{{SourceVolume: "x", ContainerPath: "/x"}}}, Allow{},
			`mount point /x: no volume named "x"`, nil},
		{"efs volume", &batch.ContainerProperties{
			Volumes:     []batch.Volume{{Name: "e", EFSVolumeConfiguration: map[string]any{"fileSystemId": "fs-1"}}},
			MountPoints: []batch.MountPoint{{SourceVolume: "e", ContainerPath: "/e"}},
		}, Allow{HostVolumes: true}, `volume "e": EFS volumes are not supported`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := specBuilder{allow: tt.allow}.build(bootstrap.RunSpec{Image: "img", Container: tt.c})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("build: got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if !tt.check(got.host) {
				t.Errorf("host config %+v not as allowed", got.host)
			}
		})
	}
}

func TestNewRefusesHostNetworkUnlessAllowed(t *testing.T) {
	if _, err := New(Options{Network: "host"}); err == nil {
		t.Error("New with host networking not allowed: no error")
	}
	r, err := New(Options{Network: "host", Allow: Allow{HostNetwork: true}})
	if err != nil {
		t.Fatalf("New with host networking allowed: %v", err)
	}
	r.Close()
}

func TestAttemptLabelsRoundTrip(t *testing.T) {
	tests := []struct {
		labels      map[string]string
		wantJob     string
		wantAttempt int
		wantErr     bool
	}{
		{labels("i-1", "job:3", 4), "job:3", 4, false},
		{map[string]string{LabelAttempt: "1"}, "", 0, true},
		{map[string]string{LabelJobID: "j", LabelAttempt: "x"}, "", 0, true},
	}
	for _, tt := range tests {
		job, attempt, err := attemptOf(tt.labels)
		if job != tt.wantJob || attempt != tt.wantAttempt || (err != nil) != tt.wantErr {
			t.Errorf("attemptOf(%v) = %q, %d, %v; want %q, %d, error %v", tt.labels, job, attempt, err, tt.wantJob, tt.wantAttempt, tt.wantErr)
		}
	}
}

// A compute environment's tanda:allow tag lets its jobs have what the
// runtime itself does not allow, item by item.
func TestComputeEnvironmentAllowances(t *testing.T) {
	yes := true
	c := &batch.ContainerProperties{
		Privileged:      &yes,
		Volumes:         []batch.Volume{{Name: "data", Host: &batch.Host{SourcePath: "/srv/data"}}},
		MountPoints:     []batch.MountPoint{{SourceVolume: "data", ContainerPath: "/data"}},
		LinuxParameters: &batch.LinuxParameters{Devices: []batch.Device{{HostPath: "/dev/fuse"}}},
	}
	got, err := specBuilder{}.build(bootstrap.RunSpec{Image: "img", Container: c, Allowed: []string{"privileged", "host-volumes", "devices"}})
	if err != nil {
		t.Fatalf("everything allowed by the compute environment: %v", err)
	}
	if !got.host.Privileged || len(got.host.Mounts) != 1 || len(got.host.Devices) != 1 {
		t.Errorf("host config %+v: want privileged, the bind mount and the device", got.host)
	}
	_, err = specBuilder{}.build(bootstrap.RunSpec{Image: "img", Container: c, Allowed: []string{"privileged"}})
	if err == nil || !strings.Contains(err.Error(), `host volume "data" (/srv/data), device /dev/fuse`) || strings.Contains(err.Error(), "privileged") {
		t.Errorf("only privileged allowed: %v, want the host volume and device refused", err)
	}
}
