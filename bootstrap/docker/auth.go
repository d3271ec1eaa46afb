package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

// Auth gives the registry credentials for pulling an image. On AWS, ECR's
// GetAuthorizationToken provides them; on one machine, DockerConfig.
type Auth interface {
	// RegistryAuth returns the X-Registry-Auth value for pulling image
	// (base64url-encoded JSON credentials), or "" to pull anonymously.
	RegistryAuth(ctx context.Context, image string) (string, error)
}

// DockerConfig reads registry credentials from a Docker client config
// file, as `docker login` leaves them in its "auths". Credential stores
// and helpers (credsStore, credHelpers) are not consulted.
type DockerConfig struct {
	// Path is the config file; $DOCKER_CONFIG/config.json or
	// ~/.docker/config.json when empty.
	Path string
}

// RegistryAuth returns the credentials the config file holds for image's
// registry, or "" when it holds none or does not exist.
func (d DockerConfig) RegistryAuth(_ context.Context, image string) (string, error) {
	path := d.Path
	if path == "" {
		path = defaultDockerConfig()
	}
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading Docker config: %w", err)
	}
	var file struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			Username      string `json:"username"`
			Password      string `json:"password"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return "", fmt.Errorf("reading Docker config %s: %w", path, err)
	}
	host, err := registryHost(image)
	if err != nil {
		return "", err
	}
	for key, entry := range file.Auths {
		if registryKeyHost(key) != host {
			continue
		}
		ac := registry.AuthConfig{
			Username:      entry.Username,
			Password:      entry.Password,
			IdentityToken: entry.IdentityToken,
			ServerAddress: key,
		}
		if entry.Auth != "" {
			userPass, err := base64.StdEncoding.DecodeString(entry.Auth)
			if err != nil {
				return "", fmt.Errorf("reading Docker config %s: credentials for %s: %w", path, key, err)
			}
			ac.Username, ac.Password, _ = strings.Cut(string(userPass), ":")
		}
		return authconfig.Encode(ac)
	}
	return "", nil
}

func defaultDockerConfig() string {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}

// dockerHub is Docker Hub's registry as image references name it.
const dockerHub = "docker.io"

// registryHost is the registry an image reference pulls from.
func registryHost(image string) (string, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("parsing image name %q: %w", image, err)
	}
	return reference.Domain(named), nil
}

// registryKeyHost is the registry host of an "auths" key, which may be a
// URL ("https://index.docker.io/v1/") or a bare host.
func registryKeyHost(key string) string {
	host := strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	host, _, _ = strings.Cut(host, "/")
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		return dockerHub
	}
	return host
}
