package batch

import "testing"

func TestResources(t *testing.T) {
	rr := func(pairs ...string) []ResourceRequirement {
		var out []ResourceRequirement
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, ResourceRequirement{Type: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		c      *ContainerProperties
		vcpus  float64
		memory int64
		gpus   int64
	}{
		{"nil", nil, 0, 0, 0},
		{"empty", &ContainerProperties{}, 0, 0, 0},
		{"requirements", &ContainerProperties{ResourceRequirements: rr("VCPU", "2", "MEMORY", "2048", "GPU", "1")}, 2, 2048, 1},
		{"fractional vCPU", &ContainerProperties{ResourceRequirements: rr("VCPU", "0.25", "MEMORY", "512")}, 0.25, 512, 0},
		{"deprecated", &ContainerProperties{Vcpus: new(int64(4)), Memory: new(int64(8192))}, 4, 8192, 0},
		{"requirements win", &ContainerProperties{Vcpus: new(int64(4)), Memory: new(int64(8192)), ResourceRequirements: rr("VCPU", "1", "MEMORY", "1024")}, 1, 1024, 0},
		{"mixed", &ContainerProperties{Vcpus: new(int64(4)), ResourceRequirements: rr("MEMORY", "1024")}, 4, 1024, 0},
		{"unparsable counts as 0", &ContainerProperties{Vcpus: new(int64(4)), ResourceRequirements: rr("VCPU", "two", "MEMORY", "1.5", "GPU", "x")}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, m, g := Resources(tt.c)
			if v != tt.vcpus || m != tt.memory || g != tt.gpus {
				t.Errorf("Resources = %g, %d, %d, want %g, %d, %d", v, m, g, tt.vcpus, tt.memory, tt.gpus)
			}
		})
	}
}
