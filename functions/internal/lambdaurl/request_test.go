package lambdaurl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"testing"

	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
)

func TestRequest(t *testing.T) {
	gzipBody, _ := base64.StdEncoding.DecodeString("H4sIAAAAAAAA/6tWKklMT1Wyqq0FAPohJZ4MAAAA")
	tests := []struct {
		file          string
		method        string
		escapedPath   string
		rawQuery      string
		host          string
		headers       http.Header // a subset of the request's
		body          []byte
		remoteAddr    string
		absentHeaders []string
	}{
		{
			file: "describe-job-queues.json", method: "POST",
			escapedPath: "/v1/describejobqueues", host: "abcdefghij1234567890.lambda-url.us-east-1.on.aws",
			headers: http.Header{
				"Content-Type":   {"application/json"},
				"Content-Length": {"47"},
				"X-Amz-Date":     {"20261129T120000Z"},
			},
			body:          []byte(`{"jobQueues":["high-priority"],"maxResults":10}`),
			remoteAddr:    "203.0.113.7",
			absentHeaders: []string{"Host", "Cookie"},
		},
		{
			file: "list-tags-escaped-path.json", method: "GET",
			escapedPath: "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob-queue%2Fhigh-priority",
			rawQuery:    "tagKeys=team&tagKeys=cost%20centre&verbose",
			host:        "abcdefghij1234567890.lambda-url.us-east-1.on.aws",
			headers: http.Header{
				"X-Tanda-Trace": {"one,two"},
				"Cookie":        {"session=0f3a9c; theme=dark"},
			},
			body:       []byte{},
			remoteAddr: "198.51.100.23",
		},
		{
			file: "binary-body.json", method: "PUT",
			escapedPath: "/upload", host: "abcdefghij1234567890.lambda-url.us-east-1.on.aws",
			headers: http.Header{
				"Content-Type": {"application/octet-stream"},
				// The cookie header the event has is kept, not doubled.
				"Cookie": {"session=0f3a9c; theme=dark"},
			},
			body:       gzipBody,
			remoteAddr: "203.0.113.7",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := lambdaurl.Request(context.Background(), readEvent(t, tt.file))
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			if r.Method != tt.method || r.URL.EscapedPath() != tt.escapedPath || r.URL.RawQuery != tt.rawQuery || r.Host != tt.host {
				t.Errorf("request = %s %s ? %s (host %s), want %s %s ? %s (host %s)",
					r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Host, tt.method, tt.escapedPath, tt.rawQuery, tt.host)
			}
			wantURI := tt.escapedPath
			if tt.rawQuery != "" {
				wantURI += "?" + tt.rawQuery
			}
			if r.RequestURI != wantURI {
				t.Errorf("RequestURI = %q, want %q", r.RequestURI, wantURI)
			}
			for name, want := range tt.headers {
				if got := r.Header.Values(name); len(got) != len(want) || got[0] != want[0] {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range tt.absentHeaders {
				if v, ok := r.Header[name]; ok {
					t.Errorf("header %s = %q, want none", name, v)
				}
			}
			body, err := io.ReadAll(r.Body)
			if err != nil || !bytes.Equal(body, tt.body) || r.ContentLength != int64(len(tt.body)) {
				t.Errorf("body = %q (length %d, %v), want %q", body, r.ContentLength, err, tt.body)
			}
			if r.RemoteAddr != tt.remoteAddr || r.Proto != "HTTP/1.1" {
				t.Errorf("from %s over %s, want %s over HTTP/1.1", r.RemoteAddr, r.Proto, tt.remoteAddr)
			}
		})
	}
}

func TestRequestRefusesABadPath(t *testing.T) {
	if r, err := lambdaurl.Request(context.Background(), readEvent(t, "bad-escape.json")); err == nil {
		t.Errorf("Request = %s, want an error", r.URL)
	}
}

// TestSignedEventsVerify checks that requests the AWS CLI and curl signed,
// as Lambda hands them over, verify once rebuilt, and that a changed byte
// makes them fail.
func TestSignedEventsVerify(t *testing.T) {
	tests := []struct {
		file   string
		tamper func(body *string, headers map[string]string)
	}{
		{"describe-job-queues.json", func(body *string, _ map[string]string) { *body = `{"jobQueues":["low-priority"],"maxResults":10}` }},
		{"list-tags-escaped-path.json", func(_ *string, h map[string]string) { h["x-tanda-trace"] = "one, two" }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := readEvent(t, tt.file)
			verify := func() error {
				r, err := lambdaurl.Request(context.Background(), ev)
				if err != nil {
					t.Fatalf("Request: %v", err)
				}
				body, _ := io.ReadAll(r.Body)
				id, err := verifier(signedAt).Verify(context.Background(), r, body)
				if err == nil && id.AccessKeyID != testKeyID {
					t.Errorf("verified as %s, want %s", id.AccessKeyID, testKeyID)
				}
				return err
			}
			if err := verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			tt.tamper(&ev.Body, ev.Headers)
			if err := verify(); !isAuthError(err) {
				t.Errorf("Verify after tampering = %v, want a signature rejection", err)
			}
		})
	}
}
