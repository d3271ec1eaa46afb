// Package cwlogs keeps job logs in Amazon CloudWatch Logs: Tanda's log store
// on AWS, with the shape of package logfiles (Append, Read) so the same
// adapters serve both.
//
// Streams live in one log group, "/aws/batch/job" unless configured, and are
// named as AWS Batch names them, "<jobDefinitionName>/default/<taskId>". A
// stream is created on its first Append; the Store remembers the streams it
// created or found, so later appends go straight to PutLogEvents.
//
// Append splits events into PutLogEvents batches within CloudWatch's limits:
// at most 10,000 events and 1,048,576 bytes per batch, where an event counts
// its message's UTF-8 bytes plus 26, events in chronological order, and one
// batch spanning at most 24 hours. Before sending, each message is made
// valid UTF-8 (invalid bytes become U+FFFD), cut to CloudWatch's largest
// event (256 KiB including the 26 bytes), and an empty message, which
// CloudWatch refuses, is sent as a single space so blank lines keep their
// place. Events are sorted by timestamp, keeping the order of equal ones.
// CloudWatch drops events more than 14 days old or 2 hours ahead (or older
// than the group's retention); Append logs a warning with CloudWatch's
// indexes of them and carries on.
//
// Throttling (ThrottlingException, ServiceUnavailableException) is retried
// with exponential backoff and jitter on top of the SDK's own retries; if it
// persists, the error wraps batch.ErrThrottled.
//
// Read pages forward from the head of a stream with CloudWatch's opaque
// tokens. At the end of a stream CloudWatch hands back the token it was
// given, and it may return an empty page before the end, so a caller reads
// until the token stops changing.
package cwlogs
