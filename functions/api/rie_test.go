//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl/lambdaurltest"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// rieModule is the Lambda Runtime Interface Emulator the test builds.
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// invocationsPath is where the emulator takes invocations.
const invocationsPath = "/2015-03-31/functions/function/invocations"

// TestAPIThroughTheRuntimeInterfaceEmulator builds the api function's
// bootstrap as for Lambda, runs it under the Lambda Runtime Interface
// Emulator against a stack on moto, and calls it through a played function
// URL with AWS Batch requests signed with a key issued into the stack.
func TestAPIThroughTheRuntimeInterfaceEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	endpoint := mototest.Endpoint(t)
	dir := t.TempDir()
	bootstrap, rie := buildBinaries(t, dir)

	ctx := context.Background()
	st, awsCfg := motoStack(t, endpoint)
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{AMI: "ami-12c6146b", Logger: discard()}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	keyAlias := createStackKey(t, awsCfg, st)
	key, err := awsserver.IssueKey(ctx, awsCfg, st, awsserver.IssueOptions{})
	if err != nil {
		t.Fatalf("IssueKey: %v", err)
	}

	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_REGION=" + st.Region, "AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		kmskeys.EnvKeyID + "=" + keyAlias,
	}
	for k, v := range st.Env() {
		env = append(env, k+"="+v)
	}
	invocations := startEmulator(t, rie, bootstrap, env)

	client := func(id, secret string) *batch.Client {
		return batch.New(batch.Options{
			Region:           st.Region,
			BaseEndpoint:     aws.String("https://abcdefghij1234567890.lambda-url." + st.Region + ".on.aws"),
			Credentials:      credentials.NewStaticCredentialsProvider(id, secret, ""),
			HTTPClient:       lambdaurltest.Client{Invoke: invoker(invocations)},
			RetryMaxAttempts: 1,
		})
	}
	out, err := client(key.ID, key.Secret).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	if err != nil {
		t.Fatalf("DescribeJobQueues signed with the issued key: %v", err)
	}
	if len(out.JobQueues) != 0 {
		t.Errorf("DescribeJobQueues = %d queues, want none in a new stack", len(out.JobQueues))
	}
	_, err = client("TKIAAAAAAAAAAAAAAAAA", key.Secret).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != sigv4.CodeUnrecognizedClient {
		t.Errorf("DescribeJobQueues signed with an unknown key = %v, want %s", err, sigv4.CodeUnrecognizedClient)
	}
}

// buildBinaries builds the api function's bootstrap with Lambda's build
// tag, for this machine (the build configuration of the other tests, so
// that it reuses their build cache), and the emulator.
func buildBinaries(t *testing.T, dir string) (bootstrap, rie string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the function: %v", err)
	}
	bootstrap, rie = filepath.Join(dir, "bootstrap"), filepath.Join(dir, "aws-lambda-rie")
	run := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(goTool, args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	run([]string{"GOOS=linux"}, "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	// go install with a version builds the emulator as its own module,
	// so it needs no line in go.mod.
	run([]string{"GOBIN=" + dir, "GOWORK=off", "CGO_ENABLED=0"}, "install", rieModule)
	return bootstrap, rie
}

// motoStack is a stack of the test's own on moto.
func motoStack(t *testing.T, endpoint string) (awsstack.Settings, aws.Config) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	st := awsstack.Settings{Stack: "rie" + hex.EncodeToString(b), Region: mototest.Region, Endpoint: endpoint}.WithDefaults()
	return st, aws.Config{
		Region: st.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
	}
}

// createStackKey makes the stack's KMS key under its alias.
func createStackKey(t *testing.T, awsCfg aws.Config, st awsstack.Settings) string {
	t.Helper()
	api := kms.NewFromConfig(awsCfg)
	ctx := context.Background()
	key, err := api.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	alias := kmskeys.Alias(st.Stack)
	if _, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	return alias
}

// startEmulator runs the emulator over bootstrap on free ports of
// 127.0.0.1 until the test ends, and returns its invocations URL.
func startEmulator(t *testing.T, rie, bootstrap string, env []string) string {
	t.Helper()
	addr, runtimeAPI := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAPI, bootstrap)
	cmd.Env = env
	var logs batchtest.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// Its own process group: the emulator starts bootstrap, and both stop
	// with the group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the emulator: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator does not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr + invocationsPath
}

// invoker posts function URL events to the emulator's invocations URL
// and reads the function's answers.
func invoker(url string) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		payload, err := json.Marshal(ev)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return events.LambdaFunctionURLResponse{}, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, fmt.Errorf("invoking the function: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return events.LambdaFunctionURLResponse{}, err
		}
		var out events.LambdaFunctionURLResponse
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.StatusCode == 0 {
			return out, fmt.Errorf("invocation answered %d: %s", resp.StatusCode, body)
		}
		return out, nil
	}
}

// freeAddr is a free TCP address on 127.0.0.1.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// discard is a logger that drops everything.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
