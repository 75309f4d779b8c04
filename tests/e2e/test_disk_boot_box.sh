#!/usr/bin/env bash
# End to end with an image that boots from its own disk, like a distribution's cloud image:
# boxes/build-disk-image.sh makes one from Debian packages (MBR, GRUB for BIOS, one ext4
# partition with the kernel inside, cloud-init), cached. It is added as a bare .qcow2 (no
# box.json: the defaults apply, i.e. cloud-init seed, user "vmlab", boot from disk), one node
# comes up through a real libvirtd (in a network namespace), and the test checks: the domain
# has no <kernel> (it boots from its disk), `vmssh` runs a command as vmlab, the hostname and
# the static lab address are the Vmfile's, and destroy leaves nothing behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"  # real cloud-init under TCG, see test_cloud_init_box.sh
e2e_log "building (or reusing) the disk-booting image"
IMG_DIR="$("$E2E_SOURCE_DIR/boxes/build-disk-image.sh" | tail -n1)" || e2e_fail "boxes/build-disk-image.sh failed"
e2e_purge_lab e2edisk
e2e_add_box e2e-disk "$IMG_DIR/disk.qcow2"  # the bare file, as a cloud image is downloaded
"$VMLAB" box list
BOX="$("$VMLAB" box list --json | python3 -c 'import json,sys; b=[x for x in json.load(sys.stdin) if x["name"]=="e2e-disk"][0]; print(b["user"], b["seed"], "kernel" if b["kernel_boot"] else "disk")')"
assert_eq "vmlab cloud-init disk" "$BOX" "box list: user, seed, boot of e2e-disk"

P="$E2E_TMP/project"
cd "$P"
NET="$(e2e_free_net 59)"
cat > Vmfile <<EOF
name = "e2edisk"

[[network]]
name = "lab"
cidr = "$NET.0/24"

[[node]]
name = "disk1"
box = "e2e-disk"
memory = "768MiB"
ip = "$NET.31"
EOF
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"

START=$(date +%s)
vm up 2>&1 | tee "$E2E_TMP/up.log"
echo "up from the disk-booting image took $(( $(date +%s) - START )) s"
LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
XML="$(in_ns virsh -c qemu:///system dumpxml "vmlab-$LAB_ID-disk1")"
if grep -q '<kernel>' <<<"$XML"; then e2e_fail "the domain boots a kernel directly, not from its disk"; fi
assert_contains "$XML" "<boot dev='hd'/>" "domain XML"
assert_eq "disk1" "$(vm ssh disk1 -c hostname)" "hostname"
assert_eq "vmlab" "$(vm ssh disk1 -c 'id -un')" "login user (made by cloud-init)"
assert_contains "$(vm ssh disk1 -c 'ip -4 -o addr show')" "$NET.31/24" "lab address"
assert_contains "$(vm ssh disk1 -c 'cat /proc/cmdline')" "root=LABEL=vmlab-root" "kernel cmdline (from GRUB)"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
echo "PASS: disk-booting box ($(( $(date +%s) - START )) s)"
