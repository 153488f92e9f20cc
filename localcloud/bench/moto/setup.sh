#!/usr/bin/env bash
# Fetches moto's own boto3 test suite (Debian's python-moto source) and a
# boto3/botocore of its time (Debian trixie's, pure Python) into DIR, for the
# discovery run in run.sh. Nothing fetched here is part of this repository.
# Needs Debian's python3 with pytest, pytest-timeout, responses, werkzeug,
# flask, jinja2, xmltodict, cryptography, dateutil, requests, yaml, docker,
# freezegun (apt-get install python3-pytest python3-pytest-timeout ...).
set -euo pipefail
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/labkit/moto}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$dir/py" && cd "$dir"
[ -d moto-5.1.1 ] || curl -fsS "$mirror/pool/main/p/python-moto/python-moto_5.1.1.orig.tar.gz" | tar xz
for deb in python-boto3/python3-boto3_1.37.9-1_all.deb \
  python-botocore/python3-botocore_1.37.9+repack-1_all.deb \
  python-s3transfer/python3-s3transfer_0.11.4-1_all.deb; do
  f=$(basename "$deb")
  [ -f "$f" ] || curl -fsSO "$mirror/pool/main/p/$deb"
  dpkg -x "$f" py
done
# moto's Lambda tests create their role with AssumeRolePolicyDocument "some
# policy" and retry until it exists; IAM (and the local cloud) refuse that
# document, so every Lambda test would spin. For discovery the helper gets a
# valid Lambda trust policy (only this line of moto's code is changed).
u=moto-5.1.1/tests/test_awslambda/utilities.py
python3 - "$u" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
open(p, "w").write(s.replace('AssumeRolePolicyDocument="some policy",', "AssumeRolePolicyDocument='" + trust + "',"))
PY
echo "export LABKIT_MOTO=$dir"
