package httpapi

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fuzzPaths are the POST paths whose bodies FuzzDecode feeds: every
// operation and TagResource.
var fuzzPaths = func() []string {
	var paths []string
	for _, key := range slices.Sorted(maps.Keys(operations)) {
		paths = append(paths, opsPrefix+key)
	}
	return append(paths, tagsPrefix+"arn%3Aaws%3Abatch%3Aus-east-1%3A1%3Ajob%2Fx")
}()

// FuzzDecode sends random bodies to every operation: none may panic or be
// answered with a 5xx.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"a":1}`, `{`, `{}}`, `{"jobs":["a"],"reason":"r"}`,
		`{"jobName":"j","jobQueue":"q","jobDefinition":"d","containerOverrides":{"command":["a"],"environment":[{"name":"A","value":"1"}]}}`,
		`{"priority":"high"}`, `{"priority":1e400}`, `{"tags":{"a":1}}`, `{"nodeOverrides":[[[[[]]]]]}`,
		`{"computeResources":{"maxvCpus":-1,"instanceTypes":"optimal"}}`, "{\"jobName\":\"\xff\"}",
		`{"fairsharePolicy":{"shareDistribution":[{"weightFactor":"x"}]}}`, `{"jobQueue":null}`,
	}
	for i := range fuzzPaths {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, pathIndex uint8, body []byte) {
		path := fuzzPaths[int(pathIndex)%len(fuzzPaths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		New(&fakeBackend{}, testOptions()).ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d, body %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if e := decodeErrorBody(t, rec); e.Message == "" {
				t.Errorf("POST %s %q: %d with an empty message", path, body, rec.Code)
			}
		}
	})
}

// FuzzRoute sends random methods and targets: none may panic or be
// answered with a 5xx.
func FuzzRoute(f *testing.F) {
	for _, p := range fuzzPaths {
		f.Add("POST", p)
		f.Add("GET", p)
	}
	for _, s := range []string{
		"/", "/ping", "/v1", "/v1/", "/v1/tags", "/v1/tags/", "/v1/tags/a/b", "/v1/tags/%2F%2F",
		"/v1/tags/a?tagKeys=x&tagKeys=%zz", "/v1/tags/a?tagKeys=;", "/v1/createquotashare",
		"/tanda/v1/logs?jobId=j&attempt=99999999999999999999", "/v1//submitjob", "/v1/submitjob?x=%",
		"/v1/%73ubmitjob", "//v1/submitjob", "/v1/tags/" + strings.Repeat("%41", 300),
		"/tanda/v1/capacity?computeEnvironment=ce&hours=99999999999999999999", "/tanda/v1/capacity?hours=-1",
	} {
		for _, m := range []string{"GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH"} {
			f.Add(m, s)
		}
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" {
			return // net/http never hands such a request to a handler
		}
		req := &http.Request{Method: method, URL: u, Header: http.Header{}, Body: http.NoBody, Host: "example.com"}
		opts := testOptions()
		opts.Logs = &fakeLogs{}
		rec := httptest.NewRecorder()
		New(&fakeBackend{}, opts).ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d, body %s", method, target, rec.Code, rec.Body)
		}
	})
}
