package kit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/api/httpapi"
	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/console"
	"github.com/tanda-batch/tanda/control"
)

// shutdownGrace bounds the wait for API requests in flight at shutdown.
const shutdownGrace = 10 * time.Second

// readHeaderTimeout bounds how long a client may take to send its headers.
const readHeaderTimeout = 10 * time.Second

// APIOptions are what the AWS Batch API needs beside the control plane.
type APIOptions struct {
	// Region is the region signatures must be scoped to.
	Region string
	// Keys are the access keys requests are signed with.
	Keys sigv4.SecretSource
	// Logs are the job logs Tanda's logs endpoint reads.
	Logs LogSource
	// Capacity is the capacity history Tanda's capacity endpoint reads;
	// nil: the endpoint answers that there is none.
	Capacity *capacity.History
	// RateLimit is the requests per second allowed per access key; 0 is
	// no limit.
	RateLimit float64
	// Metrics, when set, counts and times the requests.
	Metrics httpapi.Metrics
	Logger  *slog.Logger
	Clock   batch.Clock
}

// API is the AWS Batch API with the web console mounted at
// console.Prefix: the handler every deployment serves.
type API struct {
	http.Handler
	// Console is the console, for sign-in links (`tanda up`).
	Console *console.Console
}

// NewAPI is the AWS Batch API over ctl, assembled the same way for every
// deployment: SigV4 verified against o.Keys with AWS's five-minute skew,
// job logs read from o.Logs, trigger rules kept by ctl, the capacity
// history read from o.Capacity; and the web console beside it, whose
// sessions are checked against the same keys and whose actions run through
// the same operations.
func NewAPI(ctl *control.Service, o APIOptions) (API, error) {
	verifier := &sigv4.Verifier{
		Region: o.Region, Service: sigv4.DefaultService, Secrets: o.Keys,
		Clock: o.Clock, MaxSkew: sigv4.DefaultMaxSkew,
	}
	var history httpapi.CapacityHistory
	var drawChart console.Chart
	if o.Capacity != nil {
		history = CapacityHistory{History: o.Capacity}
		drawChart = CapacityChart{History: o.Capacity, Clock: o.Clock}.Draw
	}
	logs := LogReader{Control: ctl, Logs: o.Logs}
	api := httpapi.New(ctl, httpapi.Options{
		Auth:      Authenticator{Verifier: verifier},
		Logs:      logs,
		Triggers:  ctl,
		Explainer: Explainer{Control: ctl, Clock: o.Clock},
		Capacity:  history,
		RateLimit: o.RateLimit,
		Logger:    o.Logger,
		Clock:     o.Clock,
		Metrics:   o.Metrics,
	})
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	con, err := console.New(console.Options{
		API: api, Logs: logs, State: ctl, Keys: o.Keys, Chart: drawChart,
		Logger: logger.With("part", "console"), Clock: o.Clock,
	})
	if err != nil {
		return API{}, err
	}
	return API{Handler: mountConsole(api, con), Console: con}, nil
}

// mountConsole serves the console under console.Prefix and the API
// everywhere else.
func mountConsole(api http.Handler, con *console.Console) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == strings.TrimSuffix(console.Prefix, "/") && r.Method == http.MethodGet:
			http.Redirect(w, r, console.Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(p, console.Prefix):
			con.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// Front is a server's API bound to its listener, with the files and the
// first access key it wrote in its data directory: what `tanda up` and
// `tanda serve` hand their callers alike.
type Front struct {
	ctl      *control.Service
	http     *http.Server
	listener net.Listener
	dataDir  string
	issued   *accesskeys.AccessKey
}

// Listen binds addr for api, the API over ctl. issued is the access key
// the server issued on this start, if it did.
func Listen(addr string, ctl *control.Service, api http.Handler, dataDir string, issued *accesskeys.AccessKey) (*Front, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return Bind(l, ctl, api, dataDir, issued), nil
}

// Bind is Listen on a listener already bound (which Serve closes).
func Bind(l net.Listener, ctl *control.Service, api http.Handler, dataDir string, issued *accesskeys.AccessKey) *Front {
	return &Front{
		ctl:      ctl,
		http:     &http.Server{Handler: api, ReadHeaderTimeout: readHeaderTimeout},
		listener: l,
		dataDir:  dataDir,
		issued:   issued,
	}
}

// Endpoint is the API's URL.
func (f *Front) Endpoint() string { return "http://" + f.listener.Addr().String() }

// Handler is the API's HTTP handler, for in-process callers and tests.
func (f *Front) Handler() http.Handler { return f.http.Handler }

// Control is the control plane, for in-process callers and tests.
func (f *Front) Control() *control.Service { return f.ctl }

// IssuedKey is the access key issued on this start, if one was.
func (f *Front) IssuedKey() (accesskeys.AccessKey, bool) {
	if f.issued == nil {
		return accesskeys.AccessKey{}, false
	}
	return *f.issued, true
}

// CredentialsFile is the AWS credentials file with the first access key.
func (f *Front) CredentialsFile() string { return CredentialsFile(f.dataDir) }

// ConfigFile is the AWS config file with the profile's region.
func (f *Front) ConfigFile() string { return ConfigFile(f.dataDir) }

// Serve serves the API and runs each loop until ctx is done or serving
// fails, then stops the API (letting requests in flight finish for up to
// 10 s), stops the loops and waits for them. It returns the serving error,
// if there was one.
func (f *Front) Serve(ctx context.Context, loops ...func(context.Context)) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := f.http.Serve(f.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
			cancel()
		}
	})
	for _, loop := range loops {
		wg.Go(func() { loop(runCtx) })
	}
	<-runCtx.Done()
	shutdownCtx, done := context.WithTimeout(context.Background(), shutdownGrace)
	defer done()
	_ = f.http.Shutdown(shutdownCtx) // past the grace, connections are closed anyway
	cancel()
	wg.Wait()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving API: %w", err)
	default:
		return nil
	}
}
