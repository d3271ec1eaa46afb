package chaos

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// loopback is the lifecycle the fault proxies share: an HTTP server on a
// free port of 127.0.0.1, serving one handler until Close, and the client
// it forwards calls with.
type loopback struct {
	srv    *http.Server
	ln     net.Listener
	client *http.Client
	done   chan struct{}
}

// startLoopback listens on 127.0.0.1 and serves h; name says whose server
// it is in errors. The forwarding client gives up after timeout and keeps
// up to idle connections.
func startLoopback(name string, h http.Handler, timeout time.Duration, idle int) (*loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the %s: %w", name, err)
	}
	l := &loopback{
		ln: ln, done: make(chan struct{}),
		client: &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: idle}},
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { // owned by l; ends with Close
		defer close(l.done)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
	}()
	return l, nil
}

// URL is the server's address.
func (l *loopback) URL() string { return "http://" + l.ln.Addr().String() }

// Close stops the server and drops the client's idle connections.
func (l *loopback) Close() error {
	err := l.srv.Close()
	<-l.done
	l.client.CloseIdleConnections()
	return err
}
