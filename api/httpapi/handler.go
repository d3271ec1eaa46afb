// Package httpapi serves the AWS Batch REST API (restJson1) over net/http,
// wire-compatible with the aws CLI and the AWS SDKs. It authenticates,
// decodes, calls a Backend and encodes; it holds no business logic.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/batch"
)

// DefaultMaxBodyBytes caps request bodies. AWS allows 30 KiB for SubmitJob
// and 24 KiB for a job definition; the backend checks those finer limits.
const DefaultMaxBodyBytes = 64 << 10

// invocationIDHeader carries the SDK's id of one call, shared by its retries.
const invocationIDHeader = "Amz-Sdk-Invocation-Id"

// Options configure the handler. Only the Backend is required.
type Options struct {
	// Auth verifies signatures. Nil disables authentication: tests only.
	Auth Authenticator
	// Logs serves GET /tanda/v1/logs; nil answers that endpoint with an error.
	Logs LogReader
	// Triggers serves /tanda/v1/triggers; nil answers it with an error.
	Triggers TriggerRules
	// Explainer serves /tanda/v1/why; nil answers it with an error.
	Explainer Explainer
	// Capacity serves /tanda/v1/capacity; nil answers it with an error.
	Capacity CapacityHistory
	// MaxBodyBytes caps request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RateLimit is the sustained requests per second allowed per access key
	// (bursts of the same size); 0 disables rate limiting.
	RateLimit float64
	// Logger gets one record per request; nil means slog.Default().
	Logger *slog.Logger
	// Clock dates responses and drives rate limits; nil means the wall clock.
	Clock batch.Clock
	// RequestID makes the x-amzn-RequestId of each request; nil means UUIDs.
	RequestID func() string
	// Metrics, when set, is told of every request but pings.
	Metrics Metrics
}

// Metrics is told of each API request once it is answered, for monitoring
// (an adapter exports it; this package imports no metrics library). It is
// called on the request's goroutine: implementations must be quick.
type Metrics interface {
	// Request reports an operation (its AWS name, or Unrouted), the HTTP
	// status it was answered with, and how long it took.
	Request(operation string, status int, took time.Duration)
}

// Unrouted is the operation of a request that named none Tanda knows, in
// logs and metrics.
const Unrouted = "unknown"

// Handler is the AWS Batch API over a Backend: an http.Handler, and Call
// for callers that authenticated the caller themselves (the web console).
type Handler struct {
	backend   Backend
	auth      Authenticator
	logs      LogReader
	triggers  TriggerRules
	explainer Explainer
	capacity  CapacityHistory
	maxBody   int64
	limiter   *rateLimiter
	log       *slog.Logger
	clock     batch.Clock
	requestID func() string
	metrics   Metrics
}

// New returns the API handler serving b.
func New(b Backend, opts Options) *Handler {
	h := &Handler{
		backend:   b,
		auth:      opts.Auth,
		logs:      opts.Logs,
		triggers:  opts.Triggers,
		explainer: opts.Explainer,
		capacity:  opts.Capacity,
		maxBody:   opts.MaxBodyBytes,
		log:       opts.Logger,
		clock:     opts.Clock,
		requestID: opts.RequestID,
		metrics:   opts.Metrics,
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.clock == nil {
		h.clock = batch.SystemClock{}
	}
	if h.requestID == nil {
		h.requestID = uuid.NewString
	}
	if opts.RateLimit > 0 {
		h.limiter = newRateLimiter(opts.RateLimit, h.clock)
	}
	return h
}

// ServeHTTP answers one request. Every answer carries a request id, a Date
// (SDKs correct clock skew from it) and a JSON content type.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{requestID: h.requestID(), start: h.clock.Now()}
	hdr := w.Header()
	hdr.Set("X-Amzn-Requestid", c.requestID)
	hdr.Set("Date", h.clock.Now().UTC().Format(http.TimeFormat))

	if r.URL.EscapedPath() == pingPath && r.Method == http.MethodGet {
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
		return
	}
	hdr.Set("Content-Type", "application/json")

	var body []byte
	out, err := h.serve(w, r, c)
	if err == nil {
		if body, err = json.Marshal(out); err != nil {
			err = fmt.Errorf("encoding %s output: %w", c.operation, err)
		}
	}
	if err != nil {
		ae := toAPIError(err, c.requestID)
		if ae.status >= http.StatusInternalServerError && clientGone(r) {
			// Whatever failed, failed because the client went away: the
			// store call its context cancelled, most likely.
			ae = clientClosed(err)
		}
		h.logCall(r.Context(), c, ae)
		writeError(w, ae)
		return
	}
	h.logCall(r.Context(), c, nil)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// call is what ServeHTTP learns about a request, for its log record.
type call struct {
	requestID string
	operation string
	accessKey string
	start     time.Time
}

// serve runs a request through the pipeline: read the capped body,
// authenticate, rate-limit, route, then decode and call the backend. Nothing
// is decoded and no backend is called before the request is authenticated.
//
// Identical signed requests are all served, as AWS serves them: SigV4 has no
// replay rejection (botocore signs neither the SDK invocation id nor any
// nonce, so two distinct calls with one body in one second carry the same
// signature). Confidentiality and replay protection are TLS's job; SubmitJob
// retries are made idempotent by the backend from the invocation id.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, c *call) (any, error) {
	if op, ok := operations[strings.TrimPrefix(r.URL.EscapedPath(), opsPrefix)]; ok {
		c.operation = op.name // named in the log even if refused before routing
	}
	body, err := h.readBody(w, r)
	if err != nil {
		return nil, err
	}
	if h.auth != nil {
		c.accessKey, err = h.auth.Authenticate(r.Context(), r, body)
		if err != nil {
			return nil, authError(err, c.requestID)
		}
	}
	if h.limiter != nil && !h.limiter.allow(c.accessKey) {
		return nil, throttled()
	}
	ep, err := h.route(r)
	if err != nil {
		return nil, err
	}
	c.operation = ep.name
	invocationID := r.Header.Get(invocationIDHeader)
	ri := batch.RequestInfo{
		AccessKeyID:  c.accessKey,
		InvocationID: invocationID,
		RequestID:    c.requestID,
	}
	if invocationID != "" {
		sum := sha256.Sum256(body)
		ri.BodySHA256 = hex.EncodeToString(sum[:])
	}
	ctx := batch.WithRequestInfo(r.Context(), ri)
	return ep.serve(ctx, body)
}

// readBody reads the whole body once, refusing more than the cap.
// A body over the cap is a 400, never a 413 or a 5xx, as AWS answers.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > h.maxBody {
		return nil, clientErrorf("request body exceeds %d bytes", h.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, clientErrorf("request body exceeds %d bytes", h.maxBody)
	}
	if err != nil {
		return nil, clientErrorf("cannot read request body: %v", err)
	}
	return body, nil
}

// writeError writes an error answer in AWS's shape. Clients take the code
// from the X-Amzn-ErrorType header, or failing that from __type.
func writeError(w http.ResponseWriter, ae *apiError) {
	body, err := json.Marshal(errorBody{Type: ae.code, Message: ae.message})
	if err != nil {
		// Two strings always encode; keep the status even so.
		body = []byte(`{}`)
	}
	w.Header().Set("X-Amzn-Errortype", ae.code)
	w.WriteHeader(ae.status)
	_, _ = w.Write(body)
}

// logCall records one request in one line, with its request id, access
// key id (never its secret nor its signature), operation, status and
// duration, and tells Metrics of it: server faults at Error with their
// cause (which the client never sees), everything else at Info, requests
// their client gave up on with the cause too (StatusClientClosedRequest).
func (h *Handler) logCall(ctx context.Context, c *call, ae *apiError) {
	if c.operation == "" {
		c.operation = Unrouted
	}
	took := h.clock.Now().Sub(c.start)
	status := http.StatusOK
	if ae != nil {
		status = ae.status
	}
	if h.metrics != nil {
		h.metrics.Request(c.operation, status, took)
	}
	attrs := []slog.Attr{
		slog.String("requestId", c.requestID),
		slog.String("operation", c.operation),
		slog.String("accessKeyId", c.accessKey),
		slog.Int("status", status),
		slog.Duration("duration", took),
	}
	if ae == nil {
		h.log.LogAttrs(ctx, slog.LevelInfo, "api request", attrs...)
		return
	}
	attrs = append(attrs, slog.String("errorType", ae.code), slog.String("message", ae.message))
	if ae.status == StatusClientClosedRequest {
		h.log.LogAttrs(ctx, slog.LevelInfo, "api request abandoned by its client", append(attrs, slog.Any("error", ae.cause))...)
		return
	}
	if ae.cause != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "api request failed", append(attrs, slog.Any("error", ae.cause))...)
		return
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "api request refused", attrs...)
}
