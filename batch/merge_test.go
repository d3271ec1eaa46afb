package batch

import (
	"reflect"
	"testing"
)

// fullContainer sets every member of ContainerProperties, so that the
// deep-copy test notices a member cloneContainer forgets.
func fullContainer() *ContainerProperties {
	return &ContainerProperties{
		Image:            "busybox",
		Vcpus:            new(int64(1)),
		Memory:           new(int64(512)),
		Command:          []string{"echo", "Ref::x"},
		JobRoleArn:       "arn:aws:iam::1:role/job",
		ExecutionRoleArn: "arn:aws:iam::1:role/exec",
		Volumes: []Volume{
			{Name: "data", Host: &Host{SourcePath: "/srv"}},
			{Name: "efs", EFSVolumeConfiguration: map[string]any{"fileSystemId": "fs-1", "authorizationConfig": map[string]any{"iam": "ENABLED"}}},
		},
		Environment:            []KeyValuePair{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
		MountPoints:            []MountPoint{{ContainerPath: "/data", SourceVolume: "data"}},
		ReadonlyRootFilesystem: new(true),
		Privileged:             new(false),
		Ulimits:                []Ulimit{{Name: "nofile", SoftLimit: 1, HardLimit: 2}},
		User:                   "nobody",
		InstanceType:           "m5.large",
		ResourceRequirements:   []ResourceRequirement{{Type: "GPU", Value: "1"}},
		LinuxParameters: &LinuxParameters{
			Devices:            []Device{{HostPath: "/dev/fuse", Permissions: []string{"READ"}}},
			InitProcessEnabled: new(true),
			SharedMemorySize:   new(int64(64)),
			Tmpfs:              []Tmpfs{{ContainerPath: "/t", Size: 1, MountOptions: []string{"noexec"}}},
			MaxSwap:            new(int64(0)),
			Swappiness:         new(int64(10)),
		},
		LogConfiguration:             &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"k": "v"}, SecretOptions: []Secret{{Name: "s", ValueFrom: "arn:s"}}},
		Secrets:                      []Secret{{Name: "T", ValueFrom: "arn:t"}},
		NetworkConfiguration:         map[string]any{"assignPublicIp": "ENABLED"},
		FargatePlatformConfiguration: map[string]any{"platformVersion": "LATEST"},
		EphemeralStorage:             map[string]any{"sizeInGiB": 30.0},
		RuntimePlatform:              map[string]any{"cpuArchitecture": "ARM64", "list": []any{"a", map[string]any{"b": 1.0}}},
		RepositoryCredentials:        map[string]any{"credentialsParameter": "arn:c"},
		EnableExecuteCommand:         new(true),
		ExitCode:                     new(3),
		Reason:                       "r",
		ContainerInstanceArn:         "arn:ci",
		TaskArn:                      "arn:task",
		LogStreamName:                "stream",
		NetworkInterfaces:            []NetworkInterface{{AttachmentID: "a"}},
	}
}

// assertNoSharing fails if a and b share any pointer, slice or map
// reachable from them.
func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Kind() == reflect.Slice && a.Len() == 0 {
			return
		}
		if a.UnsafePointer() == b.UnsafePointer() {
			t.Errorf("%s is shared between the copy and the original", path)
			return
		}
	}
	switch a.Kind() {
	case reflect.Pointer:
		assertNoSharing(t, path, a.Elem(), b.Elem())
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			assertNoSharing(t, path, a.Elem(), b.Elem())
		}
	case reflect.Struct:
		for i := range a.NumField() {
			assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	case reflect.Slice:
		for i := range min(a.Len(), b.Len()) {
			assertNoSharing(t, path, a.Index(i), b.Index(i))
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				assertNoSharing(t, path+"["+k.String()+"]", a.MapIndex(k), bv)
			}
		}
	}
}

func TestMergeContainerDeepCopies(t *testing.T) {
	def := fullContainer()
	v := reflect.ValueOf(def).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullContainer leaves %s unset; set it so the copy is checked", v.Type().Field(i).Name)
		}
	}
	got := MergeContainer(def, nil)
	if !reflect.DeepEqual(got, def) {
		t.Fatalf("MergeContainer(def, nil) differs from def:\n got %+v\nwant %+v", got, def)
	}
	assertNoSharing(t, "container", reflect.ValueOf(got), reflect.ValueOf(def))
	got = MergeContainer(def, &ContainerOverrides{Environment: []KeyValuePair{{Name: "C"}}, ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "2"}}})
	if !reflect.DeepEqual(def, fullContainer()) {
		t.Errorf("MergeContainer modified the definition's container")
	}
	assertNoSharing(t, "container", reflect.ValueOf(got), reflect.ValueOf(def))
}

func TestMergeContainer(t *testing.T) {
	rr := func(pairs ...string) []ResourceRequirement {
		var out []ResourceRequirement
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, ResourceRequirement{Type: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	env := func(pairs ...string) []KeyValuePair {
		var out []KeyValuePair
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, KeyValuePair{Name: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		def  *ContainerProperties
		o    *ContainerOverrides
		want *ContainerProperties
	}{
		{"nil definition", nil, nil, &ContainerProperties{}},
		{"no overrides", &ContainerProperties{Image: "i", Command: []string{"a"}}, &ContainerOverrides{},
			&ContainerProperties{Image: "i", Command: []string{"a"}}},
		{"command replaced", &ContainerProperties{Command: []string{"a", "b"}}, &ContainerOverrides{Command: []string{"c"}},
			&ContainerProperties{Command: []string{"c"}}},
		{"empty command override keeps the definition's", &ContainerProperties{Command: []string{"a"}}, &ContainerOverrides{Command: []string{}},
			&ContainerProperties{Command: []string{"a"}}},
		{"environment merged by name", &ContainerProperties{Environment: env("A", "1", "B", "2")}, &ContainerOverrides{Environment: env("B", "20", "C", "3")},
			&ContainerProperties{Environment: env("A", "1", "B", "20", "C", "3")}},
		{"repeated override name: last wins", &ContainerProperties{Environment: env("A", "1")}, &ContainerOverrides{Environment: env("C", "3", "C", "4", "A", "")},
			&ContainerProperties{Environment: env("A", "", "C", "4")}},
		{"requirements replaced per type", &ContainerProperties{ResourceRequirements: rr("VCPU", "1", "MEMORY", "1024")}, &ContainerOverrides{ResourceRequirements: rr("MEMORY", "4096", "GPU", "1")},
			&ContainerProperties{ResourceRequirements: rr("VCPU", "1", "MEMORY", "4096", "GPU", "1")}},
		{"deprecated overrides set deprecated members", &ContainerProperties{Vcpus: new(int64(1)), Memory: new(int64(512))}, &ContainerOverrides{Vcpus: new(int64(4)), Memory: new(int64(2048))},
			&ContainerProperties{Vcpus: new(int64(4)), Memory: new(int64(2048))}},
		{"deprecated overrides do not override requirements", &ContainerProperties{ResourceRequirements: rr("VCPU", "1", "MEMORY", "1024")}, &ContainerOverrides{Vcpus: new(int64(4)), Memory: new(int64(2048))},
			&ContainerProperties{ResourceRequirements: rr("VCPU", "1", "MEMORY", "1024")}},
		{"deprecated override of the type requirements lack", &ContainerProperties{ResourceRequirements: rr("VCPU", "1")}, &ContainerOverrides{Vcpus: new(int64(4)), Memory: new(int64(2048))},
			&ContainerProperties{ResourceRequirements: rr("VCPU", "1"), Memory: new(int64(2048))}},
		{"instance type", &ContainerProperties{InstanceType: "m5.large"}, &ContainerOverrides{InstanceType: "c5.xlarge"},
			&ContainerProperties{InstanceType: "c5.xlarge"}},
		{"empty instance type keeps the definition's", &ContainerProperties{InstanceType: "m5.large"}, &ContainerOverrides{},
			&ContainerProperties{InstanceType: "m5.large"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeContainer(tt.def, tt.o)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeContainer =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestMergedResources(t *testing.T) {
	def := &ContainerProperties{Vcpus: new(int64(1)), ResourceRequirements: []ResourceRequirement{{Type: "MEMORY", Value: "1024"}}}
	o := &ContainerOverrides{Vcpus: new(int64(2)), Memory: new(int64(4096)), ResourceRequirements: []ResourceRequirement{{Type: "GPU", Value: "1"}}}
	v, m, g := Resources(MergeContainer(def, o))
	if v != 2 || m != 1024 || g != 1 {
		t.Errorf("Resources(merged) = %g, %d, %d, want 2, 1024, 1", v, m, g)
	}
}
