// Command awsprog is a job of the job role tests: with the AWS SDK's
// default credential chain it says who it is (STS GetCallerIdentity), reads
// the S3 object IN_BUCKET/IN_KEY and writes OUT_KEY in the same bucket.
// It exits 3 when the chain finds no credentials, 4 when a call fails.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
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
	bucket := os.Getenv("IN_BUCKET")
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(os.Getenv("IN_KEY"))})
	if err != nil {
		fail(4, "GetObject: %v", err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		fail(4, "reading the object: %v", err)
	}
	out := append([]byte("processed: "), body...)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(os.Getenv("OUT_KEY")), Body: bytes.NewReader(out)}); err != nil {
		fail(4, "PutObject: %v", err)
	}
	fmt.Printf("wrote %s\n", os.Getenv("OUT_KEY"))
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(code)
}
