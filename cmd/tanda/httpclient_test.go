//go:build linux

package main

import (
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// readOnlyBodyClient works around a race in smithy-go v1.28.9 (the newest):
// the SDK closes a request's body as soon as the response headers arrive,
// and its closed body's WriteTo returns io.EOF as an error. When a fast
// server answers before net/http's writer has made its final read of the
// body (through WriteTo), the writer takes that EOF for a failure and
// closes the connection under the response, and the call fails with "failed
// to decode response body ... use of closed network connection". Hiding
// WriteTo makes that last read a plain Read, whose EOF is no error.
type readOnlyBodyClient struct{ next *awshttp.BuildableClient }

func (c readOnlyBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.next.Do(r)
}
