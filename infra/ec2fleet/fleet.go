package ec2fleet

import (
	"io"
	"log/slog"
	"sync"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// Tag keys the fleet puts on its instances and volumes.
const (
	TagStack              = "tanda:stack"
	TagComputeEnvironment = "tanda:compute-environment"
	TagManagedBy          = "tanda:managed-by"
	ManagedByValue        = "tanda"
)

// Options configures a Fleet.
type Options struct {
	// Stack is the value of the tanda:stack tag; it keeps stacks sharing
	// an account apart.
	Stack string
	// LaunchTemplateName or LaunchTemplateID names the launch template
	// instances start from, unless a compute environment names its own.
	LaunchTemplateName string
	LaunchTemplateID   string
	// Subnets are used for compute environments that list none.
	Subnets []string
	// Parameters reads the public SSM parameters that name the default
	// ECS-optimized AMIs (see imageFor); nil launches only with images a
	// compute environment or its launch template names.
	Parameters Parameters
	Clock      batch.Clock  // default batch.SystemClock
	Logger     *slog.Logger // default: discard
}

// Fleet is provisioner.Fleet on EC2. It is safe for concurrent use.
type Fleet struct {
	api    ec2API
	opts   Options
	clock  batch.Clock
	logger *slog.Logger

	tokens tokenCache
	images imageCache

	mu    sync.Mutex
	types map[string]capacity // DescribeInstanceTypes, by type name
}

var _ provisioner.Fleet = (*Fleet)(nil)

// New returns a fleet calling api, usually an *ec2.Client.
func New(api ec2API, opts Options) *Fleet {
	f := &Fleet{api: api, opts: opts, clock: opts.Clock, logger: opts.Logger, types: map[string]capacity{}}
	if f.clock == nil {
		f.clock = batch.SystemClock{}
	}
	if f.logger == nil {
		f.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f.tokens = tokenCache{entries: map[string]tokenEntry{}}
	f.images = imageCache{amis: map[string]cachedValue{}, templates: map[string]cachedValue{}}
	return f
}
