// Package lambdaurltest plays a Lambda function URL in tests: it makes of
// an HTTP request the event Lambda would hand the function, and of the
// function's answer the HTTP response the client would get, so that an
// AWS SDK client can call a function URL handler in process or through
// the Lambda Runtime Interface Emulator.
package lambdaurltest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
)

// Event is the function URL event (payload format 2.0) of r: header names
// in lower case, a repeated header's values joined with commas, the host
// as a header, cookies apart as well as in the Cookie header, the body as
// text when it is UTF-8 and in base64 otherwise. It reads r's body.
func Event(r *http.Request) (events.LambdaFunctionURLRequest, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return events.LambdaFunctionURLRequest{}, fmt.Errorf("reading the request body: %w", err)
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	now := time.Now().UTC()
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{"host": host, "x-forwarded-proto": "https", "x-forwarded-port": "443", "x-forwarded-for": "203.0.113.7"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:  "anonymous",
			RequestID:  strconv.FormatInt(now.UnixNano(), 36),
			DomainName: host,
			Time:       now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		// What Go's transport sends for ContentLength.
		ev.Headers["content-length"] = strconv.Itoa(len(body))
	}
	for name, values := range r.Header {
		ev.Headers[strings.ToLower(name)] = strings.Join(values, ",")
	}
	for _, c := range r.Cookies() {
		ev.Cookies = append(ev.Cookies, c.String())
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev, nil
}

// Response is the HTTP response to r that a function URL makes of the
// function's answer.
func Response(r *http.Request, resp events.LambdaFunctionURLResponse) (*http.Response, error) {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return nil, fmt.Errorf("decoding the response body: %w", err)
		}
	}
	h := http.Header{}
	for name, value := range resp.Headers {
		h.Set(name, value)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r,
	}, nil
}

// Client is a function URL in front of Invoke (a handler, or a call to
// the function), for an SDK client's HTTPClient.
type Client struct{ Invoke lambdaurl.Func }

// Do sends r through the function URL.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	ev, err := Event(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.Invoke(r.Context(), ev)
	if err != nil {
		return nil, err
	}
	return Response(r, resp)
}
