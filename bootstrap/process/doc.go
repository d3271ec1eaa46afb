// Package process is the agent's plain-process job runtime, used on one
// machine when no Docker daemon answers. It runs a job's command directly
// and reports its output and exit the way a container runtime would, so the
// agent treats both runtimes alike.
//
// The semantics follow Docker's where they apply:
//
//   - The command is run as an argv, never through a shell. A bare name is
//     looked up in the PATH of the job's environment, not the agent's.
//   - The environment is exactly Spec.Env; nothing of the agent's leaks in,
//     except its PATH when Spec.Env has none, so that bare names resolve.
//   - The process leads its own process group, like a container's init:
//     Stop signals the whole group, and when the leader exits every process
//     left in the group is killed, as a container's are when it stops.
//   - A process killed by a signal exits with 128+signo (137 for SIGKILL,
//     143 for SIGTERM).
//   - Spec.Image and Spec.User are not used; a log line says so when set.
//
// Output is streamed to a LogSink line by line as it arrives. The package
// needs a Unix-like system (process groups and signals).
package process
