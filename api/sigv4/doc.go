// Package sigv4 verifies AWS Signature Version 4 on requests to Tanda's AWS
// Batch API, so that the stock aws CLI and the AWS SDKs authenticate with the
// access keys Tanda issues.
//
// The verifier computes the canonical request itself, following the SigV4
// specification as the AWS SDKs apply it to non-S3 services:
//
//   - The canonical URI is the request's escaped path (r.URL.EscapedPath)
//     percent-encoded once more, every byte outside A-Z a-z 0-9 - _ . ~ and
//     '/' becoming %XX, so "/v1/tags/arn%3Aaws" signs as
//     "/v1/tags/arn%253Aaws". Paths are not normalised ("." segments and
//     repeated slashes are signed as sent), as aws-sdk-go-v2 does.
//   - The canonical query string is every name=value pair decoded ('+' as a
//     space) and re-encoded strictly, sorted by encoded name then value.
//   - Signed header values are joined with ',' when repeated, trimmed, and
//     runs of spaces collapse to one. Host comes from r.Host because Go moves
//     it out of r.Header.
//   - The payload hash is the SHA-256 of the body bytes the server received;
//     clients of non-S3 services send no x-amz-content-sha256, and when one is
//     present and signed it must equal that hash.
//
// The verifier is stricter than AWS where the Batch API needs nothing more:
// query-string (presigned) authentication is refused, host and x-amz-date
// must be signed, the credential scope's date must be the date of
// X-Amz-Date, X-Amz-Date must be within MaxSkew of the server's clock, and
// every x-amz-* header present in the request must be signed (an x-amz-*
// header added after signing could change what a handler does without the
// signer's consent; the AWS CLI and SDKs sign all of theirs, and the
// unsigned amz-sdk-invocation-id and amz-sdk-request headers are not
// x-amz-*).
//
// # Errors
//
// Every rejection is an *AuthError answered with HTTP 403, using the codes of
// AWS's JSON services (not S3's):
//
//   - MissingAuthenticationTokenException: no Authorization header.
//   - IncompleteSignatureException: a malformed Authorization header (other
//     algorithm, bad Credential or scope terminator, unsorted SignedHeaders,
//     non-hex Signature), a missing or malformed X-Amz-Date, host or
//     x-amz-date not signed, an unsigned x-amz-* header, a query string that
//     does not decode, or query-string authentication.
//   - InvalidSignatureException: the signature does not match (a wrong
//     secret, or the method, path, query, a signed header or the body
//     altered after signing), a signed header is absent, the scope names
//     another region, service or date than X-Amz-Date's, or the request is
//     outside the allowed clock skew ("Signature expired: ..." / "Signature
//     not yet current: ..."). AWS's S3 would say SignatureDoesNotMatch for
//     a mismatch; the JSON services, whose wire format Batch uses, say
//     InvalidSignatureException.
//   - UnrecognizedClientException: the access key is unknown or revoked; the
//     message is the same in both cases and does not echo the key.
//
// Any other error from Verify (the SecretSource failing, a verifier without
// a region) is the server's problem and should be answered with a 5xx so
// the client retries.
//
// Like AWS, Verify does not refuse a request because an identical one was
// seen before: SDKs sign no nonce, so two distinct calls with the same body
// in the same second are byte-for-byte alike. Replay protection is TLS's.
package sigv4
