package lambdaurl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
)

func TestResponse(t *testing.T) {
	gzipBody, _ := base64.StdEncoding.DecodeString("H4sIAAAAAAAA/6tWKklMT1Wyqq0FAPohJZ4MAAAA")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    events.LambdaFunctionURLResponse
	}{
		{
			name: "text without a status or type",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte("hello"))
			},
			want: events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: "hello"},
		},
		{
			name: "binary in base64",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/gzip")
				w.Write(gzipBody)
			},
			want: events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/gzip"},
				Body: "H4sIAAAAAAAA/6tWKklMT1Wyqq0FAPohJZ4MAAAA", IsBase64Encoded: true},
		},
		{
			name: "cookies and a repeated header",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Add("Set-Cookie", "a=1; Path=/")
				w.Header().Add("Set-Cookie", "b=2; HttpOnly")
				w.Header().Add("Vary", "Accept")
				w.Header().Add("Vary", "Origin")
				w.WriteHeader(http.StatusNoContent)
			},
			want: events.LambdaFunctionURLResponse{StatusCode: 204, Headers: map[string]string{"Vary": "Accept,Origin"},
				Cookies: []string{"a=1; Path=/", "b=2; HttpOnly"}},
		},
		{
			name: "the first status written wins",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				w.WriteHeader(http.StatusOK)
				w.Write([]byte(`{}`))
			},
			want: events.LambdaFunctionURLResponse{StatusCode: 429, Headers: map[string]string{"Content-Type": "application/json"}, Body: "{}"},
		},
	}
	ev := readEvent(t, "describe-job-queues.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lambdaurl.Handler(tt.handler)(context.Background(), ev)
			if err != nil {
				t.Fatalf("handler: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("response = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestResponseShape compares a response with one in the function URL's
// JSON shape.
func TestResponseShape(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "ClientException")
		w.Header().Set("x-amzn-RequestId", "9a5c3f0e-2d7b-4b8e-a1c4-6f2e8d9b0c13")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"ClientException","message":"job queue q not found"}`))
	})
	resp, err := lambdaurl.Handler(h)(context.Background(), readEvent(t, "describe-job-queues.json"))
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	got, _ := json.Marshal(resp)
	raw, err := os.ReadFile(filepath.Join("testdata", "error-response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("response JSON:\n%s\nwant:\n%s", got, want.Bytes())
	}
}

func TestHandlerAnswersABadPath400(t *testing.T) {
	called := false
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	resp, err := lambdaurl.Handler(h)(context.Background(), readEvent(t, "bad-escape.json"))
	if err != nil || resp.StatusCode != http.StatusBadRequest || called {
		t.Errorf("bad path: status %d, error %v, handler called %t; want 400 without calling it", resp.StatusCode, err, called)
	}
}
