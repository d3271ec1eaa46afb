package awsserver_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// stackKey creates the stack's KMS key under its default alias.
func stackKey(t *testing.T, awsCfg aws.Config, st awsstack.Settings) {
	t.Helper()
	api := kms.NewFromConfig(awsCfg)
	ctx := context.Background()
	key, err := api.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("access keys of " + st.Stack)})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if _, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(kmskeys.Alias(st.Stack)), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
}

// TestIssuedKeySignsAPIRequests issues a key as `tanda keys issue` does
// and calls the API, wired as the api function wires it, with it.
func TestIssuedKeySignsAPIRequests(t *testing.T) {
	awsCfg, st := motoStack(t)
	ctx := context.Background()
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{Logger: quiet()}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	stackKey(t, awsCfg, st)
	key, err := awsserver.IssueKey(ctx, awsCfg, st, awsserver.IssueOptions{})
	if err != nil {
		t.Fatalf("IssueKey: %v", err)
	}
	b, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Logger: quiet(), Catalog: catalogtest.Moto(t)})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	keys, err := b.AccessKeys(kmskeys.Alias(st.Stack))
	if err != nil {
		t.Fatalf("AccessKeys: %v", err)
	}
	h, err := b.APIHandler(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	client := func(id, secret string) *batch.Client {
		return batch.New(batch.Options{
			Region: st.Region, BaseEndpoint: aws.String(api.URL),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
			HTTPClient:  awsclient.HTTPClient(), RetryMaxAttempts: 1,
		})
	}
	tests := []struct {
		name       string
		id, secret string
		wantCode   string // "" means success
	}{
		{"issued key", key.ID, key.Secret, ""},
		{"wrong secret", key.ID, "not-the-secret", sigv4.CodeInvalidSignature},
		{"unknown key", "TKIAAAAAAAAAAAAAAAAA", key.Secret, sigv4.CodeUnrecognizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client(tt.id, tt.secret).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
			var ae interface{ ErrorCode() string }
			switch {
			case tt.wantCode == "" && err != nil:
				t.Errorf("DescribeJobQueues: %v", err)
			case tt.wantCode != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode):
				t.Errorf("DescribeJobQueues = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestIssueKeyNeedsTheStacksKMSKey(t *testing.T) {
	awsCfg, st := motoStack(t)
	ctx := context.Background()
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{Logger: quiet()}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	// No key under the stack's alias: nothing is issued.
	if key, err := awsserver.IssueKey(ctx, awsCfg, st, awsserver.IssueOptions{}); err == nil {
		t.Errorf("IssueKey without the stack's KMS key = %s, want an error", key.ID)
	}
}
