package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/kit"
)

// Names of what a first start creates.
const (
	DefaultComputeEnvironment = "default"
	DefaultJobQueue           = "default"
	ExampleJobDefinition      = "example"
)

// openKeys loads the access keys and issues one when the data directory
// has no credentials file yet (a first start, or a deleted file); it
// returns the key issued, if one was.
func (s *Server) openKeys(ctx context.Context) (issued *accesskeys.AccessKey, err error) {
	s.keys, issued, err = kit.OpenKeys(ctx, s.db, kit.KeyOptions{
		Dir: s.cfg.DataDir, KeyFile: filepath.Join(s.cfg.DataDir, "secret.key"),
		Region: s.cfg.Region, Description: "tanda up", Clock: s.cfg.Clock,
	})
	return issued, err
}

// seed creates the default compute environment, job queue and example job
// definition on a first start. Later starts leave the user's setup alone.
func (s *Server) seed(ctx context.Context) error {
	if _, err := s.db.GetItem(ctx, batch.KindSequence, "seeded"); err == nil {
		return nil
	} else if !errors.Is(err, batch.ErrNotFound) {
		return fmt.Errorf("reading seed marker: %w", err)
	}
	maxv, zero := defaultMaxvCpus(), 0
	_, err := s.ctl.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: DefaultComputeEnvironment,
		Type:                   batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{
			Type: "EC2", MinvCpus: &zero, MaxvCpus: &maxv,
			InstanceTypes: []string{"local"}, AllocationStrategy: "BEST_FIT_PROGRESSIVE",
		},
	})
	if err != nil && !batch.IsClientError(err) {
		return fmt.Errorf("creating default compute environment: %w", err)
	}
	prio := 1
	_, err = s.ctl.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: DefaultJobQueue,
		Priority:     &prio,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{
			{Order: 1, ComputeEnvironment: DefaultComputeEnvironment},
		},
	})
	if err != nil && !batch.IsClientError(err) {
		return fmt.Errorf("creating default job queue: %w", err)
	}
	_, err = s.ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: ExampleJobDefinition,
		Type:              "container",
		ContainerProperties: &batch.ContainerProperties{
			Image:   "public.ecr.aws/docker/library/busybox:latest",
			Command: []string{"echo", "hello from Tanda"},
			ResourceRequirements: []batch.ResourceRequirement{
				{Type: batch.ResourceVCPU, Value: "1"},
				{Type: batch.ResourceMemory, Value: "512"},
			},
		},
	})
	if err != nil {
		return fmt.Errorf("registering example job definition: %w", err)
	}
	_, err = s.db.PutItem(ctx, batch.Item{Kind: batch.KindSequence, Key: "seeded", Doc: []byte(`{}`)}, 0)
	if err != nil && !errors.Is(err, batch.ErrConflict) {
		return fmt.Errorf("writing seed marker: %w", err)
	}
	return nil
}
