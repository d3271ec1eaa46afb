package instances_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/integration/instances"
)

var start = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func testMetadata() instances.Metadata {
	return instances.Metadata{
		InstanceID: "i-0123456789abcdef0", InstanceType: "m5.large", Region: "us-east-1",
		AvailabilityZone: "us-east-1b", AccountID: "123456789012", ImageID: "ami-12c6146b",
		PrivateIP: "10.0.0.5", Architecture: "x86_64", LaunchTime: start, Lifecycle: instances.LifecycleSpot,
		UserData: []byte("#!/bin/sh\necho hi\n"),
		Tags:     map[string]string{"tanda:stack": "s1", "tanda:compute-environment": "ce1"},
	}
}

// TestAgentClientReadsIt checks the fake against the agent's own IMDS
// client, which is what it stands in for.
func TestAgentClientReadsIt(t *testing.T) {
	clock := batchtest.NewClock(start)
	m := instances.NewIMDS(testMetadata(), clock)
	defer m.Close()
	c := imds.New(m.URL(), imds.Options{Clock: clock})
	ctx := t.Context()

	id, err := c.Identity(ctx)
	want := imds.Identity{
		InstanceID: "i-0123456789abcdef0", InstanceType: "m5.large", Region: "us-east-1",
		AvailabilityZone: "us-east-1b", AccountID: "123456789012", ImageID: "ami-12c6146b", Lifecycle: "spot",
	}
	if err != nil || id != want {
		t.Errorf("Identity = %+v, %v; want %+v", id, err, want)
	}
	if ud, err := c.UserData(ctx); err != nil || string(ud) != "#!/bin/sh\necho hi\n" {
		t.Errorf("UserData = %q, %v; want the instance's", ud, err)
	}

	if n, err := c.SpotInterruption(ctx); err != nil || n != nil {
		t.Errorf("SpotInterruption before any = %+v, %v; want none", n, err)
	}
	if r, err := c.RebalanceRecommendation(ctx); err != nil || r != nil {
		t.Errorf("RebalanceRecommendation before any = %+v, %v; want none", r, err)
	}
	at := start.Add(2*time.Minute + 300*time.Millisecond)
	m.SetSpotInterruption("terminate", at)
	m.SetRebalance(start)
	n, err := c.SpotInterruption(ctx)
	if wantN := (imds.Interruption{Action: "terminate", Time: at.Truncate(time.Second)}); err != nil || n == nil || *n != wantN {
		t.Errorf("SpotInterruption = %+v, %v; want %+v", n, err, wantN)
	}
	r, err := c.RebalanceRecommendation(ctx)
	if err != nil || r == nil || !r.NoticeTime.Equal(start) {
		t.Errorf("RebalanceRecommendation = %+v, %v; want noticed at %v", r, err, start)
	}
}

func TestTokens(t *testing.T) {
	clock := batchtest.NewClock(start)
	m := instances.NewIMDS(testMetadata(), clock)
	defer m.Close()
	good := token(t, m.URL(), "60")
	// In order: the last step moves the clock past the token's TTL.
	tests := []struct {
		name    string
		method  string
		path    string
		header  http.Header
		advance time.Duration
		want    int
	}{
		{"token without a TTL", http.MethodPut, instances.TokenPath, nil, 0, http.StatusBadRequest},
		{"token with a zero TTL", http.MethodPut, instances.TokenPath, ttl("0"), 0, http.StatusBadRequest},
		{"token with a TTL over 6h", http.MethodPut, instances.TokenPath, ttl("21601"), 0, http.StatusBadRequest},
		{"token with a TTL", http.MethodPut, instances.TokenPath, ttl("21600"), 0, http.StatusOK},
		{"GET without a token", http.MethodGet, instances.UserDataPath, nil, 0, http.StatusUnauthorized},
		{"GET with an unknown token", http.MethodGet, instances.UserDataPath, withToken("nope"), 0, http.StatusUnauthorized},
		{"GET with a live token", http.MethodGet, instances.UserDataPath, withToken(good), 0, http.StatusOK},
		{"POST", http.MethodPost, instances.UserDataPath, withToken(good), 0, http.StatusMethodNotAllowed},
		{"GET with an expired token", http.MethodGet, instances.UserDataPath, withToken(good), 60 * time.Second, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		status, _ := do(t, tt.method, m.URL()+tt.path, tt.header)
		if status != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, status, tt.want)
		}
	}
}

func TestItems(t *testing.T) {
	onDemand := testMetadata()
	onDemand.Lifecycle = instances.LifecycleOnDemand
	onDemand.UserData = nil
	tests := []struct {
		name       string
		meta       instances.Metadata
		path       string
		wantStatus int
		wantBody   string
	}{
		{"tag keys", testMetadata(), instances.TagsPath, 200, "tanda:compute-environment\ntanda:stack"},
		{"a tag", testMetadata(), instances.TagsPath + "/tanda:compute-environment", 200, "ce1"},
		{"a missing tag", testMetadata(), instances.TagsPath + "/team", 404, ""},
		{"spot lifecycle", testMetadata(), instances.LifecyclePath, 200, "spot"},
		{"on-demand lifecycle", onDemand, instances.LifecyclePath, 200, "on-demand"},
		{"no user data", onDemand, instances.UserDataPath, 404, ""},
		{"instance id", testMetadata(), "/latest/meta-data/instance-id", 200, "i-0123456789abcdef0"},
		{"region", testMetadata(), "/latest/meta-data/placement/region", 200, "us-east-1"},
		{"unknown item", testMetadata(), "/latest/meta-data/iam/security-credentials/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := instances.NewIMDS(tt.meta, nil)
			defer m.Close()
			status, body := do(t, http.MethodGet, m.URL()+tt.path, withToken(token(t, m.URL(), "60")))
			if status != tt.wantStatus || (status == 200 && body != tt.wantBody) {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func ttl(secs string) http.Header { return http.Header{instances.TokenTTLHeader: {secs}} }

func withToken(tok string) http.Header { return http.Header{instances.TokenHeader: {tok}} }

// token gets a session token with a TTL of secs.
func token(t *testing.T, url, secs string) string {
	t.Helper()
	status, body := do(t, http.MethodPut, url+instances.TokenPath, ttl(secs))
	if status != http.StatusOK || body == "" {
		t.Fatalf("PUT token = %d %q, want 200 and a token", status, body)
	}
	return body
}

func do(t *testing.T, method, url string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	if req.Header == nil {
		req.Header = http.Header{}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return res.StatusCode, string(body)
}
