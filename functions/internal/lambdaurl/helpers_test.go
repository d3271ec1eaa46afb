package lambdaurl_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/api/sigv4"
)

// The key that signed the testdata events, and when.
const (
	testKeyID  = "TKIAEXAMPLEEXAMPLE23"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var signedAt = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// readEvent reads a function URL event from testdata.
func readEvent(t *testing.T, name string) events.LambdaFunctionURLRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return ev
}

// oneKey is a SecretSource of the test key only.
type oneKey struct{}

func (oneKey) SecretFor(_ context.Context, id string) (string, error) {
	if id != testKeyID {
		return "", sigv4.ErrUnknownKey
	}
	return testSecret, nil
}

// fixedClock always reads t.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// verifier checks signatures by the test key made at now.
func verifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{Region: "us-east-1", Service: "batch", Secrets: oneKey{}, Clock: fixedClock{now}, MaxSkew: 5 * time.Minute}
}

// isAuthError reports whether err is a signature rejection.
func isAuthError(err error) bool {
	var ae *sigv4.AuthError
	return errors.As(err, &ae)
}
