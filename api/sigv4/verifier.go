package sigv4

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// DefaultMaxSkew is the clock skew allowed when Verifier.MaxSkew is zero:
// AWS's five minutes.
const DefaultMaxSkew = 5 * time.Minute

// DefaultService is the signing name used when Verifier.Service is empty.
const DefaultService = "batch"

// amzDateLayout is the layout of X-Amz-Date, an ISO 8601 basic UTC time.
const amzDateLayout = "20060102T150405Z"

// SecretSource looks up the secrets of access keys.
type SecretSource interface {
	// SecretFor returns the secret access key of accessKeyID, or an error
	// wrapping ErrUnknownKey if the key does not exist or is revoked.
	SecretFor(ctx context.Context, accessKeyID string) (secret string, err error)
}

// Identity is who signed a verified request.
type Identity struct {
	AccessKeyID string
}

// Verifier checks SigV4 signatures. Its zero MaxSkew means DefaultMaxSkew,
// an empty Service means DefaultService and a nil Clock the system clock;
// Region and Secrets are required. A Verifier is safe for concurrent use if
// its Secrets and Clock are.
type Verifier struct {
	// Region is the region the credential scope must name.
	Region string
	// Service is the signing name the credential scope must name.
	Service string
	Secrets SecretSource
	Clock   batch.Clock
	// MaxSkew is how far X-Amz-Date may be from Clock, either way.
	MaxSkew time.Duration
}

// Verify checks that r, whose body the caller has read into body, carries a
// valid SigV4 signature by a known access key. Rejections are *AuthError
// (HTTP 403); any other error is the verifier's or its SecretSource's
// failure. Verify does not bound the body's size: the caller must.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Identity, error) {
	if v.Region == "" || v.Secrets == nil {
		return Identity{}, errors.New("verifying signature: verifier needs a Region and Secrets")
	}
	if err := refuseQueryAuth(r.URL.RawQuery); err != nil {
		return Identity{}, err
	}
	header, err := singleHeader(r, "Authorization")
	if err != nil {
		return Identity{}, err
	}
	if header == "" {
		return Identity{}, missingToken("Request is missing Authentication Token: sign it with SigV4 in an Authorization header")
	}
	a, err := parseAuthorization(header)
	if err != nil {
		return Identity{}, err
	}
	if err := v.checkScope(a); err != nil {
		return Identity{}, err
	}
	amzDate, err := v.checkDate(r, a.Date)
	if err != nil {
		return Identity{}, err
	}
	if err := checkSignedHeaders(r, a.SignedHeaders); err != nil {
		return Identity{}, err
	}
	hash := payloadHash(body)
	if err := checkContentHash(r, a.SignedHeaders, hash); err != nil {
		return Identity{}, err
	}
	canonical, err := canonicalRequest(r, a.SignedHeaders, hash)
	if err != nil {
		return Identity{}, err
	}
	secret, err := v.Secrets.SecretFor(ctx, a.AccessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return Identity{}, unrecognized()
	}
	if err != nil {
		return Identity{}, fmt.Errorf("verifying signature: looking up access key: %w", err)
	}
	key := signingKey(secret, a.Date, a.Region, a.Service)
	want := sign(key, stringToSign(amzDate, a.scope(), canonical))
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.Signature)) != 1 {
		return Identity{}, invalid("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return Identity{AccessKeyID: a.AccessKeyID}, nil
}

// checkScope checks the credential scope's region and service.
func (v *Verifier) checkScope(a authorization) error {
	if a.Region != v.Region {
		// AWS's JSON services answer exactly "Credential should be scoped
		// to a valid region. "; the rest says what to change.
		return invalid("Credential should be scoped to a valid region. This endpoint serves %s, not %s: configure the client for region %s", v.Region, quote(a.Region), v.Region)
	}
	service := v.Service
	if service == "" {
		service = DefaultService
	}
	if a.Service != service {
		return invalid("Credential should be scoped to correct service: '%s', not %s", service, quote(a.Service))
	}
	return nil
}

// checkDate parses X-Amz-Date, checks that it is the scope's date and within
// the allowed skew of the clock, and returns it.
func (v *Verifier) checkDate(r *http.Request, scopeDate string) (string, error) {
	amzDate, err := singleHeader(r, "X-Amz-Date")
	if err != nil {
		return "", err
	}
	if amzDate == "" {
		return "", incomplete("Authorization header requires existence of a 'X-Amz-Date' header")
	}
	signed, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return "", incomplete("X-Amz-Date %s is not of the form yyyymmddThhmmssZ", quote(amzDate))
	}
	if scopeDate != amzDate[:8] {
		return "", invalid("Credential scope date %s is not the date of X-Amz-Date %s", scopeDate, amzDate)
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	clock := v.Clock
	if clock == nil {
		clock = batch.SystemClock{}
	}
	now := clock.Now().UTC()
	earliest, latest := now.Add(-skew), now.Add(skew)
	switch {
	case signed.Before(earliest):
		return "", invalid("Signature expired: %s is now earlier than %s (%s - %s.)",
			amzDate, earliest.Format(amzDateLayout), now.Format(amzDateLayout), skew)
	case signed.After(latest):
		return "", invalid("Signature not yet current: %s is still later than %s (%s + %s.)",
			amzDate, latest.Format(amzDateLayout), now.Format(amzDateLayout), skew)
	}
	return amzDate, nil
}

// checkSignedHeaders requires host and x-amz-date to be signed, and every
// x-amz-* header in the request.
func checkSignedHeaders(r *http.Request, signed []string) error {
	for _, name := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, name) {
			return incomplete("SignedHeaders must include '%s'", name)
		}
	}
	var unsigned []string
	for name := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && !slices.Contains(signed, lower) {
			unsigned = append(unsigned, lower)
		}
	}
	if len(unsigned) > 0 {
		slices.Sort(unsigned)
		return incomplete("There were headers present in the request which were not signed: %s", strings.Join(unsigned, ", "))
	}
	return nil
}

// checkContentHash requires a signed x-amz-content-sha256 to be the hash of
// the body received.
func checkContentHash(r *http.Request, signed []string, hash string) error {
	if !slices.Contains(signed, "x-amz-content-sha256") {
		return nil
	}
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != hash {
		return invalid("x-amz-content-sha256 %s is not the SHA-256 of the body received", quote(got))
	}
	return nil
}

// refuseQueryAuth refuses presigned requests: the Batch API is called with
// an Authorization header only.
func refuseQueryAuth(rawQuery string) error {
	if rawQuery == "" {
		return nil
	}
	for pair := range strings.SplitSeq(rawQuery, "&") {
		name, _, _ := strings.Cut(pair, "=")
		if decoded, err := url.QueryUnescape(name); err == nil {
			name = decoded
		}
		switch strings.ToLower(name) {
		case "x-amz-signature", "x-amz-credential", "x-amz-algorithm":
			return incomplete("query-string (presigned) authentication is not supported: sign the request with an Authorization header")
		}
	}
	return nil
}

// singleHeader returns a header's value, "" if absent, refusing repeats.
func singleHeader(r *http.Request, name string) (string, error) {
	values := r.Header.Values(name)
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return values[0], nil
	default:
		return "", incomplete("request has more than one %s header", name)
	}
}
