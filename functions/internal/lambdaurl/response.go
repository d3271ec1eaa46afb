package lambdaurl

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// responseWriter buffers a handler's response.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*responseWriter)(nil)

func newResponseWriter() *responseWriter { return &responseWriter{header: http.Header{}} }

func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader records the status; later calls are ignored, as net/http's.
func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// response is what the handler wrote, as a function URL response: the
// status (200 if none was written), each header's values joined with
// commas, Set-Cookie headers as cookies, a Content-Type sniffed as
// net/http does when the handler set none, and the body as text when it
// is UTF-8, otherwise in base64.
func (w *responseWriter) response() events.LambdaFunctionURLResponse {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	body := w.body.Bytes()
	if _, ok := w.header["Content-Type"]; !ok && len(body) > 0 {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	resp := events.LambdaFunctionURLResponse{StatusCode: status, Headers: make(map[string]string, len(w.header))}
	for name, values := range w.header {
		if name == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, values...)
			continue
		}
		resp.Headers[name] = strings.Join(values, ",")
	}
	if utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return resp
}
