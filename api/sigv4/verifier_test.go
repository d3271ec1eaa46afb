package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const submitBody = `{"jobName":"nightly","jobQueue":"default","jobDefinition":"etl:3"}`

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	for _, tc := range sdkCases {
		t.Run(tc.name, func(t *testing.T) {
			r, body := sdkSigned(t, tc.req)
			id, err := newVerifier(signTime).Verify(context.Background(), r, body)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKeyID != testKeyID {
				t.Errorf("Verify = %+v, want key %s", id, testKeyID)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	post := clientRequest{
		method: "POST", target: "/v1/submitjob", body: submitBody,
		header: [][2]string{{"Content-Type", "application/json"}},
	}
	// edit changes a signed request before it reaches the verifier.
	type edit func(r *http.Request, body []byte) []byte
	setAuth := func(from, to string) edit {
		return func(r *http.Request, body []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
			return body
		}
	}
	tests := []struct {
		name     string
		req      clientRequest
		edit     edit
		wantCode string
		wantMsg  string
	}{
		{
			name: "unsigned", req: post,
			edit:     func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b },
			wantCode: CodeMissingToken, wantMsg: "missing Authentication Token",
		},
		{
			name: "other algorithm", req: post, edit: setAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
			wantCode: CodeIncompleteSignature, wantMsg: "unsupported authorization type",
		},
		{
			name: "two authorization headers", req: post,
			edit: func(r *http.Request, b []byte) []byte {
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return b
			},
			wantCode: CodeIncompleteSignature, wantMsg: "more than one Authorization",
		},
		{
			name: "presigned query", req: clientRequest{method: "GET", target: "/v1/x?X-Amz-Signature=" + goodSig},
			wantCode: CodeIncompleteSignature, wantMsg: "presigned",
		},
		{
			name: "presigned query without header", req: clientRequest{method: "GET", target: "/v1/x?X-Amz-Credential=a"},
			edit:     func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b },
			wantCode: CodeIncompleteSignature, wantMsg: "presigned",
		},
		{
			name: "wrong region", req: withScope(post, "us-west-2", "batch"),
			wantCode: CodeInvalidSignature, wantMsg: "valid region",
		},
		{
			name: "wrong service", req: withScope(post, testRegion, "execute-api"),
			wantCode: CodeInvalidSignature, wantMsg: "correct service: 'batch'",
		},
		{
			name: "wrong terminator", req: post, edit: setAuth("/aws4_request", "/aws4_reques"),
			wantCode: CodeIncompleteSignature, wantMsg: "terminator",
		},
		{
			name: "scope date is not x-amz-date's", req: post, edit: setAuth("/20261129/", "/20261128/"),
			wantCode: CodeInvalidSignature, wantMsg: "scope date 20261128 is not the date of X-Amz-Date 20261129T120000Z",
		},
		{
			name: "x-amz-date missing", req: post,
			edit:     func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Date"); return b },
			wantCode: CodeIncompleteSignature, wantMsg: "'X-Amz-Date'",
		},
		{
			name: "x-amz-date unparseable", req: post,
			edit: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Date", "2026-11-29T12:00:00Z")
				return b
			},
			wantCode: CodeIncompleteSignature, wantMsg: "yyyymmddThhmmssZ",
		},
		{
			name: "host not signed", req: post, edit: setAuth(";host;", ";"),
			wantCode: CodeIncompleteSignature, wantMsg: "must include 'host'",
		},
		{
			name: "x-amz-date not signed", req: post, edit: setAuth(";x-amz-date", ""),
			wantCode: CodeIncompleteSignature, wantMsg: "must include 'x-amz-date'",
		},
		{
			name: "malformed signature", req: post, edit: setAuth("Signature=", "Signature=zz"),
			wantCode: CodeIncompleteSignature, wantMsg: "64 hex digits",
		},
		{
			name: "unknown key", req: withKey(post, "TKIAUNKNOWN000000000", testSecret),
			wantCode: CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid.",
		},
		{
			name: "wrong secret", req: withKey(post, testKeyID, "not-the-secret"),
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "body altered after signing", req: post,
			edit: func(_ *http.Request, b []byte) []byte {
				return []byte(strings.Replace(string(b), "nightly", "nightlx", 1))
			},
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "body altered after signing, content-length unsigned", req: unsignedLength(post),
			edit:     func(_ *http.Request, b []byte) []byte { return append(b, ' ') },
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "signed header altered", req: post,
			edit: func(r *http.Request, b []byte) []byte {
				r.Header.Set("Content-Type", "text/plain")
				return b
			},
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "path altered", req: clientRequest{method: "GET", target: tagsPath},
			edit: func(r *http.Request, b []byte) []byte {
				r.URL.RawPath = strings.Replace(tagsPath, "q1", "q2", 1)
				r.URL.Path = strings.Replace(r.URL.Path, "q1", "q2", 1)
				return b
			},
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "query altered", req: clientRequest{method: "DELETE", target: tagsPath + "?tagKeys=a&tagKeys=b"},
			edit: func(r *http.Request, b []byte) []byte {
				r.URL.RawQuery = "tagKeys=a"
				return b
			},
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "method altered", req: clientRequest{method: "GET", target: tagsPath},
			edit:     func(r *http.Request, b []byte) []byte { r.Method = "DELETE"; return b },
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "extra unsigned x-amz header", req: post,
			edit: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Target", "AWSBatch.TerminateJob")
				return b
			},
			wantCode: CodeIncompleteSignature, wantMsg: "not signed: x-amz-target",
		},
		{
			name: "extra header claimed as signed", req: post,
			edit: func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Target", "AWSBatch.TerminateJob")
				setAuth("x-amz-date", "x-amz-date;x-amz-target")(r, b)
				return b
			},
			wantCode: CodeInvalidSignature, wantMsg: "does not match",
		},
		{
			name: "signed header absent", req: post, edit: func(r *http.Request, b []byte) []byte {
				r.Header.Del("Content-Type")
				return b
			},
			wantCode: CodeInvalidSignature, wantMsg: "'content-type' is listed in SignedHeaders but is not in the request",
		},
		{
			name: "signed content hash differs from body",
			req: clientRequest{
				method: "POST", target: "/v1/submitjob", body: submitBody,
				header: [][2]string{{"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}},
			},
			wantCode: CodeInvalidSignature, wantMsg: "x-amz-content-sha256",
		},
		{
			name: "malformed query", req: clientRequest{method: "GET", target: "/v1/x"},
			edit:     func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "a=%zz"; return b },
			wantCode: CodeIncompleteSignature, wantMsg: "percent-encoded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := sdkSigned(t, tc.req)
			if tc.edit != nil {
				body = tc.edit(r, body)
			}
			_, err := newVerifier(signTime).Verify(context.Background(), r, body)
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("Verify error = %v, want an *AuthError %s", err, tc.wantCode)
			}
			if ae.Code != tc.wantCode || !strings.Contains(ae.Message, tc.wantMsg) {
				t.Errorf("Verify error = %s: %q, want %s containing %q", ae.Code, ae.Message, tc.wantCode, tc.wantMsg)
			}
			if ae.HTTPStatus() != http.StatusForbidden {
				t.Errorf("HTTPStatus = %d, want 403", ae.HTTPStatus())
			}
			if tc.wantCode == CodeUnrecognizedClient && strings.Contains(ae.Error(), "TKIA") {
				t.Errorf("error %q names the access key", ae.Error())
			}
		})
	}
}

func withScope(c clientRequest, region, service string) clientRequest {
	c.region, c.service = region, service
	return c
}

func withKey(c clientRequest, keyID, secret string) clientRequest {
	c.keyID, c.secret = keyID, secret
	return c
}

func unsignedLength(c clientRequest) clientRequest {
	c.unsignedLength = true
	return c
}

func TestVerifyClockSkew(t *testing.T) {
	tests := []struct {
		name    string
		offset  time.Duration // server clock minus signing time
		wantMsg string        // "" for success
	}{
		{"in step", 0, ""},
		{"server 4 min ahead", 4 * time.Minute, ""},
		{"server 4 min behind", -4 * time.Minute, ""},
		{"server exactly 5 min ahead", 5 * time.Minute, ""},
		{"server 6 min ahead", 6 * time.Minute, "Signature expired: 20261129T120000Z is now earlier than 20261129T120100Z (20261129T120600Z - 5m0s.)"},
		{"server 6 min behind", -6 * time.Minute, "Signature not yet current: 20261129T120000Z is still later than 20261129T115900Z (20261129T115400Z + 5m0s.)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := sdkSigned(t, clientRequest{method: "POST", target: "/v1/listjobs", body: "{}"})
			_, err := newVerifier(signTime.Add(tc.offset)).Verify(context.Background(), r, body)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != CodeInvalidSignature || ae.Message != tc.wantMsg {
				t.Errorf("Verify error = %v, want %s: %s", err, CodeInvalidSignature, tc.wantMsg)
			}
		})
	}
}

func TestVerifyCustomSkew(t *testing.T) {
	r, body := sdkSigned(t, clientRequest{method: "POST", target: "/v1/listjobs", body: "{}"})
	v := newVerifier(signTime.Add(2 * time.Minute))
	v.MaxSkew = time.Minute
	var ae *AuthError
	if _, err := v.Verify(context.Background(), r, body); !errors.As(err, &ae) || !strings.HasPrefix(ae.Message, "Signature expired") {
		t.Errorf("Verify with MaxSkew 1m, 2m late: error = %v, want Signature expired", err)
	}
}

// failingSecrets is a SecretSource whose backend is down.
type failingSecrets struct{ err error }

func (f failingSecrets) SecretFor(context.Context, string) (string, error) { return "", f.err }

func TestVerifySecretSourceFailureIsNotAuthError(t *testing.T) {
	down := errors.New("store unavailable")
	v := newVerifier(signTime)
	v.Secrets = failingSecrets{down}
	r, body := sdkSigned(t, clientRequest{method: "POST", target: "/v1/listjobs", body: "{}"})
	_, err := v.Verify(context.Background(), r, body)
	var ae *AuthError
	if !errors.Is(err, down) || errors.As(err, &ae) {
		t.Errorf("Verify error = %v, want a non-AuthError wrapping %v", err, down)
	}
}

func TestVerifyRevokedKeyLooksUnknown(t *testing.T) {
	v := newVerifier(signTime)
	v.Secrets = failingSecrets{errors.Join(errors.New("key TKIAIOSFODNN7EXAMPLE revoked"), ErrUnknownKey)}
	r, body := sdkSigned(t, clientRequest{method: "GET", target: tagsPath})
	_, err := v.Verify(context.Background(), r, body)
	want := &AuthError{Code: CodeUnrecognizedClient, Message: "The security token included in the request is invalid."}
	var ae *AuthError
	if !errors.As(err, &ae) || *ae != *want {
		t.Errorf("Verify error = %v, want %v", err, want)
	}
}

func TestVerifyNeedsConfiguration(t *testing.T) {
	r, body := sdkSigned(t, clientRequest{method: "GET", target: "/v1/x"})
	_, err := (&Verifier{Secrets: secretMap{}}).Verify(context.Background(), r, body)
	var ae *AuthError
	if err == nil || errors.As(err, &ae) {
		t.Errorf("Verify without Region: error = %v, want a configuration error", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	r, body := sdkSigned(b, clientRequest{
		method: "POST", target: "/v1/submitjob", body: submitBody,
		header: [][2]string{{"Content-Type", "application/json"}},
	})
	v := newVerifier(signTime)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}
