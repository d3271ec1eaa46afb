package agentapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch"
)

// The headers of the agent's proof of identity.
const (
	// IdentityHeader carries an encoded Token on every agent API request.
	IdentityHeader = "X-Tanda-Agent-Identity"
	// ServerIDHeader is signed into the STS request, with the API's host
	// as its value: a request signed for one server is refused by any
	// other, and by STS when replayed without it.
	ServerIDHeader = "X-Tanda-Server-Id"
)

// The GetCallerIdentity request an agent signs: POST to the STS endpoint's
// root with this body and content type.
const (
	stsBody        = "Action=GetCallerIdentity&Version=2011-06-15"
	stsContentType = "application/x-www-form-urlencoded; charset=utf-8"
	amzDateLayout  = "20060102T150405Z"
)

// maxTokenLen bounds the identity header (a session token is about 1 KiB
// for an instance role; STS's longest are under 4 KiB).
const maxTokenLen = 8 << 10

// Token is what an agent sends to prove who it is: the headers SigV4 added
// to a GetCallerIdentity request it signed (NewSTSRequest).
type Token struct {
	Authorization string `json:"authorization"`
	AmzDate       string `json:"amzDate"`
	SecurityToken string `json:"securityToken,omitempty"`
}

// TokenOf reads the Token of a signed GetCallerIdentity request.
func TokenOf(signed *http.Request) Token {
	return Token{
		Authorization: signed.Header.Get("Authorization"),
		AmzDate:       signed.Header.Get("X-Amz-Date"),
		SecurityToken: signed.Header.Get("X-Amz-Security-Token"),
	}
}

// Encode is t as IdentityHeader's value: base64url of its JSON.
func (t Token) Encode() string {
	b, _ := json.Marshal(t) // strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (Token, error) {
	if len(s) > maxTokenLen {
		return Token{}, fmt.Errorf("%s is %d bytes, more than %d", IdentityHeader, len(s), maxTokenLen)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Token{}, fmt.Errorf("%s is not base64url: %v", IdentityHeader, err)
	}
	var t Token
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Token{}, fmt.Errorf("%s is not a token: %v", IdentityHeader, err)
	}
	return t, nil
}

// NewSTSRequest is the GetCallerIdentity request to the STS endpoint
// (its URL, such as https://sts.us-east-1.amazonaws.com) bound to serverID:
// the agent signs it with SigV4 (service sts) and sends TokenOf it; the
// server rebuilds the same request and sends it to STS with the token.
func NewSTSRequest(ctx context.Context, endpoint, serverID string) (*http.Request, error) {
	u, err := stsURL(endpoint)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(stsBody))
	if err != nil {
		return nil, fmt.Errorf("building the GetCallerIdentity request: %w", err)
	}
	r.Header.Set("Content-Type", stsContentType)
	r.Header.Set(ServerIDHeader, serverID)
	return r, nil
}

// STSPayloadHash is the SHA-256 of the GetCallerIdentity body, in hex, as
// a SigV4 signer takes it.
func STSPayloadHash() string {
	h := sha256.Sum256([]byte(stsBody))
	return hex.EncodeToString(h[:])
}

func stsURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("STS endpoint %q: want an http or https URL", endpoint)
	}
	return u.Scheme + "://" + u.Host + "/", nil
}

// Caller is an instance the agent API has authenticated.
type Caller struct {
	InstanceID string
	// ComputeEnvironment is the instance's tanda:compute-environment tag,
	// as EC2 has it.
	ComputeEnvironment string
	// Arn is STS's answer: the instance role's session.
	Arn string
}

// InstanceFacts are what EC2 says about an instance.
type InstanceFacts struct {
	// State is EC2's: pending, running, shutting-down, terminated, ...
	State string
	// Stack and ComputeEnvironment are its tanda:stack and
	// tanda:compute-environment tags.
	Stack, ComputeEnvironment string
}

// Instances looks instances up in EC2 (infra/agentid on AWS). An instance
// EC2 does not know is batch.ErrNotFound.
type Instances interface {
	Instance(ctx context.Context, id string) (InstanceFacts, error)
}

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Authenticator authenticates agents by their instance role (see the
// package documentation). Its fields are set before first use; it is safe
// for concurrent use.
type Authenticator struct {
	// STSEndpoint is where identities are checked: the URL of STS in the
	// stack's region (or an emulator's). Requests are sent nowhere else.
	STSEndpoint string
	// STSRegion is the region the agent's signature must be scoped to.
	STSRegion string
	// ServerID is the value ServerIDHeader must have been signed with.
	// Empty: the request's Host, which is sound only where the platform,
	// not the client, decides it (a Lambda function URL routes by it).
	ServerID string
	// Account, InstanceRole and Stack are whom to accept: sessions of the
	// role named InstanceRole in Account, on instances tagged with Stack.
	Account, InstanceRole, Stack string
	Instances                    Instances
	// HTTP sends the identities to STS (a client with a timeout).
	HTTP  Doer
	Clock batch.Clock
	// MaxAge is how old a signed request may be (5 minutes); MaxSkew how
	// far ahead of Clock its date may be (1 minute).
	MaxAge, MaxSkew time.Duration
	// CacheFor is how long a verified identity, and what EC2 said of its
	// instance, are kept before they are asked again (1 minute).
	CacheFor time.Duration

	verified  ttlCache[string]        // callers' ARNs, by hash of server id and token
	instances ttlCache[InstanceFacts] // by instance id
	stsCalls  atomic.Int64
	ec2Calls  atomic.Int64
}

// Calls are how many identities the authenticator has sent to STS, and
// how many instances it has looked up in EC2.
func (a *Authenticator) Calls() (sts, ec2 int64) { return a.stsCalls.Load(), a.ec2Calls.Load() }

// AuthError is a refused identity: 401 when there is none, 403 otherwise.
type AuthError struct {
	Status  int
	Code    string
	Message string
}

func (e *AuthError) Error() string { return e.Code + ": " + e.Message }

func refused(format string, args ...any) *AuthError {
	return &AuthError{Status: http.StatusForbidden, Code: "IdentityRefused", Message: fmt.Sprintf(format, args...)}
}

// instanceSession is an EC2 instance role session: the session name is the
// instance id.
var instanceSession = regexp.MustCompile(`^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/(i-[0-9a-f]{8,17})$`)

// Authenticate returns the instance that signed r's identity. Refusals
// are *AuthError; any other error means the check could not be made
// (STS or EC2 did not answer) and is the server's.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (Caller, error) {
	if a.InstanceRole == "" || a.Account == "" || a.Stack == "" {
		return Caller{}, refused("this agent API accepts no instance: its stack's instance role is not set (%s, or tanda serve --instance-role)", "TANDA_INSTANCE_ROLE")
	}
	raw := r.Header.Get(IdentityHeader)
	if raw == "" {
		return Caller{}, &AuthError{Status: http.StatusUnauthorized, Code: "MissingIdentity",
			Message: "the agent API needs " + IdentityHeader + ": a GetCallerIdentity request signed with the instance role"}
	}
	tok, err := decodeToken(raw)
	if err != nil {
		return Caller{}, refused("%v", err)
	}
	serverID := a.ServerID
	if serverID == "" {
		serverID = r.Host
	}
	if err := a.checkShape(tok); err != nil {
		return Caller{}, err
	}
	arn, err := a.verify(ctx, tok, serverID)
	if err != nil {
		return Caller{}, err
	}
	m := instanceSession.FindStringSubmatch(arn)
	if m == nil {
		return Caller{}, refused("%s is not an EC2 instance role session", arn)
	}
	if m[1] != a.Account || m[2] != a.InstanceRole {
		return Caller{}, refused("%s is not a session of role %s of account %s, the stack's instance role", arn, a.InstanceRole, a.Account)
	}
	id := m[3]
	facts, err := a.instance(ctx, id)
	if err != nil {
		return Caller{}, err
	}
	switch {
	case facts.Stack != a.Stack:
		return Caller{}, refused("instance %s is not one of stack %s", id, a.Stack)
	case facts.State != "pending" && facts.State != "running":
		return Caller{}, refused("instance %s is %s", id, facts.State)
	case facts.ComputeEnvironment == "":
		return Caller{}, refused("instance %s has no tanda:compute-environment tag", id)
	}
	return Caller{InstanceID: id, ComputeEnvironment: facts.ComputeEnvironment, Arn: arn}, nil
}

// signedOK are the headers the server sends STS, the only ones an
// identity may have signed; mustSign must be among them.
var (
	signedOK = []string{"content-length", "content-type", "host", "x-amz-date", "x-amz-security-token", strings.ToLower(ServerIDHeader)}
	mustSign = []string{"host", "x-amz-date", strings.ToLower(ServerIDHeader)}
)

// checkShape refuses a token that is not a recent GetCallerIdentity
// signature for STS in STSRegion, before anything is sent to STS.
func (a *Authenticator) checkShape(t Token) error {
	auth, err := sigv4.ParseAuthorization(t.Authorization)
	if err != nil {
		return refused("the identity's Authorization: %v", err)
	}
	if auth.Service != "sts" || auth.Region != a.STSRegion {
		return refused("the identity is signed for %s in %s: sign it for sts in %s", auth.Service, auth.Region, a.STSRegion)
	}
	for _, h := range auth.SignedHeaders {
		if !slices.Contains(signedOK, h) {
			return refused("the identity signs header %s: sign only %s", h, strings.Join(signedOK, ", "))
		}
	}
	for _, h := range mustSign {
		if !slices.Contains(auth.SignedHeaders, h) {
			return refused("the identity does not sign header %s", h)
		}
	}
	at, err := time.Parse(amzDateLayout, t.AmzDate)
	if err != nil {
		return refused("the identity's X-Amz-Date %q is not of the form %s", t.AmzDate, amzDateLayout)
	}
	if at.Format("20060102") != auth.Date {
		return refused("the identity's X-Amz-Date %s is not the day of its credential scope %s", t.AmzDate, auth.Date)
	}
	now := a.Clock.Now()
	if at.Before(now.Add(-a.maxAge())) {
		return refused("the identity was signed at %s, more than %s ago: sign a new one", t.AmzDate, a.maxAge())
	}
	if at.After(now.Add(a.maxSkew())) {
		return refused("the identity was signed at %s, more than %s ahead of the server's clock (%s)", t.AmzDate, a.maxSkew(), now.UTC().Format(amzDateLayout))
	}
	return nil
}

func (a *Authenticator) maxAge() time.Duration  { return orDefault(a.MaxAge, 5*time.Minute) }
func (a *Authenticator) maxSkew() time.Duration { return orDefault(a.MaxSkew, time.Minute) }
func (a *Authenticator) cacheFor() time.Duration {
	return orDefault(a.CacheFor, time.Minute)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// verify asks STS whose signature the token is, or takes a recent answer
// for the same token from the cache.
func (a *Authenticator) verify(ctx context.Context, t Token, serverID string) (string, error) {
	key := cacheKey(serverID, t)
	now := a.Clock.Now()
	if arn, ok := a.verified.get(key, now); ok {
		return arn, nil
	}
	arn, err := a.askSTS(ctx, t, serverID)
	if err != nil {
		return "", err
	}
	// Kept no longer than the token is accepted.
	until := now.Add(a.cacheFor())
	if at, err := time.Parse(amzDateLayout, t.AmzDate); err == nil && at.Add(a.maxAge()).Before(until) {
		until = at.Add(a.maxAge())
	}
	a.verified.put(key, arn, now, until)
	return arn, nil
}

func cacheKey(serverID string, t Token) string {
	h := sha256.New()
	for _, s := range []string{serverID, t.Authorization, t.AmzDate, t.SecurityToken} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stsAnswer is GetCallerIdentity's answer, or STS's error, in its XML.
type stsAnswer struct {
	Result struct {
		Arn     string `xml:"Arn"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Error struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
}

// askSTS sends the identity to STS, as the agent signed it, with this
// server's id.
func (a *Authenticator) askSTS(ctx context.Context, t Token, serverID string) (string, error) {
	req, err := NewSTSRequest(ctx, a.STSEndpoint, serverID)
	if err != nil {
		return "", err
	}
	a.stsCalls.Add(1)
	req.Header.Set("Authorization", t.Authorization)
	req.Header.Set("X-Amz-Date", t.AmzDate)
	if t.SecurityToken != "" {
		req.Header.Set("X-Amz-Security-Token", t.SecurityToken)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking STS who signed the identity: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading STS's answer: %w", err)
	}
	var ans stsAnswer
	xmlErr := xml.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("asking STS who signed the identity: HTTP %d: %s", resp.StatusCode, ans.Error.Code)
	case resp.StatusCode != http.StatusOK:
		code := ans.Error.Code
		if code == "" {
			code = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return "", refused("STS refused the identity: %s: %s", code, ans.Error.Message)
	case xmlErr != nil || ans.Result.Arn == "":
		return "", fmt.Errorf("reading STS's answer: no caller in %q", truncate(string(body), 200))
	}
	return ans.Result.Arn, nil
}

// instance is what EC2 says of id, from the cache while it is recent.
func (a *Authenticator) instance(ctx context.Context, id string) (InstanceFacts, error) {
	now := a.Clock.Now()
	if facts, ok := a.instances.get(id, now); ok {
		return facts, nil
	}
	a.ec2Calls.Add(1)
	facts, err := a.Instances.Instance(ctx, id)
	if errors.Is(err, batch.ErrNotFound) {
		return InstanceFacts{}, refused("EC2 has no instance %s", id)
	}
	if err != nil {
		return InstanceFacts{}, fmt.Errorf("looking up instance %s: %w", id, err)
	}
	a.instances.put(id, facts, now, now.Add(a.cacheFor()))
	return facts, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
