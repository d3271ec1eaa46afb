package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzVerify feeds raw HTTP requests, seeded with genuine signed ones, to
// Verify. It must never panic, must reject only with an *AuthError, and must
// accept a request only if aws-sdk-go-v2's signer, holding the secret,
// produces the same signature for the request as the server parsed it.
func FuzzVerify(f *testing.F) {
	for _, tc := range sdkCases {
		f.Add(wireOf(f, tc.req))
	}
	f.Add(wireOf(f, clientRequest{method: "POST", target: "/v1/submitjob", body: submitBody, unsignedLength: true}))
	f.Add([]byte("POST /v1/submitjob HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"))
	f.Add([]byte("GET /?X-Amz-Signature=1 HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("GET x:y HTTP/1.1\r\nHost: h\r\nAuthorization: AWS4-HMAC-SHA256 Credential=A/20261129/us-east-1/batch/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + goodSig + "\r\nX-Amz-Date: 20261129T120000Z\r\n\r\n"))
	v := newVerifier(signTime)
	f.Fuzz(func(t *testing.T, wire []byte) {
		r, body, err := readWire(wire)
		if err != nil {
			return
		}
		if _, err := v.Verify(context.Background(), r, body); err != nil {
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("Verify error = %v, want an *AuthError", err)
			}
			return
		}
		a, err := parseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatalf("Verify accepted an Authorization header that does not parse: %v", err)
		}
		if want := sdkResign(t, r, body); a.Signature != want {
			t.Fatalf("Verify accepted signature %s, but the SDK signs this request as %s", a.Signature, want)
		}
	})
}

// sdkResign signs, with aws-sdk-go-v2 and the test secret, a request made of
// exactly the headers r's Authorization lists, as §2.4 of the security notes
// describes, and returns the signature.
func sdkResign(t *testing.T, r *http.Request, body []byte) string {
	t.Helper()
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("parsing an accepted Authorization: %v", err)
	}
	at, err := time.Parse(amzDateLayout, r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("parsing an accepted X-Amz-Date: %v", err)
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.SignedHeaders {
		switch name {
		case "host", "x-amz-date":
		case "content-length":
			values, _ := headerValues(r, name)
			req.ContentLength, _ = strconv.ParseInt(values[0], 10, 64)
		default:
			for _, value := range r.Header.Values(name) {
				req.Header.Add(name, value)
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash(body), a.Service, a.Region, at); err != nil {
		t.Fatalf("re-signing: %v", err)
	}
	b, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("parsing the SDK's Authorization: %v", err)
	}
	return b.Signature
}
