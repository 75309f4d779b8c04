#!/usr/bin/env bash
# Builds a disk image that boots from its own disk, like a distribution's cloud image: an MBR
# partition table, GRUB for BIOS in the MBR and the gap after it, one ext4 partition holding
# the debian-12-cloud root file system (build-debian-box.sh --rootfs) with the kernel, the
# initrd and /boot/grub/grub.cfg inside it. No loop devices, no mounts: sfdisk on a plain file,
# `mkfs.ext4 -d` at the partition's offset in that file, GRUB's boot.img and core.img dd'ed
# into place and patched as grub-install does.
#   usage: boxes/build-disk-image.sh [--vagrant] [OUTDIR]     (root; needs Debian's archive)
#   default OUTDIR: ${VMLAB_CACHE:-/var/cache/vmlab}/boxes/debian-12-disk (--vagrant:
#   .../debian-12-vagrant)
#   OUTDIR/disk.qcow2        the image alone (cloud-init; no box.json: `vmlab box add NAME
#                            OUTDIR/disk.qcow2` takes the defaults)
#   --vagrant: OUTDIR/{box.img, metadata.json, Vagrantfile}: the files of a libvirt Vagrant box
#   (tar them for `vmlab box add NAME FILE.box`): cloud-init disabled, user `vagrant` with
#   Vagrant's insecure public key and NOPASSWD sudo, DHCP on the first NIC (eth0), ssh host
#   keys generated at first boot.
#   env: DISK_SIZE (4G virtual)
# Cached like the other boxes (OUTDIR/.stamp); the last stdout line is OUTDIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${VMLAB_CACHE:-/var/cache/vmlab}"
VAGRANT=0
if [ "${1:-}" = --vagrant ]; then VAGRANT=1; shift; fi
NAME=debian-12-disk; [ "$VAGRANT" = 1 ] && NAME=debian-12-vagrant
OUT="${1:-$CACHE/boxes/$NAME}"
DISK_SIZE="${DISK_SIZE:-4G}"
GRUB_DIR=/usr/lib/grub/i386-pc
PART_START=2048  # sectors: the partition starts at 1 MiB; core.img lives in sectors 1..2047
# Vagrant's published insecure public key (hashicorp/vagrant keys/vagrant.pub).
VAGRANT_PUB="ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key"

die() { echo "build-disk-image: error: $*" >&2; exit 1; }
note() { echo "build-disk-image: [$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root (the root file system keeps its owners)"
for t in sfdisk mkfs.ext4 grub-mkimage qemu-img dd; do command -v "$t" >/dev/null || die "missing $t (run scripts/install-deps.sh)"; done
[ -f "$GRUB_DIR/boot.img" ] || die "no $GRUB_DIR/boot.img (install grub-pc-bin: scripts/install-deps.sh)"

TINY="$("$HERE/build-tiny-box.sh" "$CACHE/boxes/vmlab-tiny" | tail -n1)"
STAMP="$( (cat "$HERE/build-disk-image.sh" "$HERE/build-debian-box.sh" "$HERE/lib-chroot.sh" "$TINY/.stamp"
           dpkg-query -W grub-pc-bin; echo "$VAGRANT $DISK_SIZE") | sha256sum | cut -d' ' -f1)"
mkdir -p "$(dirname "$OUT")"
exec 9>"$OUT.lock"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
  note "up to date: $OUT"; echo "$OUT"; exit 0
fi

START=$(date +%s)
TMP="$(mktemp -d "$OUT.build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
ROOT="$TMP/rootfs"
note "root file system (build-debian-box.sh --rootfs)"
"$HERE/build-debian-box.sh" --rootfs "$ROOT" >/dev/null

note "configure: kernel, initrd and GRUB in /boot"
install -m 0644 "$TINY/vmlinuz" "$ROOT/boot/vmlinuz"
install -m 0644 "$TINY/initrd.img" "$ROOT/boot/initrd.img"
mkdir -p "$ROOT/boot/grub/i386-pc"
cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$ROOT/boot/grub/i386-pc/"
echo "LABEL=vmlab-root / ext4 rw,relatime 0 1" >"$ROOT/etc/fstab"
# no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check fails and panics
# ("IO-APIC + timer doesn't work"), as it does on many hypervisors (cloud images set it too).
CMDLINE="root=LABEL=vmlab-root rw console=ttyS0 no_timer_check quiet"
if [ "$VAGRANT" = 1 ]; then
  # A Vagrant box as base box creators make them: no cloud-init, the vagrant user with the
  # insecure key and NOPASSWD sudo, DHCP on the first NIC. eth0 is the first NIC only with
  # the kernel's own names (net.ifnames=0), as in most Vagrant boxes.
  CMDLINE="$CMDLINE net.ifnames=0"
  echo debian-12-vagrant >"$ROOT/etc/hostname"
  touch "$ROOT/etc/cloud/cloud-init.disabled"
  chroot "$ROOT" useradd -m -s /bin/bash -U vagrant
  chroot "$ROOT" usermod -p '*' vagrant  # no password, not locked: key logins only
  VUID="$(chroot "$ROOT" id -u vagrant)" VGID="$(chroot "$ROOT" id -g vagrant)"
  install -d -m 0700 -o "$VUID" -g "$VGID" "$ROOT/home/vagrant/.ssh"
  echo "$VAGRANT_PUB" >"$ROOT/home/vagrant/.ssh/authorized_keys"
  chown "$VUID:$VGID" "$ROOT/home/vagrant/.ssh/authorized_keys"; chmod 0600 "$ROOT/home/vagrant/.ssh/authorized_keys"
  echo "vagrant ALL=(ALL) NOPASSWD:ALL" >"$ROOT/etc/sudoers.d/vagrant"; chmod 0440 "$ROOT/etc/sudoers.d/vagrant"
  printf '[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n' >"$ROOT/etc/systemd/network/10-eth0-dhcp.network"
  # Every machine gets its own host key at first boot (vmlab pins it on first use): ed25519
  # only, since `ssh-keygen -A` spends minutes on RSA under TCG on a busy host (sshd was
  # not up 8 minutes after boot in the first test).
  echo "HostKey /etc/ssh/ssh_host_ed25519_key" >"$ROOT/etc/ssh/sshd_config.d/10-hostkey.conf"
  cat >"$ROOT/etc/systemd/system/ssh-hostkeys.service" <<'UNIT'
[Unit]
Description=Generate this machine's ssh host key
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=multi-user.target ssh.service
UNIT
  chroot "$ROOT" systemctl enable ssh-hostkeys.service >/dev/null 2>&1
fi
cat >"$ROOT/boot/grub/grub.cfg" <<CFG
# vmlab disk image (boxes/build-disk-image.sh)
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set default=0
set timeout=0
menuentry "Debian GNU/Linux 12 (vmlab)" {
  linux /boot/vmlinuz $CMDLINE
  initrd /boot/initrd.img
}
CFG

BYTES="$(numfmt --from=iec "$DISK_SIZE")"
PART_BYTES=$((BYTES - PART_START * 512))
note "disk: MBR partition table; ext4 partition at sector $PART_START ($((PART_BYTES / 1048576)) MiB, mkfs.ext4 -d)"
truncate -s "$BYTES" "$TMP/disk.img"
echo "label: dos
start=$PART_START, type=83, bootable" | sfdisk -q "$TMP/disk.img"
# mkfs.ext4 writes the file system straight at the partition's offset (-E offset): the same
# bytes as making it in a file of its own and dd'ing that in, without copying 4 GiB of holes.
mkfs.ext4 -q -L vmlab-root -E offset=$((PART_START * 512)) -d "$ROOT" "$TMP/disk.img" "$((PART_BYTES / 1024))k" >&2
rm -rf "$ROOT"
[ "$(stat -c %s "$TMP/disk.img")" = "$BYTES" ] && sfdisk -d "$TMP/disk.img" | grep -q "start= *$PART_START," \
  || die "mkfs.ext4 at the offset changed the disk's size or partition table"
# core.img = diskboot.img (one sector) + the GRUB kernel with the modules needed to read
# /boot/grub from the first msdos partition; everything else is loaded from there.
grub-mkimage -O i386-pc -d "$GRUB_DIR" -o "$TMP/core.img" -p '(hd0,msdos1)/boot/grub' biosdisk part_msdos ext2
CORE_SECTORS=$(( ($(stat -c %s "$TMP/core.img") + 511) / 512 ))
[ "$CORE_SECTORS" -lt "$PART_START" ] || die "core.img ($CORE_SECTORS sectors) does not fit before the partition"
dd if="$TMP/core.img" of="$TMP/disk.img" bs=512 seek=1 conv=notrunc status=none
# boot.img: its code (the first 440 bytes) into the MBR, keeping sfdisk's disk signature and
# partition table. Then what grub-install patches: the LBA of core.img's first sector (8 bytes
# little-endian at 0x5c) and, for a hard disk, the drive-check jump at 0x66 replaced by two
# NOPs (use drive 0x80 when a BIOS passes a bogus boot drive). core.img's own blocklist (its
# first sector's last 12 bytes: start 2, length = the rest) is what grub-mkimage wrote.
dd if="$GRUB_DIR/boot.img" of="$TMP/disk.img" bs=440 count=1 conv=notrunc status=none
le64() { local v=$1 i; for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf %03o $(( (v >> (8 * i)) & 255 )))"; done; }
le64 1 | dd of="$TMP/disk.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
printf '\x90\x90' | dd of="$TMP/disk.img" bs=1 seek=$((0x66)) conv=notrunc status=none
BL_START=$(od -An -t u8 -j $((512 + 500)) -N 8 "$TMP/disk.img" | tr -d ' ')
BL_LEN=$(od -An -t u2 -j $((512 + 508)) -N 2 "$TMP/disk.img" | tr -d ' ')
[ "$BL_START" = 2 ] && [ "$BL_LEN" = $((CORE_SECTORS - 1)) ] \
  || die "unexpected core.img blocklist: start $BL_START, length $BL_LEN (core.img has $CORE_SECTORS sectors)"

note "qemu-img convert -O qcow2"
mkdir -p "$TMP/box"
if [ "$VAGRANT" = 1 ]; then
  qemu-img convert -O qcow2 "$TMP/disk.img" "$TMP/box/box.img"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' $((BYTES / 1073741824)) >"$TMP/box/metadata.json"
  cat >"$TMP/box/Vagrantfile" <<'VF'
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "kvm"
  end
end
VF
else
  qemu-img convert -O qcow2 "$TMP/disk.img" "$TMP/box/disk.qcow2"
fi
rm -f "$TMP/disk.img"
echo "$STAMP" >"$TMP/box/.stamp"
chmod 0755 "$TMP/box"; chmod 0644 "$TMP/box"/*
rm -rf "$OUT"
mv "$TMP/box" "$OUT"
note "built $OUT ($(du -sh "$OUT" | cut -f1)) in $(( $(date +%s) - START )) s"
echo "$OUT"
