package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/tanda-batch/tanda/deploy/kit"
)

// Default metrics addresses: loopback, one port each so that `tanda up`
// and `tanda serve` can run side by side.
const (
	defaultUpMetrics    = "127.0.0.1:9265"
	defaultServeMetrics = "127.0.0.1:9266"
)

// logFlags are the flags of every command that serves: the log's format
// and level.
type logFlags struct {
	format  string
	verbose bool
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text (key=value) or json (one JSON object a line)")
	fs.BoolVar(&l.verbose, "v", false, "log debug detail")
}

// logger is the command's logger, writing to w.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	if l.verbose {
		level = slog.LevelDebug
	}
	return newLogger(w, l.format, level)
}

// newLogger makes a logger of a format, text or json.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// metricsFlag registers --metrics-listen with a default address (""
// serves none). The default is optional: if another Tanda holds it, the
// server warns and serves no metrics, where an address given explicitly
// that cannot be bound is an error.
func metricsFlag(fs *flag.FlagSet, def string) func() kit.MetricsOptions {
	addr := fs.String("metrics-listen", def, "address of the Prometheus metrics endpoint (/metrics); empty: not served")
	return func() kit.MetricsOptions {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "metrics-listen" })
		return kit.MetricsOptions{Listen: *addr, Optional: !set}
	}
}
