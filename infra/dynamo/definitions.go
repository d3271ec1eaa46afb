package dynamo

import "github.com/aws/aws-sdk-go-v2/service/dynamodb"

// TTLAttribute is the attribute DynamoDB's TTL reads on both tables (epoch
// seconds).
const TTLAttribute = attrTTL

// TableInputs are the CreateTable requests CreateTables makes for the
// Store's jobs and items tables, in that order. A template that creates
// the tables itself (template.yaml) is checked against them.
func (s *Store) TableInputs() []*dynamodb.CreateTableInput {
	return []*dynamodb.CreateTableInput{s.jobsTableInput(), s.itemsTableInput()}
}
