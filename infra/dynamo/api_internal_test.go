package dynamo

import "github.com/aws/aws-sdk-go-v2/service/dynamodb"

// The SDK's client is what New is given in production.
var _ dynamoAPI = (*dynamodb.Client)(nil)
