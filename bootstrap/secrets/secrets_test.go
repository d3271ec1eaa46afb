package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
)

const (
	account = "111122223333"
	db      = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
	// leak is in every value: no error may carry it.
	leak = "s3cr3t-Zq9"
)

// fakeStore answers from maps, recording the calls.
type fakeStore struct {
	params  map[string]string // by region + "|" + name
	secrets map[string]string // by ARN + "|" + stage + "|" + id
	err     error

	mu    sync.Mutex
	calls []string
}

func (f *fakeStore) Parameters(_ context.Context, region string, names []string) (map[string]string, []string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("ssm %s %v", region, names))
	f.mu.Unlock()
	if f.err != nil {
		return nil, nil, f.err
	}
	if len(names) > 10 {
		return nil, nil, errors.New("ValidationException: more than 10 names")
	}
	got := map[string]string{}
	var invalid []string
	for _, n := range names {
		if v, ok := f.params[region+"|"+n]; ok {
			got[n] = v
		} else {
			invalid = append(invalid, n)
		}
	}
	return got, invalid, nil
}

func (f *fakeStore) SecretValue(_ context.Context, region string, ref batch.SecretRef) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("asm %s %s", region, ref.ARN))
	f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.secrets[ref.ARN+"|"+ref.VersionStage+"|"+ref.VersionID]
	if !ok {
		return "", errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret.")
	}
	return v, nil
}

func store() *fakeStore {
	return &fakeStore{
		params: map[string]string{
			"us-east-1|plain":    "p-" + leak,
			"us-east-1|/prod/db": "d-" + leak,
			"eu-west-1|/prod/db": "e-" + leak,
			"us-east-1|arn:aws:ssm:us-east-1:444455556666:parameter/shared": "x-" + leak,
		},
		secrets: map[string]string{
			db + "||":            `{"user":"admin","password":"pw-` + leak + `","port":5432,"tags":["a"]}`,
			db + "|AWSPREVIOUS|": `{"password":"old-` + leak + `"}`,
			db + "||v-1":         `{"password":"v1-` + leak + `"}`,
			"arn:aws:secretsmanager:us-east-1:111122223333:secret:text||": "plain text " + leak,
		},
	}
}

func TestResolve(t *testing.T) {
	f := store()
	list := []batch.Secret{
		{Name: "PLAIN", ValueFrom: "plain"},
		{Name: "DB", ValueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/prod/db"},
		{Name: "DB_EU", ValueFrom: "arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db"},
		{Name: "SHARED", ValueFrom: "arn:aws:ssm:us-east-1:444455556666:parameter/shared"},
		{Name: "WHOLE", ValueFrom: db},
		{Name: "USER", ValueFrom: db + ":user::"},
		{Name: "PORT", ValueFrom: db + ":port::"},
		{Name: "TAGS", ValueFrom: db + ":tags::"},
		{Name: "OLD", ValueFrom: db + ":password:AWSPREVIOUS:"},
		{Name: "V1", ValueFrom: db + ":password::v-1"},
		{Name: "TEXT", ValueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:text"},
		{Name: "PLAIN_AGAIN", ValueFrom: "plain"},
	}
	vars, err := secrets.Resolve(t.Context(), f, "us-east-1", account, list)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	got := secrets.Env(vars)
	want := []string{
		"PLAIN=p-" + leak, "DB=d-" + leak, "DB_EU=e-" + leak, "SHARED=x-" + leak,
		`WHOLE={"user":"admin","password":"pw-` + leak + `","port":5432,"tags":["a"]}`,
		"USER=admin", "PORT=5432", `TAGS=["a"]`, "OLD=old-" + leak, "V1=v1-" + leak,
		"TEXT=plain text " + leak, "PLAIN_AGAIN=p-" + leak,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve =\n %q\nwant\n %q", got, want)
	}
	// A parameter of the agent's account goes by its name, one of another
	// account by its ARN; one call per region, each name once.
	wantCalls := []string{
		"ssm us-east-1 [plain /prod/db arn:aws:ssm:us-east-1:444455556666:parameter/shared]",
		"ssm eu-west-1 [/prod/db]",
	}
	if !slices.Equal(f.calls[:2], wantCalls) {
		t.Errorf("SSM calls = %q, want %q", f.calls[:2], wantCalls)
	}
	if fmt.Sprint(vars[0]) != "PLAIN=<secret>" {
		t.Errorf("a Var prints as %v, want its name only", vars[0])
	}
}

func TestResolveBatchesParameters(t *testing.T) {
	f := &fakeStore{params: map[string]string{}}
	var list []batch.Secret
	for i := range 23 {
		name := fmt.Sprintf("p%d", i)
		f.params["us-east-1|"+name] = "v" + name
		list = append(list, batch.Secret{Name: strings.ToUpper(name), ValueFrom: name})
	}
	vars, err := secrets.Resolve(t.Context(), f, "us-east-1", "", list)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if len(vars) != 23 || vars[22].Value != "vp22" || len(f.calls) != 3 {
		t.Errorf("Resolve of 23 parameters: %d vars (last %v), %d calls; want 23 in 3 calls of at most 10", len(vars), vars[len(vars)-1].Name, len(f.calls))
	}
}

func TestResolveFailures(t *testing.T) {
	tests := []struct {
		name   string
		secret batch.Secret
		err    error
		want   string
	}{
		{"missing parameter", batch.Secret{Name: "X", ValueFrom: "/nope"}, nil,
			"unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: /nope"},
		{"missing secret", batch.Secret{Name: "X", ValueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:nope"}, nil,
			"unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:nope from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."},
		{"missing key", batch.Secret{Name: "X", ValueFrom: db + ":nokey::"}, nil,
			"unable to retrieve secret from asm: retrieved secret " + db + " from Secrets Manager did not contain json key nokey"},
		{"not JSON", batch.Secret{Name: "X", ValueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:text:k::"}, nil,
			"secret arn:aws:secretsmanager:us-east-1:111122223333:secret:text: its value is not a JSON object, so it has no key k"},
		{"missing stage", batch.Secret{Name: "X", ValueFrom: db + "::AWSPENDING:"}, nil, "ResourceNotFoundException"},
		{"refused", batch.Secret{Name: "X", ValueFrom: "plain"}, errors.New("AccessDeniedException: not authorized to perform: ssm:GetParameters"),
			"unable to retrieve secrets from ssm in us-east-1: AccessDeniedException: not authorized to perform: ssm:GetParameters"},
		{"bad reference", batch.Secret{Name: "X", ValueFrom: "arn:aws:s3:::b"}, nil, "secret X: valueFrom must be an ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := store()
			f.err = tt.err
			_, err := secrets.Resolve(t.Context(), f, "us-east-1", account, []batch.Secret{{Name: "OK", ValueFrom: "plain"}, tt.secret})
			var se *secrets.Error
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Resolve = %v, want an *Error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("the error shows a secret's value: %v", err)
			}
			if d := secrets.Describe(fmt.Errorf("wrapped: %w", err)); d != err.Error() {
				t.Errorf("Describe = %q, want %q", d, err.Error())
			}
			if d := secrets.Describe(errors.New("other")); d != "unable to pull secrets or registry auth: other" {
				t.Errorf("Describe of another error = %q", d)
			}
		})
	}
}

// fakeAssumer assumes roles, or refuses them.
type fakeAssumer struct {
	err error

	mu sync.Mutex
	in []rolecreds.AssumeInput
}

func (f *fakeAssumer) AssumeRole(_ context.Context, in rolecreds.AssumeInput) (rolecreds.Credentials, error) {
	f.mu.Lock()
	f.in = append(f.in, in)
	f.mu.Unlock()
	if f.err != nil {
		return rolecreds.Credentials{}, f.err
	}
	return rolecreds.Credentials{AccessKeyID: "ASIA" + in.SessionName, SecretAccessKey: "s", SessionToken: "t", Expires: time.Now().Add(in.Duration)}, nil
}

// roleStores gives a Store per identity and records which was asked for.
type roleStores struct {
	f    *fakeStore
	mu   sync.Mutex
	used []string // the roles the stores were for ("" is the agent)
}

func (r *roleStores) store(s *rolecreds.Session) secrets.Store {
	r.mu.Lock()
	defer r.mu.Unlock()
	who := ""
	if s != nil {
		who = s.RoleARN()
	}
	r.used = append(r.used, who)
	return r.f
}

type registry string

func (r registry) RegistryAuth(context.Context, string) (string, error) { return string(r), nil }

func TestPrepare(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/exec"
	list := []batch.Secret{{Name: "PLAIN", ValueFrom: "plain"}}
	t.Run("with an execution role", func(t *testing.T) {
		as := &fakeAssumer{}
		rs := &roleStores{f: store()}
		r := &secrets.Resolver{
			Assumer: as, Store: rs.store, Region: "us-east-1", Stack: "st",
			Registry: func(s *rolecreds.Session) secrets.RegistryAuth { return registry("as " + s.RoleARN()) },
		}
		p, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j:3", Attempt: 2, ExecutionRoleARN: role, Secrets: list})
		if err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		if len(as.in) != 1 || as.in[0].SessionName != "tanda-j.3-2" || as.in[0].Tags[rolecreds.TagStack] != "st" || as.in[0].Duration != secrets.ExecutionDuration {
			t.Errorf("AssumeRole calls %+v, want one, session tanda-j.3-2, tagged with the stack", as.in)
		}
		if !slices.Equal(rs.used, []string{role}) || p.Role == nil || p.Role.RoleARN() != role {
			t.Errorf("secrets read as %q, want as %s", rs.used, role)
		}
		if got, _ := p.Registry.RegistryAuth(t.Context(), "img"); got != "as "+role {
			t.Errorf("registry auth %q, want the role's", got)
		}
		if !slices.Equal(secrets.Env(p.Vars), []string{"PLAIN=p-" + leak}) {
			t.Errorf("vars %v", p.Vars)
		}
	})
	t.Run("without one", func(t *testing.T) {
		as := &fakeAssumer{}
		rs := &roleStores{f: store()}
		r := &secrets.Resolver{Assumer: as, Store: rs.store, Region: "us-east-1"}
		p, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, Secrets: list})
		if err != nil || len(as.in) != 0 || !slices.Equal(rs.used, []string{""}) || p.Registry != nil || p.Role != nil {
			t.Errorf("Prepare = %+v, %v after %d AssumeRole, stores %q; want the agent's own store, no role", p, err, len(as.in), rs.used)
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		r := &secrets.Resolver{}
		p, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1})
		if err != nil || p.Vars != nil || p.Registry != nil || p.Notes != nil {
			t.Errorf("Prepare of a job with neither = %+v, %v", p, err)
		}
	})
	refused := errors.New("STS AssumeRole: AccessDenied: not authorized")
	t.Run("role refused", func(t *testing.T) {
		rs := &roleStores{f: store()}
		r := &secrets.Resolver{Assumer: &fakeAssumer{err: refused}, Store: rs.store}
		_, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, ExecutionRoleARN: role, Secrets: list})
		want := "unable to pull secrets or registry auth: unable to assume execution role " + role + ": STS AssumeRole: AccessDenied: not authorized"
		if err == nil || err.Error() != want || len(rs.used) != 0 {
			t.Errorf("Prepare = %v (stores %q), want %q and no secret read", err, rs.used, want)
		}
	})
	t.Run("role refused, lenient", func(t *testing.T) {
		rs := &roleStores{f: store()}
		r := &secrets.Resolver{Assumer: &fakeAssumer{err: refused}, Store: rs.store, Region: "us-east-1", Lenient: true}
		p, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, ExecutionRoleARN: role, Secrets: list})
		if err != nil || !slices.Equal(rs.used, []string{""}) || len(p.Notes) != 2 || !strings.Contains(p.Notes[0], "unable to assume it") {
			t.Errorf("Prepare = %+v, %v (stores %q); want the agent's own credentials, with a note", p, err, rs.used)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		noCreds := &fakeStore{err: fmt.Errorf("%w: no EC2 IMDS role found", rolecreds.ErrNoCredentials)}
		r := &secrets.Resolver{Store: func(*rolecreds.Session) secrets.Store { return noCreds }, Lenient: true}
		_, err := r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, Secrets: list})
		if err == nil || !strings.HasPrefix(err.Error(), "unable to pull secrets or registry auth: this agent has no AWS credentials to read secrets with: ") {
			t.Errorf("Prepare without credentials = %v", err)
		}
		_, err = r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, ExecutionRoleARN: role, Secrets: list})
		if err == nil || !strings.Contains(err.Error(), "unable to assume execution role "+role+": this agent has no AWS credentials") {
			t.Errorf("Prepare with a role and no Assumer = %v", err)
		}
		r = &secrets.Resolver{}
		_, err = r.Prepare(t.Context(), secrets.Attempt{JobID: "j", Attempt: 1, Secrets: list})
		if err == nil || !strings.Contains(err.Error(), "no AWS credentials to read secrets with") {
			t.Errorf("Prepare without a Store = %v", err)
		}
	})
}
