package provisioner

import "runtime"

// Prices are approximate us-east-1 On-Demand Linux list prices in USD per
// hour, as published by AWS and mirrored in the static table
// aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go
// (generated 2026-01-19). They rank offerings; they are not a bill.

// sizes are the sizes of the general-purpose families, in vCPUs.
var sizes = []struct {
	suffix string
	vcpus  float64
}{{"large", 2}, {"xlarge", 4}, {"2xlarge", 8}, {"4xlarge", 16}, {"8xlarge", 32}}

// family lists large..8xlarge of a family whose memory and price scale with
// its vCPUs, as they do for m/c/r generations 6 and 7.
func family(name, arch string, gibPerVCPU int64, largePrice float64) []InstanceType {
	out := make([]InstanceType, 0, len(sizes))
	for _, s := range sizes {
		out = append(out, InstanceType{
			Name: name + "." + s.suffix, Family: name, Arch: arch,
			VCPUs: s.vcpus, MemoryMiB: int64(s.vcpus) * gibPerVCPU * 1024,
			PricePerHour: largePrice * s.vcpus / 2,
		})
	}
	return out
}

// builtinTypes is the default catalogue: the families behind "optimal",
// "default_x86_64" and "default_arm64", small burstable t3 types, g4dn GPU
// types, and the local family of one-machine Tanda.
func builtinTypes() []InstanceType {
	var all []InstanceType
	all = append(all, family("m6i", ArchX86, 4, 0.096)...)
	all = append(all, family("c6i", ArchX86, 2, 0.085)...)
	all = append(all, family("r6i", ArchX86, 8, 0.126)...)
	all = append(all, family("c7i", ArchX86, 2, 0.08925)...)
	all = append(all, family("m6g", ArchARM, 4, 0.077)...)
	all = append(all, family("c6g", ArchARM, 2, 0.068)...)
	all = append(all, family("r6g", ArchARM, 8, 0.1008)...)
	all = append(all, family("c7g", ArchARM, 2, 0.0725)...)
	all = append(all,
		InstanceType{Name: "t3.micro", Family: "t3", Arch: ArchX86, VCPUs: 2, MemoryMiB: 1024, PricePerHour: 0.0104},
		InstanceType{Name: "t3.small", Family: "t3", Arch: ArchX86, VCPUs: 2, MemoryMiB: 2048, PricePerHour: 0.0208},
		InstanceType{Name: "t3.medium", Family: "t3", Arch: ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.0416},
		InstanceType{Name: "t3.large", Family: "t3", Arch: ArchX86, VCPUs: 2, MemoryMiB: 8192, PricePerHour: 0.0832},
		InstanceType{Name: "t3.xlarge", Family: "t3", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, PricePerHour: 0.1664},
		InstanceType{Name: "g4dn.xlarge", Family: "g4dn", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1, PricePerHour: 0.526},
		InstanceType{Name: "g4dn.2xlarge", Family: "g4dn", Arch: ArchX86, VCPUs: 8, MemoryMiB: 32768, GPUs: 1, PricePerHour: 0.752},
		InstanceType{Name: "g4dn.12xlarge", Family: "g4dn", Arch: ArchX86, VCPUs: 48, MemoryMiB: 196608, GPUs: 4, PricePerHour: 3.912},
	)
	return append(all, localTypes()...)
}

// localTypes are the in-process instances of one-machine Tanda. Their
// capacity is declared, not measured: an agent offers that many virtual vCPUs
// and MiB to jobs, whatever the host has. They cost nothing, so the planner
// prefers them whenever they are allowed, and their architecture is the
// host's. A compute environment selects them with instanceTypes ["local"]
// (the family) or an exact name. One-machine Tanda's default compute
// environment may equally use ["optimal"]: those types then run in-process
// too, with their EC2 shapes as virtual capacity and their prices kept for
// cost estimates.
func localTypes() []InstanceType {
	arch := ArchX86
	if runtime.GOARCH == "arm64" {
		arch = ArchARM
	}
	return []InstanceType{
		{Name: "local.small", Family: "local", Arch: arch, VCPUs: 2, MemoryMiB: 4096},
		{Name: "local.medium", Family: "local", Arch: arch, VCPUs: 4, MemoryMiB: 8192},
		{Name: "local.large", Family: "local", Arch: arch, VCPUs: 8, MemoryMiB: 16384},
	}
}
