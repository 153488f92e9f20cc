#!/usr/bin/env bash
# Gradescope runs setup.sh once, as root, when it builds the autograder's
# image. The autograder zip holds this file, run_autograder and a lab binary
# built for the image:  GOOS=linux GOARCH=amd64 go build -o lab ./cmd/lab
# (no Go toolchain, Docker or network is needed at grading time).
set -euo pipefail
source_dir="${AUTOGRADER_SOURCE:-/autograder/source}"
bin_dir="${LAB_BIN_DIR:-/usr/local/bin}"
if [ ! -f "$source_dir/lab" ]; then
	echo "setup.sh: no lab binary in $source_dir: build one with 'GOOS=linux GOARCH=amd64 go build -o lab ./cmd/lab' and put it in the autograder zip next to setup.sh" >&2
	exit 1
fi
mkdir -p "$bin_dir"
install -m 0755 "$source_dir/lab" "$bin_dir/lab"
"$bin_dir/lab" help >/dev/null
echo "setup.sh: lab installed in $bin_dir"
