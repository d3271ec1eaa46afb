// Package jobevents publishes job state changes to Amazon EventBridge in the
// shape of AWS Batch's "Batch Job State Change" events.
//
// Each published job becomes one event whose detail-type is
// "Batch Job State Change", whose resources are the job's ARN, whose time is
// the job's latest change (Internal.UpdatedAt; the time of the PutEvents call
// when unset), and whose detail is the job as DescribeJobs shows it (Tanda's
// internal bookkeeping is not serialized). EventBridge adds the rest of the
// envelope: version "0", id, account and region.
//
// # Source
//
// AWS Batch sends its events with source "aws.batch", but EventBridge
// reserves "aws.*" sources for AWS services and refuses them from
// PutEvents. Tanda therefore uses its own source, DefaultSource
// ("tanda.batch"), unless configured otherwise. Rules written for AWS Batch
// need one change: match
//
//	{"source": ["tanda.batch"], "detail-type": ["Batch Job State Change"]}
//
// instead of source "aws.batch". Consumers must tolerate unknown fields in
// detail, as with AWS Batch.
//
// # Which changes to publish
//
// AWS Batch sends one event per status change after submission and none for
// the initial SUBMITTED. The caller publishes a job each time a write
// changed its status; Publish leaves out jobs in SUBMITTED (see Skip), so
// a caller may pass every changed job.
//
// # Limits
//
// PutEvents takes at most 10 entries and 256 KiB per request, where an
// entry counts the UTF-8 bytes of its source, detail-type, detail and
// resources, plus 14 bytes for its time. Publish packs entries into as few
// requests as fit. A job whose event alone exceeds 256 KiB is sent without
// its container's environment and its parameters, and a warning is logged;
// if it is still too large, it is not sent and Publish reports it.
//
// # Failures
//
// Entries EventBridge fails with a retryable code (ThrottlingException,
// InternalFailure), and whole requests throttled or failed that way, are
// retried with exponential backoff and jitter on top of the SDK's own
// retries. Publish sends every batch it can and then returns a *PublishError
// naming the jobs whose events were not published; when any of them gave up
// on throttling, the error wraps batch.ErrThrottled.
package jobevents
