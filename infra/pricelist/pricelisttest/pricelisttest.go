// Package pricelisttest is a stand-in for the AWS Price List Query API
// (GetProducts only) on 127.0.0.1, answering in the API's wire format
// (JSON 1.1, target AWSPriceListService.GetProducts) with PriceList
// documents of the documented shape, for tests of the code that reads
// prices: moto does not implement the Price List API.
package pricelisttest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Target is the X-Amz-Target of GetProducts.
const Target = "AWSPriceListService.GetProducts"

// Product describes one product of the Price List: an instance type's
// Linux, shared-tenancy offer in a region.
type Product struct {
	InstanceType, Region string
	// OnDemand are the hourly On-Demand prices in USD, one price dimension
	// each (usually one).
	OnDemand []string
	// Reserved, when set, adds a one-year Reserved term of an upfront fee
	// and this hourly price, which is not an On-Demand price.
	Reserved string
}

// JSON is the product's PriceList document.
func (p Product) JSON() string {
	sku := strings.ToUpper(strings.NewReplacer(".", "", "-", "").Replace(p.InstanceType+p.Region)) + "SKU"
	dims := map[string]any{}
	for i, usd := range p.OnDemand {
		dims[fmt.Sprintf("%s.OD.%d", sku, i)] = dimension("Hrs", usd, fmt.Sprintf("$%s per On Demand Linux %s Instance Hour", usd, p.InstanceType))
	}
	terms := map[string]any{
		"OnDemand": map[string]any{sku + ".OD": map[string]any{
			"offerTermCode": "OD", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
			"priceDimensions": dims, "termAttributes": map[string]any{},
		}},
	}
	if p.Reserved != "" {
		terms["Reserved"] = map[string]any{sku + ".RI": map[string]any{
			"offerTermCode": "RI", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
			"priceDimensions": map[string]any{
				sku + ".RI.fee": dimension("Quantity", "500", "Upfront Fee"),
				sku + ".RI.hrs": dimension("Hrs", p.Reserved, "Linux/UNIX (Amazon VPC), "+p.InstanceType+" reserved instance applied"),
			},
			"termAttributes": map[string]any{"LeaseContractLength": "1yr", "OfferingClass": "standard", "PurchaseOption": "Partial Upfront"},
		}}
	}
	doc := map[string]any{
		"product": map[string]any{
			"productFamily": "Compute Instance",
			"sku":           sku,
			"attributes": map[string]any{
				"servicecode": "AmazonEC2", "instanceType": p.InstanceType, "instanceFamily": "General purpose",
				"regionCode": p.Region, "locationType": "AWS Region", "operatingSystem": "Linux", "tenancy": "Shared",
				"preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required",
				"operation": "RunInstances", "usagetype": "BoxUsage:" + p.InstanceType,
			},
		},
		"serviceCode":     "AmazonEC2",
		"terms":           terms,
		"version":         "20261101000000",
		"publicationDate": "2026-11-01T00:00:00Z",
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func dimension(unit, usd, description string) map[string]any {
	return map[string]any{
		"unit": unit, "pricePerUnit": map[string]any{"USD": usd}, "description": description,
		"beginRange": "0", "endRange": "Inf", "appliesTo": []any{}, "rateCode": "RATE",
	}
}

// Filter is a filter of a GetProducts request.
type Filter struct{ Type, Field, Value string }

// Request is a GetProducts request the server received.
type Request struct {
	Target string
	// SigningRegion and SigningService are the region and service in the
	// request's SigV4 credential scope: whose endpoint the client meant
	// to call.
	SigningRegion, SigningService string

	ServiceCode, FormatVersion, NextToken string
	MaxResults                            int
	Filters                               []Filter
}

// Server answers GetProducts from its pages, in order, each but the last
// with a NextToken; or, when denied, with AccessDeniedException.
type Server struct {
	URL string

	pages [][]string

	mu       sync.Mutex
	denied   bool
	requests []Request
}

// NewServer starts a server answering with pages of PriceList documents,
// stopped when the test ends.
func NewServer(t testing.TB, pages ...[]string) *Server {
	t.Helper()
	s := &Server{pages: pages}
	s.start(t)
	return s
}

// NewDenyingServer starts a server that answers every call with
// AccessDeniedException, as the API does to a role without
// pricing:GetProducts.
func NewDenyingServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{denied: true}
	s.start(t)
	return s
}

// start serves on a free port of 127.0.0.1 (httptest's loopback
// listener) until the test ends.
func (s *Server) start(t testing.TB) {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
}

// SetDenied makes the server deny every call from now on (true), as when
// the role loses pricing:GetProducts, or answer again (false).
func (s *Server) SetDenied(denied bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = denied
}

// Requests are the GetProducts requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// credentialScope matches the SigV4 credential scope: key/date/region/service.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([^/]+)/([^/]+)/aws4_request`)

// ServeHTTP answers one call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	var in struct {
		ServiceCode, FormatVersion, NextToken string
		MaxResults                            int
		Filters                               []Filter
	}
	if err := json.Unmarshal(body, &in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	req := Request{Target: r.Header.Get("X-Amz-Target"), ServiceCode: in.ServiceCode, FormatVersion: in.FormatVersion,
		NextToken: in.NextToken, MaxResults: in.MaxResults, Filters: in.Filters}
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.SigningRegion, req.SigningService = m[1], m[2]
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	denied := s.denied
	s.mu.Unlock()

	switch {
	case denied:
		fail(w, http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:sts::123456789012:assumed-role/test/fn is not authorized to perform: pricing:GetProducts")
		return
	case req.Target != Target:
		fail(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+req.Target)
		return
	case in.MaxResults < 0 || in.MaxResults > 100:
		fail(w, http.StatusBadRequest, "InvalidParameterException", "MaxResults must be between 1 and 100")
		return
	}
	page := 0
	if in.NextToken != "" {
		if _, err := fmt.Sscanf(in.NextToken, "page-%d", &page); err != nil || page <= 0 || page >= len(s.pages) {
			fail(w, http.StatusBadRequest, "InvalidNextTokenException", "The next token is invalid")
			return
		}
	}
	out := map[string]any{"FormatVersion": "aws_v1", "PriceList": []string{}}
	if page < len(s.pages) {
		out["PriceList"] = s.pages[page]
	}
	if page+1 < len(s.pages) {
		out["NextToken"] = fmt.Sprintf("page-%d", page+1)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

// fail answers with an AWS JSON 1.1 error.
func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": message})
}
