package provisioner

import (
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func names(types []InstanceType) []string {
	var out []string
	for _, t := range types {
		out = append(out, t.Name)
	}
	return out
}

func TestExpand(t *testing.T) {
	cat := DefaultCatalog()
	tests := []struct {
		entries []string
		want    []string // exact list, or nil when only checked by wantHas
		wantHas []string
		wantLen int
	}{
		{entries: []string{"c6i.xlarge"}, want: []string{"c6i.xlarge"}},
		{entries: []string{"c6i"}, want: []string{"c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "c6i.8xlarge"}},
		{entries: []string{"optimal"}, wantHas: []string{"m6i.large", "c6i.4xlarge", "r6i.2xlarge", "c7i.xlarge"}, wantLen: 20},
		{entries: []string{"default_x86_64"}, wantHas: []string{"m6i.large", "c7i.8xlarge"}, wantLen: 20},
		{entries: []string{"default_arm64"}, wantHas: []string{"m6g.large", "c6g.xlarge", "r6g.2xlarge", "c7g.4xlarge"}, wantLen: 20},
		{entries: []string{"g4dn.xlarge", "c6i.large", "c6i"}, want: []string{"g4dn.xlarge", "c6i.large", "c6i.xlarge", "c6i.2xlarge", "c6i.4xlarge", "c6i.8xlarge"}},
		{entries: []string{"optimal", "t3", "g4dn"}, wantHas: []string{"t3.micro", "g4dn.12xlarge"}, wantLen: 28},
		{entries: []string{"local"}, want: []string{"local.small", "local.medium", "local.large"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.entries, ","), func(t *testing.T) {
			got, err := cat.Expand(tc.entries)
			if err != nil {
				t.Fatalf("Expand(%q) error: %v", tc.entries, err)
			}
			if tc.want != nil && !slices.Equal(names(got), tc.want) {
				t.Errorf("Expand(%q) = %v, want %v", tc.entries, names(got), tc.want)
			}
			if tc.wantLen != 0 && len(got) != tc.wantLen {
				t.Errorf("Expand(%q) gave %d types, want %d", tc.entries, len(got), tc.wantLen)
			}
			for _, name := range tc.wantHas {
				if !slices.Contains(names(got), name) {
					t.Errorf("Expand(%q) = %v, want it to contain %s", tc.entries, names(got), name)
				}
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	cat := DefaultCatalog()
	tests := []struct {
		entries []string
		want    string
	}{
		{entries: nil, want: "instanceTypes must list at least one"},
		{entries: []string{"c99.large"}, want: `unknown instance type or family "c99.large"`},
		{entries: []string{""}, want: `unknown instance type or family ""`},
		{entries: []string{"c6i.large", "m6g"}, want: `"c6i.large" (x86_64) and "m6g" (arm64) mix architectures`},
		{entries: []string{"default_arm64", "optimal"}, want: `"default_arm64" (arm64) and "optimal" (x86_64) mix architectures`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.entries, ","), func(t *testing.T) {
			got, err := cat.Expand(tc.entries)
			if err == nil {
				t.Fatalf("Expand(%q) = %v, want an error", tc.entries, names(got))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Expand(%q) error = %q, want it to contain %q", tc.entries, err, tc.want)
			}
			if !batch.IsClientError(err) {
				t.Errorf("Expand(%q) error %v is not a ClientError", tc.entries, err)
			}
		})
	}
}

func TestDefaultCatalog(t *testing.T) {
	cat := DefaultCatalog()
	tests := []struct {
		name      string
		arch      string
		vcpus     float64
		memoryMiB int64
		gpus      int64
		price     float64
	}{
		{"m6i.large", ArchX86, 2, 8192, 0, 0.096},
		{"c6i.4xlarge", ArchX86, 16, 32768, 0, 0.68},
		{"r6i.xlarge", ArchX86, 4, 32768, 0, 0.252},
		{"c7i.2xlarge", ArchX86, 8, 16384, 0, 0.357},
		{"m6g.xlarge", ArchARM, 4, 16384, 0, 0.154},
		{"c6g.large", ArchARM, 2, 4096, 0, 0.068},
		{"r6g.4xlarge", ArchARM, 16, 131072, 0, 0.8064},
		{"c7g.2xlarge", ArchARM, 8, 16384, 0, 0.29},
		{"g4dn.xlarge", ArchX86, 4, 16384, 1, 0.526},
		{"t3.micro", ArchX86, 2, 1024, 0, 0.0104},
		{"local.small", "", 2, 4096, 0, 0},
	}
	for _, tc := range tests {
		got, ok := cat.Lookup(tc.name)
		if !ok {
			t.Errorf("Lookup(%s): not found", tc.name)
			continue
		}
		if tc.arch != "" && got.Arch != tc.arch {
			t.Errorf("%s: Arch = %s, want %s", tc.name, got.Arch, tc.arch)
		}
		if got.VCPUs != tc.vcpus || got.MemoryMiB != tc.memoryMiB || got.GPUs != tc.gpus {
			t.Errorf("%s: capacity = %v vCPUs %v MiB %v GPUs, want %v %v %v",
				tc.name, got.VCPUs, got.MemoryMiB, got.GPUs, tc.vcpus, tc.memoryMiB, tc.gpus)
		}
		if diff := got.PricePerHour - tc.price; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s: PricePerHour = %v, want %v", tc.name, got.PricePerHour, tc.price)
		}
	}
}

func TestNewCatalogRejects(t *testing.T) {
	good := InstanceType{Name: "x.large", Family: "x", Arch: ArchX86, VCPUs: 2, MemoryMiB: 1024}
	tests := []struct {
		name  string
		types []InstanceType
	}{
		{"duplicate", []InstanceType{good, good}},
		{"no family", []InstanceType{{Name: "y", Arch: ArchX86, VCPUs: 1, MemoryMiB: 1}}},
		{"no vCPUs", []InstanceType{{Name: "y", Family: "y", Arch: ArchX86, MemoryMiB: 1}}},
		{"bad arch", []InstanceType{{Name: "y", Family: "y", Arch: "sparc", VCPUs: 1, MemoryMiB: 1}}},
	}
	for _, tc := range tests {
		if _, err := NewCatalog(tc.types); err == nil {
			t.Errorf("NewCatalog(%s) succeeded, want an error", tc.name)
		}
	}
}

func TestExpandForRefusesTypesNotOfferedAsTheCapacityType(t *testing.T) {
	cat, err := NewCatalog([]InstanceType{
		{Name: "c5.large", Family: "c5", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.085},
		{Name: "c5.metal", Family: "c5", Arch: ArchX86, VCPUs: 96, MemoryMiB: 196608, PricePerHour: 4.08, NoSpot: true},
		{Name: "p5.48xlarge", Family: "p5", Arch: ArchX86, VCPUs: 192, MemoryMiB: 2097152, GPUs: 8, NoSpot: true},
		{Name: "u7i.metal", Family: "u7i", Arch: ArchX86, VCPUs: 896, MemoryMiB: 16 << 20, NoOnDemand: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	names := func(ts []InstanceType) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	if got, err := cat.ExpandFor([]string{"c5"}, ResourceSpot); err != nil || !slices.Equal(names(got), []string{"c5.large"}) {
		t.Errorf("Spot c5 = %v, %v; want only c5.large (c5.metal is not offered as Spot)", names(got), err)
	}
	if got, err := cat.ExpandFor([]string{"c5"}, ResourceEC2); err != nil || len(got) != 2 {
		t.Errorf("On-Demand c5 = %v, %v; want both", names(got), err)
	}
	for _, tt := range []struct {
		entries []string
		crType  string
		want    string
	}{
		{[]string{"c5.metal"}, ResourceSpot, "c5.metal is not offered as Spot capacity by EC2; a SPOT compute environment cannot use it"},
		{[]string{"p5"}, ResourceSpot, `no type of "p5" is offered as Spot capacity`},
		{[]string{"u7i.metal"}, ResourceEC2, "u7i.metal is not offered as On-Demand capacity by EC2; an EC2 compute environment cannot use it"},
		{[]string{"c6"}, ResourceEC2, `unknown instance type or family "c6"`},
	} {
		_, err := cat.ExpandFor(tt.entries, tt.crType)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !batch.IsClientError(err) {
			t.Errorf("ExpandFor(%v, %s) error = %v, want a ClientException containing %q", tt.entries, tt.crType, err, tt.want)
		}
	}
}

func TestReplaceSwapsTheTypesOrKeepsThemOnError(t *testing.T) {
	cat := DefaultCatalog()
	before := cat.Len()
	if err := cat.Replace([]InstanceType{{Name: "x.large"}}); err == nil {
		t.Fatal("Replace accepted a type without a family")
	}
	if cat.Len() != before {
		t.Errorf("a failed Replace changed the catalog: %d types, want %d", cat.Len(), before)
	}
	if err := cat.Replace([]InstanceType{{Name: "c5.large", Family: "c5", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Lookup("c5.large"); !ok || cat.Len() != 1 {
		t.Errorf("after Replace: %d types, c5.large found %v", cat.Len(), ok)
	}
}
