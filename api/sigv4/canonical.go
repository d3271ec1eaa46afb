package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// canonicalRequest is the SigV4 canonical request of r: method, canonical
// URI, canonical query string, canonical headers, signed header list and
// payload hash, separated by newlines.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) (string, error) {
	if r.URL.Opaque != "" {
		return "", incomplete("request target %s is not a path", quote(r.URL.String()))
	}
	query, err := canonicalQuery(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	headers, err := canonicalHeaders(r, signed)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.EscapedPath()))
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	b.WriteString(headers)
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// canonicalURI encodes an escaped path once more, as SigV4 requires for
// every service but S3: each byte other than an unreserved character or '/'
// becomes %XX, so an escaped "%3A" becomes "%253A".
func canonicalURI(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	return encode(escapedPath, true)
}

// canonicalQuery decodes the raw query's name=value pairs and re-encodes
// them strictly, sorted by name and then value (after encoding, as the
// specification says). A '+' decodes to a space. A query that does not
// decode is refused rather than guessed at.
func canonicalQuery(rawQuery string) (string, error) {
	if rawQuery == "" {
		return "", nil
	}
	var pairs []queryPair
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return "", incomplete("query string has a ';': encode it as %%3B")
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return "", incomplete("query string parameter %s is not properly percent-encoded", quote(rawName))
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return "", incomplete("query string value of %s is not properly percent-encoded", quote(name))
		}
		pairs = append(pairs, queryPair{encode(name, false), encode(value, false)})
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String(), nil
}

// queryPair is an encoded query parameter.
type queryPair struct{ name, value string }

// canonicalHeaders lists the signed headers as "name:value\n" lines in the
// order given (sorted). Repeated headers are joined with ','; values are
// trimmed and runs of spaces collapse to one.
func canonicalHeaders(r *http.Request, signed []string) (string, error) {
	var b strings.Builder
	for _, name := range signed {
		values, ok := headerValues(r, name)
		if !ok {
			return "", invalid("header '%s' is listed in SignedHeaders but is not in the request", name)
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// headerValues returns a header's values, restoring those Go's server moves
// out of r.Header: Host, and Content-Length or Transfer-Encoding when the
// header map lacks them.
func headerValues(r *http.Request, name string) ([]string, bool) {
	switch name {
	case "host":
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		return []string{host}, host != ""
	case "content-length":
		if v := r.Header.Values(name); len(v) > 0 {
			return v, true
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}, true
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}, true
		}
	}
	v := r.Header.Values(name)
	return v, len(v) > 0
}

// trimAll collapses runs of spaces to one and trims leading and trailing
// white space, as aws-sdk-go-v2's signer does.
func trimAll(v string) string {
	if strings.Contains(v, "  ") {
		var b strings.Builder
		b.Grow(len(v))
		for i := 0; i < len(v); i++ {
			if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
				continue
			}
			b.WriteByte(v[i])
		}
		v = b.String()
	}
	return strings.TrimSpace(v)
}

// encode percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ (and '/' if
// keepSlash) with uppercase hex.
func encode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// stringToSign is what the signature is the HMAC of.
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// signingKey derives the key for one day, region and service from a secret.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// sign is the hex signature of a string to sign.
func sign(key []byte, toSign string) string {
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// payloadHash is the hex SHA-256 of a body.
func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
