package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"
)

// profiles serves Go's runtime profiles (net/http/pprof: goroutines, heap,
// CPU, execution traces) on a loopback address, for soaks and for finding
// where a busy or growing process spends itself. It is off unless a flag
// names an address.
type profiles struct {
	ln  net.Listener
	srv *http.Server
}

// listenProfiles binds addr, which must be a loopback address: profiles
// show command lines and memory, and answer without credentials.
func listenProfiles(addr string) (*profiles, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("profiles address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("profiles address %q: must be a loopback address (127.0.0.1, ::1 or localhost): profiles are served without credentials", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for profiles: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &profiles{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}, nil
}

// URL is where the profiles' index is.
func (p *profiles) URL() string { return "http://" + p.ln.Addr().String() + "/debug/pprof/" }

// run serves until ctx is done, then shuts the server down; the returned
// function waits for that.
func (p *profiles) run(ctx context.Context, logger *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("profiles server stopped", "err", err)
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.srv.Shutdown(shut)
	})
	return wg.Wait
}
