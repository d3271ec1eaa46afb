package rolecreds

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expires is when they stop working.
	Expires time.Time
}

// AssumeInput is one AssumeRole call.
type AssumeInput struct {
	RoleARN string
	// SessionName and SourceIdentity keep to STS's 2 to 64 characters of
	// [\w+=,.@-] (SessionName makes such names).
	SessionName    string
	SourceIdentity string
	// Tags are the session's tags.
	Tags map[string]string
	// Duration is the session's length; zero takes the role's default.
	Duration time.Duration
}

// Assumer assumes roles: infra/stsroles on STS.
type Assumer interface {
	AssumeRole(ctx context.Context, in AssumeInput) (Credentials, error)
}

// ErrNoCredentials is wrapped by an Assumer that has no credentials of its
// own to call STS with.
var ErrNoCredentials = errors.New("no AWS credentials")

// Attempt names one attempt of a job that has a role.
type Attempt struct {
	JobID   string
	Attempt int
	RoleARN string
}

// Stack tags: the session tags an attempt's session carries.
const (
	TagStack   = "tanda:stack"
	TagJobID   = "tanda:job-id"
	TagAttempt = "tanda:attempt"
)

// Input is the AssumeRole call for an attempt of stack: the session name
// and the source identity name the job and attempt, and the session is
// tagged with the stack, the job and the attempt.
func (a Attempt) Input(stack string, d time.Duration) AssumeInput {
	name := SessionName(a.JobID, a.Attempt)
	return AssumeInput{
		RoleARN:        a.RoleARN,
		SessionName:    name,
		SourceIdentity: name,
		Tags:           map[string]string{TagStack: stack, TagJobID: a.JobID, TagAttempt: strconv.Itoa(a.Attempt)},
		Duration:       d,
	}
}

// maxSessionName is STS's limit on RoleSessionName and SourceIdentity.
const maxSessionName = 64

// SessionName names an attempt's role session: "tanda-<job>-<attempt>",
// with the characters STS does not take in the job id (an array child's
// ':') made '.', and the job id cut at its end when the whole would pass
// 64 characters.
func SessionName(jobID string, attempt int) string {
	suffix := "-" + strconv.Itoa(attempt)
	const prefix = "tanda-"
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			return r
		}
		return '.'
	}, jobID)
	if room := maxSessionName - len(prefix) - len(suffix); len(id) > room {
		id = id[:room]
	}
	return prefix + id + suffix
}

// Session holds an attempt's role credentials: it assumes the role when
// first asked, and again once half of the credentials' lifetime has
// passed, so that what it hands out is always good for a while (the SDKs
// fetch anew 5 minutes before expiry). It is safe for concurrent use; one
// AssumeRole runs at a time.
type Session struct {
	assume func(ctx context.Context) (Credentials, error)
	clock  batch.Clock
	role   string

	mu     sync.Mutex
	cur    Credentials
	issued time.Time // when cur was got
}

// NewSession returns a Session that gets credentials from assume.
func NewSession(role string, assume func(ctx context.Context) (Credentials, error), clock batch.Clock) *Session {
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return &Session{assume: assume, clock: clock, role: role}
}

// RoleARN is the role the session is of.
func (s *Session) RoleARN() string { return s.role }

// minLeft is how long credentials handed out must still be good for when
// a refresh fails and the current ones are handed out instead.
const minLeft = time.Minute

// Credentials returns the session's credentials, assuming the role again
// when the current ones are past half their life. If that fails while the
// current ones are still good for a minute, they are returned.
func (s *Session) Credentials(ctx context.Context) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	have := s.cur.AccessKeyID != ""
	if have && now.Before(s.refreshAt()) {
		return s.cur, nil
	}
	c, err := s.assume(ctx)
	if err != nil {
		if have && s.cur.Expires.Sub(now) > minLeft {
			return s.cur, nil
		}
		return Credentials{}, err // the Assumer's error names the call
	}
	s.cur, s.issued = c, now
	return c, nil
}

// refreshAt is half-way through the current credentials' life.
func (s *Session) refreshAt() time.Time {
	return s.issued.Add(s.cur.Expires.Sub(s.issued) / 2)
}
