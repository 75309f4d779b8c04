# Sourced by the box scripts: run apt-get inside a box's root file system on the host.
#   chroot_mount ROOT ARCHIVES   proc, sys, dev, dev/pts; ARCHIVES (a .deb cache) on
#                                ROOT/var/cache/apt/archives
#   chroot_umount ROOT           undo chroot_mount (idempotent, safe in traps)
#   chroot_apt_begin ROOT        the host's resolv.conf (resolved's symlink is dead in a chroot)
#                                and a policy-rc.d that keeps services from starting
#   chroot_apt_end ROOT          remove both again (the caller restores resolv.conf as it wants)
#   chroot_run ROOT CMD...       CMD in the chroot, noninteractive, C.UTF-8
# Never rm -rf ROOT while anything is mounted below it: check with chroot_mounted ROOT.

chroot_mount() {
  local root="$1" archives="$2"
  mount -t proc proc "$root/proc"; mount --bind /sys "$root/sys"; mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"; mount --bind "$archives" "$root/var/cache/apt/archives"
}

chroot_umount() {
  local root="$1" m
  for m in var/cache/apt/archives dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount "$root/$m"
  done
  return 0
}

chroot_mounted() { grep -q " $1/" /proc/mounts; }

chroot_apt_begin() {
  local root="$1"
  rm -f "$root/etc/resolv.conf"; cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod 0755 "$root/usr/sbin/policy-rc.d"
}

chroot_apt_end() { rm -f "$1/usr/sbin/policy-rc.d" "$1/etc/resolv.conf"; }

chroot_run() {
  local root="$1"; shift
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}
