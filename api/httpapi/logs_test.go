package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// logRequest is the arguments of one ReadJobLog call.
type logRequest struct {
	jobID     string
	attempt   int
	nextToken string
	limit     int
}

// fakeLogs answers ReadJobLog with page or err and records its arguments.
type fakeLogs struct {
	page  LogPage
	err   error
	calls []logRequest
}

func (f *fakeLogs) ReadJobLog(_ context.Context, jobID string, attempt int, nextToken string, limit int) (LogPage, error) {
	f.calls = append(f.calls, logRequest{jobID, attempt, nextToken, limit})
	return f.page, f.err
}

func TestLogs(t *testing.T) {
	page := LogPage{
		LogStreamName: "d/default/abc",
		Events:        []batch.LogEvent{{Timestamp: 1700000000000, Message: "hello"}},
		NextToken:     "f/2",
	}
	tests := []struct {
		name, method, target string
		page                 LogPage
		err                  error
		wantStatus           int
		wantBody             string
		wantCall             *logRequest
	}{
		{"first page", "GET", "/tanda/v1/logs?jobId=j1", page, nil, 200,
			`{"logStreamName":"d/default/abc","events":[{"timestamp":1700000000000,"message":"hello"}],"nextToken":"f/2"}`,
			&logRequest{jobID: "j1"}},
		{"all parameters", "GET", "/tanda/v1/logs?jobId=j1&attempt=2&nextToken=f%2F2&limit=50", LogPage{LogStreamName: "s"}, nil, 200,
			`{"logStreamName":"s","events":[]}`,
			&logRequest{jobID: "j1", attempt: 2, nextToken: "f/2", limit: 50}},
		{"no job id", "GET", "/tanda/v1/logs", page, nil, 400, `missing required parameter jobId`, nil},
		{"bad attempt", "GET", "/tanda/v1/logs?jobId=j&attempt=-1", page, nil, 400, `parameter attempt must be a non-negative integer, got "-1"`, nil},
		{"bad limit", "GET", "/tanda/v1/logs?jobId=j&limit=lots", page, nil, 400, `parameter limit must be a non-negative integer, got "lots"`, nil},
		{"wrong method", "POST", "/tanda/v1/logs?jobId=j", page, nil, 400, `GetJobLog must be called with GET, not "POST"`, nil},
		{"unknown job", "GET", "/tanda/v1/logs?jobId=j", page, batch.Clientf("job j not found"), 400, `job j not found`,
			&logRequest{jobID: "j"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &fakeLogs{page: tt.page, err: tt.err}
			opts := testOptions()
			opts.Logs = logs
			checkAnswer(t, do(t, New(&fakeBackend{}, opts), tt.method, tt.target, ""), tt.wantStatus, tt.wantBody)
			switch {
			case tt.wantCall == nil && len(logs.calls) != 0:
				t.Errorf("reader called with %+v, want no call", logs.calls)
			case tt.wantCall != nil && (len(logs.calls) != 1 || logs.calls[0] != *tt.wantCall):
				t.Errorf("reader called with %+v, want [%+v]", logs.calls, *tt.wantCall)
			}
		})
	}
}

func TestLogsWithoutReader(t *testing.T) {
	rec := do(t, New(&fakeBackend{}, testOptions()), "GET", "/tanda/v1/logs?jobId=j", "")
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}

func TestLogsAuthenticated(t *testing.T) {
	logs := &fakeLogs{}
	opts := testOptions()
	opts.Logs = logs
	opts.Auth = &fakeAuth{err: authFailure{"InvalidSignatureException", "bad"}}
	rec := do(t, New(&fakeBackend{}, opts), "GET", "/tanda/v1/logs?jobId=j", "")
	if rec.Code != http.StatusForbidden || len(logs.calls) != 0 {
		t.Errorf("status = %d with %d reads, want 403 and none", rec.Code, len(logs.calls))
	}
}

// checkAnswer checks an answer's status, and its body when it is 200, or
// else that it is a ClientException whose message contains want.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int, want string) {
	t.Helper()
	if rec.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, wantStatus, rec.Body)
	}
	if wantStatus == http.StatusOK {
		if rec.Body.String() != want {
			t.Errorf("body = %s, want %s", rec.Body, want)
		}
		return
	}
	if e := decodeErrorBody(t, rec); e.Type != "ClientException" || !strings.Contains(e.Message, want) {
		t.Errorf("error = %s %q, want a ClientException saying %q", e.Type, e.Message, want)
	}
}
