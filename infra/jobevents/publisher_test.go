package jobevents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/batch"
)

// fakeAPI answers PutEvents with answer and records each request's job ids.
type fakeAPI struct {
	calls [][]string // job ids per call
	// answer gives the result for one entry of call n (0-based): an error
	// code or "", or an error for the whole call.
	answer func(call int, jobID string) (code string, callErr error)
}

func (f *fakeAPI) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	n := len(f.calls)
	var ids []string
	for _, e := range in.Entries {
		var d struct{ JobID string }
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
			return nil, fmt.Errorf("fake: detail: %w", err)
		}
		ids = append(ids, d.JobID)
	}
	f.calls = append(f.calls, ids)
	out := &eventbridge.PutEventsOutput{}
	for _, id := range ids {
		code, err := "", error(nil)
		if f.answer != nil {
			code, err = f.answer(n, id)
		}
		if err != nil {
			return nil, err
		}
		r := types.PutEventsResultEntry{EventId: aws.String("ev-" + id)}
		if code != "" {
			r = types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("fake " + code)}
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, r)
	}
	return out, nil
}

// testPublisher is a Publisher on api that does not sleep and logs to buf.
func testPublisher(api eventsAPI, buf *bytes.Buffer) *Publisher {
	p := New(api, Options{Bus: "test-bus", Logger: slog.New(slog.NewTextHandler(buf, nil))})
	p.retry.sleep = func(context.Context, time.Duration) error { return nil }
	return p
}

// job is a RUNNING job named id.
func job(id string) batch.Job {
	return batch.Job{
		JobArn:   "arn:aws:batch:us-east-1:123456789012:job/" + id,
		JobID:    id,
		JobName:  "name-" + id,
		Status:   batch.Running,
		Internal: batch.JobInternal{UpdatedAt: 1_700_000_000_123, QueueName: "secret-internal"},
	}
}

func jobs(n int) []batch.Job {
	out := make([]batch.Job, n)
	for i := range out {
		out[i] = job(fmt.Sprintf("j%02d", i))
	}
	return out
}

func TestEntryEnvelope(t *testing.T) {
	p := testPublisher(&fakeAPI{}, &bytes.Buffer{})
	e, err := p.entry(job("a"))
	if err != nil {
		t.Fatalf("entry: %v", err)
	}
	if got := aws.ToString(e.req.Source); got != DefaultSource {
		t.Errorf("Source = %q, want %q", got, DefaultSource)
	}
	if got := aws.ToString(e.req.DetailType); got != DetailType {
		t.Errorf("DetailType = %q, want %q", got, DetailType)
	}
	if got := aws.ToString(e.req.EventBusName); got != "test-bus" {
		t.Errorf("EventBusName = %q, want test-bus", got)
	}
	if got, want := e.req.Resources, []string{job("a").JobArn}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Resources = %v, want %v", got, want)
	}
	if got, want := aws.ToTime(e.req.Time), time.UnixMilli(1_700_000_000_123); !got.Equal(want) {
		t.Errorf("Time = %v, want %v", got, want)
	}
	detail := aws.ToString(e.req.Detail)
	var d map[string]any
	if err := json.Unmarshal([]byte(detail), &d); err != nil {
		t.Fatalf("detail is not JSON: %v", err)
	}
	if d["jobId"] != "a" || d["status"] != "RUNNING" {
		t.Errorf("detail jobId, status = %v, %v; want a, RUNNING", d["jobId"], d["status"])
	}
	if strings.Contains(detail, "secret-internal") {
		t.Errorf("detail %s carries Internal fields", detail)
	}
	want := len(DefaultSource) + len(DetailType) + len(detail) + len(job("a").JobArn) + timeBytes
	if e.size != want {
		t.Errorf("size = %d, want %d", e.size, want)
	}
}

func TestEntryWithoutTime(t *testing.T) {
	p := testPublisher(&fakeAPI{}, &bytes.Buffer{})
	j := job("a")
	j.Internal.UpdatedAt = 0
	e, err := p.entry(j)
	if err != nil {
		t.Fatalf("entry: %v", err)
	}
	if e.req.Time != nil {
		t.Errorf("Time = %v, want unset so EventBridge uses the call's time", *e.req.Time)
	}
}

func TestSkip(t *testing.T) {
	for _, st := range batch.AllStatuses {
		j := job("a")
		j.Status = st
		if got, want := Skip(j), st == batch.Submitted; got != want {
			t.Errorf("Skip(%v) = %v, want %v", st, got, want)
		}
	}
}

func TestSplit(t *testing.T) {
	sized := func(sizes ...int) []entry {
		out := make([]entry, len(sizes))
		for i, s := range sizes {
			out[i] = entry{jobID: fmt.Sprint(i), size: s}
		}
		return out
	}
	tests := []struct {
		name    string
		entries []entry
		limits  limits
		want    []int // entries per request
	}{
		{"none", nil, defaultLimits, nil},
		{"one", sized(5), defaultLimits, []int{1}},
		{"twelve by count", sized(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), defaultLimits, []int{10, 2}},
		{"exactly ten", sized(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), defaultLimits, []int{10}},
		{"by size", sized(60, 50, 40, 100, 1), limits{entries: 10, requestBytes: 100}, []int{1, 2, 1, 1}},
		{"entry at the limit", sized(100, 100), limits{entries: 10, requestBytes: 100}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			n := 0
			for _, req := range split(tt.entries, tt.limits) {
				got = append(got, len(req))
				for _, e := range req {
					if e.jobID != fmt.Sprint(n) {
						t.Fatalf("entry %s out of order, want %d", e.jobID, n)
					}
					n++
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("request sizes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPublishBatchesAndSkipsSubmitted(t *testing.T) {
	api := &fakeAPI{}
	p := testPublisher(api, &bytes.Buffer{})
	in := jobs(13)
	in[5].Status = batch.Submitted
	if err := p.Publish(t.Context(), in); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if len(api.calls) != 2 || len(api.calls[0]) != 10 || len(api.calls[1]) != 2 {
		t.Fatalf("calls = %v, want 10 then 2 entries", api.calls)
	}
	for _, call := range api.calls {
		for _, id := range call {
			if id == in[5].JobID {
				t.Errorf("SUBMITTED job %s was published", id)
			}
		}
	}
}

func TestPublishTrimsLargeEvents(t *testing.T) {
	big := strings.Repeat("x", maxRequestBytes)
	tests := []struct {
		name     string
		job      func() batch.Job
		wantSent bool
		wantLog  string
	}{
		{"large environment", func() batch.Job {
			j := job("big")
			j.Container = &batch.ContainerProperties{Image: "busybox", Environment: []batch.KeyValuePair{{Name: "BIG", Value: big}}}
			return j
		}, true, "too large"},
		{"large parameters", func() batch.Job {
			j := job("big")
			j.Parameters = map[string]string{"p": big}
			return j
		}, true, "too large"},
		{"large even trimmed", func() batch.Job {
			j := job("big")
			j.StatusReason = big
			return j
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{}
			var logs bytes.Buffer
			p := testPublisher(api, &logs)
			in := []batch.Job{job("a"), tt.job(), job("b")}
			orig := in[1].Container
			err := p.Publish(t.Context(), in)
			sent := strings.Join(flatten(api.calls), ",")
			if tt.wantSent {
				if err != nil {
					t.Fatalf("Publish: %v", err)
				}
				if sent != "a,big,b" {
					t.Errorf("sent %s, want a,big,b", sent)
				}
				if orig != nil && len(orig.Environment) == 0 {
					t.Errorf("trimming changed the caller's job")
				}
			} else {
				var pe *PublishError
				if !errors.As(err, &pe) || len(pe.Failed) != 1 || pe.Failed[0].JobID != "big" || !errors.Is(err, errTooLarge) {
					t.Fatalf("Publish error = %v, want a PublishError naming big as too large", err)
				}
				if sent != "a,b" {
					t.Errorf("sent %s, want a,b", sent)
				}
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q does not mention %q", logs.String(), tt.wantLog)
			}
		})
	}
}

func flatten(calls [][]string) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c...)
	}
	return out
}

func TestPublishRetries(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: codeThrottling, Message: "slow down"}
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	tests := []struct {
		name          string
		answer        func(call int, id string) (string, error)
		wantCalls     string // job ids per call
		wantFailed    []string
		wantThrottled bool
	}{
		{
			name: "entry throttled once",
			answer: func(call int, id string) (string, error) {
				if call == 0 && id == "j01" {
					return codeThrottling, nil
				}
				return "", nil
			},
			wantCalls: "[[j00 j01 j02] [j01]]",
		},
		{
			name: "internal failure twice",
			answer: func(call int, id string) (string, error) {
				if call < 2 && id != "j00" {
					return codeInternalFailure, nil
				}
				return "", nil
			},
			wantCalls: "[[j00 j01 j02] [j01 j02] [j01 j02]]",
		},
		{
			name: "entry always throttled",
			answer: func(call int, id string) (string, error) {
				if id == "j02" {
					return codeThrottling, nil
				}
				return "", nil
			},
			wantCalls:     "[[j00 j01 j02] [j02] [j02] [j02] [j02]]",
			wantFailed:    []string{"j02"},
			wantThrottled: true,
		},
		{
			name: "entry refused",
			answer: func(call int, id string) (string, error) {
				if id == "j00" {
					return "InvalidArgument", nil
				}
				return "", nil
			},
			wantCalls:  "[[j00 j01 j02]]",
			wantFailed: []string{"j00"},
		},
		{
			name: "request throttled once",
			answer: func(call int, id string) (string, error) {
				if call == 0 {
					return "", throttled
				}
				return "", nil
			},
			wantCalls: "[[j00 j01 j02] [j00 j01 j02]]",
		},
		{
			name: "request refused",
			answer: func(call int, id string) (string, error) {
				return "", denied
			},
			wantCalls:  "[[j00 j01 j02]]",
			wantFailed: []string{"j00", "j01", "j02"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{answer: tt.answer}
			p := testPublisher(api, &bytes.Buffer{})
			err := p.Publish(t.Context(), jobs(3))
			if got := fmt.Sprint(api.calls); got != tt.wantCalls {
				t.Errorf("calls = %s, want %s", got, tt.wantCalls)
			}
			var failed []string
			var pe *PublishError
			if errors.As(err, &pe) {
				for _, f := range pe.Failed {
					failed = append(failed, f.JobID)
					if !strings.Contains(err.Error(), f.JobID) {
						t.Errorf("error %q does not name %s", err, f.JobID)
					}
				}
			} else if err != nil {
				t.Fatalf("Publish error %v is not a *PublishError", err)
			}
			if fmt.Sprint(failed) != fmt.Sprint(tt.wantFailed) {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
			if got := errors.Is(err, batch.ErrThrottled); got != tt.wantThrottled {
				t.Errorf("errors.Is(err, ErrThrottled) = %v, want %v (err %v)", got, tt.wantThrottled, err)
			}
		})
	}
}

func TestPublishStopsWithContext(t *testing.T) {
	api := &fakeAPI{}
	p := testPublisher(api, &bytes.Buffer{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := p.Publish(ctx, jobs(2))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Publish error = %v, want context.Canceled", err)
	}
	if len(api.calls) != 0 {
		t.Errorf("calls = %v after cancel, want none", api.calls)
	}
}

func TestDelay(t *testing.T) {
	b := retrier{attempts: 5, base: 100 * time.Millisecond, max: 300 * time.Millisecond}
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 150 * time.Millisecond, 300 * time.Millisecond},
		{10, 150 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		for range 20 {
			if d := b.delay(tt.attempt); d < tt.min || d > tt.max {
				t.Errorf("delay(%d) = %v, want in [%v, %v]", tt.attempt, d, tt.min, tt.max)
			}
		}
	}
}
