// Package docker is the agent's container runtime: it runs each attempt of
// a job as a container on Docker Engine, through the Engine API with
// API-version negotiation (Docker 20.10, API 1.41, and later).
//
// An attempt's container is made from the job's merged container
// properties: its image (pulled when absent, with registry credentials
// from an Auth), command, environment, user, vCPUs as a CPU limit, memory
// as a hard limit without swap, GPUs as device requests, ulimits, a
// read-only root filesystem, Linux parameters, volumes and mount points.
// Host paths, devices and privileged mode are refused unless
// Options.Allow permits them. Every container runs with no-new-privileges
// and Docker's default capabilities, on the default bridge network (none
// when the daemon has no bridge; Options.Network chooses), and carries
// labels naming its job, attempt and instance, so that a restarted agent
// can find it again (Runtime.Adopt).
//
// Output is followed while the container runs and handed to the attempt's
// LogFunc line by line with Docker's timestamps. When the container ends,
// its exit code (and an OOM kill's reason) is read and the container is
// removed.
package docker
