package dynamo

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every DynamoDB call this package can make
// (the methods of its dynamoAPI). Query reads the jobs table's indexes too,
// so a policy grants it on "<table ARN>/index/*" as well.
func Actions() []string { return iamactions.Of("dynamodb", (*dynamoAPI)(nil)) }

// SetupActions are the Actions that only CreateTables calls. A deployment
// whose tables something else creates (the SAM stack) grants none of them.
func SetupActions() []string {
	return []string{"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"}
}
