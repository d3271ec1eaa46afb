// Package dynamo is the start of Tanda's DynamoDB store: the jobs and items
// tables of docs/DYNAMODB.md, written through the AWS SDK (or any endpoint
// that speaks DynamoDB's protocol, such as moto's server).
//
// # Done
//
// CreateTables creates both tables (on-demand billing, the jobs table's
// global secondary indexes, TTL on attribute "ttl"), idempotently. Items:
// PutItem, GetItem, ListItems, DeleteItem, NextSequence. Jobs: GetJob,
// GetJobs, UpdateJob and CreateJobs.
//
// # Not yet implemented
//
// ListJobs, CountChildren, AddDependents and Dependents, DeleteExpired,
// CreateJobsRecording, UpdateJobDeleting, CreateJobs of more than 100 jobs
// (array expansion by BatchWriteItem, skipping children that exist), and the
// store's own retries of throttled calls with backoff and jitter (throttling
// errors the SDK gives up on already wrap batch.ErrThrottled). Store does
// not implement control.Store until those exist.
//
// # Storage
//
// A job is the item {id, version, doc} plus the sparse index attributes of
// the design, computed from the job's state on every write: a write puts
// the whole item, so an attribute that no longer applies disappears with
// it. doc is the JSON of {job, internal}, as infra/sqlite stores it. An item
// is {kind, key, doc, version} with, when it expires, "expiresAt" (ms, read
// back into Item.ExpiresAt) and "ttl" (epoch seconds, for DynamoDB's TTL).
// A sequence is the item of kind "sequence" keyed by its name, with its
// value in attribute "value".
//
// # Messages
//
// The messages given with a job write go to Options.Sender after the write
// succeeds. On AWS they cannot share the write's transaction: a crash in
// between loses them, and the sweeper re-rings jobs without progress.
//
// # Consistency
//
// Reads are strongly consistent. Every write of a job or an item is
// conditional on its version (0: it must not exist); a lost condition is an
// error wrapping batch.ErrConflict.
package dynamo
