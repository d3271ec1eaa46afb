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
	"net/url"
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
	// addrs are the addresses listened on (ln's, and those Reregister
	// took back), host:port.
	addrs map[string]bool
	// pending are listeners Reregister opened before Serve started;
	// Serve serves them with ln.
	pending []net.Listener
	// serve, while Serve runs, serves one more listener; nil before
	// Serve starts and once it has stopped.
	serve   func(net.Listener)
	stopped bool // Serve has stopped: no listener is added any more
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
	addr := ln.Addr().String()
	return &Endpoint{ln: ln, base: "http://" + addr, log: log, grants: map[string]*registration{}, addrs: map[string]bool{addr: true}}
}

// Addr is the address the Endpoint listens on.
func (e *Endpoint) Addr() net.Addr { return e.ln.Addr() }

// Serve answers requests until ctx is done, then closes the listeners and
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
	// Each listener is served by a goroutine of its own, all of them
	// owned here: the first to fail, or ctx, stops them all.
	var listeners sync.WaitGroup
	failed := make(chan error, 1)
	serve := func(ln net.Listener) {
		listeners.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				select {
				case failed <- fmt.Errorf("serving job role credentials on %s: %w", ln.Addr(), err):
				default:
				}
				cancel()
			}
		})
	}
	e.mu.Lock()
	if e.serve != nil || e.stopped {
		e.mu.Unlock()
		return errors.New("serving job role credentials: the endpoint is served already")
	}
	serve(e.ln)
	for _, ln := range e.pending {
		serve(ln)
	}
	e.pending, e.serve = nil, serve
	e.mu.Unlock()

	<-ctx.Done()
	e.mu.Lock()
	e.serve, e.stopped = nil, true
	e.mu.Unlock()
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shut) // closes every listener srv serves
	listeners.Wait()
	select {
	case err := <-failed:
		return err
	default:
		return nil
	}
}

// Register serves s's credentials for attempt a until revoke is called. env
// is what the attempt's environment gets: the URI and the token.
func (e *Endpoint) Register(a Attempt, s *Session) (env []string, revoke func(), err error) {
	id, err := random(idBytes)
	if err != nil {
		return nil, nil, err
	}
	token, err := random(tokenBytes)
	if err != nil {
		return nil, nil, err
	}
	revoke, err = e.register(id, token, a, s)
	if err != nil {
		return nil, nil, err
	}
	return []string{EnvFullURI + "=" + e.base + pathPrefix + id, EnvToken + "=" + token}, revoke, nil
}

// The sizes of an attempt's random id and token, in bytes (twice as many
// hex digits).
const (
	idBytes    = 16
	tokenBytes = 32
)

// register serves s's credentials under id to the holder of token.
func (e *Endpoint) register(id, token string, a Attempt, s *Session) (revoke func(), err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, taken := e.grants[id]; taken {
		return nil, fmt.Errorf("registering job role credentials of job %s attempt %d: their id is registered already", a.JobID, a.Attempt)
	}
	e.grants[id] = &registration{token: token, session: s, attempt: a}
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.grants, id)
			e.mu.Unlock()
		})
	}, nil
}

// Reregister serves s's credentials for attempt a again under the URI and
// token an earlier Endpoint gave it (the values of EnvFullURI and EnvToken
// in its environment), as after an agent restart: the attempt's SDK goes
// on fetching from where it always did, with the token it has. It refuses
// a URI or token that is not one Register makes, and an id registered
// already.
//
// When the URI names another address than this Endpoint's (an earlier
// agent whose port was taken listened on a random one), Reregister listens
// there too if the address is free and on this Endpoint's host. If it
// cannot, the credentials are registered all the same but the attempt
// cannot reach them: unreachable says why.
func (e *Endpoint) Reregister(a Attempt, s *Session, uri, token string) (revoke func(), unreachable string, err error) {
	addr, id, err := parseURI(uri)
	if err != nil {
		return nil, "", fmt.Errorf("serving job role credentials of job %s attempt %d again: %w", a.JobID, a.Attempt, err)
	}
	if !isHex(token, 2*tokenBytes) {
		return nil, "", fmt.Errorf("serving job role credentials of job %s attempt %d again: its %s is not one this agent makes (%d hex digits)", a.JobID, a.Attempt, EnvToken, 2*tokenBytes)
	}
	unreachable = e.listenAlso(addr)
	revoke, err = e.register(id, token, a, s)
	if err != nil {
		return nil, "", err
	}
	return revoke, unreachable, nil
}

// parseURI reads an EnvFullURI that Register made: http://host:port
// followed by pathPrefix and an id, and nothing else.
func parseURI(uri string) (addr, id string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("its %s does not parse: %w", EnvFullURI, err)
	}
	id, ok := strings.CutPrefix(u.Path, pathPrefix)
	_, port, splitErr := net.SplitHostPort(u.Host)
	if u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || splitErr != nil || port == "" ||
		!ok || !isHex(id, 2*idBytes) {
		return "", "", fmt.Errorf("its %s is not one this agent makes (http://<host>:<port>%s<%d hex digits>)", EnvFullURI, pathPrefix, 2*idBytes)
	}
	return u.Host, id, nil
}

// isHex says whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// listenAlso makes the Endpoint listen on addr as well, if it does not
// yet: addr must be on the Endpoint's host, and free. It returns why not,
// or "".
func (e *Endpoint) listenAlso(addr string) (unreachable string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.addrs[addr] {
		return ""
	}
	host, _, _ := net.SplitHostPort(addr)
	own, _, _ := net.SplitHostPort(e.ln.Addr().String())
	if host != own {
		return fmt.Sprintf("this agent serves credentials on %s, not on %s", own, host)
	}
	if e.stopped {
		return "this agent's credentials endpoint has stopped"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Sprintf("this agent serves credentials at %s and cannot take %s back (%v)", e.ln.Addr(), addr, err)
	}
	e.addrs[addr] = true
	if e.serve != nil {
		e.serve(ln)
	} else {
		e.pending = append(e.pending, ln)
	}
	e.log.Info("job role credentials: listening where an earlier agent did, for the attempts taken over from it", "addr", addr)
	return ""
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
