// Package imds is the agent's small client for the EC2 instance metadata
// service (IMDS), version 2 only, and a monitor that watches it for Spot
// interruption notices and rebalance recommendations.
//
// Every request carries a session token obtained with a PUT and cached until
// shortly before its TTL runs out. A 401 drops the token and retries once
// with a fresh one; network errors and 5xx answers are retried a bounded
// number of times with a growing backoff. A 404 on an optional item (user
// data, an instance tag, the Spot notice, the rebalance recommendation)
// means "absent", not an error.
//
// The package uses only net/http, so tests and the end-to-end harness can
// stand in for IMDS with an httptest server.
package imds
