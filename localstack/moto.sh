#!/usr/bin/env bash
# Usage: localstack/moto.sh [TANDA] [tanda serve flags...]
#
# Tanda on moto's server, for people without a LocalStack account: starts
# moto_server on 127.0.0.1:$MOTO_PORT (default 5000), creates the stack's
# upload trigger there (init/ready.d/10-tanda-trigger.sh: the submissions
# queue and the bucket $TANDA_TRIGGER_BUCKET), then runs
#   TANDA serve --backend aws --init --stack $TANDA_STACK [flags...]
# (TANDA defaults to bin/tanda), which creates the rest of the stack and
# serves the AWS Batch API on 127.0.0.1:8266. Ctrl-C stops both.
#
# Moto's instances run nothing: jobs wait RUNNABLE unless something plays
# the instances (the integration tests' harness does; see README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tanda=${1:-bin/tanda}
[ $# -gt 0 ] && shift
port=${MOTO_PORT:-5000}
export TANDA_STACK=${TANDA_STACK:-tanda}

say() { echo "moto.sh: $*" >&2; }
die() { say "$*"; exit 1; }

command -v moto_server >/dev/null || die "moto_server is missing: pip install 'moto[server]'"
command -v aws >/dev/null || die "the aws CLI is missing: pip install awscli"
[ -x "$tanda" ] || die "$tanda is not built: run make tanda"

export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_DEFAULT_REGION=${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}

log=$(mktemp "${TMPDIR:-/tmp}/tanda-moto.XXXXXX")
moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto=$!
stop() {
	kill "$moto" 2>/dev/null || true
	wait "$moto" 2>/dev/null || true
	rm -f "$log"
}
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 100); do
	curl -sf --max-time 2 "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break
	kill -0 "$moto" 2>/dev/null || { cat "$log" >&2; die "moto_server exited (is port $port taken? set MOTO_PORT)"; }
	sleep 0.1
done
curl -sf --max-time 2 "$AWS_ENDPOINT_URL/moto-api/" >/dev/null || { cat "$log" >&2; die "moto_server does not answer at $AWS_ENDPOINT_URL"; }
say "moto at $AWS_ENDPOINT_URL (pid $moto)"

AWS="aws --endpoint-url $AWS_ENDPOINT_URL" "$here/init/ready.d/10-tanda-trigger.sh"
status=0
"$tanda" serve --backend aws --init --stack "$TANDA_STACK" "$@" || status=$?
exit "$status"
