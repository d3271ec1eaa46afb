//go:build linux

package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/deploy/local"
	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
	"github.com/tanda-batch/tanda/internal/childproc"
	"github.com/tanda-batch/tanda/scheduler"
)

// Fault kinds.
const (
	FaultKillControlPlane = "kill-control-plane" // kill -9, restarted after the hold
	FaultCrashInstance    = "crash-instance"     // an instance lost under its running jobs
	FaultDiskFull         = "disk-full"          // the store's filesystem full for the hold
	FaultAgentClock       = "agent-clock-skew"   // the agents' clock off by minutes for the hold
	FaultClientNetwork    = "client-network"     // the client's calls broken for the hold (Proxy)
)

// EnvServer, set, makes a binary that calls Main the chaos server, with
// these settings (ServerSettings, JSON).
const EnvServer = "TANDA_CHAOS_SERVER"

// Main runs the chaos server when EnvServer is set (the test binary
// re-executed by UpBackend); ok is false otherwise, and the binary goes on
// as itself. A test binary calls it first in TestMain.
func Main() (code int, ok bool) {
	if os.Getenv(EnvServer) == "" {
		return 0, false
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos server:", err)
		return 1, true
	}
	return 0, true
}

// ServerSettings tune the chaos server: one-machine Tanda as `tanda up`
// runs it (deploy/local, SQLite, in-process instances, jobs as processes),
// with short leases and visibilities, and the seams the faults use.
type ServerSettings struct {
	DataDir   string
	Lease     time.Duration // attempt lease
	Heartbeat time.Duration
	// Visibility hides a doorbell of the submissions queue while the
	// scheduler handles it, AgentVisibility one of a ready queue while an
	// agent claims it: short, so deliveries are repeated and reordered.
	Visibility      time.Duration
	AgentVisibility time.Duration
	// Stale is how soon the sweeper rings again the doorbells of jobs
	// that made no progress (PENDING jobs: twice that).
	Stale time.Duration
	// TimeoutScale divides the agents' timers of a minute or more, so
	// attempt timeouts (60 s at least) fire in compressed time; 0 or 1
	// leaves them alone.
	TimeoutScale float64
}

// The chaos server's banner: `chaos server: api URL control URL`.
const serverBanner = "chaos server: api "

// serve runs the chaos server until SIGTERM or SIGINT.
func serve() error {
	var s ServerSettings
	if err := json.Unmarshal([]byte(os.Getenv(EnvServer)), &s); err != nil {
		return fmt.Errorf("reading %s: %w", EnvServer, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	clock := &skewClock{}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := local.Open(ctx, local.Config{
		DataDir: s.DataDir, Listen: "127.0.0.1:0",
		IdleGrace: 5 * time.Second, LeaseDuration: s.Lease, HeartbeatEvery: s.Heartbeat,
		KillGrace: 2 * time.Second, ProvisionEvery: 200 * time.Millisecond,
		Scheduler: scheduler.Options{
			Visibility: s.Visibility, QueuePassEvery: 300 * time.Millisecond, SweepEvery: time.Second,
			Stale: s.Stale, StalePending: 2 * s.Stale,
		},
		Agent:  local.AgentOverrides{Clock: clock, After: compressed(s.TimeoutScale), Visibility: s.AgentVisibility},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for faults: %w", err)
	}
	ctl := &http.Server{Handler: faultHandler(srv, clock), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- ctl.Serve(ln) }() // ends with ctl.Close below
	fmt.Printf("%s%s control http://%s\n", serverBanner, srv.Endpoint(), ln.Addr())
	err = srv.Run(ctx)
	_ = ctl.Close()
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// faultHandler serves the chaos server's fault seams: GET /instances,
// POST /crash?id=, POST /skew?by=DURATION.
func faultHandler(srv *local.Server, clock *skewClock) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /instances", func(w http.ResponseWriter, r *http.Request) {
		ids, err := srv.Instances(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(ids)
	})
	mux.HandleFunc("POST /crash", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.CrashInstance(r.URL.Query().Get("id")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
		}
	})
	mux.HandleFunc("POST /skew", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		clock.offset.Store(int64(d))
	})
	return mux
}

// skewClock is the wall clock off by an offset that faults change.
type skewClock struct{ offset atomic.Int64 }

func (c *skewClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// compressed is time.After with timers of a minute or more divided by
// scale.
func compressed(scale float64) func(time.Duration) <-chan time.Time {
	if scale <= 1 {
		return nil
	}
	return func(d time.Duration) <-chan time.Time {
		if d >= time.Minute {
			d = time.Duration(float64(d) / scale)
		}
		return time.After(d)
	}
}

// UpBackend is one-machine Tanda, run as a child process (the test binary
// re-executed as the chaos server, see Main) so that it can be killed
// with SIGKILL and restarted on the same data directory, with its data
// directory on a filesystem of DiskBytes (a tmpfs, when this process may
// mount one) that the disk-full fault fills.
type UpBackend struct {
	Dir       string // holds the data directory, the disk and the logs
	DiskBytes int64  // size of the store's filesystem; 0: no disk of its own
	Settings  ServerSettings
	Logf      func(format string, args ...any)

	mu       sync.Mutex
	proc     *childproc.Process
	endpoint string
	control  string
	records  string
	jobBin   string // the chaos job program
	starts   int
	logs     []string
	disk     string // the mounted filesystem, if any
	noDisk   string // why there is none
}

// Name names the backend.
func (b *UpBackend) Name() string {
	return "tanda up (deploy/local, SQLite, in-process instances, process runtime)"
}

// LeaseTTL is the attempts' lease.
func (b *UpBackend) LeaseTTL() time.Duration { return b.Settings.Lease }

// Start mounts the disk, if it can, and starts the server.
func (b *UpBackend) Start(ctx context.Context, records string) error {
	b.records = records
	b.jobBin = filepath.Join(b.Dir, "chaosjob")
	if err := buildJob(ctx, b.jobBin); err != nil {
		return err
	}
	root := filepath.Join(b.Dir, "disk")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("creating the store's directory: %w", err)
	}
	if b.DiskBytes > 0 {
		opts := fmt.Sprintf("size=%d,mode=0755", b.DiskBytes)
		if err := syscall.Mount("tmpfs", root, "tmpfs", 0, opts); err != nil {
			b.noDisk = fmt.Sprintf("cannot mount a tmpfs of %d bytes for the store (%v): needs CAP_SYS_ADMIN", b.DiskBytes, err)
		} else {
			b.disk = root
		}
	} else {
		b.noDisk = "no disk size set"
	}
	b.Settings.DataDir = filepath.Join(root, "data")
	_, err := b.startServer(ctx)
	return err
}

// startServer starts the chaos server and returns how long its API took
// to answer.
func (b *UpBackend) startServer(ctx context.Context) (time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("finding the chaos binary: %w", err)
	}
	settings, err := json.Marshal(b.Settings)
	if err != nil {
		return 0, fmt.Errorf("encoding the server's settings: %w", err)
	}
	b.mu.Lock()
	b.starts++
	log := filepath.Join(b.Dir, fmt.Sprintf("server-%d.log", b.starts))
	b.logs = append(b.logs, log)
	b.mu.Unlock()
	cmd := exec.Command(exe)
	cmd.Env = append(childproc.WithoutAWS(os.Environ()), EnvServer+"="+string(settings))
	began := time.Now()
	proc, err := childproc.Start(cmd, log)
	if err != nil {
		return 0, err
	}
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	line, err := proc.AwaitLine(wait, func(l string) (string, bool) { return strings.CutPrefix(l, serverBanner) })
	if err != nil {
		proc.Kill()
		return 0, fmt.Errorf("starting the chaos server: %w\n%s", err, proc.Tail(4<<10))
	}
	api, control, ok := strings.Cut(line, " control ")
	if !ok {
		proc.Kill()
		return 0, fmt.Errorf("chaos server's banner %q", line)
	}
	if err := proc.AwaitHTTP(wait, api+"/ping"); err != nil {
		proc.Kill()
		return 0, fmt.Errorf("waiting for the chaos server's API: %w", err)
	}
	answered := time.Since(began)
	b.mu.Lock()
	b.proc, b.endpoint, b.control = proc, api, control
	b.mu.Unlock()
	return answered, nil
}

// Endpoint is the API's URL now.
func (b *UpBackend) Endpoint() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.endpoint
}

// AWSConfig reads the credentials the server wrote.
func (b *UpBackend) AWSConfig(ctx context.Context) (aws.Config, error) {
	return clientConfig(ctx, b.Settings.DataDir)
}

// clientConfig is the SDK configuration of a client of Tanda's API with
// the credentials and config files Tanda wrote in its data directory.
func clientConfig(ctx context.Context, dir string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}),
		config.WithSharedConfigFiles([]string{filepath.Join(dir, "config")}),
		config.WithSharedConfigProfile(kit.Profile),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the credentials Tanda wrote in %s: %w", dir, err)
	}
	return cfg, nil
}

// Job runs the chaos job program.
func (b *UpBackend) Job(args []string) ([]string, map[string]string) {
	return append([]string{b.jobBin}, args...), map[string]string{jobrecord.EnvRecords: b.records}
}

// buildJob builds the chaos job program (./chaosjob) into out, without
// the race detector: it starts in a millisecond.
func buildJob(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/tanda-batch/tanda/integration/chaos/chaosjob")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the chaos job program: %w\n%s", err, msg)
	}
	return nil
}

// Instances asks the server which instances run.
func (b *UpBackend) Instances(ctx context.Context) ([]string, error) {
	var ids []string
	err := b.call(ctx, http.MethodGet, "/instances", &ids)
	return ids, err
}

func (b *UpBackend) call(ctx context.Context, method, path string, out any) error {
	b.mu.Lock()
	url := b.control + path
	b.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return fmt.Errorf("calling the chaos server: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("calling the chaos server: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("chaos server %s %s: %s", method, path, res.Status)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			return fmt.Errorf("reading the chaos server's answer: %w", err)
		}
	}
	return nil
}

// Faults lists what this backend injects. Agents run inside the control
// plane here: an agent cannot be killed alone, so a lost agent is a
// crashed instance (its jobs stop, nothing is reported) or the whole
// control plane killed.
func (b *UpBackend) Faults() ([]Fault, map[string]string) {
	fs := []Fault{killFault{b}, crashFault{b}, skewFault{b}}
	missing := map[string]string{}
	if b.disk != "" {
		fs = append(fs, diskFault{b})
	} else {
		missing[FaultDiskFull] = b.noDisk
	}
	return fs, missing
}

// Stop stops the server with SIGTERM, fails if any of its lives logged a
// data race, and unmounts the disk.
func (b *UpBackend) Stop(ctx context.Context) error {
	var errs []error
	b.mu.Lock()
	proc := b.proc
	b.mu.Unlock()
	if proc != nil && !proc.Exited() {
		if err := proc.Signal(syscall.SIGTERM); err != nil {
			errs = append(errs, fmt.Errorf("stopping the chaos server: %w", err))
		}
		select {
		case <-proc.Done():
			if code := proc.State().ExitCode(); code != 0 {
				errs = append(errs, fmt.Errorf("chaos server exited with %d after SIGTERM:\n%s", code, proc.Tail(4<<10)))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("chaos server still running 30s after SIGTERM"))
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
		proc.Kill() // the jobs' process groups are the server's to stop; this takes the rest
	}
	for _, log := range b.logs {
		data, err := os.ReadFile(log)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading the chaos server's log: %w", err))
			continue
		}
		if strings.Contains(string(data), "WARNING: DATA RACE") {
			errs = append(errs, fmt.Errorf("the chaos server reported a data race in %s", log))
		}
	}
	if b.disk != "" {
		if err := syscall.Unmount(b.disk, syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmounting the store's filesystem: %w", err))
		}
	}
	return errors.Join(errs...)
}

// killFault is kill -9 of the control plane, restarted when healed.
type killFault struct{ b *UpBackend }

func (killFault) Kind() string { return FaultKillControlPlane }

func (f killFault) Inject(ctx context.Context, _ *rand.Rand) (Injection, error) {
	lost, err := f.b.Instances(ctx)
	if err != nil {
		return Injection{}, err
	}
	f.b.mu.Lock()
	proc := f.b.proc
	f.b.mu.Unlock()
	if err := proc.Signal(syscall.SIGKILL); err != nil {
		return Injection{}, fmt.Errorf("kill -9 of the chaos server: %w", err)
	}
	<-proc.Done()
	return Injection{
		Detail: fmt.Sprintf("kill -9 of the control plane (pid %d) with %d instances", proc.PID(), len(lost)),
		Lost:   lost,
		Heal: func(ctx context.Context) (Healed, error) {
			took, err := f.b.startServer(ctx)
			return Healed{Detail: fmt.Sprintf("restarted; API answered %v after start", took.Round(time.Millisecond)), APIAnswered: took}, err
		},
	}, nil
}

// crashFault loses one instance under its running jobs.
type crashFault struct{ b *UpBackend }

func (crashFault) Kind() string { return FaultCrashInstance }

func (f crashFault) Inject(ctx context.Context, rng *rand.Rand) (Injection, error) {
	ids, err := f.b.Instances(ctx)
	if err != nil {
		return Injection{}, err
	}
	if len(ids) == 0 {
		return Injection{Detail: "no instance to crash"}, nil
	}
	id := ids[rng.IntN(len(ids))]
	if err := f.b.call(ctx, http.MethodPost, "/crash?id="+id, nil); err != nil {
		return Injection{}, err
	}
	return Injection{Detail: "instance " + id + " lost", Lost: []string{id}}, nil
}

// skewFault puts the agents' clock off by minutes.
type skewFault struct{ b *UpBackend }

func (skewFault) Kind() string { return FaultAgentClock }

func (f skewFault) Inject(ctx context.Context, rng *rand.Rand) (Injection, error) {
	by := time.Duration(1+rng.IntN(10)) * time.Minute
	if rng.IntN(2) == 0 {
		by = -by
	}
	if err := f.b.call(ctx, http.MethodPost, "/skew?by="+by.String(), nil); err != nil {
		return Injection{}, err
	}
	return Injection{
		Detail: "agents' clock off by " + by.String(),
		Heal: func(ctx context.Context) (Healed, error) {
			// A restart while it held reset it already.
			return Healed{Detail: "agents' clock right"}, f.b.call(ctx, http.MethodPost, "/skew?by=0s", nil)
		},
	}, nil
}

// diskFault fills the store's filesystem with a ballast file.
type diskFault struct{ b *UpBackend }

func (diskFault) Kind() string { return FaultDiskFull }

func (f diskFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	path := filepath.Join(f.b.disk, "ballast")
	n, err := fill(path)
	if err != nil {
		return Injection{}, err
	}
	return Injection{
		Detail: fmt.Sprintf("store's filesystem full (%d bytes of ballast)", n),
		Probe:  true,
		Heal: func(context.Context) (Healed, error) {
			if err := os.Remove(path); err != nil {
				return Healed{}, fmt.Errorf("removing the ballast: %w", err)
			}
			return Healed{Detail: "ballast removed"}, nil
		},
	}, nil
}

// fill writes path until the filesystem is full.
func fill(path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("creating the ballast: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			if len(buf) == 1 {
				return n, nil
			}
			buf = buf[:len(buf)/2] // fill the last pages too
			continue
		}
		if err != nil {
			return n, fmt.Errorf("writing the ballast: %w", err)
		}
	}
}
