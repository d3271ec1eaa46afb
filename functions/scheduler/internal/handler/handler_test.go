package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/functions/scheduler/internal/handler"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
	"github.com/tanda-batch/tanda/triggers"
)

// readEvent reads an SQS event from testdata.
func readEvent(t *testing.T, name string) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return ev
}

// fakeControl records the jobs it evaluates and fails those in fail.
type fakeControl struct {
	evaluated []string
	fail      map[string]bool
}

func (f *fakeControl) Evaluate(_ context.Context, id string) error {
	f.evaluated = append(f.evaluated, id)
	if f.fail[id] {
		return errors.New("store unavailable")
	}
	return nil
}

// fakeNotes records the notifications it gets and fails them if err is
// set.
type fakeNotes struct {
	bodies []string
	err    error
}

func (f *fakeNotes) HandleNotification(_ context.Context, body string) ([]triggers.Submission, error) {
	f.bodies = append(f.bodies, body)
	return nil, f.err
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// failed lists the message ids a response reports failed.
func failed(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name          string
		event         string
		failJobs      map[string]bool
		notesErr      error
		wantEvaluated []string
		wantNotes     int
		wantFailed    []string
	}{
		{"doorbells", "doorbells.json", nil, nil, []string{"job-1", "job-2", "job-3"}, 0, []string{}},
		{"a doorbell fails alone", "doorbells.json", map[string]bool{"job-2": true}, nil, []string{"job-1", "job-2", "job-3"}, 0, []string{"m2"}},
		{"an S3 notification", "s3-created.json", nil, nil, nil, 1, []string{}},
		{"S3's test event", "s3-test-event.json", nil, nil, nil, 1, []string{}},
		{"notifications and a doorbell", "duplicate.json", nil, nil, []string{"job-1"}, 2, []string{}},
		{"notifications fail alone", "duplicate.json", nil, errors.New("throttled"), []string{"job-1"}, 2, []string{"m1", "m3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctl, notes := &fakeControl{fail: tt.failJobs}, &fakeNotes{err: tt.notesErr}
			h := handler.New(triggers.Router{Jobs: ctl, Notifications: notes}, handler.Options{Logger: quietLogger()})
			resp, err := h.Handle(context.Background(), readEvent(t, tt.event))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got := failed(resp); !slices.Equal(got, tt.wantFailed) {
				t.Errorf("failed = %v, want %v", got, tt.wantFailed)
			}
			if !slices.Equal(ctl.evaluated, tt.wantEvaluated) {
				t.Errorf("evaluated = %v, want %v", ctl.evaluated, tt.wantEvaluated)
			}
			if len(notes.bodies) != tt.wantNotes {
				t.Errorf("notifications = %d, want %d", len(notes.bodies), tt.wantNotes)
			}
		})
	}
}

func TestTheResponseListsNoFailuresAsAnEmptyList(t *testing.T) {
	h := handler.New(triggers.Router{Jobs: &fakeControl{}, Notifications: &fakeNotes{}}, handler.Options{Logger: quietLogger()})
	resp, err := h.Handle(context.Background(), readEvent(t, "doorbells.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"batchItemFailures":[]}`; got != want {
		t.Errorf("response = %s, want %s", got, want)
	}
}

func TestRecordsLeftAtTheDeadlineFail(t *testing.T) {
	ctl := &fakeControl{}
	h := handler.New(triggers.Router{Jobs: ctl, Notifications: &fakeNotes{}}, handler.Options{Reserve: time.Hour, Logger: quietLogger()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := h.Handle(ctx, readEvent(t, "doorbells.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failed(resp), []string{"m1", "m2", "m3"}; !slices.Equal(got, want) {
		t.Errorf("failed = %v, want %v", got, want)
	}
	if len(ctl.evaluated) != 0 {
		t.Errorf("evaluated %v with no time left, want none", ctl.evaluated)
	}
}

// newControl is a control plane over an embedded store with a queue, a
// definition whose command prints its bucket and key, and a rule on
// bucket uploads.
func newControl(t *testing.T) (*control.Service, *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	ctl, db := controltest.Open(t, control.Options{Logger: quietLogger()})
	zero, four := 0, 4
	controltest.CreateStack(t, ctl, controltest.Stack{
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &four, InstanceTypes: []string{"m5.large"}},
	})
	if _, err := ctl.CreateTriggerRule(ctx, triggers.Rule{Name: "photos", Bucket: "uploads", Prefix: "photos/",
		JobQueue: "q", JobDefinition: "d", Command: []string{"thumbnail", "s3://Ref::bucket/Ref::key"}}); err != nil {
		t.Fatalf("CreateTriggerRule: %v", err)
	}
	return ctl, db
}

func TestADuplicateNotificationMakesNoSecondJob(t *testing.T) {
	ctl, db := newControl(t)
	h := handler.New(triggers.Router{Jobs: ctl, Notifications: triggers.NewDispatcher(ctl, quietLogger())}, handler.Options{Logger: quietLogger()})
	for _, name := range []string{"duplicate.json", "s3-created.json"} {
		resp, err := h.Handle(context.Background(), readEvent(t, name))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle(%s) = %v, %v; want no failures", name, failed(resp), err)
		}
	}
	pg, err := db.ListJobs(context.Background(), batch.JobQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Jobs) != 1 {
		t.Fatalf("jobs = %d, want 1 for three deliveries of one notification", len(pg.Jobs))
	}
	if got, want := pg.Jobs[0].Container.Command, []string{"thumbnail", "s3://uploads/photos/my cat(2).jpg"}; !slices.Equal(got, want) {
		t.Errorf("command = %q, want %q", got, want)
	}
}
