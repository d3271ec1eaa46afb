package imds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// errEmptyToken is a 200 answer to the token PUT with no token in it.
var errEmptyToken = errors.New("empty token")

// sessionToken returns the cached session token, fetching a new one when
// there is none or the cached one is close to its expiry.
func (c *Client) sessionToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Clock.Now()
	if c.token != "" && now.Before(c.renewAt) {
		return c.token, nil
	}
	ttl := c.opts.TokenTTL
	h := http.Header{tokenTTLHeader: {strconv.Itoa(int(ttl / time.Second))}}
	status, body, err := c.send(ctx, http.MethodPut, tokenPath, h)
	if err != nil {
		return "", fmt.Errorf("fetching IMDSv2 token: %w", err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("fetching IMDSv2 token: %w", &StatusError{Method: http.MethodPut, Path: tokenPath, Status: status})
	}
	if len(body) == 0 {
		return "", fmt.Errorf("fetching IMDSv2 token: %w", errEmptyToken)
	}
	c.token = string(body)
	c.renewAt = now.Add(ttl - renewMargin(ttl))
	return c.token, nil
}

// renewMargin is how long before its expiry a token is replaced: a minute,
// or a tenth of a short TTL.
func renewMargin(ttl time.Duration) time.Duration {
	return min(time.Minute, ttl/10)
}

// dropToken forgets tok if it is still the cached token, so the next
// request fetches a new one.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}
