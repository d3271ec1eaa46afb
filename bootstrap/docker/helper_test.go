package docker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
)

// testImage is the image the daemon tests run: testdata/jobprog, built
// static and imported by TestMain (no registry is reachable).
const testImage = dockertest.JobProgImage

// daemon is the Docker client the tests use to look at containers, and
// daemonErr why there is none (or why the test image could not be made).
var (
	daemon    *client.Client
	daemonErr error
)

func TestMain(m *testing.M) {
	daemon, daemonErr = connect()
	if daemonErr == nil {
		if err := importTestImage(); err != nil {
			daemonErr = fmt.Errorf("making the test image: %w", err)
		}
	}
	code := m.Run()
	if daemon != nil {
		daemon.Close()
	}
	os.Exit(code)
}

// connect reaches the daemon DOCKER_HOST names.
func connect() (*client.Client, error) { return dockertest.Connect() }

// needDaemon skips a test that needs Docker when no daemon answers, except
// under `make test`, which starts one: there it fails.
func needDaemon(t testing.TB) {
	t.Helper()
	dockertest.Need(t, daemonErr)
}

// importTestImage makes testImage from testdata/jobprog.
func importTestImage() error {
	_, err := dockertest.ImportJobProg(context.Background(), daemon)
	return err
}

// newRuntime returns a runtime on the test daemon, and removes whatever
// containers its instance leaves at the end of the test.
func newRuntime(t testing.TB, opts Options) (*Runtime, string) {
	t.Helper()
	needDaemon(t)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	instance := fmt.Sprintf("i-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	t.Cleanup(func() {
		removeInstance(t, instance)
		r.Close()
	})
	return r, instance
}

// testWriter writes to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// removeInstance removes the containers an instance left.
func removeInstance(t testing.TB, instance string) {
	t.Helper()
	ctx := context.Background()
	list, err := daemon.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", LabelInstance+"="+instance)})
	if err != nil {
		t.Errorf("listing leftover containers: %v", err)
		return
	}
	for _, c := range list.Items {
		t.Errorf("container %.12s (%s) left behind", c.ID, c.Labels[LabelJobID])
		daemon.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

// jobSpec is an attempt of testImage running jobprog with args.
func jobSpec(instance, jobID string, args ...string) bootstrap.RunSpec {
	return bootstrap.RunSpec{
		JobID:      jobID,
		Attempt:    1,
		InstanceID: instance,
		Image:      testImage,
		Command:    append([]string{"/jobprog"}, args...),
		Env:        []string{"AWS_BATCH_JOB_ID=" + jobID, "AWS_BATCH_JOB_ATTEMPT=1"},
		VCPUs:      1,
		MemoryMiB:  128,
	}
}

// output records a job's log lines and tells when one arrives.
type output struct {
	mu    sync.Mutex
	lines []bootstrap.LogLine
	added chan struct{}
}

func newOutput() *output { return &output{added: make(chan struct{}, 1)} }

func (o *output) log(l bootstrap.LogLine) {
	o.mu.Lock()
	o.lines = append(o.lines, l)
	o.mu.Unlock()
	select {
	case o.added <- struct{}{}:
	default:
	}
}

func (o *output) all() []bootstrap.LogLine {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]bootstrap.LogLine(nil), o.lines...)
}

// texts are the lines of one stream ("" for both).
func (o *output) texts(stream string) []string {
	var out []string
	for _, l := range o.all() {
		if stream == "" || l.Stream == stream {
			out = append(out, l.Text)
		}
	}
	return out
}

// waitFor waits for a line with text, failing the test after timeout.
func (o *output) waitFor(t *testing.T, text string, timeout time.Duration) bootstrap.LogLine {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, l := range o.all() {
			if l.Text == text {
				return l
			}
		}
		select {
		case <-o.added:
		case <-deadline:
			t.Fatalf("no line %q within %v; got %q", text, timeout, o.texts(""))
		}
	}
}

// start starts spec and fails the test if it cannot.
func start(t testing.TB, r *Runtime, spec bootstrap.RunSpec) (*Execution, *output) {
	t.Helper()
	out := newOutput()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ex, err := r.Start(ctx, spec, out.log)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return ex.(*Execution), out
}

// waitResult waits for an execution, failing the test after timeout.
func waitResult(t testing.TB, ex *Execution, timeout time.Duration) bootstrap.RunResult {
	t.Helper()
	got := make(chan bootstrap.RunResult, 1)
	go func() { got <- ex.Wait() }()
	select {
	case res := <-got:
		return res
	case <-time.After(timeout):
		ex.Stop(0)
		t.Fatalf("container still running after %v", timeout)
		return bootstrap.RunResult{}
	}
}

// inspect looks at a running container.
func inspect(t *testing.T, id string) client.ContainerInspectResult {
	t.Helper()
	res, err := daemon.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspecting container: %v", err)
	}
	return res
}
