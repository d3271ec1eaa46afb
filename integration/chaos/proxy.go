package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy stands between the client and the API on 127.0.0.1 and, while a
// fault is on, breaks some calls the way a network does: the request
// dropped before Tanda sees it, the answer lost after Tanda applied it
// (the SDK retries, with the same invocation id), a 5xx after the write,
// or a delay. With no fault on it forwards every call unchanged.
type Proxy struct {
	*loopback
	upstream func() string // the API's URL now

	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64 // share of calls broken now
	baseline float64 // share broken when no fault holds

	Dropped, LostAnswers, ServerErrors, Delayed, Forwarded atomic.Int64
}

// StartProxy listens on 127.0.0.1 and forwards to upstream() until Close.
func StartProxy(upstream func() string, seed uint64) (*Proxy, error) {
	p := &Proxy{upstream: upstream, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	l, err := startLoopback("fault proxy", p, 60*time.Second, 16)
	if err != nil {
		return nil, err
	}
	p.loopback = l
	return p, nil
}

// Break breaks the given share of calls until Mend.
func (p *Proxy) Break(rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = rate
}

// Baseline sets the share of calls broken when no fault holds, and
// breaks that share now.
func (p *Proxy) Baseline(rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.baseline, p.rate = rate, rate
}

// Mend goes back to the baseline.
func (p *Proxy) Mend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = p.baseline
}

type breakage int

const (
	intact breakage = iota
	dropRequest
	loseAnswer
	serverError
	delay
)

func (p *Proxy) pick() (breakage, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rate == 0 || p.rng.Float64() >= p.rate {
		return intact, 0
	}
	b := breakage(1 + p.rng.IntN(4))
	return b, time.Duration(100+p.rng.IntN(900)) * time.Millisecond
}

// ServeHTTP forwards one call, breaking it if the dice say so.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, wait := p.pick()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	switch b {
	case dropRequest:
		p.Dropped.Add(1)
		cut(w)
		return
	case delay:
		p.Delayed.Add(1)
		time.Sleep(wait)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host // signed by the client
	res, err := p.client.Do(out)
	if err != nil {
		// The control plane is down, or died mid-call: a gateway's answer.
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	switch b {
	case loseAnswer:
		p.LostAnswers.Add(1)
		cut(w)
		return
	case serverError:
		p.ServerErrors.Add(1)
		w.Header().Set("X-Amzn-ErrorType", "ServerException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"__type":"ServerException","message":"chaos proxy: the answer was replaced by a 500"}`)
		return
	}
	p.Forwarded.Add(1)
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(resBody)
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fault proxy: the server cannot hijack connections")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, not a polite close
	}
	_ = conn.Close()
}

// proxyFault is the client-network fault: the proxy breaks a share of
// calls while it is held.
type proxyFault struct {
	p    *Proxy
	rate float64
}

func (f proxyFault) Kind() string { return "client-network" }

func (f proxyFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	f.p.Break(f.rate)
	return Injection{
		Detail: fmt.Sprintf("proxy breaks %.0f %% of calls (dropped requests, lost answers, 500s after the write, delays)", 100*f.rate),
		Heal: func(context.Context) (Healed, error) {
			f.p.Mend()
			return Healed{Detail: "proxy back to its baseline"}, nil
		},
	}, nil
}
