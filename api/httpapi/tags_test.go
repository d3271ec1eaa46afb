package httpapi

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

func TestTagsEscapedARNRoundTrips(t *testing.T) {
	arns := []string{
		"arn:aws:batch:us-east-1:123456789012:job-queue/q1",
		"arn:aws:batch:us-east-1:123456789012:job-definition/d:3",
		"arn:aws:batch:us-east-1:123456789012:job/6d5b2c1e-5d7a-4a56-9d8b-0c1f2e3a4b5c",
		"weird arn/with %, + and ?#",
	}
	for _, arn := range arns {
		t.Run(arn, func(t *testing.T) {
			target := "/v1/tags/" + url.PathEscape(arn)
			fb := &fakeBackend{tags: map[string]string{"team": "a"}}
			h := New(fb, testOptions())

			if rec := do(t, h, "POST", target, `{"tags":{"team":"a"}}`); rec.Code != http.StatusOK || rec.Body.String() != "{}" {
				t.Fatalf("TagResource = %d %s, want 200 {}", rec.Code, rec.Body)
			}
			rec := do(t, h, "GET", target, "")
			if rec.Code != http.StatusOK || rec.Body.String() != `{"tags":{"team":"a"}}` {
				t.Fatalf("ListTagsForResource = %d %s, want 200 {\"tags\":{\"team\":\"a\"}}", rec.Code, rec.Body)
			}
			if rec := do(t, h, "DELETE", target+"?tagKeys=team", ""); rec.Code != http.StatusOK || rec.Body.String() != "{}" {
				t.Fatalf("UntagResource = %d %s, want 200 {}", rec.Code, rec.Body)
			}
			for _, c := range fb.recordedCalls() {
				if got := c.in.(tagCall).ARN; got != arn {
					t.Errorf("%s got ARN %q, want %q", c.op, got, arn)
				}
			}
		})
	}
}

// TestTagsPercentEncodedSlash checks %2F stays inside the ARN segment
// exactly as the SDKs send it.
func TestTagsPercentEncodedSlash(t *testing.T) {
	fb := &fakeBackend{}
	target := "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123%3Ajob-queue%2Fq1"
	if rec := do(t, New(fb, testOptions()), "GET", target, ""); rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	want := "arn:aws:batch:us-east-1:123:job-queue/q1"
	if got := fb.recordedCalls()[0].in.(tagCall).ARN; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
}

func TestUntagRepeatedKeys(t *testing.T) {
	fb := &fakeBackend{}
	rec := do(t, New(fb, testOptions()), "DELETE", "/v1/tags/arn%3Ax?tagKeys=a&tagKeys=b%20c&tagKeys=d%2Be&other=1", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
	}
	want := tagCall{ARN: "arn:x", Keys: []string{"a", "b c", "d+e"}}
	if got := fb.recordedCalls()[0].in; !reflect.DeepEqual(got, want) {
		t.Errorf("untag = %+v, want %+v", got, want)
	}
}

func TestListTagsEmpty(t *testing.T) {
	rec := do(t, New(&fakeBackend{}, testOptions()), "GET", "/v1/tags/arn", "")
	if rec.Code != http.StatusOK || rec.Body.String() != `{"tags":{}}` {
		t.Errorf("got %d %s, want 200 {\"tags\":{}}", rec.Code, rec.Body)
	}
}

func TestTagResourceNeedsTags(t *testing.T) {
	for _, body := range []string{``, `{}`, `{"tags":null}`} {
		fb := &fakeBackend{}
		rec := do(t, New(fb, testOptions()), "POST", "/v1/tags/arn", body)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("body %q: status = %d, want 400", body, rec.Code)
		}
		if e := decodeErrorBody(t, rec); e.Message != "missing required member tags" {
			t.Errorf("body %q: message = %q, want missing required member tags", body, e.Message)
		}
		if n := len(fb.recordedCalls()); n != 0 {
			t.Errorf("body %q: backend called %d times, want 0", body, n)
		}
	}
}
