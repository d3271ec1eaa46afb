package imds

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/backoff"
)

// DefaultEndpoint is the link-local address of IMDS on EC2.
const DefaultEndpoint = "http://169.254.169.254"

const (
	tokenPath      = "/latest/api/token"
	tokenHeader    = "X-aws-ec2-metadata-token"
	tokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"

	maxTokenTTL = 6 * time.Hour // the longest TTL IMDS grants
	maxBody     = 1 << 20       // user data is at most 16 KiB; this bounds a bad server
)

// Options tunes a Client. The zero value suits EC2.
type Options struct {
	// HTTPClient sends the requests. The default has a 2s timeout and never
	// uses a proxy: IMDS is link-local.
	HTTPClient *http.Client
	// TokenTTL is the lifetime asked for each session token, between 1s and
	// 6h (the default).
	TokenTTL time.Duration
	// Clock tells when a cached token is due for renewal.
	Clock batch.Clock
	// Tries bounds the attempts of one request on network errors and 5xx
	// answers (3).
	Tries int
	// Backoff is the wait before the first retry; it doubles after each
	// (100ms).
	Backoff time.Duration
}

func (o *Options) defaults() {
	if o.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		o.HTTPClient = &http.Client{Timeout: 2 * time.Second, Transport: tr}
	}
	if o.TokenTTL <= 0 || o.TokenTTL > maxTokenTTL {
		o.TokenTTL = maxTokenTTL
	}
	if o.TokenTTL < time.Second {
		o.TokenTTL = time.Second
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Tries <= 0 {
		o.Tries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 100 * time.Millisecond
	}
}

// Client reads instance metadata through IMDSv2. It is safe for concurrent
// use.
type Client struct {
	endpoint string
	opts     Options

	mu      sync.Mutex // guards the cached token; held while fetching one
	token   string
	renewAt time.Time
}

// New returns a client for the IMDS at endpoint (DefaultEndpoint when
// empty).
func New(endpoint string, opts Options) *Client {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	opts.defaults()
	return &Client{endpoint: strings.TrimRight(endpoint, "/"), opts: opts}
}

// StatusError is an answer from IMDS that is neither a success nor one the
// client handles itself.
type StatusError struct {
	Method, Path string
	Status       int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d", e.Method, e.Path, e.Status)
}

// get reads path with the session token. found is false when IMDS answers
// 404. A 401 (the token expired or was revoked) is retried once with a new
// token.
func (c *Client) get(ctx context.Context, path string) (body []byte, found bool, err error) {
	for retried := false; ; retried = true {
		tok, err := c.sessionToken(ctx)
		if err != nil {
			return nil, false, err
		}
		status, body, err := c.send(ctx, http.MethodGet, path, http.Header{tokenHeader: {tok}})
		if err != nil {
			return nil, false, err
		}
		switch {
		case status == http.StatusOK:
			return body, true, nil
		case status == http.StatusNotFound:
			return nil, false, nil
		case status == http.StatusUnauthorized && !retried:
			c.dropToken(tok)
			continue
		}
		return nil, false, &StatusError{Method: http.MethodGet, Path: path, Status: status}
	}
}

// send makes one request, retried with backoff on network errors and 5xx
// answers; it returns the first other answer.
func (c *Client) send(ctx context.Context, method, path string, h http.Header) (int, []byte, error) {
	var lastErr error
	for try := 0; try < c.opts.Tries; try++ {
		if try > 0 {
			if err := backoff.Sleep(ctx, c.opts.Backoff<<(try-1)); err != nil {
				return 0, nil, fmt.Errorf("%s %s: %w (last: %w)", method, path, err, lastErr)
			}
		}
		status, body, err := c.sendOnce(ctx, method, path, h)
		switch {
		case ctx.Err() != nil:
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		case err != nil:
			lastErr = err
		case status >= 500:
			lastErr = &StatusError{Method: method, Path: path, Status: status}
		default:
			return status, body, nil
		}
	}
	return 0, nil, fmt.Errorf("giving up after %d tries: %w", c.opts.Tries, lastErr)
}

func (c *Client) sendOnce(ctx context.Context, method, path string, h http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("building request %s %s: %w", method, path, err)
	}
	req.Header = h
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("sending %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("reading %s %s: %w", method, path, err)
	}
	return resp.StatusCode, body, nil
}
