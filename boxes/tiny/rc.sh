#!/bin/sh
# vmlab-tiny sysinit (run once by busybox init before dropbear and acpid start).
# Finds the NoCloud seed (iso9660 labelled "cidata"), reads the plain files vmlab writes
# under vmlab/ and applies them: hostname, root's authorized_keys, the injected ed25519 host
# key, interfaces (by MAC) and /etc/hosts. Kernel cmdline fallback for manual use:
#   vmlab.hostname=NAME   vmlab.ip.<MAC>=dhcp|A.B.C.D/NN
# A missing seed is not fatal: the box then gets a generated host key and no login key.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
. /etc/vmlab/lib.sh

mkdir -p /dev/pts /dev/shm /tmp /run/vmlab
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ip link set lo up

SEED=/run/vmlab/seed
MNT=/run/vmlab/mnt

# centis: uptime in 1/100 s.
centis() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; }

# label_of DEV: the ISO 9660 volume id (byte 32808 of the primary volume descriptor),
# lower-cased; fails if DEV cannot be read (e.g. an empty CD drive).
label_of() {
  dd if="$1" of=/tmp/label bs=2048 skip=16 count=1 2>/dev/null && [ -s /tmp/label ] || return 1
  dd if=/tmp/label bs=1 skip=40 count=6 2>/dev/null | tr 'A-Z' 'a-z'
}

# find_seed: copies the files of the first device labelled cidata (any case) to $SEED.
# Polls for up to 5 s of uptime while devices appear; a readable device without that label
# is not read again.
find_seed() {
  mkdir -p "$MNT"
  start="$(centis)"; deadline=$((start + 500)); seen=" "
  while :; do
    for dev in /dev/sr* /dev/vd* /dev/sd* /dev/hd*; do
      [ -b "$dev" ] || continue
      case "$seen" in *" $dev "*) continue ;; esac
      label="$(label_of "$dev")" || continue
      [ "$label" = cidata ] || { seen="$seen$dev "; continue; }
      if mount -t iso9660 -o ro "$dev" "$MNT" 2>/dev/null; then
        cp -a "$MNT" "$SEED"
        umount "$MNT"
        log "seed found on $dev after $(( ($(centis) - start) / 100 )) s"
        return 0
      fi
      log "warning: $dev is labelled cidata but does not mount as iso9660"
      seen="$seen$dev "
    done
    [ "$(centis)" -lt "$deadline" ] || break
    usleep 100000
  done
  log "no cidata seed found within 5 s (devices: $(ls /sys/block | tr '\n' ' '))"
  return 1
}

seed_file() { [ -f "$SEED/vmlab/$1" ] && echo "$SEED/vmlab/$1"; }

find_seed

# Hostname.
name=""
f="$(seed_file hostname)" && name="$(head -n1 "$f" | tr -d ' \r\t')"
[ -n "$name" ] || name="$(cmdline_value vmlab.hostname)" || true
[ -n "$name" ] || name="vmlab-tiny"
hostname "$name" && echo "$name" >/etc/hostname
log "hostname $name"

# Login key for root.
mkdir -p /root/.ssh && chmod 0700 /root /root/.ssh
if f="$(seed_file authorized_keys)"; then
  cp "$f" /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys
  log "installed $(grep -c . /root/.ssh/authorized_keys) authorized key(s) for root"
else
  log "warning: no vmlab/authorized_keys in the seed: nobody can log in over ssh"
fi

# Host key: the injected one, converted to dropbear's format.
mkdir -p /etc/dropbear
HOSTKEY=/etc/dropbear/dropbear_ed25519_host_key
rm -f "$HOSTKEY"
if f="$(seed_file ssh_host_ed25519_key)" && dropbearconvert openssh dropbear "$f" "$HOSTKEY" >/dev/null 2>/tmp/convert.err; then
  log "host key: injected ed25519 key"
else
  [ -n "$f" ] && log "warning: cannot convert the injected host key: $(cat /tmp/convert.err)"
  dropbearkey -t ed25519 -f "$HOSTKEY" >/dev/null 2>&1
  log "warning: host key generated in the guest (no usable vmlab/ssh_host_ed25519_key)"
fi
chmod 0600 "$HOSTKEY"

# /etc/hosts.
if f="$(seed_file hosts)"; then
  cp "$f" /etc/hosts
  log "/etc/hosts from the seed ($(grep -c . /etc/hosts) lines)"
else
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >/etc/hosts
fi

# Interfaces: "MAC dhcp" or "MAC A.B.C.D/NN [GATEWAY]" from the seed, then vmlab.ip.MAC= from
# the cmdline. Without any such line, every NIC gets DHCP.
iface_of() {  # iface_of MAC: waits up to 3 s for the NIC with that MAC
  j=0
  while [ "$j" -lt 30 ]; do
    for n in /sys/class/net/*; do
      [ "$(cat "$n/address" 2>/dev/null)" = "$1" ] && { basename "$n"; return 0; }
    done
    usleep 100000; j=$((j + 1))
  done
  return 1
}
configure() {  # configure MAC ADDR [GATEWAY]
  mac="$(echo "$1" | tr 'A-F' 'a-f')"
  if ! dev="$(iface_of "$mac")"; then
    log "warning: no NIC with MAC $mac (have: $(cat /sys/class/net/*/address | tr '\n' ' '))"
    return 0
  fi
  ip link set "$dev" up
  case "$2" in
    dhcp)
      udhcpc -b -S -i "$dev" -s /etc/vmlab/udhcpc.script -x "hostname:$name" -t 20 -T 1 -A 3 \
        >/dev/null 2>&1
      log "$dev ($mac): dhcp" ;;
    */*)
      ip addr add "$2" dev "$dev"
      [ -n "$3" ] && ip route add default via "$3" dev "$dev"
      log "$dev ($mac): $2${3:+ via $3}" ;;
    *) log "warning: $dev ($mac): bad address '$2' (want dhcp or A.B.C.D/NN)" ;;
  esac
}
: >/run/vmlab/interfaces
f="$(seed_file interfaces)" && grep -v '^[[:space:]]*#' "$f" >>/run/vmlab/interfaces
for arg in $(cat /proc/cmdline); do
  case "$arg" in vmlab.ip.*=*) a="${arg#vmlab.ip.}"; echo "${a%%=*} ${a#*=}" >>/run/vmlab/interfaces ;; esac
done
if ! grep -q . /run/vmlab/interfaces; then
  for n in /sys/class/net/*; do
    [ "$(cat "$n/type")" = 1 ] && echo "$(cat "$n/address") dhcp" >>/run/vmlab/interfaces
  done
fi
while read -r mac addr gw; do
  [ -n "$mac" ] && configure "$mac" "$addr" "$gw"
done </run/vmlab/interfaces

log "ready for ssh after $(cut -d' ' -f1 /proc/uptime)s of uptime"
