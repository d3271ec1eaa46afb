package templatecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
)

// ErrNoTranslator means python3 or its aws-sam-translator package is
// missing, so the template cannot be transformed here.
var ErrNoTranslator = errors.New("transforming the SAM template needs python3 with aws-sam-translator")

// exitNoTranslator is sam_transform.py's exit status when the translator
// is not installed.
const exitNoTranslator = 3

// Transformed is a SAM template after the transform.
type Transformed struct {
	Template *Template
	// CodeUris are the functions' local CodeUris (by logical id), which
	// the transform saw replaced by S3 locations as `sam deploy` does.
	CodeUris map[string]string
}

// Transform runs sam_transform.py (in this package's directory under
// root, the repository) on the SAM template at root/template.
func Transform(ctx context.Context, root, template string) (Transformed, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return Transformed{}, fmt.Errorf("%w: %v", ErrNoTranslator, err)
	}
	cmd := exec.CommandContext(ctx, "python3", filepath.Join(root, "internal", "templatecheck", "sam_transform.py"), filepath.Join(root, template))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == exitNoTranslator {
		return Transformed{}, fmt.Errorf("%w: %s", ErrNoTranslator, bytes.TrimSpace(stderr.Bytes()))
	}
	if err != nil {
		return Transformed{}, fmt.Errorf("transforming %s: %w: %s", template, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var raw struct {
		Template json.RawMessage
		CodeUris map[string]string
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return Transformed{}, fmt.Errorf("reading the transformed %s: %w", template, err)
	}
	t, err := ParseTemplate(raw.Template)
	if err != nil {
		return Transformed{}, err
	}
	return Transformed{Template: t, CodeUris: raw.CodeUris}, nil
}
