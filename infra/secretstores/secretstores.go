// Package secretstores reads jobs' secrets from SSM Parameter Store
// (GetParameters, decrypted) and Secrets Manager (GetSecretValue): it is
// the secrets.Store of the agents, one client of each per region, with
// the agent's own credentials or an execution role's.
package secretstores

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/iamactions"
)

// ssmAPI is the part of the SSM client the Store calls.
type ssmAPI interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// secretsAPI is the part of the Secrets Manager client the Store calls.
type secretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var (
	_ ssmAPI     = (*ssm.Client)(nil)
	_ secretsAPI = (*secretsmanager.Client)(nil)
)

// Actions are the IAM actions a Store needs: ssm:GetParameters and
// secretsmanager:GetSecretValue, and kms:Decrypt, which SSM and Secrets
// Manager call as the caller to decrypt a SecureString parameter or a
// secret encrypted with a customer managed key.
func Actions() []string {
	return iamactions.Union(iamactions.Of("ssm", (*ssmAPI)(nil)), iamactions.Of("secretsmanager", (*secretsAPI)(nil)), []string{"kms:Decrypt"})
}

// Store reads with one identity's credentials. It is safe for concurrent
// use.
type Store struct {
	cfg aws.Config

	mu      sync.Mutex
	ssm     map[string]ssmAPI // by region
	secrets map[string]secretsAPI
}

var _ secrets.Store = (*Store)(nil)

// New returns a Store calling with cfg's credentials and endpoint.
func New(cfg aws.Config) *Store {
	return &Store{cfg: cfg, ssm: map[string]ssmAPI{}, secrets: map[string]secretsAPI{}}
}

// As is a Store like s that calls with role's credentials, or with s's own
// when role is nil.
func (s *Store) As(role *rolecreds.Session) *Store {
	if role == nil {
		return s
	}
	cfg := s.cfg.Copy()
	cfg.Credentials = stsroles.Provider(role)
	return New(cfg)
}

// clients returns region's clients, made on first use.
func (s *Store) clients(region string) (ssmAPI, secretsAPI) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ssm[region]; !ok {
		s.ssm[region] = ssm.NewFromConfig(s.cfg, func(o *ssm.Options) { o.Region = region })
		s.secrets[region] = secretsmanager.NewFromConfig(s.cfg, func(o *secretsmanager.Options) { o.Region = region })
	}
	return s.ssm[region], s.secrets[region]
}

// credentials checks, before a call, that the Store has credentials, so
// that their absence is told apart from a refusal.
func (s *Store) credentials(ctx context.Context) error {
	if s.cfg.Credentials == nil {
		return rolecreds.ErrNoCredentials
	}
	if _, err := s.cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("%w: %v", rolecreds.ErrNoCredentials, err)
	}
	return nil
}

// Parameters calls GetParameters with decryption. A parameter asked for
// by ARN is answered under its name: it is returned under the ARN asked.
func (s *Store) Parameters(ctx context.Context, region string, names []string) (map[string]string, []string, error) {
	if err := s.credentials(ctx); err != nil {
		return nil, nil, err
	}
	api, _ := s.clients(region)
	out, err := api.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, nil, describe("SSM GetParameters", err)
	}
	values := make(map[string]string, len(out.Parameters))
	for _, p := range out.Parameters {
		for _, n := range names {
			if n == aws.ToString(p.Name) || n == aws.ToString(p.ARN) {
				values[n] = aws.ToString(p.Value)
			}
		}
	}
	return values, out.InvalidParameters, nil
}

// SecretValue calls GetSecretValue for ref's secret and version.
func (s *Store) SecretValue(ctx context.Context, region string, ref batch.SecretRef) (string, error) {
	if err := s.credentials(ctx); err != nil {
		return "", err
	}
	_, api := s.clients(region)
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.ARN)}
	if ref.VersionStage != "" {
		in.VersionStage = aws.String(ref.VersionStage)
	}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	}
	out, err := api.GetSecretValue(ctx, in)
	if err != nil {
		return "", describe("Secrets Manager GetSecretValue", err)
	}
	if out.SecretString == nil {
		return "", errors.New("the secret holds binary data (SecretBinary), which cannot be an environment variable")
	}
	return *out.SecretString, nil
}

// describe is a service's error as its code and message. Other errors
// (a connection, an answer that cannot be read) are told in general
// terms: a decoding error could quote the answer, which holds secrets.
func describe(call string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: %s: %s", call, api.ErrorCode(), api.ErrorMessage())
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return fmt.Errorf("%s: the answer could not be read", call)
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return fmt.Errorf("%s: %w", call, oe.Unwrap())
	}
	return fmt.Errorf("%s: %w", call, err)
}
