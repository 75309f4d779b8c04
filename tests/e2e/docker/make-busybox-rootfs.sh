#!/usr/bin/env bash
# Makes a root filesystem tarball from the host's busybox-static (Debian package), for
# `docker import` inside a guest: an image with /bin/sh, httpd, wget, nc, ... and no registry.
#   usage: tests/e2e/docker/make-busybox-rootfs.sh [OUT.tar]
#   then, in the guest:  docker import OUT.tar lab/base:1
# Contents: /bin/busybox and every applet as a symlink to it (the paths of
# `busybox --list-full`), /etc/passwd and /etc/group (root, nobody), /etc/lab-base (the cache
# key), empty /proc /sys /dev /tmp (1777) /root /www /var. The tarball is reproducible (names
# sorted, owner 0:0, mtime 0), so equal inputs give equal bytes.
# Cached by content: ${VMLAB_CACHE:-/var/cache/vmlab}/images/busybox-rootfs-KEY.tar, KEY =
# the first 16 hex of sha256(this script + /bin/busybox). OUT.tar (if given) is a copy of it.
# The last line on stdout is the tarball's path (OUT.tar, or the cache file without OUT).
set -euo pipefail

die() { echo "make-busybox-rootfs: error: $*" >&2; exit 1; }
note() { echo "make-busybox-rootfs: $*" >&2; }
[ $# -le 1 ] || die "usage: $0 [OUT.tar]"
OUT="${1:-}"
BB=/bin/busybox
[ -x "$BB" ] || die "no $BB (apt-get install busybox-static)"
file -bL "$BB" 2>/dev/null | grep -q 'statically linked' \
  || ldd "$BB" 2>&1 | grep -q 'not a dynamic executable' \
  || die "$BB is not statically linked (install busybox-static, not busybox)"

CACHE="${VMLAB_CACHE:-/var/cache/vmlab}/images"
KEY="$(cat "${BASH_SOURCE[0]}" "$BB" | sha256sum | cut -c1-16)"
TAR="$CACHE/busybox-rootfs-$KEY.tar"
mkdir -p "$CACHE"
exec 9>"$TAR.lock"
flock 9
if [ -f "$TAR" ]; then
  note "cached: $TAR"
else
  TMP="$(mktemp -d "$CACHE/.busybox-rootfs.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  R="$TMP/root"
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,root,www,var,tmp}
  install -m 0755 "$BB" "$R/bin/busybox"
  while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$R/$(dirname "$applet")"
    ln -sf /bin/busybox "$R/$applet"
  done < <("$BB" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
  echo "busybox-rootfs $KEY ($("$BB" 2>&1 | head -n1))" >"$R/etc/lab-base"
  chmod 0755 "$R" "$R"/{bin,sbin,usr,usr/bin,usr/sbin,etc,proc,sys,dev,www,var}
  chmod 0700 "$R/root"; chmod 1777 "$R/tmp"
  chmod 0644 "$R/etc/passwd" "$R/etc/group" "$R/etc/lab-base"
  tar -C "$R" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -cf "$TMP/rootfs.tar" .
  mv "$TMP/rootfs.tar" "$TAR"
  note "built $TAR ($(du -h "$TAR" | cut -f1), $("$BB" --list | wc -l) applets)"
fi
if [ -n "$OUT" ]; then
  cp "$TAR" "$OUT.tmp.$$" && mv "$OUT.tmp.$$" "$OUT"
  echo "$OUT"
else
  echo "$TAR"
fi
