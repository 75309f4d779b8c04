#!/usr/bin/env bash
# Builds the vmlab-tiny RAM box: a blank qcow2, the host's Debian kernel and a ~5 MB gzip
# cpio initrd (busybox-static, dropbear, openssh sftp-server/scp, a few modules, /init).
#   usage: boxes/build-tiny-box.sh [OUTDIR]
#   default OUTDIR: ${VMLAB_CACHE:-/var/cache/vmlab}/boxes/vmlab-tiny
#   env: KVER=6.1.0-56-amd64 picks the kernel (default: newest /boot/vmlinuz-* with modules)
# Cached: rebuilds only when the hash of this script, boxes/tiny/* and the versions of the
# packages it copies from differs from OUTDIR/.stamp. Prints OUTDIR on its last line.
# The output replaces OUTDIR atomically (built next to it, then renamed); a lock file
# serialises concurrent builds of the same OUTDIR. See boxes/README.md for the format.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-${VMLAB_CACHE:-/var/cache/vmlab}/boxes/vmlab-tiny}"
# Loaded on every boot (NICs, the scratch disk, the seed CD on q35/ahci or pc/ata_piix, RNG,
# the ACPI power button for acpid, virtio-9p for `mount` synced folders), and only when root=
# is given (a disk box's root fs).
MODULES=(virtio_pci virtio_net virtio_blk virtio_rng sr_mod isofs ahci ata_piix button evdev
         9p 9pnet_virtio)
MODULES_DISK=(virtio_scsi sd_mod ext4 crc32c_generic crc32c_intel)
PKGS=(busybox-static dropbear-bin openssh-sftp-server openssh-client)

die() { echo "build-tiny-box: error: $*" >&2; exit 1; }
note() { echo "build-tiny-box: $*" >&2; }

pick_kernel() {
  if [ -n "${KVER:-}" ]; then echo "$KVER"; return; fi
  local k
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
    [ -d "/lib/modules/$k/kernel" ] && { echo "$k"; return; }
  done
  die "no /boot/vmlinuz-* with matching /lib/modules (install linux-image-amd64)"
}
KVER="$(pick_kernel)"
KERNEL="/boot/vmlinuz-$KVER"
[ -r "$KERNEL" ] || die "cannot read $KERNEL"
for t in busybox dropbear dropbearconvert dropbearkey cpio gzip qemu-img modprobe; do
  command -v "$t" >/dev/null || die "missing tool $t (run scripts/install-deps.sh)"
done
[ -x /usr/lib/openssh/sftp-server ] || die "missing /usr/lib/openssh/sftp-server (openssh-sftp-server)"

stamp() {
  {
    cat "$HERE/build-tiny-box.sh" "$HERE"/tiny/*
    echo "kernel $KVER $(stat -c '%s %Y' "$KERNEL")"
    dpkg-query -W -f='${Package} ${Version}\n' "${PKGS[@]}" 2>/dev/null || true
    echo "modules ${MODULES[*]} / ${MODULES_DISK[*]}"
  } | sha256sum | cut -d' ' -f1
}
STAMP="$(stamp)"

mkdir -p "$(dirname "$OUT")"
exec 9>"$OUT.lock"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
  note "up to date: $OUT"
  echo "$OUT"
  exit 0
fi

START=$(date +%s.%N)
TMP="$(mktemp -d "$OUT.build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
R="$TMP/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/lib,lib64,etc/vmlab,etc/dropbear,etc/acpi/PWRF} \
         "$R"/{dev,proc,sys,run,tmp,root,mnt,newroot,var/log,lib/modules/"$KVER"}
chmod 1777 "$R/tmp"; chmod 0700 "$R/root"

# busybox and its applets as symlinks (the paths busybox itself reports).
cp /bin/busybox "$R/bin/busybox"
busybox --list-full | while read -r p; do
  [ "$p" = bin/busybox ] || [ -e "$R/$p" ] || ln -s /bin/busybox "$R/$p"
done

# Dynamic binaries with their libraries, at the same paths as on the host.
copy_bin() {  # copy_bin SRC [DEST]
  local src="$1" dest="${2:-$1}" lib
  mkdir -p "$R$(dirname "$dest")"
  cp -L "$src" "$R$dest"
  for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
    [ -e "$R$lib" ] || { mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; }
  done
}
copy_bin /usr/sbin/dropbear
copy_bin /usr/bin/dropbearconvert
copy_bin /usr/bin/dropbearkey
copy_bin /usr/lib/openssh/sftp-server /usr/lib/sftp-server  # dropbear's compiled-in path
copy_bin /usr/bin/scp                                       # for `scp -O` (legacy protocol)

# Kernel modules, dependencies first: /etc/vmlab/modules and /etc/vmlab/modules.disk list
# their paths in insmod order (modules.disk omits what modules already loads).
resolve() { for m in "$@"; do modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'; done; }
resolve "${MODULES[@]}" | awk '!seen[$0]++' >"$TMP/base.list"
resolve "${MODULES_DISK[@]}" | awk 'NR == FNR {seen[$0]; next} !seen[$0]++' "$TMP/base.list" - >"$TMP/disk.list"
copy_modules() {  # copy_modules LIST OUTFILE
  : >"$2"
  while read -r ko; do
    rel="${ko#/lib/modules/$KVER/}"
    mkdir -p "$R/lib/modules/$KVER/$(dirname "$rel")"
    case "$rel" in
      *.ko.xz)  xz -dc "$ko" >"$R/lib/modules/$KVER/${rel%.xz}"; rel="${rel%.xz}" ;;
      *.ko.zst) zstd -qdc "$ko" >"$R/lib/modules/$KVER/${rel%.zst}"; rel="${rel%.zst}" ;;
      *)        cp "$ko" "$R/lib/modules/$KVER/$rel" ;;
    esac
    echo "$rel" >>"$2"
  done <"$1"
}
copy_modules "$TMP/base.list" "$R/etc/vmlab/modules"
copy_modules "$TMP/disk.list" "$R/etc/vmlab/modules.disk"
[ -s "$R/etc/vmlab/modules" ] && [ -s "$R/etc/vmlab/modules.disk" ] || die "no modules resolved for $KVER"

# Init, configuration and shims.
install -m 0755 "$HERE/tiny/init" "$R/init"
install -m 0644 "$HERE/tiny/lib.sh" "$R/etc/vmlab/lib.sh"
install -m 0755 "$HERE/tiny/rc.sh" "$R/etc/vmlab/rc.sh"
install -m 0755 "$HERE/tiny/sshd.sh" "$R/etc/vmlab/sshd.sh"
install -m 0755 "$HERE/tiny/udhcpc.script" "$R/etc/vmlab/udhcpc.script"
install -m 0644 "$HERE/tiny/inittab" "$R/etc/inittab"
install -m 0755 "$HERE/tiny/acpi-power" "$R/etc/acpi/PWRF/00000080"
install -m 0755 "$HERE/tiny/sudo" "$R/usr/bin/sudo"
echo 'root:*:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$R/etc/group"
printf '/bin/sh\n/bin/ash\n' >"$R/etc/shells"
cat >"$R/etc/profile" <<'PROFILE'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\u@\h:\w\$ '
PROFILE
echo vmlab-tiny >"$R/etc/hostname"
mknod -m 0600 "$R/dev/console" c 5 1 2>/dev/null || true

(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
  | gzip -9n >"$TMP/initrd.img"
install -m 0644 "$KERNEL" "$TMP/vmlinuz"
qemu-img create -q -f qcow2 "$TMP/box.qcow2" 1G
cat >"$TMP/box.json" <<JSON
{"format":"qcow2","user":"root","kernel":"vmlinuz","initrd":"initrd.img","cmdline":"console=ttyS0 quiet","seed":"vmlab-init"}
JSON
echo "$STAMP" >"$TMP/.stamp"
rm -rf "$R"
chmod 0755 "$TMP"

rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
note "built $OUT (kernel $KVER, initrd $(du -k "$OUT/initrd.img" | cut -f1) KiB) in $(echo "$(date +%s.%N) - $START" | bc 2>/dev/null || echo '?') s"
echo "$OUT"
