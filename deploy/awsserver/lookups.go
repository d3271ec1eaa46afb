package awsserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// lookupWait bounds each start-up question to AWS whose answer has a
// fallback.
const lookupWait = 10 * time.Second

// account is the account of the credentials, as STS says, or fallback
// when STS does not answer.
func account(ctx context.Context, api *sts.Client, fallback string, logger *slog.Logger) string {
	ctx, cancel := context.WithTimeout(ctx, lookupWait)
	defer cancel()
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) == "" {
		logger.Warn("STS does not say whose the credentials are; ARNs use the configured account", "account", fallback, "err", err)
		return fallback
	}
	return aws.ToString(out.Account)
}

// defaultSubnets lists the subnets of the default VPC, which compute
// environments that name none launch into. An account without a default
// VPC has none: its compute environments must name their subnets.
func defaultSubnets(ctx context.Context, api *ec2.Client, logger *slog.Logger) []string {
	ctx, cancel := context.WithTimeout(ctx, lookupWait)
	defer cancel()
	var ids []string
	pages := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			logger.Warn("listing the default VPC's subnets; compute environments must name theirs", "err", err)
			return nil
		}
		for _, s := range page.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
	}
	if len(ids) == 0 {
		logger.Warn("no default VPC subnets; compute environments must name theirs")
	}
	return ids
}
