package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestBackendErrorMapping(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"client error", batch.Clientf("JobQueue %s not found.", "q"), 400, "ClientException", "JobQueue q not found."},
		{"wrapped client error", fmt.Errorf("submitting: %w", batch.Clientf("bad name")), 400, "ClientException", "bad name"},
		{"throttled", fmt.Errorf("writing job: %w", batch.ErrThrottled), 429, "TooManyRequestsException", "Too Many Requests"},
		{"store full", fmt.Errorf("writing job: %w: sqlite: database or disk is full", batch.ErrStoreFull), 503, "ServerException",
			"Tanda's store is out of disk space: the request was not applied; retry once space is freed (request id req-1)"},
		{"internal", errors.New("dynamodb: secret table name exploded"), 500, "ServerException", "internal error (request id req-1)"},
		{"not found leaking out", fmt.Errorf("reading: %w", batch.ErrNotFound), 500, "ServerException", "internal error (request id req-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			opts := testOptions()
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			rec := do(t, New(&fakeBackend{err: tt.err}, opts), "POST", "/v1/describejobs", `{"jobs":["j"]}`)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			e := decodeErrorBody(t, rec)
			if e.Type != tt.wantType || e.Message != tt.wantMsg {
				t.Errorf("error = %s %q, want %s %q", e.Type, e.Message, tt.wantType, tt.wantMsg)
			}
			for header, want := range map[string]string{
				"Content-Type":     "application/json",
				"X-Amzn-RequestId": "req-1",
				"X-Amzn-ErrorType": tt.wantType,
				"Date":             "Sun, 01 Mar 2026 12:00:00 GMT",
			} {
				if got := rec.Header().Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			if tt.wantStatus >= 500 {
				if strings.Contains(e.Message, tt.err.Error()) {
					t.Errorf("message %q leaks the cause", e.Message)
				}
				if !strings.Contains(logs.String(), tt.err.Error()) {
					t.Errorf("log %q lacks the cause %q", logs.String(), tt.err)
				}
			}
		})
	}
}

func TestSuccessHeaders(t *testing.T) {
	rec := do(t, New(&fakeBackend{}, testOptions()), "POST", "/v1/listjobs", `{}`)
	for header, want := range map[string]string{
		"Content-Type":     "application/json",
		"X-Amzn-RequestId": "req-1",
		"Date":             "Sun, 01 Mar 2026 12:00:00 GMT",
		"X-Amzn-ErrorType": "",
	} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
}

func TestDefaultRequestIDIsUnique(t *testing.T) {
	opts := testOptions()
	opts.RequestID = nil
	h := New(&fakeBackend{}, opts)
	a := do(t, h, "POST", "/v1/listjobs", "").Header().Get("X-Amzn-RequestId")
	b := do(t, h, "POST", "/v1/listjobs", "").Header().Get("X-Amzn-RequestId")
	if len(a) != 36 || a == b {
		t.Errorf("request ids %q and %q, want two distinct UUIDs", a, b)
	}
}
