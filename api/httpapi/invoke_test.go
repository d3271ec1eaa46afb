package httpapi

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestInvokeDecodesAsTheAPIDoes(t *testing.T) {
	f := &fakeBackend{}
	_, err := Invoke(context.Background(), f, "CancelJob", []byte(`{"jobId":"j1"}`))
	a := Answer(err, "req")
	if a.Status != http.StatusBadRequest || a.Code != codeClient || a.Message != "missing required member reason" {
		t.Fatalf("CancelJob without reason: got %+v, want 400 ClientException about reason", a)
	}
	if _, err := Invoke(context.Background(), f, "cancelJob", []byte(`{}`)); err == nil {
		t.Fatal("an operation named in the wrong case was served")
	}
	if n := len(f.recordedCalls()); n != 0 {
		t.Fatalf("the backend was called %d times for refused requests", n)
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
