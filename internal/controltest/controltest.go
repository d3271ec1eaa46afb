// Package controltest builds control planes for tests: one over an
// embedded store in the test's temporary directory, and the compute
// environment, job queue and job definition that most tests submit to.
package controltest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// Open is a control plane over an SQLite store in tb's temporary
// directory, closed when the test ends. The store stamps time with
// opts.Clock, and is opts.Queues unless that is set.
func Open(tb testing.TB, opts control.Options) (*control.Service, *sqlite.DB) {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "tanda.db"), sqlite.Options{Clock: opts.Clock})
	if err != nil {
		tb.Fatalf("opening store: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	if opts.Queues == nil {
		opts.Queues = db
	}
	return control.New(db, opts), db
}

// Admin creates what a Stack is made of: a control.Service does.
type Admin interface {
	CreateComputeEnvironment(ctx context.Context, in *batch.CreateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error)
	CreateJobQueue(ctx context.Context, in *batch.CreateJobQueueInput) (*batch.JobQueueOutput, error)
	RegisterJobDefinition(ctx context.Context, in *batch.RegisterJobDefinitionInput) (*batch.RegisterJobDefinitionOutput, error)
}

// Stack is a MANAGED compute environment, a job queue of priority 1 over
// it, and a container job definition. Its zero fields are the defaults.
type Stack struct {
	ComputeEnvironment string // "ce"
	Queue              string // "q"
	Definition         string // "d"
	// Resources are the compute environment's; nil is on-demand EC2,
	// m5.large, 0 to 16 vCPUs.
	Resources *batch.ComputeResource
	// Container is the definition's; nil runs busybox's `true` in 1 vCPU
	// and 128 MiB.
	Container *batch.ContainerProperties
	// Parameters are the definition's default parameters.
	Parameters map[string]string
}

// CreateStack creates s, failing the test if anything is refused.
func CreateStack(tb testing.TB, a Admin, s Stack) {
	tb.Helper()
	s = s.withDefaults()
	ctx := tb.Context()
	if _, err := a.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: s.ComputeEnvironment, Type: batch.TypeManaged, ComputeResources: s.Resources,
	}); err != nil {
		tb.Fatalf("CreateComputeEnvironment(%s): %v", s.ComputeEnvironment, err)
	}
	one := 1
	if _, err := a.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: s.Queue, Priority: &one,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: s.ComputeEnvironment}},
	}); err != nil {
		tb.Fatalf("CreateJobQueue(%s): %v", s.Queue, err)
	}
	if _, err := a.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: s.Definition, Type: batch.DefinitionTypeContainer, ContainerProperties: s.Container, Parameters: s.Parameters,
	}); err != nil {
		tb.Fatalf("RegisterJobDefinition(%s): %v", s.Definition, err)
	}
}

func (s Stack) withDefaults() Stack {
	if s.ComputeEnvironment == "" {
		s.ComputeEnvironment = "ce"
	}
	if s.Queue == "" {
		s.Queue = "q"
	}
	if s.Definition == "" {
		s.Definition = "d"
	}
	if s.Resources == nil {
		maxV := 16
		s.Resources = &batch.ComputeResource{Type: batch.ComputeEC2, MaxvCpus: &maxV, InstanceTypes: []string{"m5.large"}}
	}
	if s.Container == nil {
		s.Container = Container("1", "128", "true")
	}
	return s
}

// Container is busybox running command in vcpus and memoryMiB, as a job
// definition's container properties.
func Container(vcpus, memoryMiB string, command ...string) *batch.ContainerProperties {
	return &batch.ContainerProperties{
		Image: "busybox", Command: command,
		ResourceRequirements: []batch.ResourceRequirement{
			{Type: batch.ResourceVCPU, Value: vcpus}, {Type: batch.ResourceMemory, Value: memoryMiB},
		},
	}
}
