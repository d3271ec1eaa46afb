// Package awsserver wires Tanda on the AWS APIs (`tanda serve --backend
// aws`): the AWS Batch API, the scheduler and the provisioner as one
// long-running process over a stack's DynamoDB tables, SQS queues, EC2
// fleet, CloudWatch Logs group and EventBridge bus. The Lambda functions
// wrap the same handlers; this process serves them against any AWS
// endpoint: AWS itself, LocalStack or moto.
//
// Init creates what a stack needs when it is absent (for LocalStack and
// moto; on AWS the SAM stack creates it): the tables, the submissions
// queue and the ready queues of existing job queues, the log group, the
// event bus and the agents' launch template.
//
// Like `tanda up`, the server issues the API's first access key on its
// first start and writes it to DIR/credentials and DIR/config (profile
// "tanda"). Access key secrets are stored in the items table sealed with
// AES-256-GCM under DIR/master.key, created with mode 0600 on the first
// start; on AWS that key would be a KMS key.
package awsserver
