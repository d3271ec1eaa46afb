// Package rolecredstest serves job role credentials in tests, and reads
// the environment a grant gives a job.
package rolecredstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// Serve serves r's Endpoint until stop is called or the test ends, as an
// agent does while it runs; an error from Serve fails the test. stop may
// be called more than once.
func Serve(t testing.TB, r *rolecreds.Roles) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serving job role credentials: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// Env is the URI and token of a grant's environment (rolecreds.EnvFullURI
// and EnvToken), "" where missing.
func Env(env []string) (uri, token string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case rolecreds.EnvFullURI:
			uri = v
		case rolecreds.EnvToken:
			token = v
		}
	}
	return uri, token
}

// Answer is the endpoint's answer to a GET.
type Answer struct {
	Status      int
	ContentType string
	// Body is the JSON object answered: the credentials, or code and
	// message.
	Body map[string]string
}

// Get asks uri for credentials as a job's SDK does, with token as the
// Authorization header (none when ""). Its error is the request's, as
// when nothing listens at uri, or a body that is no JSON object.
func Get(ctx context.Context, uri, token string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("asking for credentials: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("asking for credentials: %w", err)
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if err := json.NewDecoder(resp.Body).Decode(&a.Body); err != nil {
		return a, fmt.Errorf("decoding the endpoint's answer (status %d): %w", a.Status, err)
	}
	return a, nil
}
