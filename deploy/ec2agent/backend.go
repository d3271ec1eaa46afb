package ec2agent

import (
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
)

// Backend is the control plane as the agent reaches it: on AWS, what
// OpenAWS returns (the agent API, and the ready queues to receive from);
// in tests, the embedded store.
type Backend struct {
	// Control is the control plane: on AWS the agent API's client
	// (*agentapi.Client), through which the agent makes all its writes.
	// nil: a control plane over Store, in the agent's process.
	Control bootstrap.Control
	// Store holds the jobs and items, when Control is nil.
	Store control.Store
	// Queues are the ready queues the agent receives doorbells from (SQS),
	// and, with Store, the queues its control plane rings.
	Queues control.Queues
	// Logs keeps the jobs' output (CloudWatch Logs).
	Logs bootstrap.LogStore
	// Events, when set with Store, publishes the job state changes the
	// agent makes.
	Events control.Events
	// Registry gives the Docker runtime its image pull credentials (ECR);
	// nil uses the Docker config file's.
	Registry docker.Auth
	// Roles assumes jobs' roles (STS, with the instance role); nil serves
	// no job role credentials. Execution roles are assumed with it too.
	Roles rolecreds.Assumer
	// Secrets reads jobs' secrets as an execution role, or as the agent
	// when role is nil (infra/secretstores); nil reads none, and a job
	// with secrets fails.
	Secrets func(role *rolecreds.Session) secrets.Store
	// RoleRegistry, when set, pulls ECR images as an execution role.
	RoleRegistry func(role *rolecreds.Session) secrets.RegistryAuth
}
