package provisioner

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestSplitCapacityErrors(t *testing.T) {
	iceA := NewInsufficientCapacityError("c6i.large", "us-east-1a", errors.New("InsufficientInstanceCapacity"))
	iceB := NewInsufficientCapacityError("c7i.large", "", nil)
	other := errors.New("throttled")
	tests := []struct {
		name      string
		err       error
		wantTypes []string
		wantOther bool
	}{
		{"nil", nil, nil, false},
		{"one", iceA, []string{"c6i.large"}, false},
		{"wrapped", fmt.Errorf("creating fleet: %w", iceA), []string{"c6i.large"}, false},
		{"joined", errors.Join(iceA, iceB), []string{"c6i.large", "c7i.large"}, false},
		{"wrapped join", fmt.Errorf("creating fleet: %w", errors.Join(iceA, other, iceB)), []string{"c6i.large", "c7i.large"}, true},
		{"other", other, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ice, rest := splitCapacityErrors(tc.err)
			var types []string
			for _, e := range ice {
				types = append(types, e.Type)
			}
			if !slices.Equal(types, tc.wantTypes) {
				t.Errorf("capacity errors for %v, want %v", types, tc.wantTypes)
			}
			if (rest != nil) != tc.wantOther {
				t.Errorf("other error = %v, want one: %v", rest, tc.wantOther)
			}
			if tc.wantOther && !errors.Is(rest, other) {
				t.Errorf("other error = %v, want it to wrap %v", rest, other)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	ice := fmt.Errorf("launching: %w", NewInsufficientCapacityError("c6i.large", "us-east-1a", nil))
	if !IsInsufficientCapacity(ice) {
		t.Errorf("IsInsufficientCapacity(%v) = false, want true", ice)
	}
	if got, want := ice.Error(), "launching: insufficient capacity for c6i.large in us-east-1a"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	gone := errors.Join(NewInstanceNotFoundError("i-1", nil), fmt.Errorf("terminating: %w", NewInstanceNotFoundError("i-2", nil)))
	if !IsInstanceNotFound(gone) {
		t.Errorf("IsInstanceNotFound(%v) = false, want true", gone)
	}
	if err := IgnoreInstanceNotFound(gone); err != nil {
		t.Errorf("IgnoreInstanceNotFound(only not-found) = %v, want nil", err)
	}
	mixed := errors.Join(NewInstanceNotFoundError("i-1", nil), errors.New("access denied"))
	if err := IgnoreInstanceNotFound(mixed); err == nil {
		t.Errorf("IgnoreInstanceNotFound(mixed) = nil, want the error")
	}
}
