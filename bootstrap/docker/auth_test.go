package docker

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

func TestDockerConfigRegistryAuth(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cr:et"))
	config := `{
		"auths": {
			"https://index.docker.io/v1/": {"auth": "` + basic + `"},
			"registry.example.com:5000": {"username": "bob", "password": "pw"},
			"123456789012.dkr.ecr.us-east-1.amazonaws.com": {"identitytoken": "tok"}
		},
		"credsStore": "desktop"
	}`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		image string
		want  *registry.AuthConfig // nil: anonymous
	}{
		{"alpine", &registry.AuthConfig{Username: "alice", Password: "s3cr:et", ServerAddress: "https://index.docker.io/v1/"}},
		{"docker.io/library/busybox:1.36", &registry.AuthConfig{Username: "alice", Password: "s3cr:et", ServerAddress: "https://index.docker.io/v1/"}},
		{"registry.example.com:5000/team/app:v2", &registry.AuthConfig{Username: "bob", Password: "pw", ServerAddress: "registry.example.com:5000"}},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", &registry.AuthConfig{IdentityToken: "tok", ServerAddress: "123456789012.dkr.ecr.us-east-1.amazonaws.com"}},
		{"quay.io/other/app", nil},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			got, err := DockerConfig{Path: path}.RegistryAuth(context.Background(), tt.image)
			if err != nil {
				t.Fatalf("RegistryAuth: %v", err)
			}
			if tt.want == nil {
				if got != "" {
					t.Errorf("got %q, want no credentials", got)
				}
				return
			}
			ac, err := authconfig.Decode(got)
			if err != nil {
				t.Fatalf("decoding %q: %v", got, err)
			}
			if *ac != *tt.want {
				t.Errorf("credentials %+v, want %+v", *ac, *tt.want)
			}
		})
	}
}

func TestDockerConfigMissingOrBroken(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr bool
	}{
		{"missing file: anonymous", filepath.Join(dir, "none.json"), false},
		{"broken file", broken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DockerConfig{Path: tt.path}.RegistryAuth(context.Background(), "alpine")
			if (err != nil) != tt.wantErr || got != "" {
				t.Errorf("RegistryAuth = %q, %v; want no credentials, error %v", got, err, tt.wantErr)
			}
		})
	}
}
