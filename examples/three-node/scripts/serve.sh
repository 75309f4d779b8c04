#!/bin/sh
# Marks the server as ready. Idempotent.
set -eu
[ -f /tmp/vmlab-serving ] && exit 0
echo "serving on $(hostname)" > /tmp/vmlab-serving
