#!/usr/bin/env bash
# Fix 2: pkg/generated/openapi/zz_generated.openapi.go is not in the source tarball, so
# kube-apiserver does not compile (undefined: openapi.GetOpenAPIDefinitions). The tree's own
# `make gen_openapi` generates it offline (needs rsync).
#   usage: 20-gen-openapi.sh TREE      (env: GOCACHE, GOFLAGS as for the build)
set -euo pipefail
tree="$1"
make -C "$tree" gen_openapi
f="$tree/pkg/generated/openapi/zz_generated.openapi.go"
grep -q 'func GetOpenAPIDefinitions' "$f" || { echo "fix gen_openapi: $f has no GetOpenAPIDefinitions" >&2; exit 1; }
