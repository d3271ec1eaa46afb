// Package awsclient holds what Tanda's own AWS SDK clients share.
package awsclient

import (
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPClient is the SDK's default HTTP client with a workaround for a race
// in smithy-go v1.28.9 (the newest release): the SDK closes a request's
// body when the response headers arrive, and the closed body's WriteTo
// returns io.EOF as an error. When a fast server answers before net/http
// has made its last read of the body through WriteTo, net/http takes that
// EOF for a failed write and closes the connection under the response;
// the call then fails with "failed to decode response body ... use of
// closed network connection". Hiding WriteTo makes that last read a plain
// Read, whose EOF is no error.
func HTTPClient() Doer { return Wrap(nil) }

// Doer sends HTTP requests: aws.HTTPClient.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Wrap applies the workaround to a client an SDK config already has (one
// loaded with a custom CA bundle, say); nil wraps the SDK's default client.
func Wrap(next Doer) Doer {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return readOnlyBody{next: next}
}

type readOnlyBody struct{ next Doer }

func (c readOnlyBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.next.Do(r)
}
