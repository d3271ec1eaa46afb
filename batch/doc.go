// Package batch is Tanda's domain: compute environments, job queues, job
// definitions, jobs and scheduling policies, the job state machine, and the
// validation and semantics of the AWS Batch API. It imports no AWS SDK.
package batch
