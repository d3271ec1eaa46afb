package sigv4

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const goodSig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

func TestParseAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/batch/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + goodSig
	tests := []struct {
		name    string
		header  string
		want    authorization
		wantMsg string // substring of the error; "" for success
	}{
		{name: "botocore form", header: good, want: authorization{
			AccessKeyID: "AKID", Date: "20261129", Region: "us-east-1", Service: "batch",
			SignedHeaders: []string{"content-type", "host", "x-amz-date"}, Signature: goodSig,
		}},
		{name: "no spaces after commas, any order", header: "AWS4-HMAC-SHA256 Signature=" + goodSig + ",SignedHeaders=host;x-amz-date,Credential=AKID/20261129/eu-west-1/batch/aws4_request", want: authorization{
			AccessKeyID: "AKID", Date: "20261129", Region: "eu-west-1", Service: "batch",
			SignedHeaders: []string{"host", "x-amz-date"}, Signature: goodSig,
		}},
		{name: "other algorithm", header: "AWS4-ECDSA-P256-SHA256 Credential=x", wantMsg: "unsupported authorization type"},
		{name: "basic auth", header: "Basic dXNlcjpwYXNz", wantMsg: "unsupported authorization type"},
		{name: "algorithm only", header: "AWS4-HMAC-SHA256", wantMsg: "not of the form Name=value"},
		{name: "missing signature", header: "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/batch/aws4_request, SignedHeaders=host", wantMsg: "requires 'Signature'"},
		{name: "unknown parameter", header: good + ", Extra=1", wantMsg: "unknown parameter"},
		{name: "repeated parameter", header: good + ", Signature=" + goodSig, wantMsg: "more than once"},
		{name: "short credential", header: strings.Replace(good, "/batch/aws4_request", "/aws4_request", 1), wantMsg: "Credential"},
		{name: "bad terminator", header: strings.Replace(good, "aws4_request", "aws4_reques", 1), wantMsg: "valid terminator"},
		{name: "bad scope date", header: strings.Replace(good, "20261129", "2026-11-29", 1), wantMsg: "yyyymmdd"},
		{name: "empty region", header: strings.Replace(good, "/us-east-1/", "//", 1), wantMsg: "empty region"},
		{name: "bad key id", header: strings.Replace(good, "AKID", "AK ID", 1), wantMsg: "access key id"},
		{name: "uppercase signed header", header: strings.Replace(good, "content-type", "Content-Type", 1), wantMsg: "malformed header name"},
		{name: "unsorted signed headers", header: strings.Replace(good, "content-type;host", "host;content-type", 1), wantMsg: "not sorted"},
		{name: "empty signed header", header: strings.Replace(good, "content-type;host", "content-type;;host", 1), wantMsg: "malformed header name"},
		{name: "short signature", header: strings.Replace(good, goodSig, goodSig[:63], 1), wantMsg: "64 hex digits"},
		{name: "uppercase signature", header: strings.Replace(good, goodSig, strings.ToUpper(goodSig), 1), wantMsg: "lowercase hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAuthorization(tc.header)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("parseAuthorization: %v", err)
				}
				if !equalAuthorization(got, tc.want) {
					t.Errorf("parseAuthorization = %+v, want %+v", got, tc.want)
				}
				return
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != CodeIncompleteSignature || !strings.Contains(ae.Message, tc.wantMsg) {
				t.Errorf("parseAuthorization error = %v, want %s containing %q", err, CodeIncompleteSignature, tc.wantMsg)
			}
		})
	}
}

func equalAuthorization(a, b authorization) bool {
	return a.AccessKeyID == b.AccessKeyID && a.Date == b.Date && a.Region == b.Region &&
		a.Service == b.Service && a.Signature == b.Signature && slices.Equal(a.SignedHeaders, b.SignedHeaders)
}

// FuzzParseAuthorization checks that the parser never panics, that it fails
// only with IncompleteSignatureException, and that what it accepts is well
// formed and round-trips.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/batch/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + goodSig)
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/batch/aws4_request,SignedHeaders=host,Signature=" + goodSig)
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,")
	f.Add("AWS4-HMAC-SHA256 Credential==, Credential==")
	f.Add("")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := parseAuthorization(header)
		if err != nil {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Code != CodeIncompleteSignature {
				t.Fatalf("parseAuthorization(%q) error = %v, want an %s", header, err, CodeIncompleteSignature)
			}
			if len(ae.Message) > 300 {
				t.Errorf("error message is %d bytes long: %q", len(ae.Message), ae.Message)
			}
			return
		}
		if !isKeyID(a.AccessKeyID) || !isDigits(a.Date, 8) || a.Region == "" || a.Service == "" || len(a.Signature) != 64 {
			t.Fatalf("parseAuthorization(%q) accepted a malformed value: %+v", header, a)
		}
		for i, h := range a.SignedHeaders {
			if !isLowerToken(h) || (i > 0 && a.SignedHeaders[i-1] >= h) {
				t.Fatalf("parseAuthorization(%q) accepted signed headers %q", header, a.SignedHeaders)
			}
		}
		again := algorithm + " Credential=" + a.AccessKeyID + "/" + a.scope() +
			", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + ", Signature=" + a.Signature
		b, err := parseAuthorization(again)
		if err != nil || !equalAuthorization(a, b) {
			t.Fatalf("re-parsing %q = %+v, %v; want %+v", again, b, err, a)
		}
	})
}
