package cwlogs_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/cwlogs"
)

func TestActions(t *testing.T) {
	want := []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:GetLogEvents", "logs:PutLogEvents"}
	if got := cwlogs.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
	// Setup actions are some of the calls the package makes.
	for _, a := range cwlogs.SetupActions() {
		if !slices.Contains(want, a) {
			t.Errorf("SetupActions() has %s, which Actions() lacks", a)
		}
	}
}
