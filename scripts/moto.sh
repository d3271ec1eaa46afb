#!/usr/bin/env bash
# Usage: scripts/moto.sh COMMAND [ARGS...]
#
# Runs COMMAND with TANDA_MOTO_ENDPOINT naming a moto server (the AWS API
# emulator the machine image ships as moto_server) started here on a free
# port of 127.0.0.1, and stopped when COMMAND ends. Tests of Tanda's AWS
# adapters use it through the AWS SDK. Exits with COMMAND's status.
#
# TANDA_MOTO_PROFILE=FILE has the server sum its calls and CPU time by
# operation into FILE (scripts/moto_server.py).
set -euo pipefail

say() { echo "moto.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ $# -gt 0 ] || die "usage: scripts/moto.sh COMMAND [ARGS...]"
command -v moto_server >/dev/null || die "moto_server is missing: the machine image ships moto 5 (PyPI is not reachable to install it)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp "${TMPDIR:-/tmp}/tanda-moto.XXXXXX")
# moto's own server, with DynamoDB's calls served one at a time so that its
# conditional writes are atomic, as DynamoDB's are (see scripts/moto_server.py).
python3 "$(dirname "$0")/moto_server.py" 127.0.0.1 "$port" >"$log" 2>&1 &
pid=$!
stop() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$log"
}
trap stop EXIT

endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
	if curl -sf --max-time 2 "$endpoint/moto-api/" >/dev/null; then
		break
	fi
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "moto_server exited"; }
	sleep 0.1
done
curl -sf --max-time 2 "$endpoint/moto-api/" >/dev/null || { cat "$log" >&2; die "moto_server did not answer at $endpoint"; }
say "moto server at $endpoint (pid $pid)"
export TANDA_MOTO_ENDPOINT=$endpoint
status=0
"$@" || status=$?
exit "$status"
