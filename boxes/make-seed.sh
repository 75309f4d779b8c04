#!/usr/bin/env bash
# Makes a NoCloud seed ISO (label cidata) the way vmlab should, for testing boxes by hand:
# cloud-init files (meta-data, user-data, network-config v2) plus the plain vmlab/ files the
# vmlab-tiny box reads.
#   usage: boxes/make-seed.sh OUT.iso HOSTNAME USER PUBKEY_FILE HOSTKEY_FILE IFACES...
#   IFACES: "MAC dhcp" or "MAC A.B.C.D/NN" (one argument each, MAC lower-case)
#   env HOSTS_FILE: /etc/hosts content (default: localhost only)
set -euo pipefail
[ $# -ge 6 ] || { echo "usage: $0 OUT.iso HOSTNAME USER PUBKEY HOSTKEY 'MAC dhcp|A.B.C.D/NN'..." >&2; exit 2; }
out="$1" host="$2" user="$3" pub="$4" hostkey="$5"; shift 5
d="$(mktemp -d)"; trap 'rm -rf "$d"' EXIT
mkdir -p "$d/vmlab"
printf 'instance-id: %s-%s\nlocal-hostname: %s\n' "$host" "$(date +%s%N)" "$host" >"$d/meta-data"
{
  echo "#cloud-config"
  echo "hostname: $host"
  echo "manage_etc_hosts: false"
  echo "ssh_pwauth: false"
  echo "users:"
  echo "  - name: $user"
  echo "    shell: /bin/bash"
  echo "    sudo: ALL=(ALL) NOPASSWD:ALL"
  echo "    lock_passwd: true"
  echo "    ssh_authorized_keys:"
  echo "      - $(cat "$pub")"
  echo "ssh_deletekeys: true"   # no ssh_genkeytypes: with ssh_keys given nothing is generated
  echo "ssh_keys:"
  echo "  ed25519_private: |"
  sed 's/^/    /' "$hostkey"
  echo "  ed25519_public: $(cut -d' ' -f1,2 "$hostkey.pub")"
  if [ -n "${HOSTS_FILE:-}" ]; then
    echo "write_files:"
    echo "  - path: /etc/hosts"
    echo "    permissions: '0644'"
    echo "    content: |"
    sed 's/^/      /' "$HOSTS_FILE"
  fi
} >"$d/user-data"
{
  echo "version: 2"
  echo "ethernets:"
  i=0
  for spec in "$@"; do
    mac="${spec%% *}" addr="${spec#* }"
    echo "  nic$i:"
    echo "    match: {macaddress: \"$mac\"}"
    echo "    set-name: eth$i"
    echo "    accept-ra: false"   # as vmlab (seed.cpp)
    if [ "$addr" = dhcp ]; then echo "    dhcp4: true"; else echo "    addresses: [$addr]"; fi
    i=$((i + 1))
  done
} >"$d/network-config"
echo "$host" >"$d/vmlab/hostname"
cp "$pub" "$d/vmlab/authorized_keys"
cp "$hostkey" "$d/vmlab/ssh_host_ed25519_key"
printf '%s\n' "$@" >"$d/vmlab/interfaces"
if [ -n "${HOSTS_FILE:-}" ]; then cp "$HOSTS_FILE" "$d/vmlab/hosts"; else printf '127.0.0.1 localhost\n' >"$d/vmlab/hosts"; fi
xorriso -as genisoimage -quiet -output "$out" -volid cidata -joliet -rock "$d" 2>/dev/null
