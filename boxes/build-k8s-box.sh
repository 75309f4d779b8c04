#!/usr/bin/env bash
# Builds the "debian-12-k8s" box: the debian-12-cloud box (build-debian-box.sh) plus, installed
# in a chroot on the host (native speed instead of minutes of TCG unpacking per guest), what a
# kubeadm node on Docker needs: docker.io, apparmor, containernetworking-plugins, conntrack,
# socat, ebtables, ethtool, iptables, kubernetes-client (kubectl); the guest kernel's config as
# /boot/config-$KVER (kubeadm's preflight reads it; the box boots the host's kernel directly);
# and, from the Kubernetes bundle (bundles/kubernetes/build-bundle.sh), kubeadm + kubelet in
# /usr/bin and the image rootfs tarballs + manifest.json in /var/lib/vmlab/k8s-images/ (for
# `docker import` in the guest with its import.sh; nothing is imported here: no docker daemon
# runs in a chroot).
#   usage: boxes/build-k8s-box.sh [OUTDIR]           (root; needs Debian's archive)
#   default OUTDIR: ${VMLAB_CACHE:-/var/cache/vmlab}/boxes/debian-12-k8s
#   env: DISK_SIZE (8G virtual), WITH_BUNDLE (1; 0 = packages and kernel config only)
# Cached like the other boxes: OUTDIR/.stamp (hash of this script, lib-chroot.sh, the base
# box's stamp and the bundle's hash); `up to date` when nothing changed. Last stdout line: OUTDIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib-chroot.sh"
CACHE="${VMLAB_CACHE:-/var/cache/vmlab}"
OUT="${1:-$CACHE/boxes/debian-12-k8s}"
WORK="$CACHE/debian-build"
DISK_SIZE="${DISK_SIZE:-8G}"
WITH_BUNDLE="${WITH_BUNDLE:-1}"
PKGS=(docker.io apparmor containernetworking-plugins conntrack socat ebtables ethtool iptables kubernetes-client)
IMGDIR=var/lib/vmlab/k8s-images

die() { echo "build-k8s-box: error: $*" >&2; exit 1; }
note() { echo "build-k8s-box: [$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root (loop mount, chroot)"
# All mounts happen in a private mount namespace of this script. Otherwise a mount namespace
# made by anyone else meanwhile (libvirt gives every QEMU its own copy) keeps the loop mount
# alive after our umount, and the disk would be copied before its last writes reached it.
if [ "${VMLAB_BOX_MNTNS:-}" != "$$" ]; then
  exec unshare --mount --propagation private /usr/bin/env VMLAB_BOX_MNTNS="$$" bash "$HERE/build-k8s-box.sh" "$@"
fi
for t in qemu-img losetup e2fsck resize2fs chroot file; do command -v "$t" >/dev/null || die "missing $t (run scripts/install-deps.sh)"; done
[ -f /etc/apt/sources.list.d/debian.sources ] || die "no /etc/apt/sources.list.d/debian.sources (the chroot's apt uses the host's sources)"

BASE="$("$HERE/build-debian-box.sh" | tail -n1)"
[ -f "$BASE/box.qcow2" ] && [ -f "$BASE/.stamp" ] || die "build-debian-box.sh gave no box ($BASE)"
KVER="$(file -bL "$BASE/vmlinuz" | grep -o 'version [^ ]*' | cut -d' ' -f2)"
[ -f "/boot/config-$KVER" ] || die "no /boot/config-$KVER on the host for the box's kernel $KVER"
BUNDLE="" BUNDLE_HASH=none
if [ "$WITH_BUNDLE" = 1 ]; then
  BUNDLE="$("$HERE/../bundles/kubernetes/build-bundle.sh" | tail -n1)"
  BUNDLE_HASH="$(jq -r .hash "$BUNDLE/manifest.json")"
fi
STAMP="$( (cat "$HERE/build-k8s-box.sh" "$HERE/lib-chroot.sh" "$BASE/.stamp" /etc/apt/sources.list.d/debian.sources
           echo "$KVER $DISK_SIZE $BUNDLE_HASH ${PKGS[*]}") | sha256sum | cut -d' ' -f1)"

mkdir -p "$(dirname "$OUT")" "$WORK/archives/partial"
exec 9>"$OUT.lock"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
  note "up to date: $OUT"; echo "$OUT"; exit 0
fi

START=$(date +%s)
TMP="$(mktemp -d "$OUT.build.XXXXXX")"
ROOT="$TMP/rootfs" LOOP=""
cleanup() {  # never rm -rf through a bind mount of the host's /dev or /sys
  chroot_umount "$ROOT"
  mountpoint -q "$ROOT" 2>/dev/null && umount "$ROOT"
  [ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
  if grep -q " $ROOT" /proc/mounts; then echo "build-k8s-box: left $TMP (still mounted)" >&2
  else rm -rf "$TMP"; fi
}
trap cleanup EXIT

note "base: $BASE -> raw, grown to $DISK_SIZE"
qemu-img convert -O raw "$BASE/box.qcow2" "$TMP/root.img"
[ "$(stat -c %s "$TMP/root.img")" -ge "$(numfmt --from=iec "$DISK_SIZE")" ] || truncate -s "$DISK_SIZE" "$TMP/root.img"
e2fsck -fy "$TMP/root.img" >"$TMP/e2fsck.log" 2>&1 || [ $? -le 1 ] || { cat "$TMP/e2fsck.log" >&2; die "e2fsck of the base image failed"; }
resize2fs "$TMP/root.img" >"$TMP/resize2fs.log" 2>&1 || { cat "$TMP/resize2fs.log" >&2; die "resize2fs failed"; }
LOOP="$(losetup -f --show "$TMP/root.img")"
mkdir -p "$ROOT" && mount -t ext4 "$LOOP" "$ROOT"

note "apt-get install ${PKGS[*]} (in the chroot)"
chroot_mount "$ROOT" "$WORK/archives"
chroot_apt_begin "$ROOT"
# the host's sources for the build (the same versions as the host and the bundle's .debs)
mkdir -p "$TMP/apt-keep"
mv "$ROOT/etc/apt/sources.list" "$TMP/apt-keep/" 2>/dev/null || true
cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/zz-vmlab-build.sources"
chroot_run "$ROOT" sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PKGS[*]}" \
  >"$TMP/apt.log" 2>&1 || { tail -n 30 "$TMP/apt.log" >&2; die "apt-get install in the chroot failed (log: $TMP/apt.log)"; }
chroot_run "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' "${PKGS[@]}" containerd runc >"$TMP/packages.txt"
chroot_umount "$ROOT"   # before any cleaning: the bind-mounted archives are the .deb cache
chroot_apt_end "$ROOT"
rm -f "$ROOT/etc/apt/sources.list.d/zz-vmlab-build.sources"
mv "$TMP/apt-keep/sources.list" "$ROOT/etc/apt/" 2>/dev/null || true
ln -s ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/log/*.log "$ROOT"/var/log/apt/*
# the base box carries ~50 MB of .debs left by debootstrap; a box needs none
mountpoint -q "$ROOT/var/cache/apt/archives" || find "$ROOT/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -delete

note "kernel config, kubeadm/kubelet, image tarballs"
mkdir -p "$ROOT/boot" && install -m 0644 "/boot/config-$KVER" "$ROOT/boot/config-$KVER"
echo debian-12-k8s >"$ROOT/etc/hostname"
mkdir -p "$ROOT/var/lib/vmlab"
cp "$TMP/packages.txt" "$ROOT/var/lib/vmlab/k8s-box-packages.txt"
if [ -n "$BUNDLE" ]; then
  install -m 0755 "$BUNDLE/bin/kubeadm" "$BUNDLE/bin/kubelet" "$ROOT/usr/bin/"
  mkdir -p "$ROOT/$IMGDIR"
  install -m 0644 "$BUNDLE"/images/*.tar.gz "$BUNDLE/manifest.json" "$ROOT/$IMGDIR/"
  install -m 0755 "$BUNDLE/images/import.sh" "$ROOT/$IMGDIR/"
  v="$(chroot "$ROOT" /usr/bin/kubeadm version -o short)"
  [ "$v" = "$(jq -r .version "$BUNDLE/manifest.json")" ] || die "kubeadm in the box says '$v'"
fi
for t in docker kubectl conntrack socat ebtables ethtool iptables apparmor_parser; do
  chroot "$ROOT" sh -c "command -v $t" >/dev/null || die "$t is missing in the box"
done
[ -x "$ROOT/usr/lib/cni/bridge" ] || die "no /usr/lib/cni/bridge in the box"
fstrim "$ROOT" 2>/dev/null || true  # freed blocks become holes: a smaller qcow2
sync -f "$ROOT"
umount "$ROOT"; losetup -d "$LOOP"; LOOP=""
e2fsck -fn "$TMP/root.img" >"$TMP/e2fsck.log" 2>&1 || { cat "$TMP/e2fsck.log" >&2; die "the file system is not clean after umount (mounted elsewhere?)"; }

note "qemu-img convert"
mkdir -p "$TMP/box"
qemu-img convert -O qcow2 "$TMP/root.img" "$TMP/box/box.qcow2"
rm -f "$TMP/root.img"
install -m 0644 "$BASE/vmlinuz" "$BASE/initrd.img" "$BASE/box.json" "$TMP/box/"
echo "$STAMP" >"$TMP/box/.stamp"
chmod 0755 "$TMP/box"
rm -rf "$OUT"
mv "$TMP/box" "$OUT"
note "built $OUT ($(du -sh "$OUT/box.qcow2" | cut -f1) qcow2, $DISK_SIZE virtual) in $(( $(date +%s) - START )) s"
echo "$OUT"
