package sqsqueue

import (
	"crypto/sha256"
	"encoding/hex"
)

// maxName is the longest SQS name a queue gets: SQS's 80 characters less
// the dead-letter suffix.
const maxName = 80 - len(dlqSuffix)

// dlqSuffix ends the name of a queue's dead-letter queue.
const dlqSuffix = "-dlq"

// hashLen is how many hex digits of the name's hash end a shortened name.
const hashLen = 8

// SQSName is the SQS name of Tanda's queue under a stack prefix:
// "<prefix>-<queue>" (just queue when prefix is empty), shortened to 76
// characters by keeping its first 67 and appending "-" and 8 hex digits of
// its SHA-256.
func SQSName(prefix, queue string) string {
	name := queue
	if prefix != "" {
		name = prefix + "-" + queue
	}
	if len(name) <= maxName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:maxName-hashLen-1] + "-" + hex.EncodeToString(sum[:])[:hashLen]
}

// dlqName is the SQS name of the dead-letter queue of the queue named name.
func dlqName(name string) string { return name + dlqSuffix }
