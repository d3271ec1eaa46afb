package ec2fleet

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// terminateBatch is the most instances one TerminateInstances call names.
const terminateBatch = 1000

// Terminate retires instances, up to terminateBatch per call. Instances
// already gone are not an error: EC2 fails a whole call when one of its
// ids is unknown, so such a batch is retried one instance at a time.
func (f *Fleet) Terminate(ctx context.Context, ce string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(ids, terminateBatch) {
		err := f.terminate(ctx, chunk)
		if notFoundCodes[apiCode(err)] {
			err = nil
			if len(chunk) > 1 {
				err = f.terminateEach(ctx, chunk)
			}
		}
		if err != nil {
			return fmt.Errorf("terminating instances of compute environment %s: %w", ce, err)
		}
	}
	f.logger.Info("terminated instances", "computeEnvironment", ce, "count", len(ids))
	return nil
}

// terminateEach terminates instances one by one, skipping those gone.
func (f *Fleet) terminateEach(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := f.terminate(ctx, []string{id}); err != nil && !notFoundCodes[apiCode(err)] {
			return err
		}
	}
	return nil
}

func (f *Fleet) terminate(ctx context.Context, ids []string) error {
	_, err := f.api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	return err
}
