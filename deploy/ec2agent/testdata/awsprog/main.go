// Command awsprog is a job of the job role tests: with the AWS SDK's
// default credential chain it says who it is (STS GetCallerIdentity),
// reads an S3 object and writes another in the same bucket, with what it
// read after "processed: ".
//
// Run without arguments, it reads IN_BUCKET/IN_KEY and writes OUT_KEY.
// Run as "awsprog BUCKET KEY [VERSION-ID]", as an S3 trigger starts it
// (Ref::bucket, Ref::key, Ref::versionId), it reads that version of the
// object (the latest when the version is empty) and writes
// results/KEY@<AWS_BATCH_JOB_ID>.
//
// It exits 2 on bad arguments, 3 when the chain finds no credentials, 4
// when a call fails.
//
// With AGAIN_WHEN, a URL, it then waits until that URL answers 200 (at
// most 2 minutes), drops the credentials it holds, as the SDK does when
// they near their expiry, fetches them again and says who it is again; it
// exits 5 when that fails. No credential is printed: whether the access
// key changed is.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	in, outKey := objects(os.Args[1:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fail(4, "loading the configuration: %v", err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fail(3, "no credentials: %v", err)
	}
	fmt.Printf("credentials from %s\n", creds.Source)
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fail(4, "GetCallerIdentity: %v", err)
	}
	fmt.Printf("caller %s\n", aws.ToString(who.Arn))
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	obj, err := s3c.GetObject(ctx, in)
	if err != nil {
		fail(4, "GetObject: %v", err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		fail(4, "reading the object: %v", err)
	}
	bucket := aws.ToString(in.Bucket)
	fmt.Printf("read s3://%s/%s: %d bytes\n", bucket, aws.ToString(in.Key), len(body))
	out := append([]byte("processed: "), body...)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: in.Bucket, Key: aws.String(outKey), Body: bytes.NewReader(out)}); err != nil {
		fail(4, "PutObject: %v", err)
	}
	fmt.Printf("wrote %s\n", outKey)
	if gate := os.Getenv("AGAIN_WHEN"); gate != "" {
		again(cfg, creds, gate)
	}
}

// objects are the object to read and the key to write, from the
// arguments or else the environment.
func objects(args []string) (*s3.GetObjectInput, string) {
	if len(args) == 0 {
		return &s3.GetObjectInput{Bucket: aws.String(os.Getenv("IN_BUCKET")), Key: aws.String(os.Getenv("IN_KEY"))}, os.Getenv("OUT_KEY")
	}
	if len(args) < 2 || len(args) > 3 {
		fail(2, "usage: awsprog [BUCKET KEY [VERSION-ID]] (got %q)", args)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(args[0]), Key: aws.String(args[1])}
	if len(args) == 3 && args[2] != "" && args[2] != "null" {
		in.VersionId = aws.String(args[2])
	}
	return in, "results/" + args[1] + "@" + os.Getenv("AWS_BATCH_JOB_ID")
}

// again waits for gate to answer 200, then gets credentials anew and calls
// STS with them.
func again(cfg aws.Config, first aws.Credentials, gate string) {
	fmt.Println("waiting to fetch the credentials again")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(gate)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			fail(5, "%s did not answer 200 within 2 minutes", gate)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cache, ok := cfg.Credentials.(interface{ Invalidate() })
	if !ok {
		fail(5, "the credentials provider %T has no cache to drop", cfg.Credentials)
	}
	cache.Invalidate()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fail(5, "no credentials the second time: %v", err)
	}
	fmt.Printf("credentials again from %s; access key changed: %v\n", creds.Source, creds.AccessKeyID != first.AccessKeyID)
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fail(5, "GetCallerIdentity the second time: %v", err)
	}
	fmt.Printf("caller again %s\n", aws.ToString(who.Arn))
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(code)
}
