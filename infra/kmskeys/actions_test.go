package kmskeys_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/kmskeys"
)

func TestActions(t *testing.T) {
	if got, want := kmskeys.Actions(), []string{"kms:Decrypt", "kms:Encrypt"}; !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
	if got, want := kmskeys.OpenActions(), []string{"kms:Decrypt"}; !slices.Equal(got, want) {
		t.Errorf("OpenActions() = %q, want %q", got, want)
	}
}
