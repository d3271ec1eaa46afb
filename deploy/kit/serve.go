package kit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownGrace bounds the wait for API requests in flight at shutdown.
const shutdownGrace = 10 * time.Second

// Serve serves srv on l and runs each loop until ctx is done or serving
// fails, then stops the API (letting requests in flight finish for up to
// 10 s), stops the loops and waits for them. It returns the serving error,
// if there was one.
func Serve(ctx context.Context, srv *http.Server, l net.Listener, loops ...func(context.Context)) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
			cancel()
		}
	})
	for _, loop := range loops {
		wg.Go(func() { loop(runCtx) })
	}
	<-runCtx.Done()
	shutdownCtx, done := context.WithTimeout(context.Background(), shutdownGrace)
	defer done()
	_ = srv.Shutdown(shutdownCtx) // past the grace, connections are closed anyway
	cancel()
	wg.Wait()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving API: %w", err)
	default:
		return nil
	}
}
