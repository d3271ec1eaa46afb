package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/triggers"
)

// fakeTriggers answers with rules or err and records its calls.
type fakeTriggers struct {
	rules []triggers.Rule
	err   error
	calls []string
}

func (f *fakeTriggers) CreateTriggerRule(_ context.Context, r triggers.Rule) (triggers.Rule, error) {
	f.calls = append(f.calls, "create "+r.Name+" "+r.Bucket+" "+strings.Join(r.Command, " "))
	r.CreatedAt = 1700000000000
	return r, f.err
}

func (f *fakeTriggers) TriggerRules(context.Context) ([]triggers.Rule, error) {
	f.calls = append(f.calls, "list")
	return f.rules, f.err
}

func (f *fakeTriggers) DeleteTriggerRule(_ context.Context, name string) error {
	f.calls = append(f.calls, "delete "+name)
	return f.err
}

func TestTriggers(t *testing.T) {
	rule := `{"name":"thumbs","bucket":"uploads","jobQueue":"q","jobDefinition":"d","command":["convert","Ref::key"]}`
	tests := []struct {
		name, method, target, body string
		rules                      []triggers.Rule
		err                        error
		wantStatus                 int
		wantBody                   string // the body, or a part of the error message
		wantCall                   string
	}{
		{"create", "POST", "/tanda/v1/triggers", rule, nil, nil, 200,
			`{"name":"thumbs","bucket":"uploads","jobQueue":"q","jobDefinition":"d","command":["convert","Ref::key"],"createdAt":1700000000000}`,
			"create thumbs uploads convert Ref::key"},
		{"create without a bucket", "POST", "/tanda/v1/triggers", `{"name":"t","jobQueue":"q","jobDefinition":"d"}`, nil, nil, 400,
			"missing required member bucket", ""},
		{"create refused", "POST", "/tanda/v1/triggers", rule, nil, batch.Clientf("JobQueue q not found."), 400,
			"JobQueue q not found.", "create thumbs uploads convert Ref::key"},
		{"list", "GET", "/tanda/v1/triggers", "", []triggers.Rule{{Name: "a", Bucket: "b", JobQueue: "q", JobDefinition: "d"}}, nil, 200,
			`{"rules":[{"name":"a","bucket":"b","jobQueue":"q","jobDefinition":"d"}]}`, "list"},
		{"list none", "GET", "/tanda/v1/triggers", "", nil, nil, 200, `{"rules":[]}`, "list"},
		{"delete", "DELETE", "/tanda/v1/triggers/thumbs", "", nil, nil, 200, `{}`, "delete thumbs"},
		{"delete an escaped name", "DELETE", "/tanda/v1/triggers/a%2Db", "", nil, nil, 200, `{}`, "delete a-b"},
		{"delete a path", "DELETE", "/tanda/v1/triggers/a%2Fb", "", nil, nil, 400, "invalid rule name in path", ""},
		{"delete nothing", "DELETE", "/tanda/v1/triggers/", "", nil, nil, 400, "invalid rule name in path", ""},
		{"delete the collection", "DELETE", "/tanda/v1/triggers", "", nil, nil, 400, `must be called with POST or GET, not "DELETE"`, ""},
		{"get one", "GET", "/tanda/v1/triggers/thumbs", "", nil, nil, 400, `DeleteTriggerRule must be called with DELETE, not "GET"`, ""},
		{"store failure", "GET", "/tanda/v1/triggers", "", nil, errors.New("disk on fire"), 500, "internal error", "list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTriggers{rules: tt.rules, err: tt.err}
			opts := testOptions()
			opts.Triggers = ft
			rec := do(t, New(&fakeBackend{}, opts), tt.method, tt.target, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == http.StatusOK && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %s, want %s", rec.Body, tt.wantBody)
			}
			if tt.wantStatus != http.StatusOK {
				if e := decodeErrorBody(t, rec); !strings.Contains(e.Message, tt.wantBody) {
					t.Errorf("message = %q, want it to contain %q", e.Message, tt.wantBody)
				}
			}
			var want []string
			if tt.wantCall != "" {
				want = []string{tt.wantCall}
			}
			if strings.Join(ft.calls, "|") != strings.Join(want, "|") {
				t.Errorf("calls = %q, want %q", ft.calls, want)
			}
		})
	}
}

func TestTriggersWithoutManager(t *testing.T) {
	rec := do(t, New(&fakeBackend{}, testOptions()), "GET", "/tanda/v1/triggers", "")
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}

func TestTriggersAuthenticated(t *testing.T) {
	ft := &fakeTriggers{}
	opts := testOptions()
	opts.Triggers = ft
	opts.Auth = &fakeAuth{err: authFailure{"InvalidSignatureException", "bad"}}
	rec := do(t, New(&fakeBackend{}, opts), "POST", "/tanda/v1/triggers", `{"name":"x"}`)
	if rec.Code != http.StatusForbidden || len(ft.calls) != 0 {
		t.Errorf("status = %d with calls %q, want 403 and none", rec.Code, ft.calls)
	}
}
