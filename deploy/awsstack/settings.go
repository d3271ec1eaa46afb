// Package awsstack names the AWS resources of one Tanda stack and carries
// those names to every process that uses them: `tanda serve` (and the
// Lambda functions) read them from flags and the environment, and pass them
// to `tanda agent` on each instance through the launch template's user
// data.
package awsstack

import (
	"errors"
	"fmt"
	"regexp"
)

// Settings name a stack's resources and how to reach the AWS APIs. The
// zero value of a name field takes the default derived from Stack.
type Settings struct {
	// Stack prefixes every resource name and is the value of the
	// tanda:stack tag.
	Stack string `json:"stack"`
	// Region is the AWS region of every resource.
	Region string `json:"region"`
	// Endpoint is the one URL every AWS API is called at (LocalStack,
	// moto); empty on AWS, where each service has its own.
	Endpoint string `json:"endpoint,omitempty"`

	JobsTable      string `json:"jobsTable,omitempty"`      // default <stack>-jobs
	ItemsTable     string `json:"itemsTable,omitempty"`     // default <stack>-items
	QueuePrefix    string `json:"queuePrefix,omitempty"`    // default <stack>: SQS queues are <prefix>-<name>
	LogGroup       string `json:"logGroup,omitempty"`       // default /tanda/<stack>/jobs
	EventBus       string `json:"eventBus,omitempty"`       // default "default"
	LaunchTemplate string `json:"launchTemplate,omitempty"` // default <stack>-agent
	// Runtime is the agent's job runtime: auto (Docker when a daemon
	// answers), docker or process. Default auto.
	Runtime string `json:"runtime,omitempty"`
	// LeaseSeconds is how long an attempt's lease lasts without a
	// heartbeat; the agent heartbeats at a fifth of it. Default 30.
	LeaseSeconds int `json:"leaseSeconds,omitempty"`
	// AgentAPI is the URL of the agent API (api/agentapi), which the
	// agents call for every write: the stack's function URL, or `tanda
	// serve`'s address.
	AgentAPI string `json:"agentApi,omitempty"`
	// InstanceRole is the name of the agents' IAM role, the only one whose
	// sessions the agent API accepts. The server's setting: agents do not
	// read it.
	InstanceRole string `json:"instanceRole,omitempty"`
}

// stackName is what a stack name may be: it prefixes table, queue and
// template names, so it keeps to the characters all of them allow.
var stackName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,39}$`)

// WithDefaults returns s with every unset name derived from Stack.
func (s Settings) WithDefaults() Settings {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&s.JobsTable, s.Stack+"-jobs")
	def(&s.ItemsTable, s.Stack+"-items")
	def(&s.QueuePrefix, s.Stack)
	def(&s.LogGroup, "/tanda/"+s.Stack+"/jobs")
	def(&s.EventBus, "default")
	def(&s.LaunchTemplate, s.Stack+"-agent")
	def(&s.Runtime, "auto")
	if s.LeaseSeconds <= 0 {
		s.LeaseSeconds = 30
	}
	return s
}

// Validate reports what is wrong with s, naming the field to fix.
func (s Settings) Validate() error {
	var errs []error
	if !stackName.MatchString(s.Stack) {
		errs = append(errs, fmt.Errorf("stack name %q: use 1 to 40 letters, digits and hyphens, starting with a letter", s.Stack))
	}
	if s.Region == "" {
		errs = append(errs, errors.New("region is not set: set AWS_REGION or --region"))
	}
	switch s.Runtime {
	case "", "auto", "docker", "process":
	default:
		errs = append(errs, fmt.Errorf("runtime %q: use auto, docker or process", s.Runtime))
	}
	if s.LeaseSeconds < 0 {
		errs = append(errs, fmt.Errorf("lease of %d seconds: must be positive", s.LeaseSeconds))
	}
	return errors.Join(errs...)
}
