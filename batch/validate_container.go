package batch

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	// maxImageLength bounds containerProperties.image.
	maxImageLength = 255
	// minMemoryMiB is the least memory a container may ask for.
	minMemoryMiB = 4
	// maxContainerOverridesLength bounds serialized containerOverrides.
	maxContainerOverridesLength = 8192
	// reservedEnvPrefix starts the names of the variables Batch sets.
	reservedEnvPrefix = "AWS_BATCH"
)

// volumeNamePattern names a volume that mountPoints refer to.
var volumeNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// ulimitNames are the ulimit types a container may set.
var ulimitNames = []string{"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

// validateContainerProperties checks a job definition's container at path.
// Privileged containers and host-path volumes are allowed here: whether they
// may run is the compute environment's decision when the job is placed.
func validateContainerProperties(path string, c *ContainerProperties, fargate bool) error {
	if c.Image == "" {
		return invalidf(memberPath(path, "image"), "is required")
	}
	if n := utf8.RuneCountInString(c.Image); n > maxImageLength {
		return invalidf(memberPath(path, "image"), "must be at most %d characters (got %d)", maxImageLength, n)
	}
	if fargate && (c.Vcpus != nil || c.Memory != nil) {
		return invalidf(path, "must not use the deprecated vcpus and memory on FARGATE; use resourceRequirements")
	}
	if c.Vcpus != nil && *c.Vcpus < 1 {
		return invalidf(memberPath(path, "vcpus"), "must be at least 1 (got %d)", *c.Vcpus)
	}
	if c.Memory != nil && *c.Memory < minMemoryMiB {
		return invalidf(memberPath(path, "memory"), "must be at least %d MiB (got %d)", minMemoryMiB, *c.Memory)
	}
	rp := func(name string) string { return memberPath(path, name) }
	return firstError(
		validateResourceRequirements(rp("resourceRequirements"), c.ResourceRequirements),
		validateContainerResources(path, c, fargate),
		validateCommand(rp("command"), c.Command),
		validateEnvironment(rp("environment"), c.Environment),
		validateVolumes(path, c.Volumes, c.MountPoints),
		validateUlimits(rp("ulimits"), c.Ulimits),
		validateSecrets(rp("secrets"), c.Secrets, true),
		validateLinuxParameters(rp("linuxParameters"), c.LinuxParameters),
		ValidateLogConfiguration(rp("logConfiguration"), c.LogConfiguration),
	)
}

// validateContainerOverrides checks SubmitJob's containerOverrides: the
// members' own rules and AWS's 8,192-character limit on the whole.
func validateContainerOverrides(path string, o *ContainerOverrides) error {
	if o == nil {
		return nil
	}
	if o.LogConfiguration != nil {
		return invalidf(memberPath(path, "logConfiguration"), "cannot be overridden: AWS Batch takes a job's log settings from its job definition; register a revision whose containerProperties.logConfiguration uses %s, the log driver Tanda supports", LogDriverAWSLogs)
	}
	if o.Vcpus != nil && *o.Vcpus < 1 {
		return invalidf(memberPath(path, "vcpus"), "must be at least 1 (got %d)", *o.Vcpus)
	}
	if o.Memory != nil && *o.Memory < 1 {
		return invalidf(memberPath(path, "memory"), "must be a positive number of MiB (got %d)", *o.Memory)
	}
	if err := validateResourceRequirements(memberPath(path, "resourceRequirements"), o.ResourceRequirements); err != nil {
		return err
	}
	if err := validateCommand(memberPath(path, "command"), o.Command); err != nil {
		return err
	}
	if err := validateEnvironment(memberPath(path, "environment"), o.Environment); err != nil {
		return err
	}
	if n := serializedLength(o); n > maxContainerOverridesLength {
		return Clientf("%s: Container Overrides length must be at most %d (got %d)", path, maxContainerOverridesLength, n)
	}
	return nil
}

// serializedLength is the length in characters of v's JSON encoding, with
// no HTML escaping.
func serializedLength(v any) int {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return 0 // plain structs of strings and numbers always encode
	}
	return utf8.RuneCount(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// ValidateJobResources checks the resources of a job's effective container
// (MergeContainer's result): vCPUs and memory must be requested; on EC2,
// the platform unless platformCapabilities says FARGATE, vCPUs must be a
// whole number of at least 1; memory must be at least 4 MiB. Call it after
// merging, because overrides can change what the definition asked for.
func ValidateJobResources(c *ContainerProperties, platformCapabilities []string) error {
	return validateContainerResources("container", c, slices.Contains(platformCapabilities, PlatformFargate))
}

// validateContainerResources checks the vCPUs and memory c asks for,
// naming the member that supplies each value.
func validateContainerResources(path string, c *ContainerProperties, fargate bool) error {
	vcpus, memory, _ := Resources(c)
	vcpuPath, memoryPath := resourceSource(path, c, ResourceVCPU, "vcpus"), resourceSource(path, c, ResourceMemory, "memory")
	switch {
	case vcpus == 0:
		return invalidf(path, `must request vCPUs: add {"type":"VCPU","value":"1"} to resourceRequirements`)
	case !fargate && (vcpus < 1 || vcpus != math.Trunc(vcpus)):
		return invalidf(vcpuPath, "must be a whole number of at least 1 vCPU on EC2 (got %g)", vcpus)
	case memory == 0:
		return invalidf(path, `must request memory: add {"type":"MEMORY","value":"2048"} (MiB) to resourceRequirements`)
	case memory < minMemoryMiB:
		return invalidf(memoryPath, "must be at least %d MiB (got %d)", minMemoryMiB, memory)
	}
	return nil
}

// resourceSource is the path of the member that supplies a resource:
// resourceRequirements[i].value, or the deprecated member.
func resourceSource(path string, c *ContainerProperties, typ, deprecated string) string {
	for i, r := range c.ResourceRequirements {
		if r.Type == typ {
			return memberPath(elemPath(memberPath(path, "resourceRequirements"), i), "value")
		}
	}
	return memberPath(path, deprecated)
}

// validateResourceRequirements checks each requirement's type (VCPU,
// MEMORY or GPU, each at most once) and value (a positive number of vCPUs,
// a positive whole number of MiB or GPUs).
func validateResourceRequirements(path string, reqs []ResourceRequirement) error {
	seen := map[string]bool{}
	for i, r := range reqs {
		p := elemPath(path, i)
		var ok bool
		var unit string
		switch r.Type {
		case ResourceVCPU:
			_, ok = parseVCPU(r.Value)
			unit = "number of vCPUs"
		case ResourceMemory:
			_, ok = parseCount(r.Value)
			unit = "whole number of MiB"
		case ResourceGPU:
			_, ok = parseCount(r.Value)
			unit = "whole number of GPUs"
		default:
			return invalidf(memberPath(p, "type"), "must be VCPU, MEMORY or GPU (got %s)", quoteValue(r.Type))
		}
		if seen[r.Type] {
			return invalidf(memberPath(p, "type"), "repeats %s; give each type once", r.Type)
		}
		seen[r.Type] = true
		if !ok {
			return invalidf(memberPath(p, "value"), "must be a positive %s (got %s)", unit, quoteValue(r.Value))
		}
	}
	return nil
}

// validateCommand rejects empty arguments.
func validateCommand(path string, cmd []string) error {
	for i, arg := range cmd {
		if arg == "" {
			return invalidf(elemPath(path, i), "must not be empty")
		}
	}
	return nil
}

// validateEnvironment checks variable names: present, and not in the
// AWS_BATCH namespace, which is reserved for the variables Batch sets.
func validateEnvironment(path string, env []KeyValuePair) error {
	for i, kv := range env {
		p := memberPath(elemPath(path, i), "name")
		if kv.Name == "" {
			return invalidf(p, "is required")
		}
		if strings.HasPrefix(kv.Name, reservedEnvPrefix) {
			return invalidf(p, "must not start with %s, which is reserved for the variables Batch sets (got %s)", reservedEnvPrefix, quoteValue(kv.Name))
		}
	}
	return nil
}

// validateVolumes checks volumes (named, uniquely, host path or EFS but not
// both) and that every mount point mounts one of them at an absolute path.
func validateVolumes(path string, volumes []Volume, mounts []MountPoint) error {
	names := map[string]bool{}
	for i, v := range volumes {
		p := elemPath(memberPath(path, "volumes"), i)
		if err := validateName(memberPath(p, "name"), v.Name, volumeNamePattern, "must be 1-255 characters of letters, numbers, hyphens and underscores"); err != nil {
			return err
		}
		if names[v.Name] {
			return invalidf(memberPath(p, "name"), "repeats the volume name %s", quoteValue(v.Name))
		}
		names[v.Name] = true
		if v.Host != nil && v.EFSVolumeConfiguration != nil {
			return invalidf(p, "must set either host or efsVolumeConfiguration, not both")
		}
	}
	for i, m := range mounts {
		p := elemPath(memberPath(path, "mountPoints"), i)
		if m.SourceVolume == "" {
			return invalidf(memberPath(p, "sourceVolume"), "is required")
		}
		if !names[m.SourceVolume] {
			return invalidf(memberPath(p, "sourceVolume"), "must name one of the volumes (got %s)", quoteValue(m.SourceVolume))
		}
		if !strings.HasPrefix(m.ContainerPath, "/") {
			return invalidf(memberPath(p, "containerPath"), "must be an absolute path (got %s)", quoteValue(m.ContainerPath))
		}
	}
	return nil
}

// validateUlimits checks ulimit names.
func validateUlimits(path string, ulimits []Ulimit) error {
	for i, u := range ulimits {
		if !slices.Contains(ulimitNames, u.Name) {
			return invalidf(memberPath(elemPath(path, i), "name"), "must be one of %s (got %s)", strings.Join(ulimitNames, ", "), quoteValue(u.Name))
		}
	}
	return nil
}

// validateSecrets checks each secret: its name is required (for secrets,
// an environment variable's name, outside the AWS_BATCH namespace), and
// its valueFrom must be what ParseSecretRef reads.
func validateSecrets(path string, secrets []Secret, envNames bool) error {
	for i, s := range secrets {
		p := elemPath(path, i)
		if s.Name == "" {
			return invalidf(memberPath(p, "name"), "is required")
		}
		if envNames && strings.HasPrefix(s.Name, reservedEnvPrefix) {
			return invalidf(memberPath(p, "name"), "must not start with %s, which is reserved for the variables Batch sets (got %s)", reservedEnvPrefix, quoteValue(s.Name))
		}
		if s.ValueFrom == "" {
			return invalidf(memberPath(p, "valueFrom"), "is required: the ARN of the secret or parameter, or the parameter's name")
		}
		if _, err := ParseSecretRef(s.ValueFrom); err != nil {
			return invalidf(memberPath(p, "valueFrom"), "%v (got %s)", err, quoteValue(s.ValueFrom))
		}
	}
	return nil
}

// validateLinuxParameters checks devices, tmpfs mounts and swappiness.
func validateLinuxParameters(path string, lp *LinuxParameters) error {
	if lp == nil {
		return nil
	}
	for i, d := range lp.Devices {
		if d.HostPath == "" {
			return invalidf(memberPath(elemPath(memberPath(path, "devices"), i), "hostPath"), "is required")
		}
	}
	for i, t := range lp.Tmpfs {
		p := elemPath(memberPath(path, "tmpfs"), i)
		if !strings.HasPrefix(t.ContainerPath, "/") {
			return invalidf(memberPath(p, "containerPath"), "must be an absolute path (got %s)", quoteValue(t.ContainerPath))
		}
		if t.Size < 1 {
			return invalidf(memberPath(p, "size"), "must be a positive number of MiB (got %d)", t.Size)
		}
	}
	if lp.Swappiness != nil && (*lp.Swappiness < 0 || *lp.Swappiness > 100) {
		return invalidf(memberPath(path, "swappiness"), "must be between 0 and 100 (got %d)", *lp.Swappiness)
	}
	return nil
}
