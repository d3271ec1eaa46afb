package sigv4

import (
	"testing"
)

// sdkCases are requests whose canonical form must match aws-sdk-go-v2's.
var sdkCases = []struct {
	name string
	req  clientRequest
}{
	{"post json", clientRequest{
		method: "POST", target: "/v1/submitjob", body: `{"jobName":"j","jobQueue":"q","jobDefinition":"d"}`,
		header: [][2]string{{"Content-Type", "application/json"}},
	}},
	{"post json, content-length unsigned", clientRequest{
		method: "POST", target: "/v1/describejobs", body: `{"jobs":["a"]}`,
		header:         [][2]string{{"Content-Type", "application/json"}},
		unsignedLength: true,
	}},
	{"get escaped arn", clientRequest{method: "GET", target: tagsPath}},
	{"delete repeated query keys", clientRequest{method: "DELETE", target: tagsPath + "?tagKeys=b&tagKeys=a"}},
	{"query sorted after encoding", clientRequest{
		method: "GET", target: "/v1/x?b=2&a-b=3&a=1&a=0&tagKeys=a%2Fb&tagKeys=a-b&sp=x%20y&sp2=x+y&plus=%2B&empty=&flag&",
	}},
	{"path with reserved and unreserved bytes", clientRequest{
		method: "GET", target: "/v1/tags/a~b-c_d.e%20f%C3%A9%2Bg%40h:i",
	}},
	{"root path", clientRequest{method: "GET", target: "/"}},
	{"header whitespace and repeats", clientRequest{
		method: "POST", target: "/v1/createjobqueue", body: "{}",
		header: [][2]string{
			{"Content-Type", "  application/json  "},
			{"X-Amz-Meta-Note", "a   b  \t c"},
			{"X-Custom", "one"},
			{"X-Custom", "two  words"},
		},
	}},
	{"signed content hash", clientRequest{
		method: "POST", target: "/v1/submitjob", body: `{"a":1}`,
		header: [][2]string{{"X-Amz-Content-Sha256", payloadHash([]byte(`{"a":1}`))}},
	}},
}

func TestCanonicalRequestMatchesSDK(t *testing.T) {
	for _, tc := range sdkCases {
		t.Run(tc.name, func(t *testing.T) {
			var want string
			c := tc.req
			c.canonical = &want
			r, body := sdkSigned(t, c)
			a, err := parseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatalf("parsing the SDK's Authorization: %v", err)
			}
			got, err := canonicalRequest(r, a.SignedHeaders, payloadHash(body))
			if err != nil {
				t.Fatalf("canonicalRequest: %v", err)
			}
			if got != want {
				t.Errorf("canonical request:\ngot:\n%s\nwant (SDK):\n%s", got, want)
			}
		})
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ escaped, want string }{
		{"", "/"},
		{"/", "/"},
		{"/v1/submitjob", "/v1/submitjob"},
		{tagsPath, "/v1/tags/arn%253Aaws%253Abatch%253Aus-east-1%253A123456789012%253Ajob-queue%252Fq1"},
		{"/a b/~c", "/a%20b/~c"},
		{"/v1/x:y", "/v1/x%3Ay"},
	}
	for _, tc := range tests {
		if got := canonicalURI(tc.escaped); got != tc.want {
			t.Errorf("canonicalURI(%q) = %q, want %q", tc.escaped, got, tc.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw, want string
		wantErr   bool
	}{
		{raw: "", want: ""},
		{raw: "tagKeys=b&tagKeys=a", want: "tagKeys=a&tagKeys=b"},
		{raw: "a=1&a-b=2", want: "a=1&a-b=2"},
		{raw: "b=1&&a", want: "a=&b=1"},
		{raw: "k=x+y&k=x%2By", want: "k=x%20y&k=x%2By"},
		{raw: "k=%zz", wantErr: true},
		{raw: "a=1;b=2", wantErr: true},
	}
	for _, tc := range tests {
		got, err := canonicalQuery(tc.raw)
		if (err != nil) != tc.wantErr {
			t.Errorf("canonicalQuery(%q) error = %v, want error %v", tc.raw, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestTrimAll(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{"  a  ", "a"},
		{"a   b  c", "a b c"},
		{"\t a \t", "a"},
		{"a\t\tb", "a\t\tb"},
	}
	for _, tc := range tests {
		if got := trimAll(tc.in); got != tc.want {
			t.Errorf("trimAll(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
