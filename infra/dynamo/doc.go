// Package dynamo is Tanda's DynamoDB store: control.Store on the jobs and
// items tables of docs/DYNAMODB.md, written through the AWS SDK (or any
// endpoint that speaks DynamoDB's protocol, such as LocalStack or moto).
//
// # Storage
//
// A job is the item {id, version, doc} plus the index attributes of the
// design, computed from the job's state on every write: a write puts the
// whole item, so an attribute that no longer applies disappears with it.
// doc is the JSON of {job, internal}, as infra/sqlite stores it. An item
// is {kind, key, doc, version} with, when it expires, "expiresAt" (ms,
// read back into Item.ExpiresAt) and "ttl" (epoch seconds, for DynamoDB's
// TTL). A sequence is the item of kind "sequence" keyed by its name, with
// its value in attribute "value".
//
// # Listings
//
// ListJobs reads the keys of the index that serves a query (listplan.go),
// then the documents, and checks each document against the whole query.
// Sort keys end with the job id, so a cursor resumes exactly where a page
// ended.
//
// # Messages
//
// The messages given with a job write go to Options.Queues after the write
// succeeds. On AWS they cannot share the write's transaction: a crash in
// between loses them, and the sweeper re-rings jobs without progress.
//
// # Consistency
//
// Reads of jobs and items are strongly consistent; index reads are not,
// which is why listed documents are checked again. Every write of a job or
// an item is conditional on its version (0: it must not exist); a lost
// condition is an error wrapping batch.ErrConflict.
package dynamo
