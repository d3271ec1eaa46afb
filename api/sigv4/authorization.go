package sigv4

import (
	"fmt"
	"strings"
)

const (
	// algorithm is the only signing algorithm accepted.
	algorithm = "AWS4-HMAC-SHA256"
	// terminator ends every SigV4 credential scope.
	terminator = "aws4_request"
	// maxKeyIDLen bounds the access key id passed to a SecretSource.
	maxKeyIDLen = 128
)

// authorization is a parsed Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/batch/aws4_request,
//	SignedHeaders=content-type;host;x-amz-date, Signature=<64 hex digits>
type authorization struct {
	AccessKeyID string
	// Date, Region and Service are the credential scope's.
	Date    string
	Region  string
	Service string
	// SignedHeaders are lowercase, sorted and distinct.
	SignedHeaders []string
	// Signature is 64 lowercase hex digits.
	Signature string
}

// scope is the credential scope, as it appears in the string to sign.
func (a authorization) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + terminator
}

// parseAuthorization parses an Authorization header value. Its errors are
// IncompleteSignatureException AuthErrors that say what is malformed.
func parseAuthorization(header string) (authorization, error) {
	alg, params, _ := strings.Cut(header, " ")
	if alg != algorithm {
		return authorization{}, incomplete("unsupported authorization type %s: only %s is accepted", quote(alg), algorithm)
	}
	fields, err := splitParams(params)
	if err != nil {
		return authorization{}, err
	}
	for _, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if _, ok := fields[name]; !ok {
			return authorization{}, incomplete("Authorization header requires '%s' parameter", name)
		}
	}
	a, err := parseCredential(fields["Credential"])
	if err != nil {
		return authorization{}, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(fields["SignedHeaders"]); err != nil {
		return authorization{}, err
	}
	if a.Signature, err = parseSignature(fields["Signature"]); err != nil {
		return authorization{}, err
	}
	return a, nil
}

// splitParams splits "K=v, K=v, K=v" into a map, refusing unknown, empty or
// repeated parameters.
func splitParams(params string) (map[string]string, error) {
	fields := make(map[string]string, 3)
	for part := range strings.SplitSeq(params, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return nil, incomplete("Authorization header parameter %s is not of the form Name=value", quote(part))
		case name != "Credential" && name != "SignedHeaders" && name != "Signature":
			return nil, incomplete("Authorization header has unknown parameter %s", quote(name))
		}
		if _, dup := fields[name]; dup {
			return nil, incomplete("Authorization header has parameter '%s' more than once", name)
		}
		fields[name] = value
	}
	return fields, nil
}

// parseCredential parses AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(cred string) (authorization, error) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return authorization{}, incomplete("Credential %s is not of the form AccessKeyId/yyyymmdd/region/service/%s", quote(cred), terminator)
	}
	a := authorization{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}
	if !isKeyID(a.AccessKeyID) {
		return authorization{}, incomplete("Credential has a malformed access key id: want 1 to %d letters and digits", maxKeyIDLen)
	}
	if !isDigits(a.Date, 8) {
		return authorization{}, incomplete("Credential scope date %s is not of the form yyyymmdd", quote(a.Date))
	}
	if a.Region == "" || a.Service == "" {
		return authorization{}, incomplete("Credential %s has an empty region or service", quote(cred))
	}
	if parts[4] != terminator {
		return authorization{}, incomplete("Credential should be scoped with a valid terminator: '%s', not %s", terminator, quote(parts[4]))
	}
	return a, nil
}

// parseSignedHeaders parses "a;b;c": lowercase header names in strictly
// ascending order, as the SigV4 specification and every AWS signer produce.
func parseSignedHeaders(list string) ([]string, error) {
	names := strings.Split(list, ";")
	for i, name := range names {
		if !isLowerToken(name) {
			return nil, incomplete("SignedHeaders has a malformed header name %s: want lowercase names separated by ';'", quote(name))
		}
		if i > 0 && names[i-1] >= name {
			return nil, incomplete("SignedHeaders %s is not sorted or has a name twice", quote(list))
		}
	}
	return names, nil
}

// parseSignature checks that sig is 64 lowercase hex digits.
func parseSignature(sig string) (string, error) {
	if len(sig) != 64 {
		return "", incomplete("Signature must be 64 hex digits, got %d characters", len(sig))
	}
	for i := 0; i < len(sig); i++ {
		if c := sig[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", incomplete("Signature must be lowercase hex digits")
		}
	}
	return sig, nil
}

func isKeyID(s string) bool {
	if s == "" || len(s) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is a non-empty HTTP header name (RFC 9110
// token) with no uppercase letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// quote quotes s for an error message, shortened so a hostile header cannot
// make the answer large.
func quote(s string) string {
	const maxLen = 40
	if len(s) > maxLen {
		return fmt.Sprintf("%q...", s[:maxLen])
	}
	return fmt.Sprintf("%q", s)
}

// Authorization is a parsed SigV4 Authorization header, for callers that
// check a signed request's shape before sending it on to AWS, which
// verifies its signature (the agent API's STS identities).
type Authorization struct {
	AccessKeyID string
	// Date (YYYYMMDD), Region and Service are the credential scope's.
	Date, Region, Service string
	// SignedHeaders are lowercase, sorted and distinct.
	SignedHeaders []string
}

// ParseAuthorization parses an Authorization header value with the rules
// Verify applies. Its errors are *AuthError that say what is malformed.
func ParseAuthorization(header string) (Authorization, error) {
	a, err := parseAuthorization(header)
	if err != nil {
		return Authorization{}, err
	}
	return Authorization{AccessKeyID: a.AccessKeyID, Date: a.Date, Region: a.Region, Service: a.Service, SignedHeaders: a.SignedHeaders}, nil
}
