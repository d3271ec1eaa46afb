package ec2agent

import (
	"context"
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/provisioner"
)

// Metadata is what the agent reads from the instance metadata service;
// *imds.Client is one.
type Metadata interface {
	Identity(ctx context.Context) (imds.Identity, error)
	UserData(ctx context.Context) ([]byte, error)
	InstanceTag(ctx context.Context, key string) (value string, found bool, err error)
}

// Instance is who the agent is: its EC2 identity, its stack's settings,
// its compute environment and its capacity.
type Instance struct {
	imds.Identity
	Settings           awsstack.Settings
	ComputeEnvironment string
	Capacity           Capacity
}

// Partition is the region and account the control plane's ARNs are made
// in: the instance's own.
func (in Instance) Partition() batch.Partition {
	region := in.Region
	if region == "" {
		region = in.Settings.Region
	}
	return batch.Partition{Region: region, Account: in.AccountID}
}

// DiscoverOptions say how Discover sizes the instance. The zero value uses
// provisioner.DefaultCatalog and HostCapacity.
type DiscoverOptions struct {
	Catalog *provisioner.Catalog
	Host    func() (Capacity, error)
}

// Discover finds out who the instance is from its metadata: the identity
// document and lifecycle, the stack's settings in the user data (see
// awsstack.Settings.AgentScript), and the compute environment from the
// instance tag ec2fleet.TagComputeEnvironment, which the launch template
// exposes to IMDS (InstanceMetadataTags). Its capacity is its instance
// type's, or the host's when the catalogue does not know the type.
func Discover(ctx context.Context, md Metadata, o DiscoverOptions) (Instance, error) {
	if o.Catalog == nil {
		o.Catalog = provisioner.DefaultCatalog()
	}
	if o.Host == nil {
		o.Host = HostCapacity
	}
	id, err := md.Identity(ctx)
	if err != nil {
		return Instance{}, err
	}
	in := Instance{Identity: id}
	userData, err := md.UserData(ctx)
	if err != nil {
		return Instance{}, err
	}
	if in.Settings, err = awsstack.ParseUserData(userData); err != nil {
		return Instance{}, fmt.Errorf("instance %s: %w", id.InstanceID, err)
	}
	ce, found, err := md.InstanceTag(ctx, ec2fleet.TagComputeEnvironment)
	if err != nil {
		return Instance{}, err
	}
	if in.ComputeEnvironment = strings.TrimSpace(ce); !found || in.ComputeEnvironment == "" {
		return Instance{}, fmt.Errorf("instance %s: no tag %s in its metadata: launch it from the stack's launch template, "+
			"which tags it with its compute environment and enables instance metadata tags (InstanceMetadataTags)",
			id.InstanceID, ec2fleet.TagComputeEnvironment)
	}
	if in.Capacity, err = sizeOf(id.InstanceType, o.Catalog, o.Host); err != nil {
		return Instance{}, err
	}
	return in, nil
}
