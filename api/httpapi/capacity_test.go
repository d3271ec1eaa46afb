package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// capacityCall is the arguments of one CapacitySeries call.
type capacityCall struct {
	ce    string
	hours int
}

// fakeCapacity answers CapacitySeries with answer or err, refusing hours
// above 24 as capacity.History does, and records its arguments.
type fakeCapacity struct {
	answer any
	err    error
	calls  []capacityCall
}

func (f *fakeCapacity) CapacitySeries(_ context.Context, ce string, hours int) (any, error) {
	f.calls = append(f.calls, capacityCall{ce, hours})
	if hours > 24 {
		return nil, batch.Clientf("hours must be between 1 and 24, got %d", hours)
	}
	return f.answer, f.err
}

func TestCapacity(t *testing.T) {
	answer := map[string]any{"computeEnvironment": "ce", "samples": []int{}}
	tests := []struct {
		name, method, target string
		err                  error
		wantStatus           int
		wantBody             string
		wantCall             *capacityCall
	}{
		{"default window", "GET", "/tanda/v1/capacity?computeEnvironment=ce", nil, 200,
			`{"computeEnvironment":"ce","samples":[]}`, &capacityCall{"ce", DefaultCapacityHours}},
		{"hours", "GET", "/tanda/v1/capacity?computeEnvironment=arn%3Aaws%3Abatch%3Aus-east-1%3A1%3Acompute-environment%2Fce&hours=24", nil, 200,
			`{"computeEnvironment":"ce","samples":[]}`, &capacityCall{"arn:aws:batch:us-east-1:1:compute-environment/ce", 24}},
		{"no compute environment", "GET", "/tanda/v1/capacity?hours=2", nil, 400, `missing required parameter computeEnvironment`, nil},
		{"zero hours", "GET", "/tanda/v1/capacity?computeEnvironment=ce&hours=0", nil, 400, `parameter hours must be a positive integer, got "0"`, nil},
		{"hours not a number", "GET", "/tanda/v1/capacity?computeEnvironment=ce&hours=lots", nil, 400, `parameter hours must be a positive integer, got "lots"`, nil},
		{"too many hours", "GET", "/tanda/v1/capacity?computeEnvironment=ce&hours=25", nil, 400, `hours must be between 1 and 24, got 25`, &capacityCall{"ce", 25}},
		{"unknown compute environment", "GET", "/tanda/v1/capacity?computeEnvironment=nope", batch.Clientf("ComputeEnvironment nope not found."), 400,
			`ComputeEnvironment nope not found.`, &capacityCall{"nope", DefaultCapacityHours}},
		{"wrong method", "POST", "/tanda/v1/capacity?computeEnvironment=ce", nil, 400, `GetCapacityHistory must be called with GET, not "POST"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			history := &fakeCapacity{answer: answer, err: tt.err}
			opts := testOptions()
			opts.Capacity = history
			checkAnswer(t, do(t, New(&fakeBackend{}, opts), tt.method, tt.target, ""), tt.wantStatus, tt.wantBody)
			switch {
			case tt.wantCall == nil && len(history.calls) != 0:
				t.Errorf("history called with %+v, want no call", history.calls)
			case tt.wantCall != nil && (len(history.calls) != 1 || history.calls[0] != *tt.wantCall):
				t.Errorf("history called with %+v, want [%+v]", history.calls, *tt.wantCall)
			}
		})
	}
}

func TestCapacityWithoutHistory(t *testing.T) {
	rec := do(t, New(&fakeBackend{}, testOptions()), "GET", "/tanda/v1/capacity?computeEnvironment=ce", "")
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}
