package iamactions_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/internal/iamactions"
)

// queueAPI stands for an adapter's SDK interface.
type queueAPI interface {
	SendMessageBatch(ctx context.Context, in *struct{}) error
	ReceiveMessage(ctx context.Context, in *struct{}) error
	DeleteMessage(ctx context.Context, in *struct{}) error
	DeleteMessageBatch(ctx context.Context, in *struct{}) error
}

type noMethods interface{}

func TestOf(t *testing.T) {
	tests := []struct {
		name    string
		service string
		iface   any
		want    []string
	}{
		{"batch calls take their single form's name", "sqs", (*queueAPI)(nil),
			[]string{"sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"}},
		{"another service keeps the method names", "example", (*queueAPI)(nil),
			[]string{"example:DeleteMessage", "example:DeleteMessageBatch", "example:ReceiveMessage", "example:SendMessageBatch"}},
		{"no methods", "sqs", (*noMethods)(nil), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := iamactions.Of(tt.service, tt.iface); !slices.Equal(got, tt.want) {
				t.Errorf("Of(%q) = %q, want %q", tt.service, got, tt.want)
			}
		})
	}
}

func TestOfPanicsOnANonInterface(t *testing.T) {
	for _, arg := range []any{nil, queueAPI(nil), struct{}{}, new(int)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Of(%T) did not panic", arg)
				}
			}()
			iamactions.Of("sqs", arg)
		}()
	}
}

func TestAction(t *testing.T) {
	tests := []struct{ service, op, want string }{
		{"sqs", "ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"},
		{"sqs", "GetQueueUrl", "sqs:GetQueueUrl"},
		{"dynamodb", "BatchWriteItem", "dynamodb:BatchWriteItem"},
	}
	for _, tt := range tests {
		if got := iamactions.Action(tt.service, tt.op); got != tt.want {
			t.Errorf("Action(%q, %q) = %q, want %q", tt.service, tt.op, got, tt.want)
		}
	}
}

func TestUnion(t *testing.T) {
	got := iamactions.Union([]string{"b:X", "a:Y"}, nil, []string{"a:Y", "a:A"})
	want := []string{"a:A", "a:Y", "b:X"}
	if !slices.Equal(got, want) {
		t.Errorf("Union = %q, want %q", got, want)
	}
}
