// Package accesskeys issues, looks up and revokes the access keys that sign
// requests to Tanda's API, and writes them into the AWS CLI's files.
//
// An access key looks like AWS's (a 20-character id, a 40-character secret)
// but its id starts with "TKIA" rather than AWS's "AKIA", so a Tanda key is
// never mistaken for, or by, a real AWS one. Ids are "TKIA" followed by 16
// base32 characters (80 random bits); secrets are 30 random bytes in
// standard base64.
//
// Keys are items of kind batch.KindAccessKey keyed by id. The secret is
// stored sealed (AES-256-GCM with a key file on one machine, a KMS key on
// AWS through a ContextSealer: infra/kmskeys) and never appears in a stored
// document; revoking a key marks its item rather than deleting it, so the
// id is never reissued.
package accesskeys
