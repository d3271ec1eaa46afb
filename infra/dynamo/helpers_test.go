package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// fixedClock is a clock that does not move.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// testNow is the tests' clock time.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recordingQueues records the messages a Store sends and the receipts it
// deletes; with fail set, it records them and then fails.
type recordingQueues struct {
	mu      sync.Mutex
	sent    [][]batch.Message
	deleted []string
	fail    error
}

func (r *recordingQueues) Delete(_ context.Context, queue, receipt string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deleted = append(r.deleted, queue+"/"+receipt)
	return r.fail
}

func (r *recordingQueues) deletes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deleted)
}

func (r *recordingQueues) Send(_ context.Context, msgs []batch.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, slices.Clone(msgs))
	return r.fail
}

func (r *recordingQueues) batches() [][]batch.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// motoDynamo is a DynamoDB client of the moto server `make test` starts
// (scripts/moto.sh), with the HTTP client Tanda's own clients use
// (awsclient: without it a call can fail after moto applied it, and the
// SDK's retry then loses its condition).
func motoDynamo(t *testing.T) *dynamodb.Client {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	return dynamodb.New(dynamodb.Options{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	})
}

// uniqueStack is a table-name prefix no other test uses, since all tests
// of a run share one moto server.
func uniqueStack(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("reading random bytes: %v", err)
	}
	return "t" + hex.EncodeToString(b)
}

// newStore returns a Store on moto with fresh tables, its client and its
// queues.
func newStore(t *testing.T) (*dynamo.Store, *dynamodb.Client, *recordingQueues, dynamo.Options) {
	t.Helper()
	client := motoDynamo(t)
	stack := uniqueStack(t)
	sender := &recordingQueues{}
	opts := dynamo.Options{
		JobsTable:  stack + "-jobs",
		ItemsTable: stack + "-items",
		Clock:      fixedClock{testNow},
		Queues:     sender,
		RetryDelay: time.Millisecond,
	}
	return newWithOptions(t, opts), client, sender, opts
}

// newWithOptions returns a Store on moto with opts, creating its tables if
// they do not exist.
func newWithOptions(t *testing.T, opts dynamo.Options) *dynamo.Store {
	t.Helper()
	s := dynamo.New(motoDynamo(t), opts)
	if err := s.CreateTables(context.Background()); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	return s
}

// newJob is a top-level job of queue "q" in status.
func newJob(id string, status batch.Status) batch.Job {
	return batch.Job{
		JobID:     id,
		JobName:   "name-" + id,
		JobQueue:  "arn:aws:batch:us-east-1:123456789012:job-queue/q",
		Status:    status,
		CreatedAt: 1000,
		Internal: batch.JobInternal{
			QueueName:      "q",
			DefinitionName: "def",
			UpdatedAt:      2000,
		},
	}
}
