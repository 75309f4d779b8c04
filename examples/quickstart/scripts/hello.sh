#!/bin/sh
# Writes a marker file so a test (or you) can see the step ran. Idempotent.
set -eu
echo "hello from ${1:-$(hostname)}" > /tmp/vmlab-hello
cat /tmp/vmlab-hello
