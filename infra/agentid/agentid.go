// Package agentid is the agent's proof of identity on AWS for the agent
// API (api/agentapi): a GetCallerIdentity request signed with the
// instance role's credentials (SigV4, service sts) and bound to the API's
// host, re-signed once a minute; and the STS endpoint both the agent and
// the server use for it. It calls no AWS API itself, so it needs no IAM
// action: the server sends the request to STS, which answers
// GetCallerIdentity for any credentials.
package agentid

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
)

// DefaultRefresh is how long a signed identity is sent before a new one
// is signed: well inside the five minutes the server accepts it, and
// once a minute, so that the server's cache of verified identities (a
// minute) asks STS about once a minute per instance.
const DefaultRefresh = time.Minute

// STSEndpoint is the URL of STS that cfg's STS client calls: the
// service's own or the global AWS_ENDPOINT_URL (an emulator), else STS's
// regional endpoint in cfg's region. The agent signs for it and the
// server sends the identity there, so both must agree.
func STSEndpoint(ctx context.Context, cfg aws.Config) (string, error) {
	opts := sts.NewFromConfig(cfg).Options()
	params := sts.EndpointParameters{Region: aws.String(opts.Region), Endpoint: opts.BaseEndpoint, UseGlobalEndpoint: aws.Bool(false)}
	ep, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, params)
	if err != nil {
		return "", fmt.Errorf("resolving STS's endpoint in %s: %w", opts.Region, err)
	}
	return ep.URI.String(), nil
}

// ServerID is the server id an agent signs for the agent API at apiURL:
// its host (and port, if any).
func ServerID(apiURL string) (string, error) {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("agent API URL %q: want an absolute URL", apiURL)
	}
	return u.Host, nil
}

// Signer signs the agent's identity (agentapi.TokenSource). It is safe for
// concurrent use.
type Signer struct {
	// Credentials are the instance role's (the SDK's default chain reads
	// them from IMDS).
	Credentials aws.CredentialsProvider
	// Endpoint and Region are STS's (STSEndpoint; the stack's region).
	Endpoint, Region string
	// ServerID binds the identity to the agent API (ServerID).
	ServerID string
	// Refresh is how long a signature is reused (DefaultRefresh).
	Refresh time.Duration
	Clock   batch.Clock

	mu       sync.Mutex
	token    string
	signedAt time.Time
}

// Token is the identity to send: the last one signed while it is younger
// than Refresh (and fresh is false), else a newly signed one.
func (s *Signer) Token(ctx context.Context, fresh bool) (string, error) {
	refresh := s.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	now := s.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !fresh && s.token != "" && now.Sub(s.signedAt) < refresh && !now.Before(s.signedAt) {
		return s.token, nil
	}
	creds, err := s.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("getting the instance role's credentials: %w", err)
	}
	req, err := agentapi.NewSTSRequest(ctx, s.Endpoint, s.ServerID)
	if err != nil {
		return "", err
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, agentapi.STSPayloadHash(), "sts", s.Region, now); err != nil {
		return "", fmt.Errorf("signing GetCallerIdentity: %w", err)
	}
	s.token, s.signedAt = agentapi.TokenOf(req).Encode(), now
	return s.token, nil
}
