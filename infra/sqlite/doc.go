// Package sqlite is one-machine Tanda's durable store and queue: it keeps
// items, sequences, jobs, dependency edges and queue messages in one SQLite
// database (modernc.org/sqlite, pure Go) and implements the store and queue
// contracts of package control.
//
// # Writes
//
// All writes go through one writer goroutine that owns the only write
// connection, so no write ever meets SQLITE_BUSY from this process. The
// writer group-commits: it runs every operation waiting when it becomes free
// in one transaction, commits once, and only then answers each caller with
// its own result. Operations check their conditions before they write, so a
// conflict in one leaves the others alone; an operation failing for another
// reason is dropped from the batch, which is rolled back and run again
// without it. Reads use a separate pool of read-only connections, which WAL
// mode lets run beside the writer; a read that follows an acknowledged write
// sees it. Checkpoints, which copy the WAL into the database file, run on a
// connection of their own every few batches, so that no commit waits for
// their copying and fsyncs.
//
// # Queue
//
// Messages live in the same database, so the messages given to CreateJobs
// and UpdateJob are written in the write's own transaction (a transactional
// outbox). The queue keeps at most one message per (queue, id):
//
//   - Sending a message that is waiting (not received, or re-armed) replaces
//     its body and keeps its place in the queue.
//   - Sending a message a consumer has received (its receipt is still
//     current) replaces its body and marks it for redelivery without
//     shortening the consumer's visibility. When that consumer deletes it,
//     the message is re-armed (visible at once, as if newly sent) instead
//     of deleted, so a doorbell rung while a consumer works is never lost.
//     A new Receive of the message clears the mark, since its receiver
//     sees the state the doorbell announced.
//
// Receive hands out a fresh receipt each time; Delete and ChangeVisibility
// with a receipt that is no longer current do nothing and return nil, as
// SQS does. Times in the queue come from Options.Clock. Long polling waits
// for a Send to the queue, for the earliest hidden message to become
// visible, for the wait to end, for the context, or for Close. A Send wakes
// every long poll of its queue, so Receive looks on a read connection first
// and takes the writer only when a message is visible.
package sqlite
