package chaos

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestProxyBreaksCallsAsItSays sends calls through a proxy that breaks
// every one: a dropped request never reaches the server, a lost answer
// reaches it and the client gets no answer, a 500 after the write reaches
// it and the client gets a 500; once mended, every call goes through.
func TestProxyBreaksCallsAsItSays(t *testing.T) {
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Host == "" {
			t.Error("the proxy dropped the Host header")
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	p, err := StartProxy(func() string { return up.URL }, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Break(1)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var noAnswer, fiveHundred, ok int64
	const calls = 40
	for range calls {
		res, err := client.Post(p.URL()+"/v1/submitjob", "application/json", nil)
		if err != nil {
			noAnswer++
			continue
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusInternalServerError:
			fiveHundred++
		case http.StatusOK:
			ok++
		default:
			t.Errorf("status %d", res.StatusCode)
		}
	}
	if got, want := hits.Load(), p.Forwarded.Load()+p.LostAnswers.Load()+p.ServerErrors.Load(); got != want {
		t.Errorf("server saw %d calls, want forwarded %d + lost answers %d + 500s %d", got, p.Forwarded.Load(), p.LostAnswers.Load(), p.ServerErrors.Load())
	}
	if noAnswer != p.Dropped.Load()+p.LostAnswers.Load() || fiveHundred != p.ServerErrors.Load() || ok != p.Delayed.Load() {
		t.Errorf("client: %d without answer, %d 500s, %d ok; proxy: dropped %d, lost %d, 500s %d, delayed %d",
			noAnswer, fiveHundred, ok, p.Dropped.Load(), p.LostAnswers.Load(), p.ServerErrors.Load(), p.Delayed.Load())
	}
	if p.Dropped.Load() == 0 || p.LostAnswers.Load() == 0 || p.ServerErrors.Load() == 0 {
		t.Errorf("after %d calls broken at rate 1, some breakage never happened: dropped %d, lost %d, 500s %d", calls, p.Dropped.Load(), p.LostAnswers.Load(), p.ServerErrors.Load())
	}
	p.Mend()
	before := hits.Load()
	res, err := client.Post(p.URL()+"/v1/submitjob", "application/json", nil)
	if err != nil || res.StatusCode != http.StatusOK || hits.Load() != before+1 {
		t.Fatalf("mended proxy: %v %v", res, err)
	}
	res.Body.Close()
}
