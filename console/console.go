package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/explain"
)

// Prefix is the path the console is served under.
const Prefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// State reads what the console shows beyond the API's operations: the
// instances of a compute environment, the jobs waiting on a job, and what
// package explain reads to say why a job waits. *control.Service is one.
type State interface {
	explain.Source
	Instances(ctx context.Context, ce string) ([]control.InstanceRecord, error)
	Dependents(ctx context.Context, jobID string) ([]string, error)
}

// Chart draws a compute environment's capacity over time (demand,
// provisioned and used vCPUs) as inline SVG, for its card on the
// dashboard and its page. It is optional.
type Chart func(ctx context.Context, ce string) (template.HTML, error)

// API runs AWS Batch operations for an access key the console has
// authenticated, under the API's rules: *httpapi.Handler (its Call).
type API interface {
	Call(ctx context.Context, accessKeyID, op string, body []byte) (any, error)
}

// Options configure the console. API, State and Keys are required.
type Options struct {
	// API runs every operation the console reads or acts with, as the
	// session's access key: the API's own decoding, validation, rate limit
	// and request log.
	API API
	// Logs reads jobs' logs; nil shows none.
	Logs  httpapi.LogReader
	State State
	// Keys checks sign-ins and, on every request, that a session's access
	// key is still active.
	Keys Keys
	// Chart, if set, draws each compute environment's capacity chart.
	Chart Chart
	// SessionTTL is how long a session lasts (DefaultSessionTTL).
	SessionTTL time.Duration
	// LinkTTL is how long a sign-in link may wait to be used
	// (DefaultLinkTTL).
	LinkTTL   time.Duration
	Logger    *slog.Logger
	Clock     batch.Clock
	RequestID func() string
}

// Console is the console's HTTP handler. It is safe for concurrent use.
type Console struct {
	o     Options
	mux   *http.ServeMux
	pages map[string]*template.Template
	links links
}

// New makes the console.
func New(o Options) (*Console, error) {
	if o.API == nil || o.State == nil || o.Keys == nil {
		return nil, errors.New("making console: API, State and Keys are required")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = DefaultLinkTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.RequestID == nil {
		o.RequestID = uuid.NewString
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{o: o, pages: pages}
	c.routes()
	return c, nil
}

// SignInLink returns the path (under Prefix, with its query) of a link that
// signs in as keyID once, within Options.LinkTTL. `tanda up` prints one
// for the local user.
func (c *Console) SignInLink(keyID string) string {
	token := c.links.mint(keyID, c.o.Clock.Now().Add(c.o.LinkTTL))
	return Prefix + "signin?" + url.Values{"token": {token}}.Encode()
}

// maxFormBytes caps a posted form (a submitted job's form is the largest).
const maxFormBytes = 64 << 10

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	c.mux.ServeHTTP(w, r)
}

// handlerFunc serves a signed-in request.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// routes sets up the console's paths.
func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
	m.HandleFunc("GET "+Prefix+"signin", c.signInPage)
	m.HandleFunc("POST "+Prefix+"signin", c.signIn)
	m.HandleFunc("POST "+Prefix+"signout", c.signOut)

	get := func(pattern string, h handlerFunc) { m.Handle("GET "+Prefix+pattern, c.signedIn(h, false)) }
	get("{$}", c.dashboard)
	get("jobs", c.jobs)
	get("jobs/{id}", c.job)
	get("jobs/{id}/live", c.jobLive)
	get("jobs/{id}/attempts", c.jobAttempts)
	get("jobs/{id}/log", c.jobLog)
	get("compute-environments", c.computeEnvironments)
	get("compute-environments/{name}", c.computeEnvironment)
	get("job-queues", c.jobQueues)
	get("job-queues/{name}", c.jobQueue)
	get("job-definitions", c.jobDefinitions)
	get("job-definitions/{name}", c.jobDefinition)
	get("scheduling-policies", c.schedulingPolicies)
	get("scheduling-policy", c.schedulingPolicy)
	m.Handle("POST "+Prefix+"actions/{action}", c.signedIn(c.act, true))
	m.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		c.renderError(w, r, nil, http.StatusNotFound, "Not found", "There is no console page at "+r.URL.Path+".")
	})
	c.mux = m
}

// signedIn runs h for a request with a valid session; others are sent to
// the sign-in page (or answered 401 for JSON). A state-changing request
// must also come from the console itself and carry the session's CSRF
// token, or it is refused with 403 before anything is read.
func (c *Console) signedIn(h handlerFunc, changes bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		if err != nil && !signedOut(err) {
			c.o.Logger.Error("console: checking a session", "err", err)
			c.renderError(w, r, nil, http.StatusInternalServerError, "Failed", "The session could not be checked; try again.")
			return
		}
		if err != nil {
			if !errors.Is(err, errNoSession) {
				clearSessionCookie(w, r)
			}
			if changes || wantsJSON(r) {
				c.renderError(w, r, nil, http.StatusUnauthorized, "Signed out", "Sign in again: "+err.Error()+".")
				return
			}
			http.Redirect(w, r, Prefix+"signin?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		if changes && (crossSite(r) || !s.validCSRF(r.PostFormValue("csrf"))) {
			c.o.Logger.Warn("console request refused: bad CSRF token or cross-site", "accessKeyId", s.keyID, "path", r.URL.Path)
			c.renderError(w, r, s, http.StatusForbidden, "Refused",
				"This request did not come from a console page of this session (bad or missing CSRF token). Nothing was changed.")
			return
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

// session reads the request's session.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	s, err := openSession(r.Context(), c.o.Keys, ck.Value, c.o.Clock.Now())
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, errKeyUnavailable):
		c.o.Logger.Info("console session refused", "err", err)
		return nil, errKeyUnavailable
	case signedOut(err):
		c.o.Logger.Info("console session refused", "err", err)
	}
	return nil, err
}

func wantsJSON(r *http.Request) bool {
	return r.Header.Get("Accept") == "application/json"
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	KeyID   string
	CSRF    string
	Body    any
	Status  int
	Message string
}

// render writes page name with body.
func (c *Console) render(w http.ResponseWriter, s *session, status int, name, title string, body any) {
	v := view{Title: title, Nav: name, Body: body, Status: status}
	if s != nil {
		v.KeyID, v.CSRF = s.keyID, s.csrf()
	}
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.o.Logger.Error("rendering console page", "page", name, "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorBody is the error page's content.
type errorBody struct {
	Heading, Message, Code, Back string
}

// renderError writes the error page (or JSON, for the page's script).
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, heading, message string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": heading, "message": message})
		return
	}
	c.render(w, s, status, "error", heading, errorBody{Heading: heading, Message: message, Back: backTo(r)})
}

// fail answers a handler's error: the API's answer to an operation it
// refused (its ClientException message), or a server fault, logged.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ce *callError
	if !errors.As(err, &ce) {
		ce = &callError{op: "", requestID: c.o.RequestID(), err: err}
	}
	a := httpapi.Answer(ce.err, ce.requestID)
	if !a.IsClientFault() {
		c.o.Logger.Error("console request failed", "accessKeyId", s.keyID, "operation", ce.op, "requestId", ce.requestID, "err", ce.err)
	}
	heading := "Refused"
	if !a.IsClientFault() {
		heading = "Failed"
	}
	if wantsJSON(r) {
		writeJSON(w, a.Status, map[string]string{"error": a.Code, "message": a.Message})
		return
	}
	c.render(w, s, a.Status, "error", heading, errorBody{Heading: heading, Code: a.Code, Message: a.Message, Back: backTo(r)})
}

// backTo is where an error page links back to: the page that posted, when
// it was a console page.
func backTo(r *http.Request) string {
	if b := r.PostFormValue("back"); isConsolePath(b) {
		return b
	}
	return Prefix
}

// isConsolePath reports whether p is a path of the console (not another
// site: no scheme, no host).
func isConsolePath(p string) bool {
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && len(p) > 1 && p[0] == '/' && p[1] != '/' && p[1] != '\\' &&
		len(u.Path) >= len(Prefix) && u.Path[:len(Prefix)] == Prefix
}
