package sqsqueue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
)

var _ control.Queues = (*sqsqueue.Queues)(nil)

// motoSQS is an SQS client of the moto server `make test` starts
// (scripts/moto.sh).
func motoSQS(t *testing.T) *sqs.Client {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
}

// uniquePrefix is a stack prefix no other test uses, since all tests of a
// run share one moto server.
func uniquePrefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("reading random bytes: %v", err)
	}
	return "t" + hex.EncodeToString(b)
}

// newQueues returns Queues on moto under a fresh prefix, creating queues
// on first use unless opts say otherwise.
func newQueues(t *testing.T, opts sqsqueue.Options) (*sqsqueue.Queues, *sqs.Client) {
	t.Helper()
	client := motoSQS(t)
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t)
	}
	opts.RetryDelay = time.Millisecond
	return sqsqueue.New(client, opts), client
}

// receiveN receives from queue until it has n deliveries or 5 s pass.
func receiveN(t *testing.T, q *sqsqueue.Queues, queue string, n int, visibility time.Duration) []batch.Delivery {
	t.Helper()
	ctx := context.Background()
	var got []batch.Delivery
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		ds, err := q.Receive(ctx, queue, n-len(got), visibility, time.Second)
		if err != nil {
			t.Fatalf("Receive(%s): %v", queue, err)
		}
		got = append(got, ds...)
	}
	if len(got) != n {
		t.Fatalf("received %d messages from %s, want %d", len(got), queue, n)
	}
	return got
}

// expectEmpty checks that queue has no visible message.
func expectEmpty(t *testing.T, q *sqsqueue.Queues, queue string) {
	t.Helper()
	ds, err := q.Receive(context.Background(), queue, 10, time.Minute, 0)
	if err != nil {
		t.Fatalf("Receive(%s): %v", queue, err)
	}
	if len(ds) != 0 {
		t.Fatalf("Receive(%s) = %+v, want nothing visible", queue, ds)
	}
}

func ids(ds []batch.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	slices.Sort(out)
	return out
}

func TestSendReceiveDelete(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx := context.Background()
	ready := control.ReadyQueue("jq-1")
	msgs := []batch.Message{
		{Queue: control.SubmissionsQueue, ID: "job-a"},
		{Queue: ready, ID: "job-b", Body: "attempt=2"},
		{Queue: control.SubmissionsQueue, ID: "job-c"},
	}
	if err := q.Send(ctx, msgs); err != nil {
		t.Fatalf("Send: %v", err)
	}

	subs := receiveN(t, q, control.SubmissionsQueue, 2, time.Minute)
	if got, want := ids(subs), []string{"job-a", "job-c"}; !slices.Equal(got, want) {
		t.Errorf("submission ids = %v, want %v", got, want)
	}
	rd := receiveN(t, q, ready, 1, time.Minute)
	want := batch.Message{Queue: ready, ID: "job-b", Body: "attempt=2"}
	if rd[0].Message != want || rd[0].ReceiveCount != 1 || rd[0].Receipt == "" {
		t.Errorf("ready delivery = %+v, want %+v received once with a receipt", rd[0], want)
	}
	for _, d := range subs {
		if d.Queue != control.SubmissionsQueue || d.Body != "" || d.ReceiveCount != 1 {
			t.Errorf("submission delivery = %+v, want queue %s, no body, received once", d, control.SubmissionsQueue)
		}
	}

	for _, d := range append(subs, rd...) {
		if err := q.Delete(ctx, d.Queue, d.Receipt); err != nil {
			t.Fatalf("Delete(%s): %v", d.ID, err)
		}
	}
	// Deleted messages never come back, even after their visibility.
	for _, queue := range []string{control.SubmissionsQueue, ready} {
		ds, err := q.Receive(ctx, queue, 10, time.Second, 0)
		if err != nil || len(ds) != 0 {
			t.Errorf("Receive(%s) after Delete = %+v, %v; want nothing", queue, ds, err)
		}
	}
}

func TestSendBatches(t *testing.T) {
	for _, n := range []int{1, 10, 11, 25} {
		t.Run(fmt.Sprintf("%d messages", n), func(t *testing.T) {
			q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
			queue := control.ReadyQueue("big")
			var msgs []batch.Message
			var want []string
			for i := range n {
				id := "job-" + hex.EncodeToString([]byte{byte(i)})
				msgs = append(msgs, batch.Message{Queue: queue, ID: id})
				want = append(want, id)
			}
			slices.Sort(want)
			if err := q.Send(context.Background(), msgs); err != nil {
				t.Fatalf("Send(%d): %v", n, err)
			}
			if got := ids(receiveN(t, q, queue, n, time.Minute)); !slices.Equal(got, want) {
				t.Errorf("received %v, want %v", got, want)
			}
			expectEmpty(t, q, queue)
		})
	}
}

func TestVisibilityHidesThenRedelivers(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx := context.Background()
	queue := control.SubmissionsQueue
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-v"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	first := receiveN(t, q, queue, 1, time.Second)
	expectEmpty(t, q, queue)

	again := receiveN(t, q, queue, 1, time.Minute)
	if again[0].ID != "job-v" || again[0].ReceiveCount != 2 {
		t.Errorf("redelivery = %+v, want job-v with ReceiveCount 2", again[0])
	}
	if again[0].Receipt == first[0].Receipt {
		t.Errorf("redelivery kept receipt %q, want a new one", first[0].Receipt)
	}
}

func TestChangeVisibility(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx := context.Background()
	queue := control.ReadyQueue("cv")
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-r"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := receiveN(t, q, queue, 1, time.Hour)[0]

	if err := q.ChangeVisibility(ctx, queue, d.Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(0): %v", err)
	}
	ds, err := q.Receive(ctx, queue, 10, time.Hour, 0)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(ds) != 1 || ds[0].ID != "job-r" || ds[0].ReceiveCount != 2 {
		t.Fatalf("Receive after release = %+v, want job-r at once with ReceiveCount 2", ds)
	}

	if err := q.ChangeVisibility(ctx, queue, ds[0].Receipt, time.Hour); err != nil {
		t.Fatalf("ChangeVisibility(1h): %v", err)
	}
	expectEmpty(t, q, queue)
}

func TestStaleReceipts(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx := context.Background()
	queue := control.SubmissionsQueue
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-s"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	d := receiveN(t, q, queue, 1, time.Minute)[0]
	if err := q.Delete(ctx, queue, d.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	tests := []struct {
		name string
		call func() error
	}{
		{"delete again", func() error { return q.Delete(ctx, queue, d.Receipt) }},
		{"change visibility of a deleted message", func() error { return q.ChangeVisibility(ctx, queue, d.Receipt, 0) }},
		{"delete with a malformed receipt", func() error { return q.Delete(ctx, queue, "not-a-receipt") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
	expectEmpty(t, q, queue)
}

func TestLongPollReturnsOnArrival(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	queue := control.ReadyQueue("lp")
	expectEmpty(t, q, queue) // creates the queue

	type result struct {
		ds  []batch.Delivery
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ds, err := q.Receive(ctx, queue, 1, time.Minute, 10*time.Second)
		done <- result{ds, err}
	}()
	// Let the poll start before the message exists; a real server has no
	// clock to fake.
	time.Sleep(300 * time.Millisecond)
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-l"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Receive: %v", r.err)
	}
	if len(r.ds) != 1 || r.ds[0].ID != "job-l" {
		t.Errorf("Receive = %+v, want job-l", r.ds)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("long poll returned after %v, want soon after the send", took)
	}
}

func TestReceiveRespectsContext(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	queue := control.ReadyQueue("ctx")
	expectEmpty(t, q, queue)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := q.Receive(ctx, queue, 1, time.Minute, 10*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive with an expiring context = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Receive returned after %v, want at the context's deadline", took)
	}
}

// exists reports whether moto has an SQS queue of that name.
func exists(t *testing.T, client *sqs.Client, name string) bool {
	t.Helper()
	_, err := client.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	return err == nil
}

func TestDeleteQueue(t *testing.T) {
	q, client := newQueues(t, sqsqueue.Options{CreateMissing: true, MaxReceiveCount: 5})
	ctx := context.Background()
	queue := control.SubmissionsQueue
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-d"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	name := q.SQSName(queue)
	if !exists(t, client, name) || !exists(t, client, name+"-dlq") {
		t.Fatalf("queue %s or its DLQ missing after the first Send", name)
	}

	if err := q.DeleteQueue(ctx, queue); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	if exists(t, client, name) || exists(t, client, name+"-dlq") {
		t.Errorf("queue %s or its DLQ still exists after DeleteQueue", name)
	}
	if err := q.DeleteQueue(ctx, queue); err != nil {
		t.Errorf("DeleteQueue of a missing queue = %v, want nil", err)
	}
	if err := q.DeleteQueue(ctx, control.ReadyQueue("never-made")); err != nil {
		t.Errorf("DeleteQueue of a never-created queue = %v, want nil", err)
	}
	// The cached URL is gone: a receive creates the queue afresh, empty.
	expectEmpty(t, q, queue)
}

func TestDeadLetterQueue(t *testing.T) {
	q, client := newQueues(t, sqsqueue.Options{CreateMissing: true, MaxReceiveCount: 2})
	ctx := context.Background()
	queue := control.SubmissionsQueue
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-p"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for range 2 {
		d := receiveN(t, q, queue, 1, time.Minute)[0]
		if err := q.ChangeVisibility(ctx, queue, d.Receipt, 0); err != nil {
			t.Fatalf("ChangeVisibility: %v", err)
		}
	}
	expectEmpty(t, q, queue)

	dlq := sqsqueue.New(client, sqsqueue.Options{Prefix: q.SQSName(queue)})
	ds := receiveN(t, dlq, "dlq", 1, time.Minute)
	if ds[0].ID != "job-p" {
		t.Errorf("DLQ holds %+v, want job-p", ds[0])
	}
	// Ready queues get no DLQ by default.
	if err := q.Send(ctx, []batch.Message{{Queue: control.ReadyQueue("x"), ID: "job-q"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if name := q.SQSName(control.ReadyQueue("x")) + "-dlq"; exists(t, client, name) {
		t.Errorf("ready queue got a DLQ %s, want none", name)
	}
}

func TestMissingQueue(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{})
	ctx := context.Background()
	queue := control.ReadyQueue("absent")

	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-m"}}); !errors.Is(err, sqsqueue.ErrNoQueue) {
		t.Errorf("Send to a missing queue = %v, want ErrNoQueue", err)
	}
	if _, err := q.Receive(ctx, queue, 1, time.Minute, 0); !errors.Is(err, sqsqueue.ErrNoQueue) {
		t.Errorf("Receive from a missing queue = %v, want ErrNoQueue", err)
	}
	if err := q.ChangeVisibility(ctx, queue, "r", 0); !errors.Is(err, sqsqueue.ErrNoQueue) {
		t.Errorf("ChangeVisibility in a missing queue = %v, want ErrNoQueue", err)
	}
	if err := q.Delete(ctx, queue, "r"); err != nil {
		t.Errorf("Delete in a missing queue = %v, want nil", err)
	}

	if err := q.Ensure(ctx, queue); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if err := q.Send(ctx, []batch.Message{{Queue: queue, ID: "job-m"}}); err != nil {
		t.Errorf("Send after Ensure: %v", err)
	}
}

func TestLongNames(t *testing.T) {
	q, _ := newQueues(t, sqsqueue.Options{CreateMissing: true})
	ctx := context.Background()
	base := strings.Repeat("q", 127)
	a, b := control.ReadyQueue(base+"a"), control.ReadyQueue(base+"b")
	if na, nb := q.SQSName(a), q.SQSName(b); len(na) > 76 || len(nb) > 76 || na == nb {
		t.Fatalf("SQS names %q and %q, want distinct and at most 76 characters", na, nb)
	}
	if err := q.Send(ctx, []batch.Message{{Queue: a, ID: "job-a"}, {Queue: b, ID: "job-b"}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for queue, want := range map[string]string{a: "job-a", b: "job-b"} {
		if got := receiveN(t, q, queue, 1, time.Minute)[0]; got.ID != want || got.Queue != queue {
			t.Errorf("received %+v, want %s from its own queue", got, want)
		}
	}
}
