package docker_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/docker"
)

func TestActions(t *testing.T) {
	want := []string{
		"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken",
		"ecr:GetDownloadUrlForLayer",
	}
	if got := docker.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
}
