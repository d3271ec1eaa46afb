package instances

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSAPI is the STS call RoleSessions makes (an *sts.Client).
type STSAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// RoleSessions gives each instance the credentials EC2 gives it from its
// instance profile: a session of the role named roleName in the instance's
// account, named after the instance (moto's STS issues them, to any
// caller). The agent API accepts an agent by that session.
func RoleSessions(api STSAPI, roleName string) func(ctx context.Context, instanceID, account string) (aws.Credentials, error) {
	return func(ctx context.Context, instanceID, account string) (aws.Credentials, error) {
		out, err := api.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", account, roleName)),
			RoleSessionName: aws.String(instanceID),
		})
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("the instance role's session on %s: %w", instanceID, err)
		}
		c := out.Credentials
		return aws.Credentials{
			AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), Source: "instance role session",
		}, nil
	}
}
