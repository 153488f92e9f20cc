#!/usr/bin/env bash
# Discovery run (not a CI test): moto 5.1.1's boto3 tests for SQS, SNS, Lambda,
# API Gateway v2, IAM, STS and Logs in moto's server mode against `lab cloud`,
# a fresh cloud (empty data dir) per test as moto's reset would give.
#   LABKIT_MOTO=... LAB_BIN=/path/to/lab localcloud/bench/moto/run.sh PORT OUT.xml [pytest args]
# Each failure is then decided from AWS's documentation: moto accepts much that
# AWS refuses (e.g. AssumeRolePolicyDocument="some policy"), and those stay failing.
set -euo pipefail
port=$1 out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
cd "$LABKIT_MOTO/moto-5.1.1"
export PYTHONPATH=$here:$LABKIT_MOTO/py/usr/lib/python3/dist-packages:$PWD
export TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT=http://127.0.0.1:$port LABKIT_PORT=$port
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(tests/test_sqs tests/test_sns tests/test_awslambda tests/test_apigatewayv2 tests/test_iam tests/test_sts tests/test_logs)
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -p labkit_moto --timeout 30 --junitxml="$out" "${args[@]}"
