package jobevents_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/jobevents"
)

func TestActions(t *testing.T) {
	want := []string{"events:PutEvents"}
	if got := jobevents.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
}
