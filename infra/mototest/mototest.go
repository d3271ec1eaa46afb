// Package mototest connects tests of Tanda's AWS adapters to the moto
// server `make test` starts (scripts/moto.sh), which names it in
// TANDA_MOTO_ENDPOINT. Without one, the tests skip with a how-to; under
// `make test` (TANDA_REQUIRE_TOOLS=1) they fail instead.
package mototest

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region the tests use.
const Region = "us-east-1"

// Endpoint is the moto server's URL, or skips (or fails) the test.
func Endpoint(t testing.TB) string {
	t.Helper()
	endpoint := os.Getenv("TANDA_MOTO_ENDPOINT")
	if endpoint != "" {
		return endpoint
	}
	if os.Getenv("TANDA_REQUIRE_TOOLS") != "" {
		t.Fatal("TANDA_MOTO_ENDPOINT is not set; make test starts moto with scripts/moto.sh")
	}
	t.Skip("needs moto's server: run make test, or scripts/moto.sh go test ./...")
	return ""
}

// Credentials are the static test credentials moto accepts.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
}
