package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/triggers"
)

// triggersPath is Tanda's trigger rules endpoint.
const triggersPath = "/tanda/v1/triggers"

const triggersUsage = `Usage:
  tanda triggers create --name NAME --bucket BUCKET [--prefix P] [--suffix S]
                        [--queue Q] [--definition D] [--param NAME=VALUE]... [-- COMMAND [ARGS...]]
  tanda triggers list
  tanda triggers delete NAME

A trigger rule submits a job for each object created in BUCKET whose key
starts with the prefix and ends with the suffix. The job gets the
parameters bucket, key, versionId and size: its command (the definition's,
or the one given after --) may use them as Ref::bucket, Ref::key and so on.
On AWS, the bucket's ObjectCreated notifications go to the stack's
submissions queue; under 'tanda up', the objects of BUCKET are the files
under DATA_DIR/buckets/BUCKET.
`

func runTriggers(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("triggers: name a subcommand\n\n%s", triggersUsage)
	}
	switch args[0] {
	case "create":
		return runTriggersCreate(ctx, args[1:], out)
	case "list":
		return runTriggersList(ctx, args[1:], out)
	case "delete":
		return runTriggersDelete(ctx, args[1:], out)
	case "-h", "--help", "help":
		fmt.Fprint(out, triggersUsage)
		return nil
	}
	return fmt.Errorf("triggers: unknown subcommand %q\n\n%s", args[0], triggersUsage)
}

func runTriggersCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("triggers create", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	var rule triggers.Rule
	fs.StringVar(&rule.Name, "name", "", "the rule's name, which its jobs take (required)")
	fs.StringVar(&rule.Bucket, "bucket", "", "the S3 bucket (under 'tanda up', the directory DATA_DIR/buckets/BUCKET) (required)")
	fs.StringVar(&rule.Prefix, "prefix", "", "only keys starting with this")
	fs.StringVar(&rule.Suffix, "suffix", "", "only keys ending with this")
	fs.StringVar(&rule.JobQueue, "queue", "default", "job queue")
	fs.StringVar(&rule.JobDefinition, "definition", "example", "job definition (name, name:revision or ARN)")
	var params multiFlag
	fs.Var(&params, "param", "NAME=VALUE a parameter of the jobs (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, kv := range params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--param %q: want NAME=VALUE", kv)
		}
		if rule.Parameters == nil {
			rule.Parameters = map[string]string{}
		}
		rule.Parameters[k] = v
	}
	rule.Command = fs.Args()
	if rule.Name == "" || rule.Bucket == "" {
		return fmt.Errorf("triggers create: --name and --bucket are required")
	}
	body, err := json.Marshal(rule)
	if err != nil {
		return fmt.Errorf("encoding the rule: %w", err)
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	var created triggers.Rule
	if err := c.tandaCall(ctx, http.MethodPost, triggersPath, body, &created); err != nil {
		return fmt.Errorf("creating trigger rule: %w", err)
	}
	fmt.Fprintf(out, "created trigger rule %s: %s -> job queue %s, job definition %s\n",
		created.Name, objectPattern(created), created.JobQueue, created.JobDefinition)
	return nil
}

func runTriggersList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("triggers list", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	var list struct {
		Rules []triggers.Rule `json:"rules"`
	}
	if err := c.tandaCall(ctx, http.MethodGet, triggersPath, nil, &list); err != nil {
		return fmt.Errorf("listing trigger rules: %w", err)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tOBJECTS\tQUEUE\tDEFINITION\tCOMMAND\tCREATED")
	for _, r := range list.Rules {
		cmd := "-"
		if len(r.Command) > 0 {
			cmd = strings.Join(r.Command, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, objectPattern(r), r.JobQueue, r.JobDefinition, cmd, msTime(&r.CreatedAt))
	}
	return tw.Flush()
}

func runTriggersDelete(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("triggers delete", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("triggers delete: name one rule")
	}
	c, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	if err := c.tandaCall(ctx, http.MethodDelete, triggersPath+"/"+url.PathEscape(name), nil, nil); err != nil {
		return fmt.Errorf("deleting trigger rule: %w", err)
	}
	fmt.Fprintf(out, "deleted trigger rule %s\n", name)
	return nil
}

// objectPattern shows the objects a rule matches: s3://bucket/prefix*suffix.
func objectPattern(r triggers.Rule) string {
	return "s3://" + r.Bucket + "/" + r.Prefix + "*" + r.Suffix
}

// tandaCall calls one of Tanda's own endpoints, signed like an API call,
// and decodes the answer into out (unless out is nil). Like an SDK call it
// carries an invocation id of its own, which makes its signature unique:
// the API refuses a mutating request whose signature it has seen.
func (c *client) tandaCall(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Amz-Sdk-Invocation-Id", uuid.NewString())
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("loading credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "batch", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(answer, &e) != nil || e.Message == "" {
			return fmt.Errorf("%s: %.200s", res.Status, answer)
		}
		return fmt.Errorf("%s: %s", e.Type, e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}
