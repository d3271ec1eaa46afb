// Package awsserver wires Tanda on the AWS APIs. A Backend (OpenBackend)
// is the control plane over a stack's DynamoDB tables and SQS queues,
// publishing job state changes to its EventBridge bus; its methods build
// the parts on demand: the AWS Batch API (APIHandler), the provisioner of
// the EC2 fleet (Provisioner), the scheduler (Scheduler), the stack's
// KMS-sealed access keys (AccessKeys) and the provisioner's Lambda handler
// (ProvisionerFunction). The Lambda functions in functions/ each wrap the
// parts they need; a Server (Open) is `tanda serve --backend aws`, all of
// them as one long-running process against any AWS endpoint: AWS itself,
// LocalStack or moto.
//
// Init creates what a stack needs when it is absent (for LocalStack and
// moto; on AWS the SAM stack creates it): the tables, the submissions
// queue and the ready queues of existing job queues, the log group, the
// event bus and the agents' launch template.
//
// Like `tanda up`, the server issues the API's first access key on its
// first start and writes it to DIR/credentials and DIR/config (profile
// "tanda"). Its access key secrets are stored in the items table sealed
// with AES-256-GCM under DIR/master.key, created with mode 0600 on the
// first start. A stack deployed with SAM seals them with its KMS key
// instead, and IssueKey (`tanda keys issue`) makes its keys.
package awsserver
