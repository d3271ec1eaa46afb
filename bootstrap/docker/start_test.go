package docker

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

func TestStartFailures(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	yes := true
	tests := []struct {
		name       string
		edit       func(*bootstrap.RunSpec)
		wantPrefix string
		wantIn     string
	}{
		{"image not found", func(s *bootstrap.RunSpec) { s.Image = "tanda-test/no-such-image:1" }, "CannotPullContainerError: ", ""},
		{"malformed image name", func(s *bootstrap.RunSpec) { s.Image = "Tanda/UPPER" }, "CannotPullContainerError: ", "invalid reference format"},
		{"no image", func(s *bootstrap.RunSpec) { s.Image = "" }, "CannotStartContainerError: ", "no image"},
		{"privileged", func(s *bootstrap.RunSpec) { s.Container = &batch.ContainerProperties{Privileged: &yes} }, "CannotStartContainerError: ", "privileged mode"},
		{"host volume", func(s *bootstrap.RunSpec) {
			s.Container = &batch.ContainerProperties{
				Volumes:     []batch.Volume{{Name: "etc", Host: &batch.Host{SourcePath: "/etc"}}},
				MountPoints: []batch.MountPoint{{SourceVolume: "etc", ContainerPath: "/host-etc"}},
			}
		}, "CannotStartContainerError: ", `host volume "etc" (/etc)`},
		{"command not found", func(s *bootstrap.RunSpec) { s.Command = []string{"/no-such-program"} }, "CannotStartContainerError: ", "no-such-program"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := jobSpec(instance, "job-fail-"+strconv.Itoa(i), "exit", "0")
			tt.edit(&spec)
			out := newOutput()
			ex, err := r.Start(context.Background(), spec, out.log)
			var se *bootstrap.StartError
			if !errors.As(err, &se) {
				if ex != nil {
					ex.Wait()
				}
				t.Fatalf("Start: got %v, want a StartError", err)
			}
			if !strings.HasPrefix(se.Reason, tt.wantPrefix) || !strings.Contains(se.Reason, tt.wantIn) {
				t.Errorf("reason %q, want prefix %q and %q in it", se.Reason, tt.wantPrefix, tt.wantIn)
			}
			t.Logf("reason: %s", se.Reason)
		})
	}
}

// recordingAuth records the images it is asked about and fails.
type recordingAuth struct{ asked []string }

func (a *recordingAuth) RegistryAuth(_ context.Context, image string) (string, error) {
	a.asked = append(a.asked, image)
	return "", errors.New("no token")
}

func TestPullAsksAuth(t *testing.T) {
	auth := &recordingAuth{}
	r, instance := newRuntime(t, Options{Auth: auth})
	tests := []struct {
		image      string
		wantAsked  []string
		wantReason string
	}{
		// Cached: no pull, so no credentials needed.
		{testImage, nil, ""},
		{"registry.example.com/team/app:v1", []string{"registry.example.com/team/app:v1"},
			"CannotPullContainerError: getting registry credentials for registry.example.com/team/app:v1: no token"},
	}
	for i, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			auth.asked = nil
			spec := jobSpec(instance, "job-auth-"+strconv.Itoa(i), "exit", "0")
			spec.Image = tt.image
			out := newOutput()
			ex, err := r.Start(context.Background(), spec, out.log)
			var reason string
			var se *bootstrap.StartError
			switch {
			case errors.As(err, &se):
				reason = se.Reason
			case err != nil:
				t.Fatalf("Start: %v", err)
			default:
				ex.Wait()
			}
			if !slices.Equal(auth.asked, tt.wantAsked) || reason != tt.wantReason {
				t.Errorf("asked for %q with reason %q; want %q and %q", auth.asked, reason, tt.wantAsked, tt.wantReason)
			}
			if pulled := slices.Contains(out.texts("stderr"), "tanda: pulling image "+tt.image); pulled != (tt.wantAsked != nil) {
				t.Errorf("pull noted in the log: %v, want %v; log %q", pulled, tt.wantAsked != nil, out.texts(""))
			}
		})
	}
}

// An attempt's own registry credentials (its execution role's) serve in
// place of the runtime's; a failure to get them is ECS's
// ResourceInitializationError, not a pull error.
func TestPullWithTheAttemptsAuth(t *testing.T) {
	runtimeAuth, attemptAuth := &recordingAuth{}, &recordingAuth{}
	r, instance := newRuntime(t, Options{Auth: runtimeAuth})
	spec := jobSpec(instance, "job-own-auth", "exit", "0")
	spec.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1"
	spec.RegistryAuth = attemptAuth
	_, err := r.Start(context.Background(), spec, newOutput().log)
	var se *bootstrap.StartError
	want := "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: no token"
	if !errors.As(err, &se) || se.Reason != want {
		t.Fatalf("Start = %v, want reason %q", err, want)
	}
	if !slices.Equal(attemptAuth.asked, []string{spec.Image}) || runtimeAuth.asked != nil {
		t.Errorf("the attempt's auth was asked %q, the runtime's %q; want only the attempt's", attemptAuth.asked, runtimeAuth.asked)
	}
}

func TestVersionNegotiatesAPI(t *testing.T) {
	r, _ := newRuntime(t, Options{})
	v, err := r.Version(context.Background())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	server, err := daemon.ServerVersion(context.Background(), client.ServerVersionOptions{})
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	// The daemon's own API version, or the client's highest if lower.
	want := server.APIVersion
	if versionLess(client.MaxAPIVersion, want) {
		want = client.MaxAPIVersion
	}
	if v.Engine != server.Version || v.API != want {
		t.Errorf("Version = %+v, want engine %s and API %s", v, server.Version, want)
	}
	t.Logf("Docker %s, API %s", v.Engine, v.API)
}

// versionLess compares API versions such as 1.41 and 1.9.
func versionLess(a, b string) bool {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	if am != bm {
		x, _ := strconv.Atoi(am)
		y, _ := strconv.Atoi(bm)
		return x < y
	}
	x, _ := strconv.Atoi(an)
	y, _ := strconv.Atoi(bn)
	return x < y
}
