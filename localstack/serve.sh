#!/usr/bin/env bash
# Usage: localstack/serve.sh [TANDA] [tanda serve flags...]
#
# Tanda on a running LocalStack (docker compose -f localstack/docker-compose.yml
# up): runs TANDA serve --backend aws --init --stack $TANDA_STACK [flags...]
# (TANDA defaults to bin/tanda) against $AWS_ENDPOINT_URL (default
# http://localhost:4566). LocalStack's init hook has made the upload trigger;
# --init creates the rest of the stack.
set -euo pipefail

tanda=${1:-bin/tanda}
[ $# -gt 0 ] && shift
export TANDA_STACK=${TANDA_STACK:-tanda}
export AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL:-http://localhost:4566}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}

say() { echo "serve.sh: $*" >&2; }

[ -x "$tanda" ] || { say "$tanda is not built: run make tanda"; exit 1; }
if ! curl -sf --max-time 5 "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null; then
	say "LocalStack does not answer at $AWS_ENDPOINT_URL:"
	say "  LOCALSTACK_AUTH_TOKEN=... docker compose -f localstack/docker-compose.yml up -d --wait"
	exit 1
fi
exec "$tanda" serve --backend aws --init --stack "$TANDA_STACK" "$@"
