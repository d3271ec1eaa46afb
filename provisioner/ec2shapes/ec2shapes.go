// Package ec2shapes holds the shapes of EC2's instance types (vCPUs,
// memory, architecture, GPUs, Spot and On-Demand offering, burstable,
// generation), read from data/instance_types.csv, whose header names its
// source and date. Where EC2 can be asked (tanda serve, the deployed
// stack), its own list is used (package ec2catalog); these serve where it
// cannot: the simulator, offline.
package ec2shapes

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/tanda-batch/tanda/provisioner"
)

//go:embed data/instance_types.csv
var data []byte

var parsed = sync.OnceValues(func() ([]provisioner.InstanceType, error) { return parse(data) })

// Types returns every instance type of the table, unpriced (see package
// prices).
func Types() ([]provisioner.InstanceType, error) {
	types, err := parsed()
	if err != nil {
		return nil, err
	}
	out := make([]provisioner.InstanceType, len(types))
	copy(out, types)
	return out, nil
}

// columns are the table's columns, in order.
const columns = "name,arch,vcpus,memory_mib,gpus,gpu_model,gpu_memory_mib,spot,on_demand,burstable,current"

func parse(b []byte) ([]provisioner.InstanceType, error) {
	var out []provisioner.InstanceType
	sc := bufio.NewScanner(bytes.NewReader(b))
	line, header := 0, false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !header {
			if text != columns {
				return nil, fmt.Errorf("instance_types.csv line %d: want the columns %s", line, columns)
			}
			header = true
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 11 {
			return nil, fmt.Errorf("instance_types.csv line %d: %d columns, want 11", line, len(f))
		}
		ints := make([]int64, 0, 8)
		for _, i := range []int{2, 3, 4, 6, 7, 8, 9, 10} {
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("instance_types.csv line %d: %w", line, err)
			}
			ints = append(ints, n)
		}
		family, _, ok := strings.Cut(f[0], ".")
		if !ok {
			return nil, fmt.Errorf("instance_types.csv line %d: %q is no instance type", line, f[0])
		}
		out = append(out, provisioner.InstanceType{
			Name: f[0], Family: family, Arch: f[1],
			VCPUs: float64(ints[0]), MemoryMiB: ints[1], GPUs: ints[2], GPUModel: f[5], GPUMemoryMiB: ints[3],
			NoSpot: ints[4] == 0, NoOnDemand: ints[5] == 0, Burstable: ints[6] == 1, PreviousGeneration: ints[7] == 0,
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("instance_types.csv lists no type")
	}
	return out, nil
}
