#!/usr/bin/env bash
# Usage: scripts/dockerd.sh COMMAND [ARGS...]
#
# Runs COMMAND with DOCKER_HOST naming a Docker daemon that answers: the one
# DOCKER_HOST (or /var/run/docker.sock) names already, or else a private
# dockerd (Debian's docker.io) started here in a temporary directory and
# stopped, with everything it made, when COMMAND ends. The flags are those
# that work on the build machines: no iptables and no default bridge (job
# containers run with --network none). Exits with COMMAND's status.
set -euo pipefail

say() { echo "dockerd.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ $# -gt 0 ] || die "usage: scripts/dockerd.sh COMMAND [ARGS...]"

# answers HOST: whether a Docker daemon answers at HOST (unix:// or tcp://).
answers() {
	case "$1" in
	unix://*) [ -S "${1#unix://}" ] && curl -sf --max-time 3 --unix-socket "${1#unix://}" http://docker/_ping >/dev/null ;;
	tcp://*) curl -sf --max-time 3 "http://${1#tcp://}/_ping" >/dev/null ;;
	*) return 1 ;;
	esac
}

host=${DOCKER_HOST:-unix:///var/run/docker.sock}
if answers "$host"; then
	say "using the Docker daemon at $host"
	export DOCKER_HOST=$host
	exec "$@"
fi
command -v dockerd >/dev/null || die "dockerd is missing: install Debian's docker.io (apt-get install -y docker.io; .ci/run does)"
[ "$(id -u)" = 0 ] || die "starting dockerd needs root; or set DOCKER_HOST to a daemon that answers"

dir=$(mktemp -d "${TMPDIR:-/tmp}/tanda-dockerd.XXXXXX")
pid=

# stop ends the daemon this script started (it stops its containers and its
# containerd), then removes what it left.
stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "dockerd (pid $pid) did not stop within 30 s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			# Its containerd, when it outlives it.
			if [ -f "$dir/exec/containerd/containerd.pid" ]; then
				kill -KILL "$(cat "$dir/exec/containerd/containerd.pid")" 2>/dev/null || true
			fi
		fi
		wait "$pid" 2>/dev/null || true
	fi
	# Mounts a killed daemon left under the directory go before it does.
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$dir" || say "could not remove $dir"
}
trap stop EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

dockerd --host "unix://$dir/docker.sock" --data-root "$dir/data" --exec-root "$dir/exec" \
	--pidfile "$dir/dockerd.pid" --iptables=false --bridge=none >"$dir/dockerd.log" 2>&1 &
pid=$!
export DOCKER_HOST="unix://$dir/docker.sock"
for _ in $(seq 1 300); do
	answers "$DOCKER_HOST" && break
	if ! kill -0 "$pid" 2>/dev/null; then
		tail -n 20 "$dir/dockerd.log" >&2
		die "dockerd exited as it started (its log's end is above)"
	fi
	sleep 0.1
done
if ! answers "$DOCKER_HOST"; then
	tail -n 20 "$dir/dockerd.log" >&2
	die "dockerd did not answer at $DOCKER_HOST within 30 s (its log's end is above)"
fi
say "started $(dockerd --version) at $DOCKER_HOST (pid $pid)"

status=0
"$@" || status=$?
exit "$status"
