package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// statusRecorder is a Metrics that records the statuses requests were
// counted with.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
	counted  chan struct{} // gets a value per request, when not nil
}

func (m *statusRecorder) Request(_ string, status int, _ time.Duration) {
	m.mu.Lock()
	m.statuses = append(m.statuses, status)
	m.mu.Unlock()
	if m.counted != nil {
		m.counted <- struct{}{}
	}
}

func (m *statusRecorder) all() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int(nil), m.statuses...)
}

// TestClientGoneIsNotAServerFault: a request whose client went away (its
// context cancelled by net/http) is logged and counted as 499, never as a
// server fault, whatever error the cancellation caused; a deadline, or a
// cancellation while the client is still there, stays a 5xx; a client's
// mistake stays a 4xx (docs/RELIABILITY.md, defect 5).
func TestClientGoneIsNotAServerFault(t *testing.T) {
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), testEpoch)
		t.Cleanup(cancel)
		return ctx
	}
	tests := []struct {
		name       string
		ctx        func() context.Context
		err        error
		wantStatus int
		wantLevel  string
		wantType   string
	}{
		{"client gone, the write cancelled", cancelled, fmt.Errorf("writing job: creating jobs: %w", context.Canceled),
			499, "INFO", "ClientClosedRequest"},
		{"client gone, the store interrupted", cancelled, errors.New("reading jobs: interrupted (9)"),
			499, "INFO", "ClientClosedRequest"},
		{"client there, a cancellation of the server's", context.Background, fmt.Errorf("writing job: %w", context.Canceled),
			500, "ERROR", "ServerException"},
		{"a deadline", expired, fmt.Errorf("writing job: %w", context.DeadlineExceeded),
			500, "ERROR", "ServerException"},
		{"client gone after its mistake", cancelled, batch.Clientf("JobQueue q not found."),
			400, "INFO", "ClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			metrics := &statusRecorder{}
			opts := testOptions()
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			opts.Metrics = metrics
			req := httptest.NewRequestWithContext(tt.ctx(), "POST", "/v1/submitjob", strings.NewReader(`{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`))
			req.Header.Set("Content-Type", "application/json")
			New(&fakeBackend{err: tt.err}, opts).ServeHTTP(httptest.NewRecorder(), req)

			if got := metrics.all(); len(got) != 1 || got[0] != tt.wantStatus {
				t.Errorf("counted with status %v, want [%d]", got, tt.wantStatus)
			}
			line := logs.String()
			for _, want := range []string{"level=" + tt.wantLevel, fmt.Sprintf("status=%d", tt.wantStatus), "errorType=" + tt.wantType} {
				if !strings.Contains(line, want) {
					t.Errorf("log %q lacks %s", line, want)
				}
			}
			if tt.wantStatus >= 499 && tt.wantStatus < 600 && !strings.Contains(line, tt.err.Error()) {
				t.Errorf("log %q lacks the cause %q", line, tt.err)
			}
		})
	}
}

// blockingBackend's DescribeJobs waits until its request's context ends,
// as a store call does, and fails with the context's error.
type blockingBackend struct {
	*fakeBackend
	entered chan struct{}
}

func (b blockingBackend) DescribeJobs(ctx context.Context, _ *batch.DescribeJobsInput) (*batch.DescribeJobsOutput, error) {
	close(b.entered)
	<-ctx.Done()
	return nil, fmt.Errorf("reading jobs: %w", ctx.Err())
}

// TestClientThatHangsUpIsCountedAs499 runs the handler in a real HTTP
// server: a client that gives up on a call in flight (the soak's driver at
// the end of a run) cancels the request's context through net/http, and
// the call is counted as 499.
func TestClientThatHangsUpIsCountedAs499(t *testing.T) {
	metrics := &statusRecorder{counted: make(chan struct{}, 1)}
	opts := testOptions()
	opts.Metrics = metrics
	backend := blockingBackend{fakeBackend: &fakeBackend{}, entered: make(chan struct{})}
	srv := httptest.NewServer(New(backend, opts))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/describejobs", strings.NewReader(`{"jobs":["j"]}`))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-backend.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client's call ended with %v, want it cancelled", err)
	}
	select {
	case <-metrics.counted:
	case <-time.After(30 * time.Second):
		t.Fatal("the abandoned request was never counted")
	}
	if got := metrics.all(); len(got) != 1 || got[0] != StatusClientClosedRequest {
		t.Errorf("counted with status %v, want [%d]", got, StatusClientClosedRequest)
	}
}
