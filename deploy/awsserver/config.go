package awsserver

import (
	"log/slog"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
)

// Defaults of Config.
const (
	DefaultDataDir = ".tanda-aws"
	DefaultListen  = "127.0.0.1:8266"
	DefaultAccount = "123456789012"
)

// Config configures a Server. Zero values take the defaults.
type Config struct {
	// Stack names the stack's resources; Stack and Region are required,
	// the rest defaults from Stack (awsstack.Settings.WithDefaults).
	Stack awsstack.Settings
	// DataDir holds master.key and the AWS files of the first access key.
	DataDir string // default DefaultDataDir
	Listen  string // default DefaultListen
	// Account is the account in ARNs when STS does not say whose the
	// credentials are.
	Account string // default DefaultAccount
	// Init, when set, makes Open create the stack's resources first.
	Init *InitOptions

	IdleGrace      time.Duration // idle instances retire after this (provisioner's default)
	ProvisionEvery time.Duration // provisioner pass interval (2s)
	// RateLimit caps API requests per second per access key; 0: no limit.
	RateLimit float64
	Scheduler scheduler.Options
	// Catalog, when set, is the instance-type catalogue to use instead of
	// EC2's (BackendOptions.Catalog).
	Catalog *provisioner.Catalog
	// MetricsListen serves the Prometheus metrics ("": not served).
	MetricsListen kit.MetricsOptions
	Logger        *slog.Logger
	Clock         batch.Clock
}

func (c *Config) defaults() {
	c.Stack = c.Stack.WithDefaults()
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Account == "" {
		c.Account = DefaultAccount
	}
	if c.ProvisionEvery <= 0 {
		c.ProvisionEvery = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = batch.SystemClock{}
	}
}
