package docker

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"

	"github.com/tanda-batch/tanda/batch"
)

// ECRTokens is the part of Amazon ECR the runtime calls; *ecr.Client is one.
type ECRTokens interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ecrHost matches an ECR registry: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn].
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// tokenMargin renews an ECR token this long before it expires.
const tokenMargin = 5 * time.Minute

// ECRAuth gives the credentials of images in Amazon ECR registries, from
// GetAuthorizationToken (the instance role needs ecr:GetAuthorizationToken),
// cached per registry until shortly before they expire. Other images get
// Fallback's credentials.
type ECRAuth struct {
	api      ECRTokens
	fallback Auth
	clock    batch.Clock

	mu     sync.Mutex
	tokens map[string]ecrToken // by registry host
}

type ecrToken struct {
	auth    string // X-Registry-Auth value
	expires time.Time
}

// NewECRAuth returns an Auth for ECR images over api; fallback (nil: none)
// serves other registries.
func NewECRAuth(api ECRTokens, fallback Auth, clock batch.Clock) *ECRAuth {
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return &ECRAuth{api: api, fallback: fallback, clock: clock, tokens: map[string]ecrToken{}}
}

// RegistryAuth returns credentials for image.
func (a *ECRAuth) RegistryAuth(ctx context.Context, image string) (string, error) {
	host, err := registryHost(image)
	if err != nil {
		return "", err
	}
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		if a.fallback == nil {
			return "", nil
		}
		return a.fallback.RegistryAuth(ctx, image)
	}
	now := a.clock.Now()
	a.mu.Lock()
	tok, ok := a.tokens[host]
	a.mu.Unlock()
	if ok && now.Before(tok.expires.Add(-tokenMargin)) {
		return tok.auth, nil
	}
	tok, err = a.fetch(ctx, host, m[1])
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.tokens[host] = tok
	a.mu.Unlock()
	return tok.auth, nil
}

// fetch asks ECR for a registry's token.
func (a *ECRAuth) fetch(ctx context.Context, host, account string) (ecrToken, error) {
	out, err := a.api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{account}})
	if err != nil {
		return ecrToken{}, fmt.Errorf("getting an ECR token for %s: %w", host, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return ecrToken{}, fmt.Errorf("getting an ECR token for %s: %w", host, errors.New("no authorization data"))
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
	if err != nil {
		return ecrToken{}, fmt.Errorf("decoding the ECR token for %s: %w", host, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return ecrToken{}, fmt.Errorf("decoding the ECR token for %s: %w", host, errors.New("not user:password"))
	}
	auth, err := authconfig.Encode(registry.AuthConfig{Username: user, Password: pass, ServerAddress: "https://" + host})
	if err != nil {
		return ecrToken{}, err
	}
	expires := a.clock.Now().Add(time.Hour)
	if d.ExpiresAt != nil {
		expires = *d.ExpiresAt
	}
	return ecrToken{auth: auth, expires: expires}, nil
}
