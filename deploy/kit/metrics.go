package kit

import (
	"errors"
	"log/slog"
	"syscall"

	"github.com/tanda-batch/tanda/internal/metrics"
)

// MetricsOptions say where a server serves its Prometheus metrics.
type MetricsOptions struct {
	// Listen is the metrics' address; "" serves none (they are still
	// counted, for the console).
	Listen string
	// Optional makes an address in use a warning rather than an error:
	// the default address, which another Tanda on the machine may hold.
	Optional bool
}

// ListenMetrics binds o.Listen for reg's metrics. It returns nil (and no
// error) when there is nothing to serve, or when an optional address is
// in use, which it logs.
func ListenMetrics(reg *metrics.Registry, o MetricsOptions, logger *slog.Logger) (*metrics.Server, error) {
	if o.Listen == "" {
		return nil, nil
	}
	srv, err := reg.Listen(o.Listen)
	if err != nil && o.Optional && errors.Is(err, syscall.EADDRINUSE) {
		logger.Warn("metrics not served: their address is in use (set --metrics-listen)", "addr", o.Listen, "err", err)
		return nil, nil
	}
	return srv, err
}
