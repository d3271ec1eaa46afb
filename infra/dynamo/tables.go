package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableWait bounds the wait for a new table to become ACTIVE.
const tableWait = 5 * time.Minute

// index is a global secondary index of the jobs table. Every index keeps
// only keys and at most two small attributes: listings read the documents
// with BatchGetItem, so a job's transitions write small index entries.
//
// A stack's indexes are fixed once it is deployed: CloudFormation cannot
// change an existing index's keys or projection, and adds or deletes at
// most one per update (templatecheck's TestIndexesOfReleasedStacks). What
// a new reader needs from an index goes into its keys' values instead, as
// the demand of RUNNABLE jobs goes into queueKey (runnableKey).
type index struct {
	name, hash, sort string
	include          []string
}

// The jobs table's GSIs (docs/DYNAMODB.md).
var (
	byQueueStatus = index{name: "byQueueStatus", hash: attrQueue, sort: attrQueueKey, include: []string{attrJobQueue, attrInstance}}
	children      = index{name: "children", hash: attrParent, sort: attrChildKey, include: []string{attrChildStatus}}
	sweep         = index{name: "sweep", hash: attrSweep, sort: attrSweepKey}
	jobIndexes    = []index{byQueueStatus, children, sweep}
)

// CreateTables creates the jobs and items tables, waits for them to be
// ACTIVE and enables TTL on attribute "ttl". Tables that exist are left as
// they are, so it may run at every start.
func (s *Store) CreateTables(ctx context.Context) error {
	for _, in := range []*dynamodb.CreateTableInput{s.jobsTableInput(), s.itemsTableInput()} {
		if err := s.createTable(ctx, in); err != nil {
			return fmt.Errorf("creating table %s: %w", aws.ToString(in.TableName), err)
		}
	}
	return nil
}

// createTable creates one table unless it exists, then enables its TTL.
func (s *Store) createTable(ctx context.Context, in *dynamodb.CreateTableInput) error {
	if _, err := s.api.CreateTable(ctx, in); err != nil && !isTableExists(err) {
		return translate(err)
	}
	waiter := dynamodb.NewTableExistsWaiter(s.api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = time.Second
		o.MaxDelay = 10 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, tableWait); err != nil {
		return fmt.Errorf("waiting for the table: %w", err)
	}
	return s.enableTTL(ctx, in.TableName)
}

// enableTTL turns on TTL on attribute "ttl" unless it is on already
// (DynamoDB refuses to enable it twice).
func (s *Store) enableTTL(ctx context.Context, table *string) error {
	out, err := s.api.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: table})
	if err != nil {
		return fmt.Errorf("describing TTL: %w", translate(err))
	}
	if d := out.TimeToLiveDescription; d != nil {
		switch d.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			return nil
		}
	}
	_, err = s.api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enabling TTL: %w", translate(err))
	}
	return nil
}

// jobsTableInput describes the jobs table and its indexes.
func (s *Store) jobsTableInput() *dynamodb.CreateTableInput {
	defined := map[string]bool{attrID: true}
	defs := []types.AttributeDefinition{attrDef(attrID)}
	gsis := make([]types.GlobalSecondaryIndex, 0, len(jobIndexes))
	for _, ix := range jobIndexes {
		for _, a := range []string{ix.hash, ix.sort} {
			if !defined[a] {
				defined[a] = true
				defs = append(defs, attrDef(a))
			}
		}
		projection := &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
		if len(ix.include) > 0 {
			projection = &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: ix.include}
		}
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.hash), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.sort), KeyType: types.KeyTypeRange},
			},
			Projection: projection,
		})
	}
	return &dynamodb.CreateTableInput{
		TableName:              aws.String(s.opts.JobsTable),
		BillingMode:            types.BillingModePayPerRequest,
		AttributeDefinitions:   defs,
		KeySchema:              []types.KeySchemaElement{{AttributeName: aws.String(attrID), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: gsis,
	}
}

// itemsTableInput describes the items table.
func (s *Store) itemsTableInput() *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(s.opts.ItemsTable),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{attrDef(attrKind), attrDef(attrKey)},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrKind), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrKey), KeyType: types.KeyTypeRange},
		},
	}
}

// attrDef defines a key attribute; every key attribute is a string.
func attrDef(name string) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
}
