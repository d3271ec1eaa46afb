// Package console is Tanda's web console: a dashboard of job queues and
// compute environments, lists and pages of jobs, compute environments, job
// queues, job definitions and scheduling policies, a job's log live while
// it runs, and the actions a user takes from the AWS Batch console (submit,
// cancel, terminate, enable or disable a queue or a compute environment,
// change min/max vCPUs), each asking before it acts.
//
// It is served at /console/ beside the API, by every deployment (kit.NewAPI
// mounts it). It holds no business logic: every read and every action is an
// AWS Batch operation run through the API's handler (httpapi.Handler.Call)
// as the session's access key: the API's own decoding, Backend, rate limit
// and request log, so the console refuses what the API refuses, with the
// API's message.
//
// Nothing is shown without a session. A session is a cookie (HttpOnly,
// SameSite=Strict, expiring) sealed with a key derived from the secret of
// the access key that opened it, and checked against the key store on every
// request, so sessions need no server-side state (the stack's API runs in
// many Lambda instances) and a revoked key's sessions end with it. A
// session is opened by signing in with an access key id and secret Tanda
// issued, or, under `tanda up`, by a one-time sign-in link (SignInLink).
// Every form that changes state carries a CSRF token derived from the
// session, and pages are served with a Content-Security-Policy that allows
// nothing but the console's own origin (no inline script).
package console
