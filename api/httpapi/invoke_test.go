package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestCallDecodesAsTheAPIDoes(t *testing.T) {
	f := &fakeBackend{}
	var logs bytes.Buffer
	opts := testOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h := New(f, opts)
	_, err := h.Call(context.Background(), "TKIACONSOLE", "CancelJob", []byte(`{"jobId":"j1"}`))
	a := Answer(err, "")
	if a.Status != http.StatusBadRequest || a.Code != codeClient || a.Message != "missing required member reason" {
		t.Fatalf("CancelJob without reason: got %+v, want 400 ClientException about reason", a)
	}
	if _, err := h.Call(context.Background(), "TKIACONSOLE", "cancelJob", []byte(`{}`)); err == nil {
		t.Fatal("an operation named in the wrong case was served")
	}
	if _, err := h.Call(context.Background(), "TKIACONSOLE", "ListJobs", bytes.Repeat([]byte(" "), DefaultMaxBodyBytes+1)); err == nil {
		t.Fatal("a body over the cap was served")
	}
	if n := len(f.recordedCalls()); n != 0 {
		t.Fatalf("the backend was called %d times for refused requests", n)
	}
	if _, err := h.Call(context.Background(), "TKIACONSOLE", "CancelJob", []byte(`{"jobId":"j1","reason":"r"}`)); err != nil {
		t.Fatal(err)
	}
	calls := f.recordedCalls()
	if len(calls) != 1 || calls[0].op != "CancelJob" || calls[0].info.AccessKeyID != "TKIACONSOLE" || calls[0].info.RequestID == "" {
		t.Fatalf("the backend got %+v, want one CancelJob as TKIACONSOLE with a request id", calls)
	}
	if got := logs.String(); strings.Count(got, "accessKeyId=TKIACONSOLE") != 4 || !strings.Contains(got, "operation=CancelJob") {
		t.Fatalf("want one log line per call with the access key and operation, got:\n%s", got)
	}
}

func TestCallIsRateLimited(t *testing.T) {
	opts := testOptions()
	opts.RateLimit = 1
	h := New(&fakeBackend{}, opts)
	var throttled int
	for range 5 {
		if _, err := h.Call(context.Background(), "TKIACONSOLE", "ListJobs", []byte(`{}`)); err != nil {
			if a := Answer(err, ""); a.Status != http.StatusTooManyRequests {
				t.Fatalf("got %+v, want 429", a)
			}
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("5 calls at once within a limit of 1 a second were all served")
	}
}

func TestAnswerHidesServerFaults(t *testing.T) {
	a := Answer(errors.New("disk on fire"), "req-1")
	if a.Status != http.StatusInternalServerError || a.Message != "internal error (request id req-1)" || a.IsClientFault() {
		t.Fatalf("got %+v, want a 500 naming the request only", a)
	}
	a = Answer(batch.Clientf("maxvCpus 1 is below minvCpus 2"), "req-2")
	if !a.IsClientFault() || a.Message != "maxvCpus 1 is below minvCpus 2" {
		t.Fatalf("got %+v, want the client error's message", a)
	}
}
