// Package dockertest helps tests run jobs on a real Docker daemon: it
// connects to the daemon DOCKER_HOST names, decides whether a test without
// one skips or fails, and makes the test image (a static Go program
// imported as an image, since no registry is reachable).
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// JobProgImage is the test image: testdata/jobprog of package docker, the
// image's only program, at /jobprog.
const JobProgImage = "tanda-test/jobprog:latest"

// Connect reaches the daemon DOCKER_HOST names (or Docker's default).
func Connect() (*client.Client, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, fmt.Errorf("no Docker daemon at %s: %w", c.DaemonHost(), err)
	}
	return c, nil
}

// Need skips a test that needs Docker when connecting failed (err), except
// under `make test` (TANDA_REQUIRE_TOOLS=1), which starts a daemon: there
// it fails.
func Need(t testing.TB, err error) {
	t.Helper()
	required := os.Getenv("TANDA_REQUIRE_TOOLS") != ""
	if testing.Short() && !required {
		t.Skip("needs a Docker daemon: not run with -short")
	}
	if err == nil {
		return
	}
	if required {
		t.Fatalf("%v (make test starts one with scripts/dockerd.sh)", err)
	}
	t.Skipf("%v: run make test, which starts one, or set DOCKER_HOST", err)
}

// ModuleDir is a directory of the module, by its path from the module's
// root (tests run inside the module; -trimpath rules out runtime.Caller).
func ModuleDir(rel ...string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module's root: %w", err)
	}
	return filepath.Join(append([]string{strings.TrimSpace(string(out))}, rel...)...), nil
}

// ImportJobProg builds the test program static and imports it as
// JobProgImage. An unchanged program is not imported again.
func ImportJobProg(ctx context.Context, daemon *client.Client) (string, error) {
	src, err := ModuleDir("bootstrap", "docker", "testdata", "jobprog")
	if err != nil {
		return "", err
	}
	return ImportProgram(ctx, daemon, src, JobProgImage)
}

// AWSProgImage is the image of deploy/ec2agent/testdata/awsprog, a static
// AWS SDK program that reads and writes S3 with the default credential
// chain's credentials, at /awsprog.
const AWSProgImage = "tanda-test/awsprog:latest"

// AWSProg connects to the daemon, skipping or failing the test as Need
// does without one, imports awsprog as AWSProgImage and returns it.
func AWSProg(t testing.TB) string {
	t.Helper()
	daemon, err := Connect()
	Need(t, err)
	defer daemon.Close()
	src, err := ModuleDir("deploy", "ec2agent", "testdata", "awsprog")
	if err != nil {
		t.Fatal(err)
	}
	image, err := ImportProgram(t.Context(), daemon, src, AWSProgImage)
	if err != nil {
		t.Fatalf("importing awsprog: %v", err)
	}
	return image
}

// ImportProgram builds the Go program in directory src static (for Linux)
// and imports it as image, whose only program it is, at /<name of src>.
// An unchanged program is not imported again.
func ImportProgram(ctx context.Context, daemon *client.Client, src, image string) (string, error) {
	dir, err := os.MkdirTemp("", "tanda-prog-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	name := filepath.Base(src)
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s: %v: %s", name, err, out)
	}
	prog, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	// The image records its program's hash: an unchanged program is not
	// imported again, and a changed one replaces the image.
	sum := fmt.Sprintf("%s sha256:%x", name, sha256.Sum256(prog))
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	old, err := daemon.ImageInspect(ctx, image)
	if err == nil && old.Comment == sum {
		return image, nil
	}
	layer, err := imageLayer(name, prog)
	if err != nil {
		return "", err
	}
	resp, err := daemon.ImageImport(ctx, client.ImageImportSource{Source: layer, SourceName: "-"}, image, client.ImageImportOptions{Message: sum})
	if err != nil {
		return "", fmt.Errorf("importing: %w", err)
	}
	defer resp.Close()
	dec := json.NewDecoder(resp)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("importing: %w", err)
		}
		if m.Error != nil {
			return "", fmt.Errorf("importing: %s", m.Error.Message)
		}
	}
	if old.ID != "" {
		// Best effort: the replaced image is untagged now.
		daemon.ImageRemove(ctx, old.ID, client.ImageRemoveOptions{})
	}
	return image, nil
}

// imageLayer is a tarball of the image's files: the program and /tmp.
func imageLayer(name string, prog []byte) (io.Reader, error) {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	files := []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Name: name, Mode: 0o755, Size: int64(len(prog))}, prog},
		{tar.Header{Name: "tmp/", Mode: 0o1777, Typeflag: tar.TypeDir}, nil},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&f.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return &layer, nil
}
