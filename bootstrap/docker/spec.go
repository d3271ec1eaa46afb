package docker

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

// Allow lists what jobs may ask of the instance beyond an ordinary
// container. Everything is refused by default.
type Allow struct {
	// HostVolumes lets volumes with a host sourcePath be mounted.
	HostVolumes bool
	// Devices lets linuxParameters.devices map host devices in.
	Devices bool
	// Privileged lets a job run with privileged: true.
	Privileged bool
	// HostNetwork lets the runtime put containers on the host's network
	// (Options.Network "host").
	HostNetwork bool
}

// createSpec is what ContainerCreate gets for one attempt.
type createSpec struct {
	name   string
	config *container.Config
	host   *container.HostConfig
}

// refusal is a job asking for what the runtime does not allow or cannot
// do; its text becomes the attempt's reason.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

// with adds what a compute environment allows (bootstrap.AllowTag) to a.
// Host networking stays the runtime's choice.
func (a Allow) with(allowed []string) Allow {
	for _, v := range allowed {
		switch v {
		case "privileged":
			a.Privileged = true
		case "host-volumes":
			a.HostVolumes = true
		case "devices":
			a.Devices = true
		}
	}
	return a
}

// specBuilder makes containers under one policy.
type specBuilder struct {
	allow Allow
}

// build makes the container of an attempt, but for its network mode. An
// error is a *refusal.
func (b specBuilder) build(spec bootstrap.RunSpec) (createSpec, error) {
	b.allow = b.allow.with(spec.Allowed)
	cfg := &container.Config{
		Image:  spec.Image,
		Env:    spec.Env,
		User:   spec.User,
		Labels: labels(spec.InstanceID, spec.JobID, spec.Attempt),
	}
	if len(spec.Command) > 0 {
		cfg.Cmd = spec.Command
	}
	hc := &container.HostConfig{
		// The job's output is followed from Docker's own log of it.
		LogConfig: container.LogConfig{Type: "json-file"},
		// Docker's default capabilities, and no way to gain more.
		SecurityOpt: []string{"no-new-privileges"},
		Resources:   resources(spec),
	}
	var denied []string
	if c := spec.Container; c != nil {
		if c.ReadonlyRootFilesystem != nil {
			hc.ReadonlyRootfs = *c.ReadonlyRootFilesystem
		}
		if c.Privileged != nil && *c.Privileged {
			if !b.allow.Privileged {
				denied = append(denied, "privileged mode")
			}
			hc.Privileged = true
		}
		for _, u := range c.Ulimits {
			hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.SoftLimit, Hard: u.HardLimit})
		}
		mounts, d, err := b.mounts(containerName(spec.JobID, spec.Attempt), c)
		if err != nil {
			return createSpec{}, err
		}
		hc.Mounts = mounts
		denied = append(denied, d...)
		if lp := c.LinuxParameters; lp != nil {
			denied = append(denied, b.linux(hc, lp)...)
		}
	}
	if len(denied) > 0 {
		return createSpec{}, &refusal{"not allowed by this instance's Docker runtime: " + strings.Join(denied, ", ")}
	}
	return createSpec{name: containerName(spec.JobID, spec.Attempt), config: cfg, host: hc}, nil
}

// resources are the attempt's CPU, memory and GPU limits: vCPUs as a hard
// CPU limit, memory as a hard limit with no swap, GPUs as device requests.
func resources(spec bootstrap.RunSpec) container.Resources {
	var r container.Resources
	if spec.VCPUs > 0 {
		r.NanoCPUs = int64(math.Round(spec.VCPUs * 1e9))
	}
	if spec.MemoryMiB > 0 {
		r.Memory = spec.MemoryMiB << 20
		r.MemorySwap = r.Memory
	}
	if spec.GPUs > 0 {
		r.DeviceRequests = []container.DeviceRequest{{Count: int(spec.GPUs), Capabilities: [][]string{{"gpu"}}}}
	}
	return r
}

// linux applies linuxParameters and returns what it refused.
func (b specBuilder) linux(hc *container.HostConfig, lp *batch.LinuxParameters) (denied []string) {
	if lp.InitProcessEnabled != nil {
		init := *lp.InitProcessEnabled
		hc.Init = &init
	}
	if lp.SharedMemorySize != nil && *lp.SharedMemorySize > 0 {
		hc.ShmSize = *lp.SharedMemorySize << 20
	}
	if lp.MaxSwap != nil && hc.Memory > 0 {
		hc.MemorySwap = hc.Memory + max(*lp.MaxSwap, 0)<<20
	}
	if lp.Swappiness != nil {
		s := *lp.Swappiness
		hc.MemorySwappiness = &s
	}
	for _, t := range lp.Tmpfs {
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		opts := t.MountOptions
		if t.Size > 0 {
			opts = append([]string{"size=" + strconv.FormatInt(t.Size, 10) + "m"}, opts...)
		}
		hc.Tmpfs[t.ContainerPath] = strings.Join(opts, ",")
	}
	for _, d := range lp.Devices {
		if !b.allow.Devices {
			denied = append(denied, "device "+d.HostPath)
			continue
		}
		hc.Devices = append(hc.Devices, container.DeviceMapping{
			PathOnHost:        d.HostPath,
			PathInContainer:   cmp.Or(d.ContainerPath, d.HostPath),
			CgroupPermissions: devicePermissions(d.Permissions),
		})
	}
	return denied
}

// mounts turns mount points into mounts: a volume with a host sourcePath
// is a bind mount (if allowed); one without is a Docker volume of the
// attempt's own, named after its container, which goes with it.
func (b specBuilder) mounts(name string, c *batch.ContainerProperties) (mounts []mount.Mount, denied []string, err error) {
	volumes := make(map[string]batch.Volume, len(c.Volumes))
	for _, v := range c.Volumes {
		volumes[v.Name] = v
	}
	for _, mp := range c.MountPoints {
		v, ok := volumes[mp.SourceVolume]
		if !ok {
			return nil, nil, &refusal{fmt.Sprintf("mount point %s: no volume named %q", mp.ContainerPath, mp.SourceVolume)}
		}
		m := mount.Mount{Type: mount.TypeVolume, Source: volumeName(name, v.Name), Target: mp.ContainerPath, ReadOnly: mp.ReadOnly}
		switch {
		case v.EFSVolumeConfiguration != nil:
			return nil, nil, &refusal{fmt.Sprintf("volume %q: EFS volumes are not supported", v.Name)}
		case v.Host != nil && v.Host.SourcePath != "":
			if !b.allow.HostVolumes {
				denied = append(denied, fmt.Sprintf("host volume %q (%s)", v.Name, v.Host.SourcePath))
				continue
			}
			m.Type, m.Source = mount.TypeBind, v.Host.SourcePath
		}
		mounts = append(mounts, m)
	}
	return mounts, denied, nil
}

// devicePermissions maps AWS's READ, WRITE and MKNOD to a cgroup rule;
// all three when none are given.
func devicePermissions(perms []string) string {
	if len(perms) == 0 {
		return "rwm"
	}
	var b strings.Builder
	for _, p := range perms {
		switch strings.ToUpper(p) {
		case "READ":
			b.WriteByte('r')
		case "WRITE":
			b.WriteByte('w')
		case "MKNOD":
			b.WriteByte('m')
		}
	}
	return b.String()
}

// containerName is a readable, unique name for an attempt's container.
func containerName(jobID string, attempt int) string {
	return "tanda-" + cleanName(jobID) + "-" + strconv.Itoa(attempt)
}

// volumeName names the Docker volume of a job's volume: its container's
// name, "_v_", and the volume's name.
func volumeName(container, volume string) string {
	return container + volumeInfix + cleanName(volume)
}

const volumeInfix = "_v_"

// ownVolume tells whether a volume is one of a container's own.
func ownVolume(container, volume string) bool {
	return strings.HasPrefix(volume, strings.TrimPrefix(container, "/")+volumeInfix)
}

// cleanName keeps what Docker allows in names and replaces the rest.
func cleanName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, s)
}
