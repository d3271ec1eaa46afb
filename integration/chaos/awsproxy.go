package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// AWSProxy stands on 127.0.0.1 in front of the AWS APIs (moto) and breaks
// a share of each caller's calls the way a network and AWS do: a request
// dropped before AWS sees it, throttled (400 ThrottlingException, or 503
// RequestLimitExceeded on the query protocols) or refused with a 503
// before it is applied, answered with a 500 after it was applied, its
// answer lost after it was applied, its connection cut in the middle of
// the answer, or delayed (which reorders it with later calls). Callers are
// told apart by the access key that signed the call, so the control
// plane's calls and the agents' can be broken separately.
//
// It also plays SQS's at-least-once delivery harder than moto does: every
// ReceiveMessage is rewritten to hide what it receives for only Visibility
// (so a doorbell is delivered again while it is handled), and a share of
// SendMessage and SendMessageBatch calls is sent twice (a duplicate
// delivery).
type AWSProxy struct {
	*loopback
	upstream string

	mu         sync.Mutex
	rng        *rand.Rand
	callers    map[string]string  // access key id to caller
	rate       map[string]float64 // share of the caller's calls broken now
	baseline   map[string]float64 // share broken when no fault holds
	visibility time.Duration      // ReceiveMessage's visibility; 0 leaves it
	dupRate    float64            // share of SQS sends made twice
	maxDelay   time.Duration      // longest delay of a delayed call
	counts     map[string]int64   // "caller breakage" to calls
}

// The ways AWSProxy breaks a call.
const (
	awsIntact      = "forwarded"
	awsDropped     = "dropped"
	awsThrottled   = "throttled"
	awsUnavailable = "503 before the write"
	awsServerError = "500 after the write"
	awsLostAnswer  = "answer lost after the write"
	awsCutAnswer   = "cut mid-answer"
	awsDelayed     = "delayed"
	awsDuplicated  = "SQS send duplicated"
)

var awsBreakages = []string{awsDropped, awsThrottled, awsUnavailable, awsServerError, awsLostAnswer, awsCutAnswer, awsDelayed}

// StartAWSProxy listens on 127.0.0.1 and forwards to upstream until
// Close. callers maps the access key ids of the callers to break to their
// names.
// AnyOtherKey, as a key of StartAWSProxy's callers, names the caller of
// every access key the map does not name (the agents' sessions, whose
// keys STS makes up).
const AnyOtherKey = "*"

func StartAWSProxy(upstream string, callers map[string]string, seed uint64) (*AWSProxy, error) {
	p := &AWSProxy{
		upstream: strings.TrimRight(upstream, "/"),
		rng:      rand.New(rand.NewPCG(seed, seed^0x5bd1e995)),
		callers:  maps.Clone(callers), rate: map[string]float64{}, baseline: map[string]float64{},
		counts: map[string]int64{}, maxDelay: time.Second,
	}
	l, err := startLoopback("AWS fault proxy", p, 90*time.Second, 128)
	if err != nil {
		return nil, err
	}
	p.loopback = l
	return p, nil
}

// Break breaks the given share of the caller's calls until Mend.
func (p *AWSProxy) Break(caller string, rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate[caller] = rate
}

// Mend puts the caller back to its baseline.
func (p *AWSProxy) Mend(caller string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate[caller] = p.baseline[caller]
}

// Baseline sets the share of the caller's calls broken when no fault
// holds, and breaks that share now.
func (p *AWSProxy) Baseline(caller string, rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.baseline[caller], p.rate[caller] = rate, rate
}

// Redeliver sets SQS's play: ReceiveMessage hides messages for visibility
// (whole seconds; 0 leaves the caller's), and dupRate of the sends are
// made twice.
func (p *AWSProxy) Redeliver(visibility time.Duration, dupRate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.visibility, p.dupRate = visibility, dupRate
}

// Delays sets the longest delay of a delayed call (1 s); the shortest is
// a tenth of it.
func (p *AWSProxy) Delays(longest time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxDelay = longest
}

// Counts is how many calls of each caller were broken each way, keyed
// "caller breakage".
func (p *AWSProxy) Counts() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

func (p *AWSProxy) count(caller, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[caller+" "+what]++
}

// credential finds the access key id in a SigV4 Authorization header.
var credential = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// pick decides what to do with a call: who made it, how it is broken,
// how long a delay lasts, and whether an SQS send is made twice.
func (p *AWSProxy) pick(r *http.Request, sqsSend bool) (caller, breakage string, wait time.Duration, dup bool) {
	caller = "other"
	if m := credential.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		if c, ok := p.callers[m[1]]; ok {
			caller = c
		} else if c, ok := p.callers[AnyOtherKey]; ok {
			caller = c
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	breakage = awsIntact
	if rate := p.rate[caller]; rate > 0 && p.rng.Float64() < rate {
		breakage = awsBreakages[p.rng.IntN(len(awsBreakages))]
		wait = p.maxDelay/10 + time.Duration(p.rng.Int64N(int64(p.maxDelay*9/10)+1))
	}
	dup = sqsSend && p.dupRate > 0 && p.rng.Float64() < p.dupRate
	return caller, breakage, wait, dup
}

// ServeHTTP forwards one call, breaking it if the dice say so.
func (p *AWSProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	jsonProtocol := target != ""
	sqsSend := target == "AmazonSQS.SendMessage" || target == "AmazonSQS.SendMessageBatch"
	caller, breakage, wait, dup := p.pick(r, sqsSend)
	if target == "AmazonSQS.ReceiveMessage" {
		body = p.rewriteVisibility(body)
	}
	p.count(caller, breakage)
	switch breakage {
	case awsDropped:
		cut(w)
		return
	case awsThrottled:
		awsError(w, jsonProtocol, http.StatusBadRequest, "ThrottlingException", "RequestLimitExceeded", "chaos proxy: rate exceeded")
		return
	case awsUnavailable:
		awsError(w, jsonProtocol, http.StatusServiceUnavailable, "ServiceUnavailable", "Unavailable", "chaos proxy: service unavailable, not applied")
		return
	case awsDelayed:
		time.Sleep(wait)
	}
	res, resBody, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	if dup {
		if _, _, err := p.forward(r, body); err == nil {
			p.count(caller, awsDuplicated)
		}
	}
	switch breakage {
	case awsLostAnswer:
		cut(w)
		return
	case awsServerError:
		awsError(w, jsonProtocol, http.StatusInternalServerError, "InternalServerError", "InternalError", "chaos proxy: the answer was replaced by a 500")
		return
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if breakage == awsCutAnswer && len(resBody) > 1 {
		cutMidAnswer(w, res.StatusCode, resBody[:len(resBody)/2], len(resBody))
		return
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(resBody)
}

// forward sends the call upstream and reads the whole answer.
func (p *AWSProxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("building the upstream call: %w", err)
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host
	res, err := p.client.Do(out)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the upstream answer: %w", err)
	}
	return res, resBody, nil
}

// rewriteVisibility sets the VisibilityTimeout of an SQS ReceiveMessage
// (JSON protocol) to the proxy's, when it has one.
func (p *AWSProxy) rewriteVisibility(body []byte) []byte {
	p.mu.Lock()
	vis := p.visibility
	p.mu.Unlock()
	if vis <= 0 {
		return body
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		return body
	}
	in["VisibilityTimeout"] = int(vis.Round(time.Second) / time.Second)
	out, err := json.Marshal(in)
	if err != nil {
		return body
	}
	return out
}

// awsError answers with an AWS error: JSON (awsJson1.0/1.1: DynamoDB,
// SQS, CloudWatch Logs, EventBridge) with jsonCode, else EC2's query
// protocol XML with queryCode.
func awsError(w http.ResponseWriter, jsonProtocol bool, status int, jsonCode, queryCode, msg string) {
	if jsonProtocol {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", jsonCode)
		w.Header().Set("X-Amzn-Query-Error", jsonCode+";Sender")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"__type":%q,"message":%q}`, jsonCode, msg)
		return
	}
	if status == http.StatusBadRequest {
		status = http.StatusServiceUnavailable // EC2 throttles with 503
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>chaos</RequestID></Response>`, queryCode, msg)
}

// cutMidAnswer sends the status line, the headers and part of the body
// of an answer of size bytes, then resets the connection.
func cutMidAnswer(w http.ResponseWriter, status int, part []byte, size int) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("AWS fault proxy: the server cannot hijack connections")
	}
	hdr := w.Header().Clone()
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	hdr.Set("Content-Length", fmt.Sprint(size))
	hdr.Del("Transfer-Encoding")
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = hdr.Write(buf)
	buf.WriteString("\r\n")
	_, _ = buf.Write(part)
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}
