package control_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// backend is what the suite runs the control plane on: a store and its
// queues.
type backend interface {
	control.Store
	control.Queues
}

// backendEnv selects the suite's backend: unset or "embedded" for SQLite,
// "aws" for DynamoDB and SQS on moto's server. `make test` runs the suite
// on both.
const backendEnv = "TANDA_TEST_BACKEND"

// onAWS reports whether the suite runs on DynamoDB and SQS.
func onAWS() bool { return os.Getenv(backendEnv) == "aws" }

// openBackend opens the suite's backend for one test.
func openBackend(t *testing.T, clk batch.Clock) backend {
	t.Helper()
	switch os.Getenv(backendEnv) {
	case "", "embedded":
		return openEmbedded(t, clk)
	case "aws":
		return openAWS(t, clk)
	default:
		t.Fatalf("%s=%q: use embedded or aws", backendEnv, os.Getenv(backendEnv))
		return nil
	}
}

// openEmbedded opens a SQLite store in a temporary directory.
func openEmbedded(t *testing.T, clk batch.Clock) backend {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return db
}

// awsBackend is the DynamoDB store with its SQS queues, and what a test
// needs to play DynamoDB's TTL, which moto does not run.
type awsBackend struct {
	*dynamo.Store
	*sqsqueue.Queues
	client *dynamodb.Client
	tables []string
}

// openAWS creates tables and queues of a fresh stack on moto.
func openAWS(t *testing.T, clk batch.Clock) backend {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	stack := "c" + hex.EncodeToString(b)
	ddb := dynamodb.New(dynamodb.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
	})
	q := sqsqueue.New(sqs.New(sqs.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
	}), sqsqueue.Options{Prefix: stack, CreateMissing: true})
	store := dynamo.New(ddb, dynamo.Options{
		JobsTable: stack + "-jobs", ItemsTable: stack + "-items",
		Clock: clk, Queues: q, RetryDelay: time.Millisecond,
	})
	if err := store.CreateTables(context.Background()); err != nil {
		t.Fatalf("creating tables on moto: %v", err)
	}
	return &awsBackend{Store: store, Queues: q, client: ddb, tables: []string{stack + "-jobs", stack + "-items"}}
}

// expire deletes what has expired by now, as the backend does it: the
// embedded store's DeleteExpired, or DynamoDB's TTL, which moto does not
// run, played here by a scan.
func (h *harness) expire() int {
	h.t.Helper()
	aws, ok := h.db.(*awsBackend)
	if !ok {
		n, err := h.svc.DeleteExpired(h.ctx)
		if err != nil {
			h.t.Fatalf("DeleteExpired: %v", err)
		}
		return n
	}
	n := 0
	for _, table := range aws.tables {
		n += aws.deleteTTLExpired(h.t, table, h.clk.Now())
	}
	return n
}

// deleteTTLExpired deletes the items of a table whose "ttl" is past now.
func (b *awsBackend) deleteTTLExpired(t *testing.T, table string, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	desc, err := b.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("describing %s: %v", table, err)
	}
	var keyNames []string
	for _, k := range desc.Table.KeySchema {
		keyNames = append(keyNames, aws.ToString(k.AttributeName))
	}
	pages := dynamodb.NewScanPaginator(b.client, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("#ttl < :now"),
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
	})
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("scanning %s: %v", table, err)
		}
		for _, item := range out.Items {
			key := map[string]types.AttributeValue{}
			for _, k := range keyNames {
				key[k] = item[k]
			}
			if _, err := b.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
				t.Fatalf("deleting an expired item of %s: %v", table, err)
			}
			n++
		}
	}
	return n
}
