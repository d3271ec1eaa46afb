package awsserver

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/kmskeys"
)

// IssueOptions shape IssueKey.
type IssueOptions struct {
	// KMSKey is the KMS key sealing the secret, as the stack's API function
	// knows it; empty means the stack's alias, kmskeys.Alias(stack).
	KMSKey string
	// Description is stored with the key (default "tanda keys issue").
	Description string
	Clock       batch.Clock // default batch.SystemClock
}

// IssueKey issues an access key of the deployed stack st, its secret
// sealed with the stack's KMS key, with the caller's AWS credentials (the
// deployer's: they need dynamodb:PutItem on the items table and
// kms:Encrypt with the key). It is how the first key of a stack on AWS is
// made, since the API accepts only requests signed with a key.
func IssueKey(ctx context.Context, awsCfg aws.Config, st awsstack.Settings, o IssueOptions) (accesskeys.AccessKey, error) {
	st = st.WithDefaults()
	if err := st.Validate(); err != nil {
		return accesskeys.AccessKey{}, err
	}
	if o.KMSKey == "" {
		o.KMSKey = kmskeys.Alias(st.Stack)
	}
	if o.Description == "" {
		o.Description = "tanda keys issue"
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	sealer, err := kmskeys.New(kms.NewFromConfig(awsCfg), o.KMSKey)
	if err != nil {
		return accesskeys.AccessKey{}, err
	}
	store := newStore(dynamodb.NewFromConfig(awsCfg), st, nil, o.Clock)
	key, err := accesskeys.NewWithContextSealer(store, sealer, o.Clock).Issue(ctx, o.Description)
	if err != nil {
		return accesskeys.AccessKey{}, fmt.Errorf("issuing an access key of stack %s: %w", st.Stack, err)
	}
	return key, nil
}
