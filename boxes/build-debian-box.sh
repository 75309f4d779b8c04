#!/usr/bin/env bash
# Builds the "debian-12-cloud" box: Debian bookworm (debootstrap minbase + systemd, udev,
# openssh-server, systemd-networkd/resolved, sudo, cloud-init) on a qcow2 ext4 disk without a
# partition table, booted directly: the host's kernel + the vmlab-tiny initrd (its /init
# mounts root=/dev/vda and switch_roots). Real cloud-init reads the NoCloud seed.
#   usage: boxes/build-debian-box.sh [OUTDIR]        (root; needs Debian's archive)
#          boxes/build-debian-box.sh --rootfs DIR    only the configured root file system, left
#                                                    in DIR (not imaged, not cached; for
#                                                    build-disk-image.sh)
#   default OUTDIR: ${VMLAB_CACHE:-/var/cache/vmlab}/boxes/debian-12-cloud
#   env: MIRROR (default: the host's first deb.debian.org-style URI), DISK_SIZE (4G)
# Cached: .debs under ${VMLAB_CACHE:-/var/cache/vmlab}/debian-build/; the box is rebuilt only
# when the hash of this script and the tiny box's stamp differ from OUTDIR/.stamp.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib-chroot.sh"
ROOTFS_OUT=""
if [ "${1:-}" = --rootfs ]; then
  [ -n "${2:-}" ] || { echo "usage: build-debian-box.sh --rootfs DIR" >&2; exit 2; }
  ROOTFS_OUT="$(realpath -m "$2")"; shift 2
fi
CACHE="${VMLAB_CACHE:-/var/cache/vmlab}"
OUT="${1:-$CACHE/boxes/debian-12-cloud}"
WORK="$CACHE/debian-build"
DISK_SIZE="${DISK_SIZE:-4G}"
SUITE=bookworm
INCLUDE=systemd,systemd-sysv,udev,dbus,kmod,openssh-server,sudo,iproute2,iputils-ping,systemd-resolved,ca-certificates,netbase,procps,less

die() { echo "build-debian-box: error: $*" >&2; exit 1; }
note() { echo "build-debian-box: [$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mke2fs -d ownership)"
for t in debootstrap mke2fs qemu-img chroot; do command -v "$t" >/dev/null || die "missing $t (run scripts/install-deps.sh)"; done

if [ -z "${MIRROR:-}" ]; then
  MIRROR="$(grep -rhoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | sed 's/^URIs: *//')"
  [ -n "$MIRROR" ] || MIRROR="$(grep -hoE '^deb +http[^ ]*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')"
  [ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
fi

TINY="$("$HERE/build-tiny-box.sh" "$CACHE/boxes/vmlab-tiny" | tail -n1)"
KVER="$(file -bL "$TINY/vmlinuz" | grep -o 'version [^ ]*' | cut -d' ' -f2)"
[ -d "/lib/modules/$KVER" ] || die "no /lib/modules/$KVER for the tiny box's kernel"
STAMP="$( (cat "$HERE/build-debian-box.sh" "$HERE/lib-chroot.sh" "$TINY/.stamp"; echo "$MIRROR $DISK_SIZE") | sha256sum | cut -d' ' -f1)"

mkdir -p "$(dirname "$OUT")" "$WORK/debs" "$WORK/archives/partial"
if [ -z "$ROOTFS_OUT" ]; then
  exec 9>"$OUT.lock"
  flock 9
  if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
    note "up to date: $OUT"; echo "$OUT"; exit 0
  fi
fi

START=$(date +%s)
if [ -n "$ROOTFS_OUT" ]; then
  mkdir -p "$(dirname "$ROOTFS_OUT")"; TMP="$(mktemp -d "$ROOTFS_OUT.build.XXXXXX")"
else
  TMP="$(mktemp -d "$OUT.build.XXXXXX")"
fi
ROOT="$TMP/rootfs"
unmount_all() { chroot_umount "$ROOT"; }
cleanup() {  # never rm -rf through a bind mount of the host's /dev or /sys
  unmount_all
  if grep -q " $ROOT/" /proc/mounts; then echo "build-debian-box: left $TMP (still mounted)" >&2
  else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# The base system (debootstrap + cloud-init) is cached as a tarball keyed on what goes into it,
# so changing the configuration below or the initrd only costs the steps after it.
BASE_KEY="$(echo "$SUITE $MIRROR $INCLUDE cloud-init v1" | sha256sum | cut -c1-16)"
BASE_TAR="$WORK/base-$BASE_KEY.tar"
if [ -f "$BASE_TAR" ]; then
  note "base system from the cache ($BASE_TAR)"
  mkdir -p "$ROOT" && tar -C "$ROOT" --numeric-owner -xpf "$BASE_TAR"
else
  note "debootstrap $SUITE from $MIRROR"
  debootstrap --variant=minbase --cache-dir="$WORK/debs" --include="$INCLUDE" "$SUITE" "$ROOT" "$MIRROR" \
    >"$TMP/debootstrap.log" 2>&1 || { tail -n 30 "$TMP/debootstrap.log" >&2; die "debootstrap failed"; }

  # cloud-init through apt inside the chroot: debootstrap cannot resolve its virtual
  # dependency python3-cffi-backend-api-min. resolv.conf is copied in (resolved's symlink is
  # dead inside a chroot); services are kept from starting by policy-rc.d.
  note "apt-get install cloud-init (in the chroot)"
  chroot_mount "$ROOT" "$WORK/archives"
  chroot_apt_begin "$ROOT"
  cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
SOURCES
  chroot_run "$ROOT" sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends cloud-init' \
    >"$TMP/apt.log" 2>&1 || { tail -n 30 "$TMP/apt.log" >&2; die "apt-get install cloud-init failed"; }
  unmount_all  # before any cleaning: the bind-mounted archives are the .deb cache
  chroot_apt_end "$ROOT"
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
  rm -f "$WORK"/base-*.tar
  tar -C "$ROOT" --numeric-owner -cpf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
fi
ln -s ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"

note "configure"
cat >"$ROOT/etc/cloud/cloud.cfg.d/90-vmlab.cfg" <<'CFG'
# vmlab: NoCloud seed (ISO labelled cidata). With [NoCloud, ConfigDrive] ds-identify
# disables cloud-init when no seed is attached (a single entry or "None" would make it run
# and cost ~25 s). cc_locale fails in minbase, hence locale: false.
datasource_list: [NoCloud, ConfigDrive]
locale: false
system_info:
  network:
    renderers: [networkd]
CFG
echo "/dev/vda / ext4 rw,relatime 0 1" >"$ROOT/etc/fstab"
echo debian-12-cloud >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
: >"$ROOT/etc/machine-id"; rm -f "$ROOT/var/lib/dbus/machine-id"
rm -f "$ROOT"/etc/ssh/ssh_host_*  # every VM gets its own (injected) host key
# Key logins only, written where cloud-init 22.4 writes ssh_pwauth, so that a seed's
# "ssh_pwauth: false" finds nothing to change: otherwise cloud-init restarts sshd during
# modules:config, right after ssh first answers.
mkdir -p "$ROOT/etc/ssh/sshd_config.d"
install -m 0600 /dev/null "$ROOT/etc/ssh/sshd_config.d/50-cloud-init.conf"
echo "PasswordAuthentication no" >"$ROOT/etc/ssh/sshd_config.d/50-cloud-init.conf"
chroot "$ROOT" systemctl enable systemd-networkd systemd-resolved ssh >/dev/null 2>&1
chroot "$ROOT" passwd -l root >/dev/null
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/log/*.log

# Kernel modules for the host kernel, without hardware a VM never has.
note "modules for $KVER"
mkdir -p "$ROOT/lib/modules"
cp -a "/lib/modules/$KVER" "$ROOT/lib/modules/"
M="$ROOT/lib/modules/$KVER/kernel"
rm -rf "$M"/drivers/{gpu,media,infiniband,staging,bluetooth,iio,isdn,hid,usb,mmc,thunderbolt,platform/chrome} \
       "$M"/drivers/net/{wireless,ethernet,can,wwan} "$M"/sound "$M"/net/{bluetooth,mac80211,wireless}
depmod -b "$ROOT" "$KVER"
if [ -n "$ROOTFS_OUT" ]; then
  rm -rf "$ROOTFS_OUT" && mv "$ROOT" "$ROOTFS_OUT"
  note "root file system in $ROOTFS_OUT after $(( $(date +%s) - START )) s"
  echo "$ROOTFS_OUT"; exit 0
fi

note "mke2fs -d + qemu-img convert ($DISK_SIZE virtual)"
mke2fs -q -t ext4 -L vmlab-root -d "$ROOT" "$TMP/root.img" "$DISK_SIZE"
mkdir -p "$TMP/box"
qemu-img convert -O qcow2 "$TMP/root.img" "$TMP/box/box.qcow2"
rm -f "$TMP/root.img"
install -m 0644 "$TINY/vmlinuz" "$TMP/box/vmlinuz"
install -m 0644 "$TINY/initrd.img" "$TMP/box/initrd.img"
cat >"$TMP/box/box.json" <<JSON
{"format":"qcow2","user":"vmlab","kernel":"vmlinuz","initrd":"initrd.img","cmdline":"console=ttyS0 root=/dev/vda rw quiet","seed":"cloud-init"}
JSON
echo "$STAMP" >"$TMP/box/.stamp"
chmod 0755 "$TMP/box"
rm -rf "$OUT"
mv "$TMP/box" "$OUT"
note "built $OUT ($(du -sh "$OUT/box.qcow2" | cut -f1) qcow2) in $(( $(date +%s) - START )) s"
echo "$OUT"
