package imds_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
)

// route answers the n-th GET (from 1) of one path with a status and body.
type route func(n int) (status int, body string)

// always answers every GET the same way.
func always(status int, body string) route {
	return func(int) (int, string) { return status, body }
}

// fakeIMDS is an IMDSv2 stand-in: GETs need a live token from a PUT, or
// get 401; tokens expire by the test's clock. Paths without a route are 404.
type fakeIMDS struct {
	URL   string
	clock *batchtest.Clock

	mu           sync.Mutex
	routes       map[string]route
	tokens       map[string]time.Time // token -> expiry
	puts         int
	unauthorized int
	gets         map[string]int
	onGet        func(path string, n int) // called after each GET, outside mu
}

func newFakeIMDS(t *testing.T, clock *batchtest.Clock, routes map[string]route) *fakeIMDS {
	t.Helper()
	f := &fakeIMDS{clock: clock, routes: routes, tokens: map[string]time.Time{}, gets: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeIMDS) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		f.issueToken(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	f.mu.Lock()
	exp, ok := f.tokens[r.Header.Get("X-aws-ec2-metadata-token")]
	if !ok || !f.clock.Now().Before(exp) {
		f.unauthorized++
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.gets[r.URL.Path]++
	n := f.gets[r.URL.Path]
	rt, ok := f.routes[r.URL.Path]
	onGet := f.onGet
	f.mu.Unlock()

	status, body := http.StatusNotFound, ""
	if ok {
		status, body = rt(n)
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body)
	if onGet != nil {
		onGet(r.URL.Path, n)
	}
}

func (f *fakeIMDS) issueToken(w http.ResponseWriter, r *http.Request) {
	secs, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
	if err != nil || secs < 1 || secs > 21600 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.puts++
	tok := fmt.Sprintf("token-%d", f.puts)
	f.tokens[tok] = f.clock.Now().Add(time.Duration(secs) * time.Second)
	f.mu.Unlock()
	fmt.Fprint(w, tok)
}

// revokeTokens makes every token issued so far invalid, as a restart of
// IMDS would.
func (f *fakeIMDS) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

func (f *fakeIMDS) counts() (puts, unauthorized int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.unauthorized
}

func (f *fakeIMDS) getsOf(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[path]
}

func (f *fakeIMDS) setOnGet(fn func(path string, n int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onGet = fn
}

// newFakeClock is a clock the test moves by hand.
func newFakeClock() *batchtest.Clock {
	return batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
}
