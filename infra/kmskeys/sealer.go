package kmskeys

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/api/accesskeys"
)

// EnvKeyID names the variable that gives the Lambda functions the KMS key
// (id, ARN, alias name or alias ARN) that seals access key secrets.
const EnvKeyID = "TANDA_KMS_KEY_ID"

// EncryptionContext is the KMS encryption context of every sealed secret.
var EncryptionContext = map[string]string{"tanda:purpose": "access-key-secret"}

// encryptAPI is the part of KMS that issuing a key uses.
type encryptAPI interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, optFns ...func(*kms.Options)) (*kms.EncryptOutput, error)
}

// decryptAPI is the part of KMS that verifying requests uses.
type decryptAPI interface {
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// kmsAPI is the part of KMS the Sealer uses (*kms.Client).
type kmsAPI interface {
	encryptAPI
	decryptAPI
}

// Sealer seals with a KMS key.
type Sealer struct {
	api   kmsAPI
	keyID string
}

var _ accesskeys.ContextSealer = (*Sealer)(nil)

// New returns a Sealer using the KMS key keyID (a key id or ARN, or an
// alias name or ARN) through api.
func New(api kmsAPI, keyID string) (*Sealer, error) {
	if keyID == "" {
		return nil, errors.New("sealing access keys with KMS: no key id (set " + EnvKeyID + ")")
	}
	return &Sealer{api: api, keyID: keyID}, nil
}

// Alias is the KMS alias name a stack's key goes by unless it is named:
// "alias/<stack>-access-keys".
func Alias(stack string) string { return "alias/" + stack + "-access-keys" }

// SealContext encrypts plaintext under the key.
func (s *Sealer) SealContext(ctx context.Context, plaintext []byte) ([]byte, error) {
	out, err := s.api.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(s.keyID),
		Plaintext:         plaintext,
		EncryptionContext: maps.Clone(EncryptionContext),
	})
	if err != nil {
		return nil, fmt.Errorf("sealing with KMS key %s: %w", s.keyID, err)
	}
	return out.CiphertextBlob, nil
}

// OpenContext decrypts what SealContext produced; it fails when the value
// was sealed under another key or context, or altered.
func (s *Sealer) OpenContext(ctx context.Context, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errors.New("opening with KMS: empty ciphertext")
	}
	out, err := s.api.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(s.keyID),
		CiphertextBlob:    sealed,
		EncryptionContext: maps.Clone(EncryptionContext),
	})
	if err != nil {
		return nil, fmt.Errorf("opening with KMS key %s: %w", s.keyID, err)
	}
	return out.Plaintext, nil
}
