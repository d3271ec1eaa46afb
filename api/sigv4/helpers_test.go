package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

const (
	testRegion = "us-east-1"
	testKeyID  = "TKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tagsPath   = "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob-queue%2Fq1"
)

// signTime is when test requests are signed and, unless a test says
// otherwise, the verifier's clock.
var signTime = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// secretMap is a SecretSource over a map.
type secretMap map[string]string

func (m secretMap) SecretFor(_ context.Context, id string) (string, error) {
	if s, ok := m[id]; ok {
		return s, nil
	}
	return "", fmt.Errorf("looking up %s: %w", id, ErrUnknownKey)
}

func newVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:  testRegion,
		Service: "batch",
		Secrets: secretMap{testKeyID: testSecret},
		Clock:   fixedClock{now},
	}
}

// clientRequest describes a request a client signs with aws-sdk-go-v2.
type clientRequest struct {
	method string
	target string // path and query, escaped as sent
	body   string
	header [][2]string // added in order, so a name may repeat

	keyID, secret, region, service string // defaults: the test key, us-east-1, batch
	at                             time.Time
	// unsignedLength attaches the body after signing, so content-length is
	// not signed, as botocore (the aws CLI) does.
	unsignedLength bool
	// canonical, if set, receives the SDK's canonical request.
	canonical *string
}

// sdkSigned signs c with aws-sdk-go-v2's signer and returns the request as
// Go's HTTP server would hand it over, with its body read.
func sdkSigned(tb testing.TB, c clientRequest) (*http.Request, []byte) {
	tb.Helper()
	c = c.withDefaults()
	var body io.Reader
	if c.body != "" && !c.unsignedLength {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, "http://batch.example.test:4566"+c.target, body)
	if err != nil {
		tb.Fatalf("building request: %v", err)
	}
	for _, h := range c.header {
		req.Header.Add(h[0], h[1])
	}
	rawQuery := req.URL.RawQuery
	creds := aws.Credentials{AccessKeyID: c.keyID, SecretAccessKey: c.secret}
	err = v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash([]byte(c.body)),
		c.service, c.region, c.at, func(o *v4.SignerOptions) {
			if c.canonical != nil {
				o.LogSigning = true
				o.Logger = logging.LoggerFunc(func(_ logging.Classification, _ string, v ...any) {
					*c.canonical = v[0].(string)
				})
			}
		})
	if err != nil {
		tb.Fatalf("signing request: %v", err)
	}
	// The SDK rewrites the query into its canonical form; send it as the
	// client wrote it, so the verifier must canonicalise it itself.
	req.URL.RawQuery = rawQuery
	if c.unsignedLength && c.body != "" {
		req.Body = io.NopCloser(strings.NewReader(c.body))
		req.ContentLength = int64(len(c.body))
	}
	return onServer(tb, req)
}

func (c clientRequest) withDefaults() clientRequest {
	if c.keyID == "" {
		c.keyID = testKeyID
	}
	if c.secret == "" {
		c.secret = testSecret
	}
	if c.region == "" {
		c.region = testRegion
	}
	if c.service == "" {
		c.service = "batch"
	}
	if c.at.IsZero() {
		c.at = signTime
	}
	return c
}

// onServer sends req through its wire form and reads it back as a server
// does: Host moves to r.Host and the path keeps its escaping in RawPath.
func onServer(tb testing.TB, req *http.Request) (*http.Request, []byte) {
	tb.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		tb.Fatalf("writing request: %v", err)
	}
	r, body, err := readWire(wire.Bytes())
	if err != nil {
		tb.Fatalf("reading request back: %v", err)
	}
	return r, body
}

// readWire parses an HTTP/1.1 request and its body.
func readWire(wire []byte) (*http.Request, []byte, error) {
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	return r, body, nil
}

// wireOf is the HTTP/1.1 form of a signed client request.
func wireOf(tb testing.TB, c clientRequest) []byte {
	tb.Helper()
	r, body := sdkSigned(tb, c)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.RequestURI = ""
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		tb.Fatalf("writing request: %v", err)
	}
	return wire.Bytes()
}
