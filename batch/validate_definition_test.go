package batch

import (
	"strings"
	"testing"
)

func validDefinition() *RegisterJobDefinitionInput {
	return &RegisterJobDefinitionInput{
		JobDefinitionName: "train_model-2",
		Type:              "container",
		ContainerProperties: &ContainerProperties{
			Image:                "busybox",
			ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "1"}, {Type: "MEMORY", Value: "2048"}},
		},
	}
}

func TestValidateRegisterJobDefinition(t *testing.T) {
	deprecated := func(vcpus, memory int64) func(*RegisterJobDefinitionInput) {
		return func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.ResourceRequirements = nil
			in.ContainerProperties.Vcpus, in.ContainerProperties.Memory = new(vcpus), new(memory)
		}
	}
	requirements := func(rr ...ResourceRequirement) func(*RegisterJobDefinitionInput) {
		return func(in *RegisterJobDefinitionInput) { in.ContainerProperties.ResourceRequirements = rr }
	}
	vcpu := func(v string) ResourceRequirement { return ResourceRequirement{Type: "VCPU", Value: v} }
	memory := func(v string) ResourceRequirement { return ResourceRequirement{Type: "MEMORY", Value: v} }
	tests := []struct {
		name   string
		modify func(*RegisterJobDefinitionInput)
		want   string
	}{
		{"minimal", func(*RegisterJobDefinitionInput) {}, ""},
		{"name may start with underscore", func(in *RegisterJobDefinitionInput) { in.JobDefinitionName = "_x" }, ""},
		{"name missing", func(in *RegisterJobDefinitionInput) { in.JobDefinitionName = "" }, "jobDefinitionName is required"},
		{"name with colon", func(in *RegisterJobDefinitionInput) { in.JobDefinitionName = "a:1" },
			`jobDefinitionName must be 1-128 characters of letters, numbers, hyphens and underscores (got "a:1")`},
		{"name of 129", func(in *RegisterJobDefinitionInput) { in.JobDefinitionName = strings.Repeat("a", 129) }, "jobDefinitionName must be 1-128"},
		{"type missing", func(in *RegisterJobDefinitionInput) { in.Type = "" }, "type is required: container"},
		{"type multinode", func(in *RegisterJobDefinitionInput) { in.Type = "multinode" },
			"type: multi-node parallel (multinode) job definitions are not supported by Tanda"},
		{"type unknown", func(in *RegisterJobDefinitionInput) { in.Type = "Container" }, `type must be container (got "Container")`},
		{"node properties", func(in *RegisterJobDefinitionInput) { in.NodeProperties = map[string]any{"numNodes": 2} },
			"nodeProperties: multi-node parallel jobs are not supported by Tanda"},
		{"ECS properties", func(in *RegisterJobDefinitionInput) { in.EcsProperties = map[string]any{"taskProperties": []any{}} },
			"ecsProperties: ECS properties (multi-container jobs) are not supported by Tanda"},
		{"EKS properties", func(in *RegisterJobDefinitionInput) {
			in.EksProperties = map[string]any{"podProperties": map[string]any{}}
		},
			"eksProperties: EKS jobs are not supported by Tanda"},
		{"no container", func(in *RegisterJobDefinitionInput) { in.ContainerProperties = nil }, "containerProperties is required for a container job definition"},
		{"EC2 platform", func(in *RegisterJobDefinitionInput) { in.PlatformCapabilities = []string{"EC2"} }, ""},
		{"FARGATE platform with a quarter vCPU", func(in *RegisterJobDefinitionInput) {
			in.PlatformCapabilities = []string{"FARGATE"}
			in.ContainerProperties.ResourceRequirements = []ResourceRequirement{vcpu("0.25"), memory("512")}
		}, ""},
		{"FARGATE with deprecated members", func(in *RegisterJobDefinitionInput) {
			in.PlatformCapabilities = []string{"FARGATE"}
			in.ContainerProperties.Vcpus = new(int64(1))
		}, "containerProperties must not use the deprecated vcpus and memory on FARGATE"},
		{"unknown platform", func(in *RegisterJobDefinitionInput) { in.PlatformCapabilities = []string{"EKS"} },
			`platformCapabilities[0] must be EC2 or FARGATE (got "EKS")`},
		{"two platforms", func(in *RegisterJobDefinitionInput) { in.PlatformCapabilities = []string{"EC2", "FARGATE"} },
			"platformCapabilities must hold one entry, EC2 or FARGATE (got 2)"},
		{"image missing", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Image = "" }, "containerProperties.image is required"},
		{"image of 255", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Image = strings.Repeat("i", 255) }, ""},
		{"image of 256", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Image = strings.Repeat("i", 256) },
			"containerProperties.image must be at most 255 characters (got 256)"},
		{"deprecated resources", deprecated(2, 1024), ""},
		{"deprecated vcpus 0", deprecated(0, 1024), "containerProperties.vcpus must be at least 1 (got 0)"},
		{"deprecated memory 3", deprecated(1, 3), "containerProperties.memory must be at least 4 MiB (got 3)"},
		{"mixed sources", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.ResourceRequirements = []ResourceRequirement{vcpu("2")}
			in.ContainerProperties.Memory = new(int64(64))
		}, ""},
		{"no vCPU", requirements(memory("64")), `containerProperties must request vCPUs: add {"type":"VCPU","value":"1"} to resourceRequirements`},
		{"no memory", requirements(vcpu("1")), `containerProperties must request memory: add {"type":"MEMORY","value":"2048"} (MiB) to resourceRequirements`},
		{"memory 4", requirements(vcpu("1"), memory("4")), ""},
		{"memory 3", requirements(vcpu("1"), memory("3")), "containerProperties.resourceRequirements[1].value must be at least 4 MiB (got 3)"},
		{"fractional vCPU on EC2", requirements(memory("64"), vcpu("0.5")),
			"containerProperties.resourceRequirements[1].value must be a whole number of at least 1 vCPU on EC2 (got 0.5)"},
		{"1.5 vCPU on EC2", requirements(vcpu("1.5"), memory("64")), "must be a whole number of at least 1 vCPU on EC2 (got 1.5)"},
		{"GPU", requirements(vcpu("4"), memory("64"), ResourceRequirement{Type: "GPU", Value: "1"}), ""},
		{"bad requirement type", requirements(vcpu("1"), memory("64"), ResourceRequirement{Type: "gpu", Value: "1"}),
			`containerProperties.resourceRequirements[2].type must be VCPU, MEMORY or GPU (got "gpu")`},
		{"bad memory value", requirements(vcpu("1"), memory("2GiB")),
			`containerProperties.resourceRequirements[1].value must be a positive whole number of MiB (got "2GiB")`},
		{"command", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Command = []string{"echo", "Ref::x"} }, ""},
		{"empty command argument", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Command = []string{""} },
			"containerProperties.command[0] must not be empty"},
		{"reserved environment", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Environment = []KeyValuePair{{Name: "AWS_BATCH_CE_NAME", Value: "x"}}
		}, "containerProperties.environment[0].name must not start with AWS_BATCH"},
		{"volumes and mounts", func(in *RegisterJobDefinitionInput) {
			c := in.ContainerProperties
			c.Volumes = []Volume{{Name: "data", Host: &Host{SourcePath: "/srv/data"}}, {Name: "scratch"}}
			c.MountPoints = []MountPoint{{SourceVolume: "data", ContainerPath: "/data", ReadOnly: true}, {SourceVolume: "scratch", ContainerPath: "/tmp/x"}}
			c.Privileged = new(true)
		}, ""},
		{"unnamed volume", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Volumes = []Volume{{Host: &Host{}}} },
			"containerProperties.volumes[0].name is required"},
		{"volume name with slash", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Volumes = []Volume{{Name: "a/b"}} },
			`containerProperties.volumes[0].name must be 1-255 characters of letters, numbers, hyphens and underscores (got "a/b")`},
		{"duplicate volume", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Volumes = []Volume{{Name: "a"}, {Name: "a"}}
		},
			`containerProperties.volumes[1].name repeats the volume name "a"`},
		{"host and EFS", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Volumes = []Volume{{Name: "a", Host: &Host{SourcePath: "/x"}, EFSVolumeConfiguration: map[string]any{"fileSystemId": "fs-1"}}}
		}, "containerProperties.volumes[0] must set either host or efsVolumeConfiguration, not both"},
		{"mount of unknown volume", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Volumes = []Volume{{Name: "data"}}
			in.ContainerProperties.MountPoints = []MountPoint{{SourceVolume: "data", ContainerPath: "/d"}, {SourceVolume: "logs", ContainerPath: "/l"}}
		}, `containerProperties.mountPoints[1].sourceVolume must name one of the volumes (got "logs")`},
		{"mount without volume", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.MountPoints = []MountPoint{{ContainerPath: "/d"}}
		},
			"containerProperties.mountPoints[0].sourceVolume is required"},
		{"relative mount path", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Volumes = []Volume{{Name: "data"}}
			in.ContainerProperties.MountPoints = []MountPoint{{SourceVolume: "data", ContainerPath: "data"}}
		}, `containerProperties.mountPoints[0].containerPath must be an absolute path (got "data")`},
		{"ulimit", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Ulimits = []Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 4096}}
		}, ""},
		{"unnamed ulimit", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Ulimits = []Ulimit{{SoftLimit: 1}} },
			"containerProperties.ulimits[0].name must be one of core, cpu"},
		{"unknown ulimit", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Ulimits = []Ulimit{{Name: "files"}} },
			`containerProperties.ulimits[0].name must be one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack (got "files")`},
		{"secret", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "TOKEN", ValueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:t"}}
		}, ""},
		{"secret without name", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Secrets = []Secret{{ValueFrom: "arn:x"}} },
			"containerProperties.secrets[0].name is required"},
		{"secret without source", func(in *RegisterJobDefinitionInput) { in.ContainerProperties.Secrets = []Secret{{Name: "T"}} },
			"containerProperties.secrets[0].valueFrom is required"},
		{"secret from a parameter name", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "/prod/db-password"}}
		}, ""},
		{"secret with a space in its parameter name", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "prod db"}}
		}, `containerProperties.secrets[0].valueFrom must be a Systems Manager parameter's name of up to 2048 letters, digits and symbols _.-/ (or an ARN) (got "prod db")`},
		{"secret from an S3 ARN", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "arn:aws:s3:::bucket/key"}}
		}, `containerProperties.secrets[0].valueFrom must be an ARN with a partition, a region and an account`},
		{"secret from another service's ARN", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "arn:aws:kms:us-east-1:123456789012:key/k"}}
		}, `containerProperties.secrets[0].valueFrom must be the ARN of a Secrets Manager secret or of a Systems Manager parameter, or a parameter's name (got an ARN of kms)`},
		{"secret with two suffixes", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password:AWSCURRENT"}}
		}, `containerProperties.secrets[0].valueFrom must be a secret's ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<secret-name>, optionally followed by :<json-key>:<version-stage>:<version-id>`},
		{"secret with stage and id", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "DB", ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf::AWSPREVIOUS:0f9e"}}
		}, `containerProperties.secrets[0].valueFrom must not give both a version stage and a version id`},
		{"secret in the AWS_BATCH namespace", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.Secrets = []Secret{{Name: "AWS_BATCH_JOB_ID", ValueFrom: "db"}}
		}, `containerProperties.secrets[0].name must not start with AWS_BATCH`},
		{"log secret options", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", SecretOptions: []Secret{{Name: "splunk-token", ValueFrom: "/splunk/token"}}}
		}, "containerProperties.logConfiguration.secretOptions are not supported by Tanda"},
		{"linux parameters", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LinuxParameters = &LinuxParameters{
				Devices:    []Device{{HostPath: "/dev/fuse"}},
				Tmpfs:      []Tmpfs{{ContainerPath: "/scratch", Size: 64}},
				Swappiness: new(int64(60)),
			}
		}, ""},
		{"device without host path", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LinuxParameters = &LinuxParameters{Devices: []Device{{ContainerPath: "/dev/x"}}}
		}, "containerProperties.linuxParameters.devices[0].hostPath is required"},
		{"tmpfs without size", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LinuxParameters = &LinuxParameters{Tmpfs: []Tmpfs{{ContainerPath: "/s"}}}
		}, "containerProperties.linuxParameters.tmpfs[0].size must be a positive number of MiB (got 0)"},
		{"tmpfs relative", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LinuxParameters = &LinuxParameters{Tmpfs: []Tmpfs{{ContainerPath: "s", Size: 1}}}
		}, "containerProperties.linuxParameters.tmpfs[0].containerPath must be an absolute path"},
		{"swappiness 101", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LinuxParameters = &LinuxParameters{Swappiness: new(int64(101))}
		}, "containerProperties.linuxParameters.swappiness must be between 0 and 100 (got 101)"},
		{"log driver", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-group": "g"}}
		}, ""},
		{"unknown log driver", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LogConfiguration = &LogConfiguration{LogDriver: "loki"}
		}, `containerProperties.logConfiguration.logDriver must be one of awslogs, awsfirelens, fluentd, gelf, journald, json-file, logentries, splunk, syslog (got "loki"); Tanda supports awslogs`},
		{"other log driver", func(in *RegisterJobDefinitionInput) {
			in.ContainerProperties.LogConfiguration = &LogConfiguration{LogDriver: "splunk", SecretOptions: []Secret{{Name: "token"}}}
		}, `containerProperties.logConfiguration.logDriver "splunk" is not supported by Tanda`},
		{"priority 9999", func(in *RegisterJobDefinitionInput) { in.SchedulingPriority = new(9999) }, ""},
		{"priority 10000", func(in *RegisterJobDefinitionInput) { in.SchedulingPriority = new(10000) }, "schedulingPriority must be between 0 and 9999 (got 10000)"},
		{"retry", func(in *RegisterJobDefinitionInput) {
			in.RetryStrategy = &RetryStrategy{Attempts: new(2), EvaluateOnExit: []EvaluateOnExit{{OnExitCode: "1", Action: "nope"}}}
		}, "retryStrategy.evaluateOnExit[0].action must be RETRY or EXIT"},
		{"timeout", func(in *RegisterJobDefinitionInput) { in.Timeout = &JobTimeout{AttemptDurationSeconds: new(int64(1))} },
			"timeout.attemptDurationSeconds must be at least 60 seconds (got 1)"},
		{"tags", func(in *RegisterJobDefinitionInput) { in.Tags = map[string]string{"": "x"} }, "tags keys must be 1-128 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validDefinition()
			tt.modify(in)
			wantClientError(t, ValidateRegisterJobDefinition(in), tt.want)
		})
	}
}

func TestValidateJobResources(t *testing.T) {
	tests := []struct {
		name     string
		c        *ContainerProperties
		platform []string
		want     string
	}{
		{"whole vCPU", &ContainerProperties{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "2"}, {Type: "MEMORY", Value: "64"}}}, nil, ""},
		{"deprecated", &ContainerProperties{Vcpus: new(int64(1)), Memory: new(int64(4))}, []string{"EC2"}, ""},
		{"fraction on Fargate", &ContainerProperties{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "0.5"}, {Type: "MEMORY", Value: "1024"}}}, []string{"FARGATE"}, ""},
		{"fraction on EC2", &ContainerProperties{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "0.5"}, {Type: "MEMORY", Value: "1024"}}}, nil,
			"container.resourceRequirements[0].value must be a whole number of at least 1 vCPU on EC2 (got 0.5)"},
		{"no vCPU", &ContainerProperties{Memory: new(int64(64))}, nil, "container must request vCPUs"},
		{"no memory", &ContainerProperties{Vcpus: new(int64(1))}, nil, "container must request memory"},
		{"too little memory", &ContainerProperties{Vcpus: new(int64(1)), Memory: new(int64(2))}, nil, "container.memory must be at least 4 MiB (got 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateJobResources(tt.c, tt.platform), tt.want)
		})
	}
}

func TestValidateDeregisterJobDefinition(t *testing.T) {
	tests := []struct {
		ref, want string
	}{
		{"def:1", ""},
		{"arn:aws:batch:us-east-1:1:job-definition/def:1", ""},
		{"", "jobDefinition is required"},
		{"def:0", "jobDefinition must be a job definition name, name:revision or ARN"},
	}
	for _, tt := range tests {
		wantClientError(t, ValidateDeregisterJobDefinition(&DeregisterJobDefinitionInput{JobDefinition: tt.ref}), tt.want)
	}
}
