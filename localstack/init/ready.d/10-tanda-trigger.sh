#!/usr/bin/env bash
# Creates the S3 upload trigger of a Tanda stack on LocalStack or moto: the
# stack's submissions queue (with its dead-letter queue, as Tanda makes
# them) and the bucket $TANDA_TRIGGER_BUCKET, whose ObjectCreated
# notifications go to that queue, as template.yaml's TriggerBucket does on
# AWS. `tanda serve --backend aws --init` creates the rest of the stack
# (tables, log group, launch template) and keeps the queue as it is.
#
# LocalStack runs it when it is ready (mounted in
# /etc/localstack/init/ready.d), with awslocal; localstack/moto.sh runs it
# with AWS="aws --endpoint-url ...". Running it again changes nothing.
#
# Environment: TANDA_STACK (default tanda), TANDA_TRIGGER_BUCKET (default
# <stack>-uploads), AWS (the CLI command, default awslocal),
# AWS_DEFAULT_REGION (default us-east-1).
set -euo pipefail

stack=${TANDA_STACK:-tanda}
bucket=${TANDA_TRIGGER_BUCKET:-$stack-uploads}
aws=${AWS:-awslocal}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
retention=1209600 # 14 days, SQS's longest, as Tanda's queues keep messages

say() { echo "tanda-trigger: $*" >&2; }

queue_arn() {
	local url
	url=$($aws sqs get-queue-url --queue-name "$1" --query QueueUrl --output text)
	$aws sqs get-queue-attributes --queue-url "$url" --attribute-names QueueArn --query Attributes.QueueArn --output text
}

$aws sqs create-queue --queue-name "$stack-submissions-dlq" \
	--attributes "MessageRetentionPeriod=$retention" >/dev/null
dlq=$(queue_arn "$stack-submissions-dlq")
$aws sqs create-queue --queue-name "$stack-submissions" --attributes "$(printf \
	'{"MessageRetentionPeriod":"%s","RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"%s\\",\\"maxReceiveCount\\":\\"10\\"}"}' \
	"$retention" "$dlq")" >/dev/null
queue=$(queue_arn "$stack-submissions")

if ! $aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
	$aws s3api create-bucket --bucket "$bucket" >/dev/null
fi
$aws s3api put-bucket-notification-configuration --bucket "$bucket" --notification-configuration "$(printf \
	'{"QueueConfigurations":[{"Id":"tanda-submissions","QueueArn":"%s","Events":["s3:ObjectCreated:*"]}]}' "$queue")"
say "uploads to s3://$bucket notify $queue"
