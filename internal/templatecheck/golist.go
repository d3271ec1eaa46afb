package templatecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
)

// Package is a package of the module, as `go list` describes it.
type Package struct {
	ImportPath string
	Dir        string
	GoFiles    []string // non-test Go files, for this platform
	Imports    []string
	Module     *struct{ Path string }
}

// Files are the package's non-test Go files, with their directory.
func (p Package) Files() []string {
	files := make([]string, len(p.GoFiles))
	for i, f := range p.GoFiles {
		files[i] = filepath.Join(p.Dir, f)
	}
	return files
}

// Deps lists the packages of the main module that the packages matching
// pattern are built from, themselves included, as `go list -deps` run in
// dir sees them for linux/arm64 (the Lambda functions' platform).
func Deps(ctx context.Context, dir, pattern string) ([]Package, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-json=ImportPath,Dir,GoFiles,Imports,Module", pattern)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w: %s", pattern, err, stderr.Bytes())
	}
	main, err := mainModule(ctx, dir)
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading go list's answer: %w", err)
		}
		if p.Module != nil && p.Module.Path == main {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}

// mainModule is the path of the module in dir.
func mainModule(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return string(bytes.TrimSpace(out)), nil
}
