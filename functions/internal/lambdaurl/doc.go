// Package lambdaurl serves a net/http handler behind a Lambda function URL
// (payload format 2.0, invoke mode BUFFERED). The request is rebuilt
// exactly as the client sent it, as far as the event tells: the raw path
// and query string untouched, every header (values the client repeated
// arrive joined with commas, as SigV4 joins them), the cookies as one
// Cookie header and the body byte for byte, so that a SigV4 signature
// computed by the client verifies against the rebuilt request.
package lambdaurl
