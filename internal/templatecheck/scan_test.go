package templatecheck_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/internal/templatecheck"
)

func TestScanPackages(t *testing.T) {
	pkg := templatecheck.Package{ImportPath: "example.com/scanme", Dir: "testdata/scanme", GoFiles: []string{"scanme.go"}}
	scans, err := templatecheck.ScanPackages([]templatecheck.Package{pkg})
	if err != nil {
		t.Fatal(err)
	}
	got := scans[pkg.ImportPath]
	tests := []struct {
		what      string
		got, want []string
	}{
		{"services", got.Services, []string{"logs", "sqs"}},
		{"calls", got.Calls, []string{"logs:GetLogEvents", "sqs:SendMessage"}},
		{"environment reads", got.EnvReads, []string{"SCANME_GETENV", "SCANME_LITERAL", "SCANME_QUEUE"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.what, tt.got, tt.want)
		}
	}
	if len(got.Unresolved) != 1 || !strings.Contains(got.Unresolved[0], "scanme.go:") {
		t.Errorf("unresolved reads = %q, want the one of a computed name", got.Unresolved)
	}
	if !got.DeclaresActions {
		t.Error("DeclaresActions = false, want true")
	}
}
