package standalone

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tanda-batch/tanda/accesskeys"
	"github.com/tanda-batch/tanda/batch"
)

// Names of what a first start creates.
const (
	DefaultComputeEnvironment = "default"
	DefaultJobQueue           = "default"
	ExampleJobDefinition      = "example"
)

// openKeys loads the access keys and issues one when the data directory
// has no credentials file yet (a first start, or a deleted file).
func (s *Server) openKeys(ctx context.Context) error {
	secret, err := accesskeys.LoadOrCreateKeyFile(s.dataPath("secret.key"))
	if err != nil {
		return fmt.Errorf("loading key file: %w", err)
	}
	sealer, err := accesskeys.NewAESSealer(secret)
	if err != nil {
		return fmt.Errorf("loading key file: %w", err)
	}
	s.keys = accesskeys.New(s.db, sealer, s.cfg.Clock)
	if _, err := os.Stat(s.CredentialsFile()); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading credentials file: %w", err)
	}
	key, err := s.keys.Issue(ctx, "tanda up")
	if err != nil {
		return fmt.Errorf("issuing access key: %w", err)
	}
	if err := accesskeys.WriteAWSFiles(s.cfg.DataDir, Profile, s.cfg.Region, key); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	s.key = &key
	return nil
}

func (s *Server) dataPath(name string) string { return s.cfg.DataDir + string(os.PathSeparator) + name }

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
