package ec2agent_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/internal/controltest"
)

// roleWorld is the stack of the job role tests on a real Docker Engine and
// moto: a bucket with an object to read, the test image (a static Go
// program using the AWS SDK's default credential chain), and the job
// definitions "with-role" and "without-role" that run it.
//
// The containers run on the host's network: the daemon `make test` starts
// has no bridge (scripts/dockerd.sh), and moto listens on 127.0.0.1. The
// endpoint is then on 127.0.0.1 too; on a bridge it is on 169.254.170.2
// (rolecreds.Listen), which these tests do not add to the machine.
type roleWorld struct {
	t      *testing.T
	daemon dockerDaemon
	s3     *s3.Client
	bucket string
	db     *sqlite.DB
	ctl    *control.Service
	sts    *stsroles.Assumer
}

// dockerDaemon is the test daemon's address.
type dockerDaemon interface{ DaemonHost() string }

const jobRole = "arn:aws:iam::123456789012:role/reader"

func newRoleWorld(t *testing.T) *roleWorld {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	image := dockertest.AWSProg(t)
	daemon, err := dockertest.Connect()
	dockertest.Need(t, err)
	t.Cleanup(func() { daemon.Close() })
	ctx := t.Context()

	// The agent's own credentials, as an instance role's would be: the
	// jobs must not see them.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDAGENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "agent-secret")
	motoCfg := aws.Config{Region: mototest.Region, Credentials: mototest.Credentials(), BaseEndpoint: aws.String(endpoint), HTTPClient: awsclient.HTTPClient()}
	w := &roleWorld{t: t, daemon: daemon, sts: stsroles.New(motoCfg)}
	w.s3 = s3.NewFromConfig(motoCfg, func(o *s3.Options) { o.UsePathStyle = true })
	w.bucket = "jobrole-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := w.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(w.bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := w.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String("in/data.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	w.ctl, w.db = controltest.Open(t, control.Options{Partition: batch.Partition{Region: region, Account: account}, LeaseDuration: lease})
	createStack(t, w.ctl)
	env := []batch.KeyValuePair{
		{Name: "AWS_REGION", Value: mototest.Region}, {Name: "AWS_ENDPOINT_URL", Value: endpoint},
		// The test machine has no IMDS; this spares the SDK its timeouts
		// (on EC2, the hop limit of 1 keeps containers from it).
		{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"},
		{Name: "IN_BUCKET", Value: w.bucket}, {Name: "IN_KEY", Value: "in/data.txt"},
	}
	for _, def := range []struct{ name, role string }{{"with-role", jobRole}, {"without-role", ""}} {
		if _, err := w.ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: def.name, Type: batch.DefinitionTypeContainer,
			ContainerProperties: &batch.ContainerProperties{
				Image: image, Command: []string{"/awsprog"}, JobRoleArn: def.role, Environment: env,
				ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "128"}},
			},
		}); err != nil {
			t.Fatalf("RegisterJobDefinition(%s): %v", def.name, err)
		}
	}
	return w
}

// runtime is a Docker runtime of host-networked containers on the daemon
// at host ("" for the test daemon).
func (w *roleWorld) runtime(host string) *docker.Runtime {
	w.t.Helper()
	rt, err := docker.New(docker.Options{Host: host, Network: "host", Allow: docker.Allow{HostNetwork: true}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		w.t.Fatalf("docker.New: %v", err)
	}
	return rt
}

// startAgent runs an agent of the instance with rt and cfg until stop is
// called or the test ends; its jobs' output goes to logs.
func (w *roleWorld) startAgent(rt bootstrap.Runtime, logs *memLogs, cfg ec2agent.Config) (stop func()) {
	t := w.t
	t.Helper()
	fake := newFakeIMDS(t, testSettings)
	inst, err := ec2agent.Discover(t.Context(), imds.New(fake.URL, imds.Options{}), ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	cfg.Runtime, cfg.WorkRoot, cfg.Logger, cfg.KeepCredentialsAddress = rt, t.TempDir(), slog.New(slog.DiscardHandler), true
	agent, err := ec2agent.New(t.Context(), inst, ec2agent.Backend{Store: w.db, Queues: w.db, Logs: logs, Roles: w.sts}, cfg)
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// submit submits a job of def whose output object is outKey, with env
// added to its environment.
func (w *roleWorld) submit(def, outKey string, env ...batch.KeyValuePair) string {
	w.t.Helper()
	in := &batch.SubmitJobInput{JobName: def, JobQueue: queueName, JobDefinition: def}
	in.ContainerOverrides = &batch.ContainerOverrides{Environment: append([]batch.KeyValuePair{{Name: "OUT_KEY", Value: outKey}}, env...)}
	out, err := w.ctl.SubmitJob(w.t.Context(), in)
	if err != nil {
		w.t.Fatalf("SubmitJob(%s): %v", def, err)
	}
	return out.JobID
}

// wait waits, a minute at most, until job id satisfies done.
func (w *roleWorld) wait(id, what string, done func(batch.Job) bool) batch.Job {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := w.ctl.Job(w.t.Context(), id)
		if err != nil {
			w.t.Fatalf("reading job: %v", err)
		}
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("job %s (%s): not %s after a minute", id, j.Status, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *roleWorld) ended(id string) batch.Job {
	w.t.Helper()
	return w.wait(id, "ended", func(j batch.Job) bool { return j.Status.Terminal() })
}

// object is the body of an object of the bucket.
func (w *roleWorld) object(key string) (string, error) {
	obj, err := w.s3.GetObject(w.t.Context(), &s3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer obj.Body.Close()
	body, err := io.ReadAll(obj.Body)
	return string(body), err
}

// output is the log of a job's last attempt.
func (logs *memLogs) output(j batch.Job) string {
	stream := control.LogStreamName(j.Internal.DefinitionName, j.JobID, j.Internal.Attempt)
	if n := len(j.Attempts); n > 0 && j.Attempts[n-1].Container != nil {
		stream = j.Attempts[n-1].Container.LogStreamName
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	return strings.Join(logs.streams[stream], "\n")
}

// TestJobRoleCredentialsInAContainer runs, on a real Docker Engine, a job
// whose program uses the AWS SDK's default credential chain: with a
// jobRoleArn it finds the role's credentials at the agent's endpoint (and
// nowhere else: the agent's own credentials are in its environment, not
// the container's), reads an S3 object from moto and writes another; a job
// without a role finds no credentials.
func TestJobRoleCredentialsInAContainer(t *testing.T) {
	w := newRoleWorld(t)
	logs := &memLogs{streams: map[string][]string{}}
	rt := w.runtime("")
	w.startAgent(rt, logs, ec2agent.Config{CredentialsPort: rolecreds.AnyPort})

	j := w.ended(w.submit("with-role", "out/with-role.txt"))
	if j.Status != batch.Succeeded {
		t.Fatalf("the job with a role: %s (%s); its log:\n%s", j.Status, j.StatusReason, logs.output(j))
	}
	for _, want := range []string{
		"credentials from CredentialsEndpointProvider",
		"caller arn:aws:sts::123456789012:assumed-role/reader/tanda-" + j.JobID + "-1",
		"job role " + jobRole + ": credentials (session tanda-" + j.JobID + "-1) at AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		if !strings.Contains(logs.output(j), want) {
			t.Errorf("the job's log lacks %q:\n%s", want, logs.output(j))
		}
	}
	if body, err := w.object("out/with-role.txt"); err != nil || body != "processed: hello" {
		t.Errorf("output object = %q, %v; want %q", body, err, "processed: hello")
	}

	j = w.ended(w.submit("without-role", "out/without-role.txt"))
	if j.Status != batch.Failed || j.Attempts[0].Container.ExitCode == nil || *j.Attempts[0].Container.ExitCode != 3 {
		t.Fatalf("the job without a role: %s, attempts %+v; want FAILED with exit code 3 (no credentials); its log:\n%s", j.Status, j.Attempts, logs.output(j))
	}
	if !strings.Contains(logs.output(j), "no credentials") || strings.Contains(logs.output(j), "caller ") {
		t.Errorf("the job without a role found credentials:\n%s", logs.output(j))
	}
	if _, err := w.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String("out/without-role.txt")}); err == nil {
		t.Error("the job without a role wrote its object")
	}
}

// TestJobRoleCredentialsAfterAnAgentRestart: the agent crashes while a job
// with a role runs, and a new agent of the instance starts at the same
// fixed port and takes the container over. The job's SDK, told to fetch
// its credentials again, gets them from the new agent at the URI and with
// the token it was started with, and goes on calling AWS.
//
// The crash is played in the test's process: the first agent's runtime
// leaves its containers running when the agent stops (as a killed agent
// does), and its connections to Docker are cut, so that nothing of it
// follows or removes the container any more; its credentials endpoint
// closes with it.
func TestJobRoleCredentialsAfterAnAgentRestart(t *testing.T) {
	w := newRoleWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var opened atomic.Bool
	gate := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		if !opened.Load() {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer gate.Close()

	proxy := newSocketProxy(t, w.daemon.DaemonHost())
	first := &crashingRuntime{Runtime: w.runtime(proxy.host())}
	firstLogs := &memLogs{streams: map[string][]string{}}
	stopFirst := w.startAgent(first, firstLogs, ec2agent.Config{CredentialsPort: port})
	id := w.submit("with-role", "out/restart.txt", batch.KeyValuePair{Name: "AGAIN_WHEN", Value: gate.URL})
	j := w.wait(id, "waiting to fetch its credentials again", func(j batch.Job) bool {
		return j.Status.Terminal() || strings.Contains(firstLogs.output(j), "waiting to fetch the credentials again")
	})
	if j.Status != batch.Running {
		t.Fatalf("the job: %s (%s), want it RUNNING; its log:\n%s", j.Status, j.StatusReason, firstLogs.output(j))
	}

	// The crash.
	first.crashed.Store(true)
	stopFirst()
	proxy.close()
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatalf("something still listens at %s after the first agent's crash", ln.Addr())
	}

	logs := &memLogs{streams: map[string][]string{}}
	w.startAgent(w.runtime(""), logs, ec2agent.Config{CredentialsPort: port})
	w.wait(id, "taken over", func(j batch.Job) bool {
		return j.Status.Terminal() || strings.Contains(logs.output(j), "agent restarted: following the running execution again")
	})
	opened.Store(true)
	j = w.ended(id)
	if j.Status != batch.Succeeded || len(j.Attempts) != 1 {
		t.Fatalf("the job: %s (%s) after %d attempts, want SUCCEEDED in one; its log:\n%s", j.Status, j.StatusReason, len(j.Attempts), logs.output(j))
	}
	for _, want := range []string{
		"agent restarted: following the running execution again",
		"job role " + jobRole + ": after the agent's restart its credentials (session tanda-" + id + "-1) are served again at the job's AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"credentials again from CredentialsEndpointProvider; access key changed: true",
		"caller again arn:aws:sts::123456789012:assumed-role/reader/tanda-" + id + "-1",
	} {
		if !strings.Contains(logs.output(j), want) {
			t.Errorf("the job's log lacks %q:\n%s", want, logs.output(j))
		}
	}
	if body, err := w.object("out/restart.txt"); err != nil || body != "processed: hello" {
		t.Errorf("output object = %q, %v; want %q", body, err, "processed: hello")
	}
}

// crashingRuntime is a Docker runtime whose executions, once crashed is
// set, are abandoned rather than stopped: the agent that stops then leaves
// its containers running, as one that is killed does.
type crashingRuntime struct {
	*docker.Runtime
	crashed atomic.Bool
}

func (r *crashingRuntime) Start(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	e, err := r.Runtime.Start(ctx, spec, logs)
	if err != nil {
		return nil, err
	}
	return &crashingExecution{Execution: e, rt: r, abandoned: make(chan struct{})}, nil
}

type crashingExecution struct {
	bootstrap.Execution
	rt        *crashingRuntime
	once      sync.Once
	abandoned chan struct{}
}

// Stop abandons the container once the runtime has crashed.
func (e *crashingExecution) Stop(grace time.Duration) {
	if e.rt.crashed.Load() {
		e.once.Do(func() { close(e.abandoned) })
		return
	}
	e.Execution.Stop(grace)
}

// Wait returns when the container ends, or when it is abandoned.
func (e *crashingExecution) Wait() bootstrap.RunResult {
	res := make(chan bootstrap.RunResult, 1)
	// Ends when the underlying execution does: at the latest once the
	// proxy to Docker is closed and its follower gives up.
	go func() { res <- e.Execution.Wait() }()
	select {
	case r := <-res:
		return r
	case <-e.abandoned:
		return bootstrap.RunResult{ExitCode: -1, Reason: "abandoned by a crashed agent"}
	}
}

// socketProxy forwards connections on a Unix socket of its own to the
// Docker daemon, until close cuts them all.
type socketProxy struct {
	ln   net.Listener
	conn sync.WaitGroup

	mu     sync.Mutex
	closed bool
	open   map[net.Conn]bool
}

func newSocketProxy(t *testing.T, daemonHost string) *socketProxy {
	t.Helper()
	network, addr, ok := strings.Cut(daemonHost, "://")
	if !ok || (network != "unix" && network != "tcp") {
		t.Skipf("the test daemon at %s is on neither a Unix socket nor TCP", daemonHost)
	}
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	p := &socketProxy{ln: ln, open: map[net.Conn]bool{}}
	p.conn.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial(network, addr)
			if err != nil || !p.track(c, d) {
				c.Close()
				if d != nil {
					d.Close()
				}
				continue
			}
			p.conn.Go(func() { pipe(c, d) })
			p.conn.Go(func() { pipe(d, c) })
		}
	})
	t.Cleanup(p.close)
	return p
}

// host is the proxy's address as a Docker host.
func (p *socketProxy) host() string { return "unix://" + p.ln.Addr().String() }

// track records a forwarded pair of connections, unless the proxy is
// closed.
func (p *socketProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.open[c] = true
	}
	return true
}

// close stops accepting, cuts every connection and waits for the copies.
func (p *socketProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.conn.Wait()
}

// pipe copies from src to dst until either ends, then closes both.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src) // a cut connection ends it too
	dst.Close()
	src.Close()
}
