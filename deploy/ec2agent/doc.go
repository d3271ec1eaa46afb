// Package ec2agent is `tanda agent`, the agent on each EC2 instance a Tanda
// stack launches. It learns who it is from IMDSv2 (the identity document,
// the lifecycle, the user data carrying the stack's settings, and the
// instance tag naming its compute environment), sizes itself from its
// instance type, and runs package bootstrap's agent against the stack's
// control plane: DynamoDB, SQS, CloudWatch Logs and ECR on AWS (OpenAWS),
// or any Backend a test injects.
//
// # Interruptions
//
// The agent polls IMDS for Spot interruption notices and rebalance
// recommendations. On the first of either it stops taking work and
// reports its instance draining; a rebalance recommendation does nothing
// more. A Spot interruption also sets a deadline: the notice's time less
// Config.KillGrace. Jobs that end before the deadline end as usual. At the
// deadline, the jobs still running are stopped (SIGTERM, then SIGKILL
// after what is left of KillGrace) and their attempts handed back as
// `Host EC2 (instance i-...) terminated.`, so the control plane retries
// each elsewhere or fails it, per its retry strategy.
//
// # Shutdown
//
// When Run's context ends (SIGINT or SIGTERM for `tanda agent`), the agent
// takes no more work, stops its running jobs and returns promptly without
// reporting them. Their attempts stay held until their leases lapse
// (Settings.LeaseSeconds without a heartbeat); then the control plane's
// sweeper ends each as a lost host and retries it per its retry strategy.
package ec2agent
