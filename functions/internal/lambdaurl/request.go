package lambdaurl

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request rebuilds the HTTP request a function URL event carries.
func Request(ctx context.Context, ev events.LambdaFunctionURLRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("decoding the request body: %w", err)
		}
	}
	target := ev.RawPath
	if target == "" {
		target = "/"
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("reading the request target %q: %w", target, err)
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, "/", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("rebuilding the request: %w", err)
	}
	r.URL, r.RequestURI = u, target
	r.ContentLength = int64(len(body))
	if proto := ev.RequestContext.HTTP.Protocol; proto != "" {
		if major, minor, ok := http.ParseHTTPVersion(proto); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = proto, major, minor
		}
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.Host = ev.RequestContext.DomainName
	for name, value := range ev.Headers {
		if strings.EqualFold(name, "host") {
			r.Host = value
			continue
		}
		// One value, as the event has it: splitting at commas would break
		// values that hold commas, and SigV4 joins repeats with commas.
		r.Header[http.CanonicalHeaderKey(name)] = []string{value}
	}
	if len(ev.Cookies) > 0 && r.Header.Get("Cookie") == "" {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	return r, nil
}
