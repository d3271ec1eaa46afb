package batch

import (
	"maps"
	"slices"
)

// MergeContainer returns a job's effective container: a deep copy of the
// job definition's container with SubmitJob's overrides applied (reference
// §3.6). The command is replaced when the override gives one; environment
// variables are merged by name (an override replaces the definition's value
// in place, new names are appended in order); resourceRequirements are
// replaced per type; the deprecated vcpus and memory overrides set the
// deprecated members unless the definition states that resource through
// resourceRequirements, which they do not override; instanceType is
// replaced when given. Neither input is modified.
func MergeContainer(def *ContainerProperties, o *ContainerOverrides) *ContainerProperties {
	c := cloneContainer(def)
	if o == nil {
		return c
	}
	_, defVCPU := requirement(c.ResourceRequirements, ResourceVCPU)
	_, defMemory := requirement(c.ResourceRequirements, ResourceMemory)
	if len(o.Command) > 0 {
		c.Command = slices.Clone(o.Command)
	}
	c.Environment = mergeEnvironment(c.Environment, o.Environment)
	c.ResourceRequirements = mergeRequirements(c.ResourceRequirements, o.ResourceRequirements)
	if o.Vcpus != nil && !defVCPU {
		c.Vcpus = clonePtr(o.Vcpus)
	}
	if o.Memory != nil && !defMemory {
		c.Memory = clonePtr(o.Memory)
	}
	if o.InstanceType != "" {
		c.InstanceType = o.InstanceType
	}
	return c
}

// mergeEnvironment overlays overrides on env by name; env is owned.
func mergeEnvironment(env, overrides []KeyValuePair) []KeyValuePair {
	at := make(map[string]int, len(env))
	for i, kv := range env {
		at[kv.Name] = i
	}
	for _, kv := range overrides {
		if i, ok := at[kv.Name]; ok {
			env[i].Value = kv.Value
			continue
		}
		at[kv.Name] = len(env)
		env = append(env, kv)
	}
	return env
}

// mergeRequirements replaces reqs' entries by type with overrides' and
// appends the types reqs lacks; reqs is owned.
func mergeRequirements(reqs, overrides []ResourceRequirement) []ResourceRequirement {
	for _, o := range overrides {
		i := slices.IndexFunc(reqs, func(r ResourceRequirement) bool { return r.Type == o.Type })
		if i >= 0 {
			reqs[i] = o
			continue
		}
		reqs = append(reqs, o)
	}
	return reqs
}

// cloneContainer deep-copies c; a nil c yields an empty container.
func cloneContainer(c *ContainerProperties) *ContainerProperties {
	if c == nil {
		return &ContainerProperties{}
	}
	out := *c
	out.Vcpus = clonePtr(c.Vcpus)
	out.Memory = clonePtr(c.Memory)
	out.Command = slices.Clone(c.Command)
	out.Volumes = cloneVolumes(c.Volumes)
	out.Environment = slices.Clone(c.Environment)
	out.MountPoints = slices.Clone(c.MountPoints)
	out.ReadonlyRootFilesystem = clonePtr(c.ReadonlyRootFilesystem)
	out.Privileged = clonePtr(c.Privileged)
	out.Ulimits = slices.Clone(c.Ulimits)
	out.ResourceRequirements = slices.Clone(c.ResourceRequirements)
	out.LinuxParameters = cloneLinuxParameters(c.LinuxParameters)
	out.LogConfiguration = cloneLogConfiguration(c.LogConfiguration)
	out.Secrets = slices.Clone(c.Secrets)
	out.NetworkConfiguration = cloneDocument(c.NetworkConfiguration)
	out.FargatePlatformConfiguration = cloneDocument(c.FargatePlatformConfiguration)
	out.EphemeralStorage = cloneDocument(c.EphemeralStorage)
	out.RuntimePlatform = cloneDocument(c.RuntimePlatform)
	out.RepositoryCredentials = cloneDocument(c.RepositoryCredentials)
	out.EnableExecuteCommand = clonePtr(c.EnableExecuteCommand)
	out.ExitCode = clonePtr(c.ExitCode)
	out.NetworkInterfaces = slices.Clone(c.NetworkInterfaces)
	return &out
}

func cloneVolumes(vs []Volume) []Volume {
	if vs == nil {
		return nil
	}
	out := make([]Volume, len(vs))
	for i, v := range vs {
		out[i] = v
		out[i].Host = clonePtr(v.Host)
		out[i].EFSVolumeConfiguration = cloneDocument(v.EFSVolumeConfiguration)
	}
	return out
}

func cloneLinuxParameters(lp *LinuxParameters) *LinuxParameters {
	if lp == nil {
		return nil
	}
	out := *lp
	out.Devices = nil
	if lp.Devices != nil {
		out.Devices = make([]Device, len(lp.Devices))
		for i, d := range lp.Devices {
			out.Devices[i] = d
			out.Devices[i].Permissions = slices.Clone(d.Permissions)
		}
	}
	out.Tmpfs = nil
	if lp.Tmpfs != nil {
		out.Tmpfs = make([]Tmpfs, len(lp.Tmpfs))
		for i, t := range lp.Tmpfs {
			out.Tmpfs[i] = t
			out.Tmpfs[i].MountOptions = slices.Clone(t.MountOptions)
		}
	}
	out.InitProcessEnabled = clonePtr(lp.InitProcessEnabled)
	out.SharedMemorySize = clonePtr(lp.SharedMemorySize)
	out.MaxSwap = clonePtr(lp.MaxSwap)
	out.Swappiness = clonePtr(lp.Swappiness)
	return &out
}

func cloneLogConfiguration(lc *LogConfiguration) *LogConfiguration {
	if lc == nil {
		return nil
	}
	out := *lc
	out.Options = maps.Clone(lc.Options)
	out.SecretOptions = slices.Clone(lc.SecretOptions)
	return &out
}

// cloneDocument deep-copies a free-form JSON object.
func cloneDocument(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneDocumentValue(v)
	}
	return out
}

func cloneDocumentValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneDocument(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneDocumentValue(e)
		}
		return out
	}
	return v // strings, numbers, booleans and nil are values
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
