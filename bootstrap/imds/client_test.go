package imds_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/bootstrap/imds"
)

const (
	identityPath  = "/latest/dynamic/instance-identity/document"
	lifecyclePath = "/latest/meta-data/instance-life-cycle"
	userDataPath  = "/latest/user-data"
	spotPath      = "/latest/meta-data/spot/instance-action"
	rebalancePath = "/latest/meta-data/events/recommendations/rebalance"
)

func newClient(f *fakeIMDS, ttl time.Duration) *imds.Client {
	return imds.New(f.URL, imds.Options{TokenTTL: ttl, Clock: f.clock, Backoff: time.Millisecond})
}

func TestTokenCachedAndRefreshedBeforeExpiry(t *testing.T) {
	clock := newFakeClock()
	f := newFakeIMDS(t, clock, map[string]route{userDataPath: always(200, "x")})
	c := newClient(f, 10*time.Minute)
	steps := []struct {
		name     string
		advance  time.Duration
		wantPuts int
	}{
		{"first request fetches a token", 0, 1},
		{"second request reuses it", 0, 1},
		{"halfway through the TTL", 5 * time.Minute, 1},
		{"within a minute of expiry renews", 4*time.Minute + 30*time.Second, 2},
		{"new token reused", 5 * time.Minute, 2},
		{"new token renewed before its expiry", 4 * time.Minute, 3},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if _, err := c.UserData(t.Context()); err != nil {
			t.Fatalf("%s: UserData: %v", s.name, err)
		}
		puts, unauthorized := f.counts()
		if puts != s.wantPuts {
			t.Errorf("%s: token PUTs = %d, want %d", s.name, puts, s.wantPuts)
		}
		if unauthorized != 0 {
			t.Errorf("%s: %d requests got 401, want none (token used past expiry)", s.name, unauthorized)
		}
	}
}

func TestUnauthorizedFetchesNewTokenAndRetriesOnce(t *testing.T) {
	tests := []struct {
		name      string
		route     route
		wantErr   bool
		wantPuts  int
		wantCalls int
	}{
		{"revoked token replaced", always(200, "x"), false, 2, 1},
		{"401 again gives up", always(401, ""), true, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, newFakeClock(), map[string]route{userDataPath: tt.route})
			c := newClient(f, 0)
			if _, err := c.RebalanceRecommendation(t.Context()); err != nil {
				t.Fatalf("priming the token: %v", err)
			}
			f.revokeTokens()
			_, err := c.UserData(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("UserData error = %v, want error %v", err, tt.wantErr)
			}
			var se *imds.StatusError
			if tt.wantErr && (!errors.As(err, &se) || se.Status != http.StatusUnauthorized) {
				t.Errorf("UserData error = %v, want a StatusError with 401", err)
			}
			if puts, _ := f.counts(); puts != tt.wantPuts {
				t.Errorf("token PUTs = %d, want %d", puts, tt.wantPuts)
			}
			if got := f.getsOf(userDataPath); got != tt.wantCalls {
				t.Errorf("user data GETs with a valid token = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	const doc = `{"accountId":"123456789012","architecture":"x86_64","availabilityZone":"eu-west-1b",
		"imageId":"ami-0abc","instanceId":"i-0123456789abcdef0","instanceType":"c6i.large",
		"pendingTime":"2026-11-29T12:00:00Z","privateIp":"10.0.0.5","region":"eu-west-1","version":"2017-09-30"}`
	base := imds.Identity{
		InstanceID: "i-0123456789abcdef0", InstanceType: "c6i.large", Region: "eu-west-1",
		AvailabilityZone: "eu-west-1b", AccountID: "123456789012", ImageID: "ami-0abc",
	}
	withLife := func(l string) imds.Identity { id := base; id.Lifecycle = l; return id }
	tests := []struct {
		name    string
		routes  map[string]route
		want    imds.Identity
		wantErr bool
	}{
		{"spot", map[string]route{identityPath: always(200, doc), lifecyclePath: always(200, "spot")}, withLife("spot"), false},
		{"on-demand", map[string]route{identityPath: always(200, doc), lifecyclePath: always(200, "on-demand\n")}, withLife("on-demand"), false},
		{"lifecycle unknown", map[string]route{identityPath: always(200, doc)}, base, false},
		{"no document", map[string]route{lifecyclePath: always(200, "spot")}, imds.Identity{}, true},
		{"bad document", map[string]route{identityPath: always(200, "{")}, imds.Identity{}, true},
		{"document without instance id", map[string]route{identityPath: always(200, "{}")}, imds.Identity{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, newFakeClock(), tt.routes)
			got, err := newClient(f, 0).Identity(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Identity error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Identity = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUserData(t *testing.T) {
	tests := []struct {
		name   string
		routes map[string]route
		want   string
	}{
		{"present", map[string]route{userDataPath: always(200, "#!/bin/sh\ntanda agent\n")}, "#!/bin/sh\ntanda agent\n"},
		{"absent", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, newFakeClock(), tt.routes)
			got, err := newClient(f, 0).UserData(t.Context())
			if err != nil {
				t.Fatalf("UserData: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("UserData = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotices(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 2, 0, 0, time.UTC)
	tests := []struct {
		name          string
		routes        map[string]route
		wantSpot      *imds.Interruption
		wantRebalance *imds.Rebalance
		wantErr       bool
	}{
		{name: "none (404)"},
		{
			name: "both",
			routes: map[string]route{
				spotPath:      always(200, `{"action":"terminate","time":"2026-11-29T12:02:00Z"}`),
				rebalancePath: always(200, `{"noticeTime":"2026-11-29T12:02:00Z"}`),
			},
			wantSpot:      &imds.Interruption{Action: "terminate", Time: at},
			wantRebalance: &imds.Rebalance{NoticeTime: at},
		},
		{
			name:    "malformed",
			routes:  map[string]route{spotPath: always(200, `{"time":"soon"}`), rebalancePath: always(200, `[`)},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(newFakeIMDS(t, newFakeClock(), tt.routes), 0)
			spot, err := c.SpotInterruption(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("SpotInterruption error = %v, want error %v", err, tt.wantErr)
			}
			if !equalPtr(spot, tt.wantSpot) {
				t.Errorf("SpotInterruption = %+v, want %+v", spot, tt.wantSpot)
			}
			reb, err := c.RebalanceRecommendation(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("RebalanceRecommendation error = %v, want error %v", err, tt.wantErr)
			}
			if !equalPtr(reb, tt.wantRebalance) {
				t.Errorf("RebalanceRecommendation = %+v, want %+v", reb, tt.wantRebalance)
			}
		})
	}
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestRetries(t *testing.T) {
	failFirst := func(k, status int) route {
		return func(n int) (int, string) {
			if n <= k {
				return status, ""
			}
			return 200, "x"
		}
	}
	tests := []struct {
		name       string
		route      route
		wantErr    bool
		wantStatus int
		wantGets   int
	}{
		{"500 twice then success", failFirst(2, 500), false, 0, 3},
		{"503 until the tries run out", always(503, ""), true, 503, 3},
		{"400 not retried", always(400, ""), true, 400, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, newFakeClock(), map[string]route{userDataPath: tt.route})
			got, err := newClient(f, 0).UserData(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("UserData = %q, %v; want error %v", got, err, tt.wantErr)
			}
			var se *imds.StatusError
			if tt.wantErr && (!errors.As(err, &se) || se.Status != tt.wantStatus) {
				t.Errorf("UserData error = %v, want a StatusError with %d", err, tt.wantStatus)
			}
			if n := f.getsOf(userDataPath); n != tt.wantGets {
				t.Errorf("GETs = %d, want %d", n, tt.wantGets)
			}
		})
	}
}

func TestNetworkErrorGivesUp(t *testing.T) {
	c := imds.New("http://127.0.0.1:1", imds.Options{Backoff: time.Millisecond, Tries: 2})
	if _, err := c.UserData(t.Context()); err == nil {
		t.Fatal("UserData with nothing listening: got no error")
	}
}

func TestCanceledContextStopsRetries(t *testing.T) {
	f := newFakeIMDS(t, newFakeClock(), map[string]route{userDataPath: always(500, "")})
	c := imds.New(f.URL, imds.Options{Clock: f.clock, Backoff: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	f.setOnGet(func(string, int) { cancel() })
	done := make(chan error, 1)
	go func() { _, err := c.UserData(ctx); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("UserData error = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("UserData still backing off after its context was canceled")
	}
}
