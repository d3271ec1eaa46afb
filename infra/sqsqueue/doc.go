// Package sqsqueue implements control.Queues on Amazon SQS (or any endpoint
// that speaks its JSON protocol, such as LocalStack or moto's server).
//
// # Names
//
// Tanda's queues ("submissions", "ready-<job queue>") live in SQS as
// "<prefix>-<name>", the prefix being the stack name (SQSName). SQS allows
// 80 characters; a queue's dead-letter queue adds "-dlq", so a name longer
// than 76 characters keeps its first 67 and ends with "-" and 8 hex digits
// of the SHA-256 of the whole name. Names stay unique and stable across
// processes. The prefix must use the characters SQS allows:
// [A-Za-z0-9_-].
//
// # Messages
//
// A message's body is its job id; a non-empty Message.Body travels in the
// "Body" message attribute. Messages carry ids, never secrets.
//
// # Semantics
//
// Delivery is at least once and unordered. Queue URLs are resolved once with
// GetQueueUrl and cached. With Options.CreateMissing, Send and Receive
// create a queue (and its dead-letter queue, see Options.MaxReceiveCount)
// the first time they find it missing; without it, they fail with an error
// wrapping ErrNoQueue.
//
// Delete and ChangeVisibility with a stale or expired receipt return nil:
// SQS either answers success without acting (an old receipt of a message
// received again) or ReceiptHandleIsInvalid / MessageNotInflight (the
// message is gone or no longer in flight); either way there is nothing
// left for the caller to do. Delete on a missing queue is nil for the same
// reason. Receive rounds its wait and visibility up to whole seconds (wait
// at most 20 s, visibility at most 12 h), so a positive duration never
// becomes "no wait" or "visible at once".
//
// Throttling (ThrottlingException, RequestThrottled, OverLimit), after the
// SDK's own retries, comes back wrapping batch.ErrThrottled.
//
// On AWS, a queue deleted less than 60 s ago cannot be created again
// (QueueDeletedRecently): recreating a job queue of the same name right
// after deleting it fails until then.
package sqsqueue
