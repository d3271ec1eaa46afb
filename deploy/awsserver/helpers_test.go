package awsserver_test

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// motoStack returns the SDK configuration for moto's server and settings
// for a stack of the test's own, or skips without moto.
func motoStack(t *testing.T) (aws.Config, awsstack.Settings) {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	}
	st := awsstack.Settings{Stack: "t" + hex.EncodeToString(b), Region: mototest.Region, Endpoint: endpoint, Runtime: "process"}
	return cfg, st.WithDefaults()
}

// quiet is a logger for tests that discards.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
