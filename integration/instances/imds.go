package instances

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// IMDSv2 paths and headers, as EC2 serves them.
const (
	TokenPath     = "/latest/api/token"
	IdentityPath  = "/latest/dynamic/instance-identity/document"
	LifecyclePath = "/latest/meta-data/instance-life-cycle"
	UserDataPath  = "/latest/user-data"
	TagsPath      = "/latest/meta-data/tags/instance"
	SpotPath      = "/latest/meta-data/spot/instance-action"
	RebalancePath = "/latest/meta-data/events/recommendations/rebalance"

	TokenHeader    = "X-aws-ec2-metadata-token"
	TokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"

	maxTokenTTL = 21600 // seconds, as EC2 allows
)

// IMDS is a fake instance metadata service, version 2 only, for one
// instance, listening on the loopback interface. A GET needs a live token
// from a PUT to TokenPath (which must carry TokenTTLHeader), or gets 401.
// The Spot interruption notice and the rebalance recommendation are absent
// (404) until set. It is safe for concurrent use.
type IMDS struct {
	meta  Metadata
	clock batch.Clock
	srv   *httptest.Server

	mu        sync.Mutex
	tokens    map[string]time.Time // token -> expiry
	spot      []byte               // the notice's JSON; nil: none
	rebalance []byte               // the recommendation's JSON; nil: none
}

// NewIMDS starts an IMDS serving meta. clock dates tokens and notices
// (batch.SystemClock when nil). Close stops it.
func NewIMDS(meta Metadata, clock batch.Clock) *IMDS {
	if clock == nil {
		clock = batch.SystemClock{}
	}
	m := &IMDS{meta: meta, clock: clock, tokens: map[string]time.Time{}}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	return m
}

// URL is the endpoint to give the agent (AWS_EC2_METADATA_SERVICE_ENDPOINT).
func (m *IMDS) URL() string { return m.srv.URL }

// Close stops the server.
func (m *IMDS) Close() { m.srv.Close() }

// SetSpotInterruption makes spot/instance-action announce action
// ("terminate", "stop" or "hibernate") at at, which is given in whole
// seconds as EC2 does.
func (m *IMDS) SetSpotInterruption(action string, at time.Time) {
	body := mustJSON(map[string]string{"action": action, "time": formatTime(at)})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spot = body
}

// SetRebalance makes events/recommendations/rebalance recommend a
// rebalance noticed at at.
func (m *IMDS) SetRebalance(at time.Time) {
	body := mustJSON(map[string]string{"noticeTime": formatTime(at)})
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rebalance = body
}

func (m *IMDS) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && r.URL.Path == TokenPath:
		m.issueToken(w, r)
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case !m.validToken(r.Header.Get(TokenHeader)):
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	default:
		body, ok := m.item(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	}
}

// issueToken answers the token PUT: the TTL header is required, as EC2
// requires it.
func (m *IMDS) issueToken(w http.ResponseWriter, r *http.Request) {
	secs, err := strconv.Atoi(r.Header.Get(TokenTTLHeader))
	if err != nil || secs < 1 || secs > maxTokenTTL {
		http.Error(w, "missing or invalid "+TokenTTLHeader, http.StatusBadRequest)
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := hex.EncodeToString(b)
	m.mu.Lock()
	m.tokens[tok] = m.clock.Now().Add(time.Duration(secs) * time.Second)
	m.mu.Unlock()
	w.Header().Set(TokenTTLHeader, strconv.Itoa(secs))
	_, _ = w.Write([]byte(tok))
}

func (m *IMDS) validToken(tok string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.tokens[tok]
	return ok && m.clock.Now().Before(exp)
}

// item is the body served at path, if any.
func (m *IMDS) item(path string) ([]byte, bool) {
	if key, ok := strings.CutPrefix(path, TagsPath+"/"); ok && key != "" {
		v, ok := m.meta.Tags[key]
		return []byte(v), ok
	}
	text := func(s string) ([]byte, bool) { return []byte(s), s != "" }
	switch strings.TrimSuffix(path, "/") {
	case IdentityPath:
		return m.identityDocument(), true
	case LifecyclePath:
		return text(m.meta.Lifecycle)
	case UserDataPath:
		return m.meta.UserData, m.meta.UserData != nil
	case TagsPath:
		return text(strings.Join(slices.Sorted(maps.Keys(m.meta.Tags)), "\n"))
	case "/latest/meta-data/instance-id":
		return text(m.meta.InstanceID)
	case "/latest/meta-data/instance-type":
		return text(m.meta.InstanceType)
	case "/latest/meta-data/ami-id":
		return text(m.meta.ImageID)
	case "/latest/meta-data/local-ipv4":
		return text(m.meta.PrivateIP)
	case "/latest/meta-data/placement/availability-zone":
		return text(m.meta.AvailabilityZone)
	case "/latest/meta-data/placement/region":
		return text(m.meta.Region)
	case SpotPath:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.spot, m.spot != nil
	case RebalancePath:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.rebalance, m.rebalance != nil
	}
	return nil, false
}

// identityDocument is the instance identity document, with the fields EC2
// gives.
func (m *IMDS) identityDocument() []byte {
	return mustJSON(map[string]string{
		"accountId":        m.meta.AccountID,
		"architecture":     m.meta.Architecture,
		"availabilityZone": m.meta.AvailabilityZone,
		"imageId":          m.meta.ImageID,
		"instanceId":       m.meta.InstanceID,
		"instanceType":     m.meta.InstanceType,
		"pendingTime":      formatTime(m.meta.LaunchTime),
		"privateIp":        m.meta.PrivateIP,
		"region":           m.meta.Region,
		"version":          "2017-09-30",
	})
}

// formatTime writes t as IMDS does: UTC, RFC 3339, whole seconds.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// mustJSON encodes a map of strings, which cannot fail.
func mustJSON(v map[string]string) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encoding a map of strings: " + err.Error())
	}
	return b
}
