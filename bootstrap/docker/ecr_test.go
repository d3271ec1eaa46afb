package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/moby/moby/api/types/registry"

	"github.com/tanda-batch/tanda/infra/mototest"
)

// motoECR is an ECR client of the moto server `make test` starts
// (scripts/moto.sh), counting its GetAuthorizationToken calls.
func motoECR(t *testing.T) (*countingECR, string) {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	client := ecr.New(ecr.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
	return &countingECR{ECRTokens: client}, endpoint
}

type countingECR struct {
	ECRTokens
	calls atomic.Int32
}

func (c *countingECR) GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	c.calls.Add(1)
	return c.ECRTokens.GetAuthorizationToken(ctx, in, opts...)
}

type staticAuth string

func (s staticAuth) RegistryAuth(context.Context, string) (string, error) { return string(s), nil }

func decodeAuth(t *testing.T, enc string) registry.AuthConfig {
	t.Helper()
	raw, err := base64.URLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("decoding %q: %v", enc, err)
	}
	var ac registry.AuthConfig
	if err := json.Unmarshal(raw, &ac); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return ac
}

func TestECRAuthAgainstMoto(t *testing.T) {
	api, _ := motoECR(t)
	// moto's tokens expire on 2015-01-01: before then, they are cached.
	clock := fixedClock{time.Date(2014, 6, 1, 0, 0, 0, 0, time.UTC)}
	auth := NewECRAuth(api, staticAuth("docker-config"), clock)
	ctx := context.Background()

	image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/job:1.0"
	enc, err := auth.RegistryAuth(ctx, image)
	if err != nil {
		t.Fatalf("RegistryAuth: %v", err)
	}
	ac := decodeAuth(t, enc)
	if ac.Username != "AWS" || ac.Password == "" || ac.ServerAddress != "https://123456789012.dkr.ecr.us-east-1.amazonaws.com" {
		t.Errorf("credentials = %+v, want user AWS with ECR's password for the registry", ac)
	}
	if _, err := auth.RegistryAuth(ctx, image); err != nil {
		t.Fatal(err)
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("GetAuthorizationToken called %d times for two pulls, want 1 (cached)", n)
	}
	// Other registries get the fallback's credentials.
	if got, err := auth.RegistryAuth(ctx, "busybox:latest"); err != nil || got != "docker-config" {
		t.Errorf("Docker Hub image: %q, %v; want the fallback's", got, err)
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("a Docker Hub image asked ECR (%d calls)", n)
	}
}

func TestECRAuthRenewsExpiredTokens(t *testing.T) {
	api, _ := motoECR(t)
	auth := NewECRAuth(api, nil, fixedClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/job"
	for range 2 {
		if _, err := auth.RegistryAuth(context.Background(), image); err != nil {
			t.Fatal(err)
		}
	}
	if n := api.calls.Load(); n != 2 {
		t.Errorf("GetAuthorizationToken called %d times with an expired token, want 2", n)
	}
}
