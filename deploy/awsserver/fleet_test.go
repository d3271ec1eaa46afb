package awsserver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/provisioner"
)

// stubFleet terminates with a given error.
type stubFleet struct {
	provisioner.Fleet
	err error
}

func (f stubFleet) Terminate(context.Context, string, []string) error { return f.err }

func TestRetiringFleetForgets(t *testing.T) {
	notFound := provisioner.NewInstanceNotFoundError("i-2", errors.New("gone"))
	tests := []struct {
		name       string
		terminate  error
		forgetErr  error
		wantForgot []string
		wantErr    string // "" means nil or instance-not-found only
	}{
		{name: "terminated", wantForgot: []string{"ce/i-1", "ce/i-2"}},
		{name: "one already gone", terminate: notFound, wantForgot: []string{"ce/i-1", "ce/i-2"}},
		{name: "terminate failed", terminate: errors.New("throttled"), wantErr: "throttled"},
		{name: "forget failed", forgetErr: errors.New("store down"), wantForgot: []string{"ce/i-1", "ce/i-2"}, wantErr: "forgetting terminated instance i-1: store down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var forgot []string
			f := retiringFleet{
				Fleet: stubFleet{err: tt.terminate},
				forget: func(_ context.Context, ce, id string) error {
					forgot = append(forgot, ce+"/"+id)
					return tt.forgetErr
				},
			}
			err := f.Terminate(context.Background(), "ce", []string{"i-1", "i-2"})
			if rest := provisioner.IgnoreInstanceNotFound(err); tt.wantErr == "" && rest != nil {
				t.Errorf("Terminate = %v, want nil or instance-not-found", err)
			} else if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Terminate = %v, want %q", err, tt.wantErr)
			}
			if !slices.Equal(forgot, tt.wantForgot) {
				t.Errorf("forgot %v, want %v", forgot, tt.wantForgot)
			}
		})
	}
}

func TestBuiltinEC2CatalogHasNoLocalTypes(t *testing.T) {
	cat, err := provisioner.NewCatalog(builtinEC2Types())
	if err != nil {
		t.Fatalf("building the built-in EC2 catalogue: %v", err)
	}
	for _, typ := range cat.Types() {
		if typ.Family == localFamily {
			t.Errorf("catalogue has in-process type %s", typ.Name)
		}
	}
	if _, err := cat.Expand([]string{"m6i.large", "optimal"}); err != nil {
		t.Errorf("Expand(m6i.large, optimal): %v", err)
	}
	if _, err := cat.Expand([]string{"local"}); err == nil {
		t.Errorf("Expand(local) succeeded, want an unknown type")
	}
}
