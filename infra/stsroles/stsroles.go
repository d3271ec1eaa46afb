// Package stsroles assumes job roles with STS AssumeRole: it is the
// rolecreds.Assumer of the agents, and makes a rolecreds.Session into an
// aws.CredentialsProvider for calls the agent makes itself with a role.
package stsroles

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// stsAPI is the part of the STS client the Assumer calls.
type stsAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ stsAPI = (*sts.Client)(nil)

// Assumer assumes roles with an STS client's credentials.
type Assumer struct {
	api stsAPI
	// creds are the client's credentials, checked before each call so
	// that their absence is told apart from STS's refusal; nil checks
	// nothing.
	creds aws.CredentialsProvider
}

var _ rolecreds.Assumer = (*Assumer)(nil)

// New returns an Assumer calling STS with cfg (its credentials and
// endpoint).
func New(cfg aws.Config) *Assumer {
	return &Assumer{api: sts.NewFromConfig(cfg), creds: cfg.Credentials}
}

// AssumeRole calls STS AssumeRole. A failure to get the caller's own
// credentials wraps rolecreds.ErrNoCredentials; STS's refusal is its code
// and message.
func (a *Assumer) AssumeRole(ctx context.Context, in rolecreds.AssumeInput) (rolecreds.Credentials, error) {
	if a.creds == nil {
		return rolecreds.Credentials{}, rolecreds.ErrNoCredentials
	}
	if _, err := a.creds.Retrieve(ctx); err != nil {
		return rolecreds.Credentials{}, fmt.Errorf("%w: %v", rolecreds.ErrNoCredentials, err)
	}
	req := &sts.AssumeRoleInput{
		RoleArn:         aws.String(in.RoleARN),
		RoleSessionName: aws.String(in.SessionName),
	}
	if in.SourceIdentity != "" {
		req.SourceIdentity = aws.String(in.SourceIdentity)
	}
	if in.Duration > 0 {
		req.DurationSeconds = aws.Int32(int32(in.Duration.Seconds()))
	}
	keys := make([]string, 0, len(in.Tags))
	for k := range in.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req.Tags = append(req.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
	}
	out, err := a.api.AssumeRole(ctx, req)
	if err != nil {
		return rolecreds.Credentials{}, describe(err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return rolecreds.Credentials{}, errors.New("STS AssumeRole: the answer has no credentials")
	}
	return rolecreds.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Expires:         *c.Expiration,
	}, nil
}

// describe is STS's error as its code and message, short enough for an
// attempt's reason.
func describe(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("STS AssumeRole: %s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("STS AssumeRole: %w", err)
}

// Provider is s as an aws.CredentialsProvider, for SDK clients that call
// AWS with the session's role (the session refreshes the credentials).
func Provider(s *rolecreds.Session) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		c, err := s.Credentials(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{
			AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			Source: "tanda role " + s.RoleARN(), CanExpire: true, Expires: c.Expires,
		}, nil
	})
}
