#!/usr/bin/env bash
# End to end, through a real libvirtd (inside a network namespace) and QEMU (TCG): synced
# folders ([[node.sync]]) on one vmlab-tiny node.
#  - mode "mount" (virtio-9p): a file written on the host is read in the guest, one written
#    in the guest is read on the host, a change on the host shows without any vmlab command;
#    a second `up` finds it mounted; after `vmhalt` + `vmup` it is mounted again
#  - mode "copy": sent at the first `up`; a second `up` sends nothing; a changed file is sent
#    alone; the project's .vmlab/ (keys, record) is never sent
#  - `vmdestroy -f` leaves nothing of the lab in libvirt
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
e2e_purge_lab e2esync
e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
P="$E2E_TMP/project"
cd "$P"
mkdir -p shared copied/sub
# QEMU runs as libvirt-qemu here and writes, as itself, what the guest writes (accessmode
# squash; docs/libvirt.md): the shared folder must be writable by that user.
chmod 0777 shared
echo from-host > shared/host.txt
echo one > copied/a.txt
echo two > copied/sub/b.txt
cat > Vmfile <<'EOF'
name = "e2esync"

[defaults]
box = "vmlab-tiny"
memory = "256MiB"

  [[defaults.sync]]
  host = "copied"
  guest = "/opt/copied"
  mode = "copy"

[[node]]
name = "s1"

  [[node.sync]]
  host = "shared"
  guest = "/vmlab"

  [[node.sync]]
  host = "."
  guest = "/project"
  mode = "copy"
EOF
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
OUT="$E2E_TMP/out"
mkdir -p "$OUT"

e2e_log "up (create, boot, mount, copy)"
t0=$(date +%s)
vm up 2>&1 | tee "$OUT/up1.txt"
e2e_log "first up took $(($(date +%s) - t0)) s"
assert_contains "$(cat "$OUT/up1.txt")" "/vmlab: mounted (9p vmlab1)"
assert_contains "$(cat "$OUT/up1.txt")" "/opt/copied: 2 file(s) sent"
assert_eq from-host "$(vm ssh s1 -c 'cat /vmlab/host.txt')" "host file read in the guest"
vm ssh s1 -c 'echo from-guest > /vmlab/guest.txt'
assert_eq from-guest "$(cat shared/guest.txt)" "guest file read on the host"
echo changed-on-host > shared/host.txt
assert_eq changed-on-host "$(vm ssh s1 -c 'cat /vmlab/host.txt')" "live change on the host"
assert_eq two "$(vm ssh s1 -c 'cat /opt/copied/sub/b.txt')" "copied file"
assert_eq "" "$(vm ssh s1 -c 'ls -A /project/.vmlab 2>/dev/null || true')" "no .vmlab in the copy"
assert_eq one "$(vm ssh s1 -c 'cat /project/copied/a.txt')" "project copy"

e2e_log "up again: nothing changed, nothing sent"
vm up 2>&1 | tee "$OUT/up2.txt"
assert_contains "$(cat "$OUT/up2.txt")" "/opt/copied: 0 file(s) sent (0 B), 2 unchanged"
assert_contains "$(cat "$OUT/up2.txt")" "/vmlab: already mounted"
# (/project is ".": it holds shared/, which changed, so it sends those two files)
assert_contains "$(cat "$OUT/up2.txt")" "/project: 2 file(s) sent"

e2e_log "up after a change: only that file is sent"
echo three > copied/sub/b.txt
vm up 2>&1 | tee "$OUT/up3.txt"
assert_contains "$(cat "$OUT/up3.txt")" "/opt/copied: 1 file(s) sent (6 B), 1 unchanged"
assert_eq three "$(vm ssh s1 -c 'cat /opt/copied/sub/b.txt')" "changed copied file"

e2e_log "halt + up: mounted again"
VMLAB_HALT_TIMEOUT=30 vm halt
vm up 2>&1 | tee "$OUT/up4.txt"
assert_contains "$(cat "$OUT/up4.txt")" "/vmlab: mounted (9p vmlab1)"
assert_eq from-guest "$(vm ssh s1 -c 'cat /vmlab/guest.txt')" "guest file after halt/up"

e2e_log "destroy"
LAB_ID="$(vm status --json | sed -n 's/.*"lab_id": "\(.*\)".*/\1/p')"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
[ -f shared/guest.txt ] || e2e_fail "destroy removed a file of the synced folder"
e2e_log "PASS"
