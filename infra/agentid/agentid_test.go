package agentid_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/agentid"
)

// countingCreds counts how often the credentials are asked for.
type countingCreds struct{ n atomic.Int64 }

func (c *countingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	return aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t"}, nil
}

// A signed identity is sent again for a minute, then signed anew; a fresh
// one is signed when asked for.
func TestSignerRefresh(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	creds := &countingCreds{}
	s := &agentid.Signer{Credentials: creds, Endpoint: "https://sts.us-east-1.amazonaws.com", Region: "us-east-1", ServerID: "api.example", Clock: clock}
	ctx := t.Context()
	first, err := s.Token(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	if again, _ := s.Token(ctx, false); again != first {
		t.Errorf("token changed within the minute")
	}
	clock.Advance(2 * time.Second)
	later, _ := s.Token(ctx, false)
	if later == first {
		t.Errorf("token not signed anew after a minute")
	}
	if _, err := s.Token(ctx, true); err != nil || creds.n.Load() != 3 {
		t.Errorf("a fresh token was not signed: credentials read %d times, want 3 (%v)", creds.n.Load(), err)
	}
}

func TestSTSEndpoint(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  aws.Config
		want string
	}{
		{"regional", aws.Config{Region: "eu-west-1"}, "https://sts.eu-west-1.amazonaws.com"},
		{"an emulator", aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000")}, "http://127.0.0.1:5000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := agentid.STSEndpoint(t.Context(), tt.cfg)
			if err != nil || got != tt.want {
				t.Errorf("STSEndpoint = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if id, err := agentid.ServerID("https://abc.lambda-url.us-east-1.on.aws/"); err != nil || id != "abc.lambda-url.us-east-1.on.aws" {
		t.Errorf("ServerID = %q, %v", id, err)
	}
	if _, err := agentid.ServerID("not a url"); err == nil {
		t.Errorf("ServerID of a relative URL: no error")
	}
}
