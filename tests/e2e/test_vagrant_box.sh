#!/usr/bin/env bash
# End to end with a Vagrant box packed the way Vagrant packs libvirt boxes: a gzip'ed tar of
# metadata.json, Vagrantfile and box.img, made from `boxes/build-disk-image.sh --vagrant` (the
# disk-booting Debian image without cloud-init, user vagrant with Vagrant's insecure key,
# DHCP on the first NIC; cached). `vmlab box add NAME FILE.box`, one node up through a real
# libvirtd (in a network namespace): vmlab logs in once with the insecure key, pins the host
# key it sees (printed), swaps in the lab key, sets hostname and the lab address. Checks: the
# first-login lines, no seed ISO, `vmssh` as vagrant with the lab key, hostname, lab address,
# the insecure key no longer logs in, destroy leaves nothing behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"
e2e_log "building (or reusing) the Vagrant variant of the disk-booting image"
VDIR="$("$E2E_SOURCE_DIR/boxes/build-disk-image.sh" --vagrant | tail -n1)" || e2e_fail "boxes/build-disk-image.sh --vagrant failed"
e2e_purge_lab e2evag
e2e_log "packing debian-12.box (tar + gzip, as vagrant package does)"
tar -C "$VDIR" --use-compress-program='gzip -1' -cf "$E2E_TMP/debian-12.box" ./metadata.json ./Vagrantfile ./box.img
e2e_add_box e2e-vagrant "$E2E_TMP/debian-12.box"
"$VMLAB" box list
BOX="$("$VMLAB" box list --json | python3 -c 'import json,sys; b=[x for x in json.load(sys.stdin) if x["name"]=="e2e-vagrant"][0]; print(b["user"], b["seed"], "kernel" if b["kernel_boot"] else "disk")')"
assert_eq "vagrant vagrant disk" "$BOX" "box list: user, seed, boot of e2e-vagrant"

P="$E2E_TMP/project"
cd "$P"
NET="$(e2e_free_net 60)"
cat > Vmfile <<EOF
name = "e2evag"

[[network]]
name = "lab"
cidr = "$NET.0/24"

[[node]]
name = "vag1"
box = "e2e-vagrant"
memory = "768MiB"
ip = "$NET.41"
EOF
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"

START=$(date +%s)
vm up 2>&1 | tee "$E2E_TMP/up.log"
echo "up from the Vagrant box took $(( $(date +%s) - START )) s"
UP="$(cat "$E2E_TMP/up.log")"
assert_contains "$UP" "first login as vagrant" "up output"
assert_contains "$UP" "accepted on first use" "up output (trust on first use)"
assert_contains "$UP" "first login done: insecure key replaced by the lab key" "up output"
LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
XML="$(in_ns virsh -c qemu:///system dumpxml "vmlab-$LAB_ID-vag1")"
if grep -q "device='cdrom'" <<<"$XML"; then e2e_fail "a Vagrant box got a seed ISO"; fi
assert_contains "$XML" "<boot dev='hd'/>" "domain XML"
assert_eq "vag1" "$(vm ssh vag1 -c hostname)" "hostname"
assert_eq "vagrant" "$(vm ssh vag1 -c 'id -un')" "login user"
assert_contains "$(vm ssh vag1 -c 'ip -4 -o addr show')" "$NET.41/24" "lab address"
assert_eq "0" "$(vm ssh vag1 -c 'sudo -n id -u')" "sudo"
# The insecure key no longer logs in (same address, the pinned host key).
HOST="$(vm ssh-config | awk '$1 == "HostName" {print $2; exit}')"
[ -n "$HOST" ] || e2e_fail "no HostName in vmlab ssh-config"
if in_ns ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=10 -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$P/.vmlab/known_hosts" \
    -o HostKeyAlias="vmlab-$LAB_ID-vag1" -i "$P/.vmlab/keys/vagrant_insecure_key" \
    "vagrant@$HOST" true 2>"$E2E_TMP/insecure.err"; then
  e2e_fail "Vagrant's insecure key still logs in"
fi
assert_contains "$(cat "$E2E_TMP/insecure.err")" "Permission denied" "ssh with the insecure key"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
echo "PASS: Vagrant box ($(( $(date +%s) - START )) s)"
