//go:build unix

package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/internal/childproc"
)

// batchCLI runs the stock aws CLI's batch commands against `tanda serve`
// with the credentials it wrote (profile tanda).
type batchCLI struct {
	path     string // the aws program
	endpoint string // the API's URL
	dataDir  string // serve's data directory, with credentials and config
}

// try runs `aws batch args...` and decodes what it prints.
func (c batchCLI) try(args ...string) (map[string]any, error) {
	full := append([]string{"--endpoint-url", c.endpoint, "--profile", "tanda", "--output", "json", "batch"}, args...)
	cmd := exec.Command(c.path, full...)
	cmd.Env = append(childproc.WithoutAWS(os.Environ()),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(c.dataDir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(c.dataDir, "config"),
		"AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=2",
	)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("aws batch %s: %w: %s", strings.Join(args, " "), err, stderr)
	}
	res := map[string]any{}
	if strings.TrimSpace(string(out)) == "" {
		return res, nil
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("aws batch %s printed no JSON object: %w: %s", strings.Join(args, " "), err, out)
	}
	return res, nil
}

// cli runs `aws batch args...`, failing the test if it fails, and returns
// its parsed output.
func (c batchCLI) cli(t *testing.T, args ...string) map[string]any {
	t.Helper()
	res, err := c.try(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// dig walks decoded JSON by object keys (strings) and array indexes
// (ints); it returns nil where the path leads nowhere.
func dig(v any, path ...any) any {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[s]
		case int:
			a, ok := v.([]any)
			if !ok || s < 0 || s >= len(a) {
				return nil
			}
			v = a[s]
		default:
			return nil
		}
	}
	return v
}

// digString is dig's result as a string, empty if it is not one.
func digString(v any, path ...any) string {
	s, _ := dig(v, path...).(string)
	return s
}

// mustJSON encodes v for a CLI argument.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
