package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/mototest"
)

func TestParseKeysIssue(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	withRegion := env(map[string]string{"AWS_REGION": "eu-west-1"})
	tests := []struct {
		name      string
		args      []string
		getenv    func(string) string
		wantStack awsstack.Settings
		wantKMS   string
		wantDir   string
		wantErr   string
	}{
		{
			name: "defaults", getenv: withRegion,
			wantStack: awsstack.Settings{Stack: "tanda", Region: "eu-west-1"}.WithDefaults(), wantDir: defaultKeysDir,
		},
		{
			name: "stack from the environment", getenv: env(map[string]string{"TANDA_STACK": "prod", "AWS_DEFAULT_REGION": "ap-south-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}),
			wantStack: awsstack.Settings{Stack: "prod", Region: "ap-south-1", Endpoint: "http://127.0.0.1:5000"}.WithDefaults(), wantDir: defaultKeysDir,
		},
		{
			name: "flags", getenv: withRegion,
			args:      []string{"--stack", "s1", "--region", "us-west-2", "--kms-key", "alias/mine", "--data-dir", "/tmp/k"},
			wantStack: awsstack.Settings{Stack: "s1", Region: "us-west-2"}.WithDefaults(), wantKMS: "alias/mine", wantDir: "/tmp/k",
		},
		{name: "no region", getenv: env(nil), wantErr: "region is not set"},
		{name: "bad stack", args: []string{"--stack", "a_b"}, getenv: withRegion, wantErr: "stack name"},
		{name: "stray argument", args: []string{"now"}, getenv: withRegion, wantErr: "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKeysIssue(tt.args, tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseKeysIssue(%q) error = %v, want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseKeysIssue(%q): %v", tt.args, err)
			}
			if got.stack != tt.wantStack || got.issue.KMSKey != tt.wantKMS || got.dir != tt.wantDir {
				t.Errorf("parseKeysIssue = stack %+v, KMS key %q, dir %q; want %+v, %q, %q", got.stack, got.issue.KMSKey, got.dir, tt.wantStack, tt.wantKMS, tt.wantDir)
			}
		})
	}
}

// TestKeysIssueOnMoto issues a key of a stack on moto and reads it back
// from the files written, as the aws CLI would.
func TestKeysIssueOnMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	b := make([]byte, 4)
	rand.Read(b)
	st := awsstack.Settings{Stack: "k" + hex.EncodeToString(b), Region: mototest.Region, Endpoint: endpoint}.WithDefaults()
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_REGION", st.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	ctx := context.Background()
	awsCfg, err := st.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{AMI: "ami-12c6146b"}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	api := kms.NewFromConfig(awsCfg)
	key, err := api.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if _, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(kmskeys.Alias(st.Stack)), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	var out bytes.Buffer
	if err := runKeys(ctx, []string{"issue", "--stack", st.Stack, "--data-dir", dir}, &out); err != nil {
		t.Fatalf("tanda keys issue: %v", err)
	}
	prof, err := config.LoadSharedConfigProfile(ctx, "tanda", func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{filepath.Join(dir, "credentials")}
		o.ConfigFiles = []string{filepath.Join(dir, "config")}
	})
	if err != nil {
		t.Fatalf("reading the profile written: %v", err)
	}
	if id := prof.Credentials.AccessKeyID; !strings.HasPrefix(id, "TKIA") || !strings.Contains(out.String(), id) || prof.Region != st.Region {
		t.Errorf("profile has key %q in %s; output:\n%s", id, prof.Region, out.String())
	}
	backend, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Catalog: catalogtest.Moto(t)})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	keys, err := backend.AccessKeys(kmskeys.Alias(st.Stack))
	if err != nil {
		t.Fatalf("AccessKeys: %v", err)
	}
	if secret, err := keys.SecretFor(ctx, prof.Credentials.AccessKeyID); err != nil || secret != prof.Credentials.SecretAccessKey {
		t.Errorf("the stack's secret of the key written = %v; want the file's", err)
	}
}
