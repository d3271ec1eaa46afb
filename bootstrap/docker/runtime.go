package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

// Options configure a Runtime. The zero value talks to the daemon named by
// DOCKER_HOST (or Docker's default socket) and allows nothing beyond an
// ordinary container.
type Options struct {
	// Host is the daemon's address, e.g. "unix:///var/run/docker.sock";
	// DOCKER_HOST, or Docker's default, when empty.
	Host string
	// Network is the network mode of job containers. When empty, it is
	// "bridge" if the daemon has that network, else "none" (as for a
	// daemon run with --bridge=none). "host" needs Allow.HostNetwork.
	Network string
	// Allow lists what jobs may ask beyond an ordinary container.
	Allow Allow
	// Auth gives registry credentials for pulls; DockerConfig{} when nil.
	Auth Auth
	// Clock stamps the runtime's own log lines; the system clock when nil.
	Clock batch.Clock
	// Logger takes what goes wrong outside any job (e.g. a container that
	// could not be removed); slog.Default() when nil.
	Logger *slog.Logger
}

// Container reasons, as AWS Batch gives them.
const (
	reasonOOM     = "OutOfMemoryError: Container killed due to memory usage"
	prefixPull    = "CannotPullContainerError: "
	prefixCreate  = "CannotCreateContainerError: "
	prefixStart   = "CannotStartContainerError: "
	prefixInspect = "CannotInspectContainerError: "
	// prefixRegistryAuth is ECS's reason for an ECR token that an
	// execution role cannot get.
	prefixRegistryAuth = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: "
)

// Runtime runs attempts as containers on one Docker daemon. It is safe for
// concurrent use.
type Runtime struct {
	api     engine
	build   specBuilder
	network string // Options.Network
	auth    Auth
	clock   batch.Clock
	log     *slog.Logger

	mu    sync.Mutex
	known bool // host is known
	host  dockerHost
}

// dockerHost is what the runtime learns from the daemon once.
type dockerHost struct {
	cpus    int    // the CPUs of the daemon's host
	network string // the network mode of job containers
}

var _ bootstrap.Runtime = (*Runtime)(nil)

// New returns a Runtime for the daemon opts name. It does not contact the
// daemon: Version tells whether one answers.
func New(opts Options) (*Runtime, error) {
	if opts.Network == "host" && !opts.Allow.HostNetwork {
		return nil, errors.New("creating Docker runtime: host networking is not allowed (Allow.HostNetwork)")
	}
	clientOpts := []client.Opt{client.FromEnv}
	if opts.Host != "" {
		clientOpts = append(clientOpts, client.WithHost(opts.Host))
	}
	api, err := client.New(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating Docker client: %w", err)
	}
	r := &Runtime{
		api:     api,
		build:   specBuilder{allow: opts.Allow},
		network: opts.Network,
		auth:    opts.Auth,
		clock:   opts.Clock,
		log:     opts.Logger,
	}
	if r.auth == nil {
		r.auth = DockerConfig{}
	}
	if r.clock == nil {
		r.clock = batch.SystemClock{}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r, nil
}

// Close releases the client's connections. Running containers go on.
func (r *Runtime) Close() error { return r.api.Close() }

// Name is the runtime's name.
func (r *Runtime) Name() string { return "docker" }

// Version describes a daemon that answers.
type Version struct {
	Engine string // the daemon's version, e.g. 20.10.24
	API    string // the API version in use, negotiated with the daemon
}

// Version asks the daemon for its version, negotiating the API version.
func (r *Runtime) Version(ctx context.Context) (Version, error) {
	v, err := r.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return Version{}, fmt.Errorf("asking Docker for its version: %w", err)
	}
	return Version{Engine: v.Version, API: r.api.ClientVersion()}, nil
}

// Start pulls the attempt's image if absent, creates and starts its
// container, and follows it. ctx bounds the start only. A failure that is
// the job's (a pull that fails, what the policy refuses, a command that
// cannot run) is a *bootstrap.StartError with AWS's reason.
func (r *Runtime) Start(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	id, err := r.launch(ctx, spec, logs)
	if err != nil {
		return nil, err
	}
	return r.follow(id, logs, time.Time{}), nil
}

// launch makes and starts an attempt's container and returns its id.
func (r *Runtime) launch(ctx context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (string, error) {
	if spec.Image == "" {
		return "", &bootstrap.StartError{Reason: prefixStart + "the job has no image"}
	}
	cs, err := r.build.build(spec)
	if err != nil {
		return "", &bootstrap.StartError{Reason: prefixStart + err.Error()}
	}
	host, err := r.dockerHost(ctx)
	if err != nil {
		return "", err
	}
	cs.host.NetworkMode = container.NetworkMode(host.network)
	if limit := int64(host.cpus) * 1e9; host.cpus > 0 && cs.host.NanoCPUs > limit {
		// Docker refuses a CPU limit above the host's CPUs, and an
		// instance may declare more vCPUs than its host has (as under
		// `tanda up`): such a job gets all of them.
		r.note(logs, "the job asks for %g vCPUs and this host has %d: its limit is %d", spec.VCPUs, host.cpus, host.cpus)
		cs.host.NanoCPUs = limit
	}
	if err := r.ensureImage(ctx, spec.Image, spec.RegistryAuth, logs); err != nil {
		return "", err
	}
	created, err := r.api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: cs.name, Config: cs.config, HostConfig: cs.host})
	if err != nil {
		return "", r.startError(ctx, prefixCreate, err)
	}
	if _, err := r.api.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		r.remove(created.ID)
		return "", r.startError(ctx, prefixStart, err)
	}
	return created.ID, nil
}

// startError is the job's start failure, unless the caller gave up.
func (r *Runtime) startError(ctx context.Context, prefix string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("starting container: %w", err)
	}
	return &bootstrap.StartError{Reason: prefix + err.Error()}
}

// ensureImage pulls image unless the daemon has it, with the attempt's
// own registry credentials when it has them (its execution role's), else
// the runtime's.
func (r *Runtime) ensureImage(ctx context.Context, image string, own bootstrap.RegistryAuth, logs bootstrap.LogFunc) error {
	_, err := r.api.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if cerrdefs.IsInvalidArgument(err) {
		// A malformed image name.
		return &bootstrap.StartError{Reason: prefixPull + err.Error()}
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspecting image %s: %w", image, err)
	}
	r.note(logs, "pulling image %s", image)
	var auth Auth = r.auth
	if own != nil {
		auth = own
	}
	creds, err := auth.RegistryAuth(ctx, image)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("getting registry credentials for %s: %w", image, err)
		}
		if own != nil {
			// As ECS words a registry token its execution role cannot get.
			return &bootstrap.StartError{Reason: prefixRegistryAuth + err.Error()}
		}
		return &bootstrap.StartError{Reason: prefixPull + fmt.Sprintf("getting registry credentials for %s: %v", image, err)}
	}
	if err := r.pull(ctx, image, creds); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pulling image %s: %w", image, err)
		}
		return &bootstrap.StartError{Reason: prefixPull + err.Error()}
	}
	return nil
}

func (r *Runtime) pull(ctx context.Context, image, auth string) error {
	resp, err := r.api.ImagePull(ctx, image, client.ImagePullOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	return resp.Wait(ctx)
}

// dockerHost asks the daemon, the first time, how many CPUs its host has
// and which network job containers get.
func (r *Runtime) dockerHost(ctx context.Context) (dockerHost, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known {
		return r.host, nil
	}
	info, err := r.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return dockerHost{}, fmt.Errorf("asking Docker about its host: %w", err)
	}
	h := dockerHost{cpus: info.Info.NCPU, network: r.network}
	if h.network == "" {
		h.network = "bridge"
		_, err := r.api.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
			h.network = "none"
			r.log.Info("Docker has no bridge network: job containers run without a network")
		case err != nil:
			return dockerHost{}, fmt.Errorf("looking for Docker's bridge network: %w", err)
		}
	}
	r.host, r.known = h, true
	return h, nil
}

// NetworkMode is the network job containers get: "bridge", "host" or
// "none" (Options.Network, or what the daemon offers).
func (r *Runtime) NetworkMode(ctx context.Context) (string, error) {
	h, err := r.dockerHost(ctx)
	return h.network, err
}

// note is a line of the runtime's own in the job's log.
func (r *Runtime) note(logs bootstrap.LogFunc, format string, args ...any) {
	logs(bootstrap.LogLine{Stream: "stderr", At: r.clock.Now(), Text: "tanda: " + fmt.Sprintf(format, args...)})
}

// removeTimeout bounds the removal of one container.
const removeTimeout = 30 * time.Second

// remove removes a container and its volumes, killing it if it still
// runs.
func (r *Runtime) remove(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	ins, _ := r.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	_, err := r.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	// Not found or conflict: gone already, or going (removal in progress).
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		r.log.Warn("removing container", "container", id, "err", err)
		return
	}
	for _, m := range ins.Container.Mounts {
		if m.Type != mount.TypeVolume || !ownVolume(ins.Container.Name, m.Name) {
			continue
		}
		_, err := r.api.VolumeRemove(ctx, m.Name, client.VolumeRemoveOptions{Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
			r.log.Warn("removing volume", "volume", m.Name, "err", err)
		}
	}
}
