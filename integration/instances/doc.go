// Package instances plays the EC2 instances of a Tanda stack for
// end-to-end tests against moto (or LocalStack), whose instances run
// nothing: a Harness watches EC2 for the stack's running instances and,
// for each, serves a fake IMDSv2 with that instance's identity, user data
// and tags and starts the agent program with the IMDS endpoint in its
// environment. When the instance leaves the running state (the
// provisioner terminated it, or the harness did after a Spot interruption
// notice) the harness kills the agent's process group.
//
// The fake IMDS (IMDS) is usable on its own by tests that need an
// instance's metadata service.
package instances
