package provisionfn

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every AWS call this package can make:
// reading and deleting from the interruption queue (the methods of its
// sqsAPI) and looking up instances' tags (its ec2API).
func Actions() []string {
	return iamactions.Union(iamactions.Of("sqs", (*sqsAPI)(nil)), iamactions.Of("ec2", (*ec2API)(nil)))
}
