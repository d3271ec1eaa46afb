package awsserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/provisioner"
)

// forgetFunc forgets a retired instance: control.Service.ForgetInstance.
type forgetFunc func(ctx context.Context, ce, id string) error

// retiringFleet is a provisioner.Fleet that, once it has terminated
// instances, forgets their records: an EC2 instance's agent goes with it,
// so nobody else would remove them, and any attempt one still held ends
// as a host loss.
type retiringFleet struct {
	provisioner.Fleet
	forget forgetFunc
}

// Terminate terminates instances and forgets them, including those EC2
// no longer knows.
func (f retiringFleet) Terminate(ctx context.Context, ce string, ids []string) error {
	err := f.Fleet.Terminate(ctx, ce, ids)
	if provisioner.IgnoreInstanceNotFound(err) != nil {
		return err
	}
	errs := []error{err}
	for _, id := range ids {
		if ferr := f.forget(ctx, ce, id); ferr != nil {
			errs = append(errs, fmt.Errorf("forgetting terminated instance %s: %w", id, ferr))
		}
	}
	return errors.Join(errs...)
}
