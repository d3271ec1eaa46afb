package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestBodyCap(t *testing.T) {
	pad := func(n int) string {
		prefix, suffix := `{"jobs":["`, `"]}`
		return prefix + strings.Repeat("x", n-len(prefix)-len(suffix)) + suffix
	}
	tests := []struct {
		name       string
		max        int64
		body       string
		chunked    bool
		wantStatus int
	}{
		{"at the default cap", 0, pad(DefaultMaxBodyBytes), false, 200},
		{"over the default cap", 0, pad(DefaultMaxBodyBytes + 1), false, 400},
		{"over the cap, length unknown", 0, pad(DefaultMaxBodyBytes + 1), true, 400},
		{"custom cap", 100, pad(101), false, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{}
			opts := testOptions()
			opts.MaxBodyBytes = tt.max
			req := httptest.NewRequest("POST", "/v1/describejobs", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(strings.NewReader(tt.body))
			}
			rec := httptest.NewRecorder()
			New(fb, opts).ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.200s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 200 {
				return
			}
			limit := tt.max
			if limit == 0 {
				limit = DefaultMaxBodyBytes
			}
			e := decodeErrorBody(t, rec)
			if want := fmt.Sprintf("request body exceeds %d bytes", limit); e.Type != codeClient || e.Message != want {
				t.Errorf("error = %s %q, want ClientException %q", e.Type, e.Message, want)
			}
			if n := len(fb.recordedCalls()); n != 0 {
				t.Errorf("backend called %d times, want 0", n)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"bad signature", authFailure{"InvalidSignatureException", "The request signature we calculated does not match"}, 403,
			"InvalidSignatureException", "The request signature we calculated does not match"},
		{"wrapped coded failure", fmt.Errorf("verifying: %w", authFailure{"UnrecognizedClientException", "unknown key"}), 403,
			"UnrecognizedClientException", "unknown key"},
		{"key store throttled", fmt.Errorf("reading key: %w", batch.ErrThrottled), 429, "TooManyRequestsException", "Too Many Requests"},
		{"key store down", errors.New("dynamodb unavailable"), 500, "ServerException", "internal error (request id req-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBackend{}
			opts := testOptions()
			opts.Auth = &fakeAuth{err: tt.err}
			rec := do(t, New(fb, opts), "POST", "/v1/submitjob", `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if e := decodeErrorBody(t, rec); e.Type != tt.wantType || e.Message != tt.wantMsg {
				t.Errorf("error = %s %q, want %s %q", e.Type, e.Message, tt.wantType, tt.wantMsg)
			}
			if n := len(fb.recordedCalls()); n != 0 {
				t.Errorf("backend called %d times, want 0", n)
			}
		})
	}
}

// TestAuthenticationComesFirst checks that unauthenticated callers learn
// nothing: not whether their body parses nor whether the operation exists.
func TestAuthenticationComesFirst(t *testing.T) {
	for _, target := range []string{"/v1/submitjob", "/v1/nope", "/v1/createquotashare", "/tanda/v1/logs"} {
		opts := testOptions()
		opts.Auth = &fakeAuth{err: authFailure{"InvalidSignatureException", "bad"}}
		rec := do(t, New(&fakeBackend{}, opts), "POST", target, `{not json`)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: status = %d, want 403", target, rec.Code)
		}
	}
}

func TestAuthenticatorGetsExactBody(t *testing.T) {
	auth := &fakeAuth{accessKey: "AKID"}
	opts := testOptions()
	opts.Auth = auth
	body := " {\"jobs\" : [\"a\"]}\n"
	do(t, New(&fakeBackend{}, opts), "POST", "/v1/describejobs", body)
	if len(auth.bodies) != 1 || string(auth.bodies[0]) != body {
		t.Errorf("authenticator got %q, want one call with %q", auth.bodies, body)
	}
}

func TestRequestInfoInContext(t *testing.T) {
	fb := &fakeBackend{}
	body := `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`
	req := httptest.NewRequest("POST", "/v1/submitjob", strings.NewReader(body))
	req.Header.Set("amz-sdk-invocation-id", "inv-42")
	New(fb, testOptions()).ServeHTTP(httptest.NewRecorder(), req)
	sum := sha256.Sum256([]byte(body))
	want := batch.RequestInfo{AccessKeyID: "AKIDTEST", InvocationID: "inv-42", RequestID: "req-1", BodySHA256: hex.EncodeToString(sum[:])}
	if got := fb.recordedCalls()[0].info; got != want {
		t.Errorf("request info = %+v, want %+v", got, want)
	}
}

func TestNoAuthenticator(t *testing.T) {
	fb := &fakeBackend{}
	opts := testOptions()
	opts.Auth = nil
	rec := do(t, New(fb, opts), "POST", "/v1/canceljob", `{"jobId":"j","reason":"r"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	if got := fb.recordedCalls()[0].info.AccessKeyID; got != "" {
		t.Errorf("access key = %q, want empty without an authenticator", got)
	}
}
