package ec2agent

import (
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
)

// Backend is the control plane's storage as the agent reaches it: on AWS,
// what OpenAWS returns; in tests, the embedded store.
type Backend struct {
	// Store holds the jobs and items (DynamoDB on AWS).
	Store control.Store
	// Queues are the doorbells the agent pulls jobs from and rings (SQS).
	Queues control.Queues
	// Logs keeps the jobs' output (CloudWatch Logs).
	Logs bootstrap.LogStore
	// Events, when set, publishes the job state changes the agent makes
	// (EventBridge).
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
