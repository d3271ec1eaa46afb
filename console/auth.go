package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/api/sigv4"
)

// CookieName is the session cookie's name.
const CookieName = "tanda_console"

// Defaults of Options.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultLinkTTL    = 24 * time.Hour
)

// sessionKeyLabel separates the key a session is sealed with from any
// other use of the access key's secret.
const sessionKeyLabel = "tanda console session v1"

// contentSecurityPolicy allows the console's own origin only: no inline
// script or style, no third-party origin, no framing, forms posted home.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Keys looks up the secret of an active access key; a revoked or unknown
// key is an error (*accesskeys.Keys; wrapping sigv4.ErrUnknownKey).
type Keys interface {
	SecretFor(ctx context.Context, id string) (string, error)
}

// session is a signed-in user: the access key that signed in, until when,
// and the key its cookie and CSRF tokens are sealed with.
type session struct {
	keyID   string
	expires time.Time
	nonce   string
	mac     []byte // the sealing key, derived from the access key's secret
}

// signedOut reports whether err means the request has no valid session
// (rather than that checking it failed).
func signedOut(err error) bool {
	return errors.Is(err, errNoSession) || errors.Is(err, errExpired) || errors.Is(err, errBadSession) || errors.Is(err, errKeyUnavailable)
}

// Why a request has no session.
var (
	errNoSession      = errors.New("not signed in")
	errExpired        = errors.New("the session has expired")
	errBadSession     = errors.New("the session cookie is not valid")
	errKeyUnavailable = errors.New("the access key of the session is revoked or unknown")
)

// sessionKey derives a session's sealing key from an access key's secret.
func sessionKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sessionKeyLabel))
	return m.Sum(nil)
}

func (s *session) sign(msg string) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// payload is what the cookie carries in the clear: key id, expiry (Unix
// seconds) and a random nonce.
func (s *session) payload() string {
	return s.keyID + "|" + strconv.FormatInt(s.expires.Unix(), 10) + "|" + s.nonce
}

// cookieValue is the payload and its MAC, each in unpadded base64url.
func (s *session) cookieValue() string {
	p := s.payload()
	return b64(p) + "." + base64.RawURLEncoding.EncodeToString(s.sign("session|"+p))
}

// csrf is the token every state-changing form of this session carries.
func (s *session) csrf() string {
	return base64.RawURLEncoding.EncodeToString(s.sign("csrf|" + s.payload()))
}

// validCSRF checks a submitted token in constant time.
func (s *session) validCSRF(token string) bool {
	return hmac.Equal([]byte(token), []byte(s.csrf()))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// newSession opens a session for keyID whose secret is secret.
func newSession(keyID, secret string, now time.Time, ttl time.Duration) *session {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	return &session{
		keyID: keyID, expires: now.Add(ttl).Truncate(time.Second),
		nonce: base64.RawURLEncoding.EncodeToString(nonce), mac: sessionKey(secret),
	}
}

// openSession checks a cookie value: well formed, not expired, its key
// still active, its MAC made with that key's secret.
func openSession(ctx context.Context, keys Keys, value string, now time.Time) (*session, error) {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, errBadSession
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil, errBadSession
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return nil, errBadSession
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, errBadSession
	}
	s := &session{keyID: parts[0], expires: time.Unix(exp, 0), nonce: parts[2]}
	if !now.Before(s.expires) {
		return nil, errExpired
	}
	secret, err := keys.SecretFor(ctx, s.keyID)
	if errors.Is(err, sigv4.ErrUnknownKey) {
		return nil, fmt.Errorf("%w: %w", errKeyUnavailable, err)
	}
	if err != nil {
		// The store failed: not the session's fault, so it is kept.
		return nil, fmt.Errorf("reading the access key of a session: %w", err)
	}
	s.mac = sessionKey(secret)
	if !hmac.Equal(mac, s.sign("session|"+s.payload())) {
		return nil, errBadSession
	}
	return s, nil
}

// setSessionCookie sends s's cookie: HttpOnly, SameSite=Strict, scoped to
// the console, expiring with the session, Secure when served over HTTPS.
func setSessionCookie(w http.ResponseWriter, r *http.Request, s *session, now time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.cookieValue(), Path: Prefix,
		Expires: s.expires, MaxAge: int(s.expires.Sub(now).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	})
}

// clearSessionCookie removes the session cookie.
func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	})
}

// isHTTPS reports whether the client reached us over HTTPS: directly, or
// through a front door that says so (a Lambda function URL does).
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// links are the one-time sign-in tokens this process handed out. Only a
// hash of each is kept.
type links struct {
	mu     sync.Mutex
	tokens map[string]linkToken
}

type linkToken struct {
	keyID   string
	expires time.Time
}

// mint makes a token that signs in as keyID once, until expires.
func (l *links) mint(keyID string, expires time.Time) string {
	b := make([]byte, 24)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens == nil {
		l.tokens = map[string]linkToken{}
	}
	l.tokens[tokenHash(token)] = linkToken{keyID: keyID, expires: expires}
	return token
}

// redeem uses a token up: it returns its key id if the token was handed
// out, not used yet and not expired. Expired tokens are dropped too.
func (l *links) redeem(token string, now time.Time) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := tokenHash(token)
	t, ok := l.tokens[h]
	delete(l.tokens, h)
	for k, other := range l.tokens {
		if !now.Before(other.expires) {
			delete(l.tokens, k)
		}
	}
	if !ok || !now.Before(t.expires) {
		return "", false
	}
	return t.keyID, true
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// setSecurityHeaders sets what every console answer carries.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// crossSite reports whether a request says it came from another site
// (Sec-Fetch-Site, or an Origin that is not this host): such a POST is
// refused even before its CSRF token is looked at.
func crossSite(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == "null"
	}
	_, host, ok := strings.Cut(origin, "://")
	return !ok || !strings.EqualFold(host, r.Host)
}
