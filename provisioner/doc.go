// Package provisioner decides how much capacity each managed compute
// environment needs and executes those decisions: it launches and retires
// instances within minvCpus and maxvCpus (exceeding maxvCpus by at most one
// instance, and never with BEST_FIT On-Demand), packs waiting jobs onto the
// cheapest instance types that fit, and explains every decision in a sentence.
//
// The package is split in two:
//
//   - Plan is pure: observed state in, a Decision out. It does no I/O and reads
//     the time only from its input.
//   - Provisioner is a thin, level-triggered reconciler: every pass observes
//     (Observer, Fleet), plans, acts (Fleet.Launch, Fleet.Terminate) and
//     records the decision (Observer.RecordDecision). A crash mid-pass is
//     repaired by the next pass; launches carry a deterministic client token so
//     a retried call never doubles capacity.
//
// The same decisions drive every backend: the embedded local fleet of
// one-machine Tanda and EC2 CreateFleet on AWS. The interfaces the package
// consumes (Observer, Fleet) are declared here, by their consumer.
package provisioner
