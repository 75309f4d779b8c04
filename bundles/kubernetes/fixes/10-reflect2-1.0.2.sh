#!/usr/bin/env bash
# Fix 1: the vendored github.com/modern-go/reflect2 v1.0.1 breaks under Go >= 1.18 (kubeadm
# panics in reflect2.(*frozenConfig).Type2 from json-iterator's decoderOfMap on `kubeadm init`
# and `kubeadm config print init-defaults`). Replace it with Debian's 1.0.2
# (golang-github-modern-go-reflect2-dev), keeping the vendored LICENSE.
#   usage: 10-reflect2-1.0.2.sh TREE
set -euo pipefail
tree="$1"
src=/usr/share/gocode/src/github.com/modern-go/reflect2
dst="$tree/vendor/github.com/modern-go/reflect2"
[ -f "$src/reflect2.go" ] || { echo "fix reflect2: $src missing (apt-get install golang-github-modern-go-reflect2-dev)" >&2; exit 1; }
[ -f "$dst/LICENSE" ] || { echo "fix reflect2: $dst/LICENSE missing: not the expected tree" >&2; exit 1; }
cp "$dst/LICENSE" "$dst.LICENSE.keep"
rm -rf "$dst"
mkdir -p "$dst"
# the Go sources only (no tests, no go.mod: GOPATH mode)
find "$src" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp -t "$dst" {} +
mv "$dst.LICENSE.keep" "$dst/LICENSE"
