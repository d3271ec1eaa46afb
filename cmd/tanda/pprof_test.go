package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestProfilesOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "nonsense"} {
		if p, err := listenProfiles(addr); err == nil {
			p.ln.Close()
			t.Errorf("listenProfiles(%q) bound %s, want an error", addr, p.ln.Addr())
		}
	}
	p, err := listenProfiles("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := p.run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	res, err := http.Get(p.URL() + "goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "goroutine profile: total ") {
		t.Errorf("goroutine profile: %d %.80q", res.StatusCode, body)
	}
	cancel()
	wait()
	if _, err := http.Get(p.URL()); err == nil {
		t.Error("the profiles are still served after ctx is done")
	}
}

func TestUpRefusesARetentionUnderASecond(t *testing.T) {
	for _, v := range []string{"0s", "-1h", "500ms"} {
		err := runUp(context.Background(), []string{"--data-dir", t.TempDir(), "--retention", v}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--retention") {
			t.Errorf("--retention %s: err = %v, want a --retention error", v, err)
		}
	}
}
