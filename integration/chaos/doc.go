// Package chaos is Tanda's chaos suite: it drives a mixed workload of
// jobs through a real Tanda while it injects faults from a seeded,
// replayable schedule, then checks a ledger kept outside Tanda in the
// manner of Jepsen's total-queue checker.
//
// The ledger has two halves. The client records every job the API
// acknowledged (Ledger), and every execution of an attempt records itself,
// from inside the job's own process, in a file of its own in a directory
// the faults cannot reach (package jobrecord). After the faults stop
// and Tanda settles, Check compares both with what Tanda says (DescribeJobs,
// ListJobs) and reports one Violation per broken promise: a lost or
// unfinished job, an unexplained failure, an attempt run twice or after its
// successor began, an attempt without an execution or the other way round,
// an array or a dependency inconsistent with its children, a job left
// RUNNING on an instance that is gone.
//
// The system under test is a Backend: something that starts Tanda, says
// where its API is, and offers Faults (kill -9 of the control plane, an
// instance lost under running jobs, a full disk, a skewed agent clock...).
// UpBackend is one-machine Tanda (deploy/local on SQLite, what `tanda up`
// runs); AWSBackend is `tanda serve --backend aws` on moto with a
// `tanda agent` process per instance. Faults on the client's path to the API
// (answers lost after the write, 5xx, delays) are the suite's own, through
// a proxy on 127.0.0.1, whatever the backend.
package chaos
