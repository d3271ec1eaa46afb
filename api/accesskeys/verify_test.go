package accesskeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/tanda-batch/tanda/api/sigv4"
)

// TestKeysVerifySignedRequests signs requests with issued keys, as the aws
// CLI would, and checks a sigv4.Verifier backed by Keys accepts them until
// the key is revoked.
func TestKeysVerifySignedRequests(t *testing.T) {
	ctx := context.Background()
	k, _, c := newKeys(t)
	key := issue(t, k, "cli")
	v := &sigv4.Verifier{Region: "us-east-1", Service: "batch", Secrets: k, Clock: c}

	signed := func(key AccessKey) (*http.Request, []byte) {
		body := []byte(`{"jobQueue":"default"}`)
		r, err := http.NewRequest("POST", "http://127.0.0.1:8080/v1/listjobs", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), "batch", "us-east-1", c.Now()); err != nil {
			t.Fatal(err)
		}
		return r, body
	}

	r, body := signed(key)
	id, err := v.Verify(ctx, r, body)
	if err != nil || id.AccessKeyID != key.ID {
		t.Fatalf("Verify = %+v, %v; want key %s", id, err, key.ID)
	}

	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	r, body = signed(key)
	_, err = v.Verify(ctx, r, body)
	var ae *sigv4.AuthError
	if !errors.As(err, &ae) || ae.Code != sigv4.CodeUnrecognizedClient {
		t.Errorf("Verify after revoke: error = %v, want %s", err, sigv4.CodeUnrecognizedClient)
	}
}
