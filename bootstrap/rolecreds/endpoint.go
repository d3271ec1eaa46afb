package rolecreds

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Environment variables the SDKs read.
const (
	EnvFullURI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvToken   = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
)

// pathPrefix is the credentials' path on the Endpoint; the attempt's id
// follows it.
const pathPrefix = "/v1/credentials/"

// Endpoint serves each registered attempt's credentials to the holder of
// its token. It is safe for concurrent use.
type Endpoint struct {
	ln   net.Listener
	base string // http://host:port
	log  *slog.Logger

	mu     sync.Mutex
	grants map[string]*registration // by id
}

// registration is one attempt's credentials on the Endpoint.
type registration struct {
	token   string
	session *Session
	attempt Attempt
}

// NewEndpoint serves on ln (Serve starts it); the URIs it hands out name
// ln's address. A nil logger logs nothing.
func NewEndpoint(ln net.Listener, log *slog.Logger) *Endpoint {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Endpoint{ln: ln, base: "http://" + ln.Addr().String(), log: log, grants: map[string]*registration{}}
}

// Addr is the address the Endpoint listens on.
func (e *Endpoint) Addr() net.Addr { return e.ln.Addr() }

// Serve answers requests until ctx is done, then closes the listener and
// waits for the requests in flight (a few seconds at most).
func (e *Endpoint) Serve(ctx context.Context) error {
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	err := srv.Serve(e.ln)
	cancel() // when Serve failed on its own
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serving job role credentials on %s: %w", e.base, err)
}

// Register serves s's credentials for attempt a until revoke is called. env
// is what the attempt's environment gets: the URI and the token.
func (e *Endpoint) Register(a Attempt, s *Session) (env []string, revoke func(), err error) {
	id, err := random(16)
	if err != nil {
		return nil, nil, err
	}
	token, err := random(32)
	if err != nil {
		return nil, nil, err
	}
	e.mu.Lock()
	e.grants[id] = &registration{token: token, session: s, attempt: a}
	e.mu.Unlock()
	var once sync.Once
	revoke = func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.grants, id)
			e.mu.Unlock()
		})
	}
	return []string{EnvFullURI + "=" + e.base + pathPrefix + id, EnvToken + "=" + token}, revoke, nil
}

// random is n random bytes in hex.
func random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a credentials token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// response is the body the SDKs read (aws-sdk-go-v2's
// credentials/endpointcreds; ECS's task role endpoint gives the same).
type response struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	RoleArn         string `json:"RoleArn"`
}

// ServeHTTP answers GET /v1/credentials/<id> with Authorization: <token>.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		fail(w, http.StatusNotFound, "NotFound", "no such path: credentials are at "+pathPrefix+"<id>")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fail(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
		return
	}
	token := r.Header.Get("Authorization")
	if token == "" {
		fail(w, http.StatusUnauthorized, "Unauthorized", "the request has no Authorization header ("+EnvToken+")")
		return
	}
	e.mu.Lock()
	g := e.grants[id]
	e.mu.Unlock()
	// An unknown id and a wrong token get the same answer, in the same time.
	want := token + "x" // never equal, when the id is unknown
	if g != nil {
		want = g.token
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		fail(w, http.StatusForbidden, "AccessDenied", "the token does not match a running attempt's")
		return
	}
	c, err := g.session.Credentials(r.Context())
	if err != nil {
		e.log.Warn("job role credentials", "job", g.attempt.JobID, "attempt", g.attempt.Attempt, "role", g.attempt.RoleARN, "err", err)
		fail(w, http.StatusInternalServerError, "AssumeRoleFailed", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(response{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      c.Expires.UTC().Format(time.RFC3339),
		RoleArn:         g.attempt.RoleARN,
	})
}

// fail answers with an error the SDKs read: {"code", "message"} as JSON.
func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, msg})
}
