package kmskeys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// motoKMS is a KMS client of moto's server, or skips.
func motoKMS(t *testing.T) *kms.Client {
	t.Helper()
	return kms.New(kms.Options{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(mototest.Endpoint(t)),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	})
}

// createKey makes a symmetric key with an alias of its own and returns
// its id, ARN and alias name.
func createKey(t *testing.T, api *kms.Client) (id, arn, alias string) {
	t.Helper()
	ctx := context.Background()
	out, err := api.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("tanda test")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	alias = kmskeys.Alias("t" + hex.EncodeToString(b))
	if _, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId), aws.ToString(out.KeyMetadata.Arn), alias
}

func TestSealerRoundTrip(t *testing.T) {
	api := motoKMS(t)
	id, arn, alias := createKey(t, api)
	secret := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	for name, keyID := range map[string]string{"key id": id, "key ARN": arn, "alias": alias} {
		t.Run(name, func(t *testing.T) {
			s, err := kmskeys.New(api, keyID)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx := context.Background()
			sealed, err := s.SealContext(ctx, secret)
			if err != nil {
				t.Fatalf("SealContext: %v", err)
			}
			if bytes.Contains(sealed, secret) {
				t.Errorf("sealed value contains the secret")
			}
			got, err := s.OpenContext(ctx, sealed)
			if err != nil || !bytes.Equal(got, secret) {
				t.Errorf("OpenContext = %q, %v; want the secret", got, err)
			}
		})
	}
}

func TestSealerRefuses(t *testing.T) {
	api := motoKMS(t)
	ctx := context.Background()
	id, _, _ := createKey(t, api)
	otherID, _, _ := createKey(t, api)
	s, _ := kmskeys.New(api, id)
	sealed, err := s.SealContext(ctx, []byte("secret"))
	if err != nil {
		t.Fatalf("SealContext: %v", err)
	}
	other, _ := kmskeys.New(api, otherID)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	// Something else encrypted under the same key, without the context.
	foreign, err := api.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("secret")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	tests := []struct {
		name   string
		sealer *kmskeys.Sealer
		sealed []byte
	}{
		{"another key", other, sealed},
		{"tampered", s, tampered},
		{"no encryption context", s, foreign.CiphertextBlob},
		{"empty", s, nil},
	}
	for _, tt := range tests {
		if got, err := tt.sealer.OpenContext(ctx, tt.sealed); err == nil {
			t.Errorf("%s: OpenContext = %q, want an error", tt.name, got)
		}
	}
}

func TestNewNeedsAKey(t *testing.T) {
	_, err := kmskeys.New(nil, "")
	if err == nil {
		t.Fatal("New without a key id succeeded")
	}
	if want := kmskeys.EnvKeyID; !strings.Contains(err.Error(), want) {
		t.Errorf("New error = %v, want it to name %s", err, want)
	}
}

// TestKeysOverKMS issues an access key sealed with KMS and verifies it
// from a fresh Keys, as the API function does on a cold start.
func TestKeysOverKMS(t *testing.T) {
	api := motoKMS(t)
	_, _, alias := createKey(t, api)
	s, err := kmskeys.New(api, alias)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	store := batchtest.NewItems()
	ctx := context.Background()
	key, err := accesskeys.NewWithContextSealer(store, s, batch.SystemClock{}).Issue(ctx, "kms")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	fresh := accesskeys.NewWithContextSealer(store, s, batch.SystemClock{})
	if got, err := fresh.SecretFor(ctx, key.ID); err != nil || got != key.Secret {
		t.Errorf("SecretFor = %v; want the issued secret", err)
	}
	if _, err := fresh.SecretFor(ctx, "TKIANOSUCHKEY0000000"); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("SecretFor(unknown) = %v, want sigv4.ErrUnknownKey", err)
	}
}
