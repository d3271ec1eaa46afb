package pricelist_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/infra/pricelist"
	"github.com/tanda-batch/tanda/infra/pricelist/pricelisttest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// config is an SDK configuration for region; endpoint "" resolves the
// real endpoints.
func config(region, endpoint string, httpClient aws.HTTPClient) aws.Config {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  httpClient,
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg
}

// reader reads prices for region from srv through the real Price List
// client, logging into log.
func reader(t *testing.T, srv *pricelisttest.Server, region string, log *bytes.Buffer) *pricelist.Reader {
	t.Helper()
	client, ok := pricelist.NewClient(config(region, srv.URL, awsclient.HTTPClient()), region)
	if !ok {
		t.Fatalf("no Price List endpoint for %s", region)
	}
	return pricelist.New(client, slog.New(slog.NewTextHandler(log, nil)))
}

func TestOnDemandReadsEveryPageOfTheRegionsLinuxPrices(t *testing.T) {
	const region = "eu-west-3"
	product := func(typ string, onDemand ...string) string {
		return pricelisttest.Product{InstanceType: typ, Region: region, OnDemand: onDemand}.JSON()
	}
	srv := pricelisttest.NewServer(t,
		[]string{
			product("m5.large", "0.1120000000"),
			// Two On-Demand dimensions, one of them free; a Reserved term
			// with an upfront fee and a lower hourly price.
			pricelisttest.Product{InstanceType: "c5.large", Region: region, OnDemand: []string{"0.0000000000", "0.1010000000"}, Reserved: "0.0600000000"}.JSON(),
		},
		[]string{
			product("t3.nano", "0.0000000000"),                       // no positive price: left out
			`{"product": {"attributes": {"instanceType": "r5.large"`, // cut short
			product("g5.xlarge", "1.2580000000"),
		},
		[]string{
			`{"product": {"attributes": {}}, "terms": {}}`, // no instance type
			product("x2idn.16xlarge", "not a price"),
			product("r5.large", "0.1520000000"),
			product("r5.large", "0.1770000000"), // a second product of the type: the lower price holds
		},
	)
	var log bytes.Buffer
	got, err := reader(t, srv, region, &log).OnDemand(context.Background(), region)
	if err != nil {
		t.Fatalf("OnDemand: %v", err)
	}
	want := map[string]float64{"m5.large": 0.112, "c5.large": 0.101, "g5.xlarge": 1.258, "r5.large": 0.152}
	if !maps.Equal(got, want) {
		t.Errorf("prices = %v, want %v", got, want)
	}

	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d GetProducts calls, want one per page (3)", len(reqs))
	}
	wantFilters := []pricelisttest.Filter{
		{Type: "TERM_MATCH", Field: "regionCode", Value: region},
		{Type: "TERM_MATCH", Field: "operatingSystem", Value: "Linux"},
		{Type: "TERM_MATCH", Field: "tenancy", Value: "Shared"},
		{Type: "TERM_MATCH", Field: "preInstalledSw", Value: "NA"},
		{Type: "TERM_MATCH", Field: "capacitystatus", Value: "Used"},
		{Type: "TERM_MATCH", Field: "licenseModel", Value: "No License required"},
	}
	for i, r := range reqs {
		if r.Target != pricelisttest.Target || r.ServiceCode != "AmazonEC2" || r.MaxResults < 1 || r.MaxResults > 100 {
			t.Errorf("call %d: target %q, service code %q, MaxResults %d; want GetProducts of AmazonEC2 by at most 100",
				i, r.Target, r.ServiceCode, r.MaxResults)
		}
		if !slices.Equal(r.Filters, wantFilters) {
			t.Errorf("call %d: filters %v, want %v", i, r.Filters, wantFilters)
		}
		if r.SigningRegion != "eu-central-1" || r.SigningService != "pricing" {
			t.Errorf("call %d: signed for %s/%s, want pricing in eu-central-1, the endpoint nearest %s",
				i, r.SigningService, r.SigningRegion, region)
		}
		if wantToken := []string{"", "page-1", "page-2"}[i]; r.NextToken != wantToken {
			t.Errorf("call %d: NextToken %q, want %q", i, r.NextToken, wantToken)
		}
	}

	logged := log.String()
	if strings.Count(logged, "level=WARN") != 1 || !strings.Contains(logged, "count=3") {
		t.Errorf("log = %q; want one warning counting the 3 unreadable products", logged)
	}
}

func TestOnDemandFailsWhenDenied(t *testing.T) {
	srv := pricelisttest.NewDenyingServer(t)
	var log bytes.Buffer
	_, err := reader(t, srv, "us-east-1", &log).OnDemand(context.Background(), "us-east-1")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("error %v, want AccessDeniedException", err)
	}
	if !strings.Contains(err.Error(), "may not call pricing:GetProducts") {
		t.Errorf("error %q does not say what the role lacks", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d calls; a denial is not retried", n)
	}
}

func TestOnDemandFailsWhenNothingIsPriced(t *testing.T) {
	srv := pricelisttest.NewServer(t, []string{
		pricelisttest.Product{InstanceType: "t3.nano", Region: "us-east-1", OnDemand: []string{"0"}}.JSON(),
	})
	var log bytes.Buffer
	if got, err := reader(t, srv, "us-east-1", &log).OnDemand(context.Background(), "us-east-1"); err == nil {
		t.Errorf("OnDemand = %v, want an error: no type has a price", got)
	}
}

func TestEndpointRegion(t *testing.T) {
	tests := []struct {
		region, want string
		ok           bool
	}{
		{"us-east-1", "us-east-1", true},
		{"us-west-2", "us-east-1", true},
		{"ca-central-1", "us-east-1", true},
		{"sa-east-1", "us-east-1", true},
		{"eu-west-3", "eu-central-1", true},
		{"eu-central-1", "eu-central-1", true},
		{"me-south-1", "eu-central-1", true},
		{"af-south-1", "eu-central-1", true},
		{"il-central-1", "eu-central-1", true},
		{"ap-northeast-1", "ap-south-1", true},
		{"ap-southeast-2", "ap-south-1", true},
		{"cn-north-1", "cn-northwest-1", true},
		{"us-gov-west-1", "", false},
		{"us-iso-east-1", "", false},
	}
	for _, tt := range tests {
		got, ok := pricelist.EndpointRegion(tt.region)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EndpointRegion(%q) = %q, %v; want %q, %v", tt.region, got, ok, tt.want, tt.ok)
		}
	}
}

// recorder is an HTTP client that answers every request from a handler
// in memory, recording the hosts asked: the real endpoints, unreached.
type recorder struct {
	h     http.Handler
	mu    sync.Mutex
	hosts []string
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Host)
	r.mu.Unlock()
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, req)
	return w.Result(), nil
}

func TestNewClientCallsTheNearestEndpoint(t *testing.T) {
	page := []string{pricelisttest.Product{InstanceType: "m5.large", Region: "x", OnDemand: []string{"0.1"}}.JSON()}
	tests := []struct{ region, host string }{
		{"eu-west-3", "api.pricing.eu-central-1.amazonaws.com"},
		{"ap-northeast-1", "api.pricing.ap-south-1.amazonaws.com"},
		{"us-west-2", "api.pricing.us-east-1.amazonaws.com"},
		{"cn-north-1", "api.pricing.cn-northwest-1.amazonaws.com.cn"},
	}
	for _, tt := range tests {
		srv := pricelisttest.NewServer(t, page) // its handler only: the client never dials it
		rec := &recorder{h: srv}
		client, ok := pricelist.NewClient(config(tt.region, "", rec), tt.region)
		if !ok {
			t.Fatalf("no client for %s", tt.region)
		}
		// The product is priced for region "x": unreadable for tt.region,
		// so the read fails, but only after the call.
		_, _ = pricelist.New(client, slog.New(slog.DiscardHandler)).OnDemand(context.Background(), tt.region)
		if !slices.Equal(rec.hosts, []string{tt.host}) {
			t.Errorf("%s: called %v, want %s", tt.region, rec.hosts, tt.host)
		}
	}
	if _, ok := pricelist.NewClient(config("us-gov-west-1", "", nil), "us-gov-west-1"); ok {
		t.Error("a client for GovCloud, which has no Price List endpoint")
	}
}

func TestAFailingEndpointIsTriedThreeTimes(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.Error(w, "<html>500 Internal Server Error</html>", http.StatusInternalServerError) // as moto answers
	}))
	defer srv.Close()
	client, _ := pricelist.NewClient(config("us-east-1", srv.URL, awsclient.HTTPClient()), "us-east-1")
	if _, err := pricelist.New(client, slog.New(slog.DiscardHandler)).OnDemand(context.Background(), "us-east-1"); err == nil {
		t.Fatal("OnDemand succeeded against a failing endpoint")
	}
	if got := n.Load(); got != 3 {
		t.Errorf("%d attempts, want 3", got)
	}
}

func TestActions(t *testing.T) {
	if got := pricelist.Actions(); !slices.Equal(got, []string{"pricing:GetProducts"}) {
		t.Errorf("Actions = %v, want pricing:GetProducts", got)
	}
}
