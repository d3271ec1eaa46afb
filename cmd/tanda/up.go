package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/deploy/local"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

func runUp(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dataDir := fs.String("data-dir", ".tanda", "where Tanda keeps its state, logs and credentials")
	listen := fs.String("listen", "127.0.0.1:8265", "address of the AWS Batch API")
	region := fs.String("region", "us-east-1", "region in ARNs and in the SigV4 scope")
	account := fs.String("account", "123456789012", "account id in ARNs")
	idle := fs.Duration("idle-grace", 60*time.Second, "idle instances retire after this")
	rate := fs.Float64("rate-limit", 0, "API requests per second per access key before 429 TooManyRequestsException (0: no limit)")
	runtimeMode := fs.String("runtime", runtimes.ModeAuto, "job runtime: auto (Docker when a daemon answers), docker or process")
	retention := fs.Duration("retention", control.DefaultRetention, "how long finished jobs (and job logs after their last line) are kept before they are deleted (AWS Batch keeps jobs 7 days; shorter saves disk)")
	pprofAddr := fs.String("pprof-listen", "", "serve Go's runtime profiles (net/http/pprof) at /debug/pprof/ on this loopback address (\"\": not served)")
	var lf logFlags
	lf.register(fs)
	metricsOpts := metricsFlag(fs, defaultUpMetrics)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *retention < time.Second {
		return fmt.Errorf("--retention %v: must be at least 1s", *retention)
	}
	logger, err := lf.logger(os.Stderr)
	if err != nil {
		return err
	}
	var prof *profiles
	if *pprofAddr != "" {
		if prof, err = listenProfiles(*pprofAddr); err != nil {
			return err
		}
		ctx, stop := context.WithCancel(ctx)
		wait := prof.run(ctx, logger)
		defer func() { stop(); wait() }()
	}
	rt, why, err := runtimes.Choose(ctx, *runtimeMode, docker.Options{Logger: logger})
	if err != nil {
		return err
	}
	user := userAWS(ctx, *region, logger)
	srv, err := local.Open(ctx, local.Config{
		DataDir: *dataDir, Listen: *listen, Region: *region, Account: *account,
		IdleGrace: *idle, RateLimit: *rate, Retention: *retention, Logger: logger, Runtime: rt,
		Roles: user.roles(), Secrets: user.secrets(), MetricsListen: metricsOpts(),
	})
	if err != nil {
		return err
	}
	if prof != nil {
		fmt.Fprintf(out, "Go profiles at %s\n", prof.URL())
	}
	printWelcome(out, srv, *dataDir, why)
	return srv.Run(ctx)
}

// userConfig is the user's own AWS configuration (the SDK's default
// chain: environment, shared files, SSO...), with which `tanda up` assumes
// jobs' roles and reads their secrets, calling in the user's configured
// region, else in --region. ok is false when there is none. Whether it
// holds credentials is found out when a job first needs them.
type userConfig struct {
	cfg aws.Config
	ok  bool
}

func userAWS(ctx context.Context, region string, logger *slog.Logger) userConfig {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		logger.Warn("no AWS configuration: jobs with a jobRoleArn run without credentials, jobs with secrets fail", "err", err)
		return userConfig{}
	}
	if cfg.Region == "" {
		cfg.Region = region
	}
	cfg.HTTPClient = awsclient.Wrap(cfg.HTTPClient)
	return userConfig{cfg: cfg, ok: true}
}

// roles assumes jobs' roles with the user's credentials.
func (u userConfig) roles() rolecreds.Assumer {
	if !u.ok {
		return nil
	}
	return stsroles.New(u.cfg)
}

// secrets reads jobs' secrets with the user's credentials, or as their
// execution roles assumed with them; an execution role that cannot be
// assumed is a note in the job's log, and the user's own credentials read.
func (u userConfig) secrets() *secrets.Resolver {
	r := &secrets.Resolver{Stack: local.LocalStack, Lenient: true}
	if !u.ok {
		return r // no Store: a job with secrets fails, and says why
	}
	store := secretstores.New(u.cfg)
	r.Assumer, r.Region = stsroles.New(u.cfg), u.cfg.Region
	r.Store = func(role *rolecreds.Session) secrets.Store { return store.As(role) }
	r.Registry = func(role *rolecreds.Session) secrets.RegistryAuth {
		return docker.NewECRAuth(ecr.NewFromConfig(u.cfg, func(o *ecr.Options) { o.Credentials = stsroles.Provider(role) }), docker.DockerConfig{}, nil)
	}
	return r
}

// absolute makes a path usable from any directory, when it can.
func absolute(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func printWelcome(out io.Writer, srv *local.Server, dataDir, runtimeWhy string) {
	env := fmt.Sprintf("AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s AWS_PROFILE=%s",
		absolute(srv.CredentialsFile()), absolute(srv.ConfigFile()), kit.Profile)
	fmt.Fprintf(out, "Tanda is up: AWS Batch API at %s (job runtime: %s: %s)\n", srv.Endpoint(), srv.RuntimeName(), runtimeWhy)
	if url, ok := srv.MetricsURL(); ok {
		fmt.Fprintf(out, "Prometheus metrics at %s\n", url)
	}
	if link, err := srv.SignInLink(); err == nil {
		fmt.Fprintf(out, "Web console at %s\n  sign in (once; then with an access key): %s\n", srv.ConsoleURL(), link)
	} else {
		fmt.Fprintf(out, "Web console at %s (sign in with an access key: %v)\n", srv.ConsoleURL(), err)
	}
	if key, ok := srv.IssuedKey(); ok {
		fmt.Fprintf(out, "Issued access key %s; credentials in %s (profile %s)\n", key.ID, srv.CredentialsFile(), kit.Profile)
	} else {
		fmt.Fprintf(out, "Credentials in %s (profile %s)\n", srv.CredentialsFile(), kit.Profile)
	}
	fmt.Fprintf(out, `
Try it:
  %[1]s aws batch describe-job-queues --endpoint-url %[2]s
  %[1]s aws batch submit-job --endpoint-url %[2]s --job-name hello --job-queue default --job-definition example
  tanda submit --data-dir %[3]s --endpoint %[2]s --wait -- echo hello
`, env, srv.Endpoint(), dataDir)
}
