package ec2agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/provisioner"
)

// Where an instance's capacity comes from.
const (
	FromInstanceType = "instance type" // the provisioner's catalogue
	FromHost         = "host"          // this machine's CPUs and memory
)

// Capacity is what an instance offers its jobs.
type Capacity struct {
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
	// Source is FromInstanceType or FromHost.
	Source string
}

func (c Capacity) String() string {
	return fmt.Sprintf("%g vCPUs, %d MiB, %d GPUs (from the %s)", c.VCPUs, c.MemoryMiB, c.GPUs, c.Source)
}

// sizeOf is an instance type's capacity from the catalogue, the same
// figures the provisioner planned with; for a type the catalogue does not
// know, it is the host's.
func sizeOf(instanceType string, cat *provisioner.Catalog, host func() (Capacity, error)) (Capacity, error) {
	if it, ok := cat.Lookup(instanceType); ok {
		return Capacity{VCPUs: it.VCPUs, MemoryMiB: it.MemoryMiB, GPUs: it.GPUs, Source: FromInstanceType}, nil
	}
	c, err := host()
	if err != nil {
		return Capacity{}, fmt.Errorf("sizing instance type %q, which the catalogue does not know, from the host: %w", instanceType, err)
	}
	return c, nil
}

// HostCapacity is this machine's CPUs and memory (MemTotal of
// /proc/meminfo), with no GPUs.
func HostCapacity() (Capacity, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return Capacity{}, fmt.Errorf("reading the host's memory: %w", err)
	}
	mem, err := memTotalMiB(data)
	if err != nil {
		return Capacity{}, err
	}
	return Capacity{VCPUs: float64(runtime.NumCPU()), MemoryMiB: mem, Source: FromHost}, nil
}

// memTotalMiB reads MemTotal from /proc/meminfo's text.
func memTotalMiB(meminfo []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil || kb <= 0 {
			return 0, fmt.Errorf("reading MemTotal %q from /proc/meminfo", strings.TrimSpace(rest))
		}
		return kb / 1024, nil
	}
	return 0, errors.New("no MemTotal in /proc/meminfo")
}
