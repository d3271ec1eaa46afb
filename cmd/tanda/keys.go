package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/kmskeys"
)

// defaultKeysDir is where `tanda keys issue` writes the AWS CLI files of
// a deployed stack's key: apart from `tanda serve`'s, so that a key of
// the deployment never replaces the local server's.
const defaultKeysDir = ".tanda-deploy"

const keysUsage = `Usage:
  tanda keys issue [--stack S] [--region R] [--kms-key K] [--data-dir DIR] [--profile P]

Issues an access key of a stack deployed with sam deploy, with your AWS
credentials (they need dynamodb:PutItem on the stack's items table and
kms:Encrypt with its KMS key), and writes it to DIR/credentials and
DIR/config under the profile.
`

// keysOptions are what `tanda keys issue` was asked to do.
type keysOptions struct {
	stack       awsstack.Settings
	issue       awsserver.IssueOptions
	dir         string
	profile     string
	description string
}

// parseKeysIssue reads `tanda keys issue`'s flags and environment.
func parseKeysIssue(args []string, getenv func(string) string) (keysOptions, error) {
	var o keysOptions
	fs := flag.NewFlagSet("keys issue", flag.ContinueOnError)
	fs.StringVar(&o.stack.Stack, "stack", firstSet(getenv(awsstack.EnvStack), "tanda"), "the deployed stack's name (default $TANDA_STACK or tanda)")
	region := fs.String("region", firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")), "AWS region (default $AWS_REGION or $AWS_DEFAULT_REGION)")
	fs.StringVar(&o.issue.KMSKey, "kms-key", "", "KMS key sealing the secret (default the stack's alias, "+kmskeys.Alias("<stack>")+")")
	fs.StringVar(&o.dir, "data-dir", defaultKeysDir, "where the AWS CLI files credentials and config are written")
	fs.StringVar(&o.profile, "profile", kit.Profile, "the AWS profile of the key")
	fs.StringVar(&o.issue.Description, "description", "tanda keys issue", "stored with the key")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("keys issue takes no arguments (got %q)", fs.Args())
	}
	o.stack.Region = *region
	o.stack.Endpoint = getenv(awsstack.EnvEndpoint)
	o.stack = o.stack.WithDefaults()
	if err := o.stack.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

func runKeys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "issue" {
		fmt.Fprint(os.Stderr, keysUsage)
		return fmt.Errorf("keys: want the subcommand issue")
	}
	o, err := parseKeysIssue(args[1:], os.Getenv)
	if err != nil {
		return err
	}
	awsCfg, err := o.stack.AWSConfig(ctx)
	if err != nil {
		return err
	}
	key, err := awsserver.IssueKey(ctx, awsCfg, o.stack, o.issue)
	if err != nil {
		return err
	}
	if err := accesskeys.WriteAWSFiles(o.dir, o.profile, o.stack.Region, key); err != nil {
		return fmt.Errorf("access key %s was issued but not written: revoke it: %w", key.ID, err)
	}
	printIssued(out, o, key)
	return nil
}

// printIssued says which key was issued and how to use it.
func printIssued(out io.Writer, o keysOptions, key accesskeys.AccessKey) {
	creds, conf := absolute(kit.CredentialsFile(o.dir)), absolute(kit.ConfigFile(o.dir))
	fmt.Fprintf(out, "issued access key %s of stack %s\n", key.ID, o.stack.Stack)
	fmt.Fprintf(out, "credentials: %s (profile %s)\n", creds, o.profile)
	fmt.Fprintf(out, "config: %s\n", conf)
	fmt.Fprintf(out, "\nTry it (the endpoint is the stack's function URL, its ApiUrl output):\n  AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s AWS_PROFILE=%s aws batch describe-job-queues --endpoint-url https://<url-id>.lambda-url.%s.on.aws\n",
		creds, conf, o.profile, o.stack.Region)
}
