#!/usr/bin/env bash
# End to end, the lab address check after boot (issue 13 §4): a box whose cloud-init ignores
# the seed's network config must not come "up" without its lab address.
#  - the box: debian-12-cloud with two files added to its disk (debugfs on a raw copy, no
#    mount): /etc/cloud/cloud.cfg.d/99-no-network.cfg `network: {config: disabled}` and a
#    systemd-networkd file that runs DHCP on every en* NIC (the way many prebuilt boxes do
#    their own networking), so the management NIC gets its address from libvirt's DHCP and SSH
#    answers, while the lab NIC (an isolated network, no DHCP) gets none
#  - `vmup` exits 1 for that node: the message names the NIC (its name in the guest, its MAC
#    and network), the expected address, what the guest has instead and the likely cause
#    (`network: {config: disabled}`); no step runs on it; `vmstatus`: running, 0/1 steps
#  - the same Vmfile on the unchanged box passes the check (the control: not a false alarm)
#  - `vmdestroy -f` leaves nothing
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"
command -v debugfs >/dev/null || e2e_fail "missing debugfs: run scripts/install-deps.sh (e2fsprogs)"
e2e_debian_box
e2e_purge_lab e2eaddr

e2e_log "making the box variant that ignores the seed's network config"
NONET="$E2E_TMP/box-nonet"
mkdir -p "$NONET"
qemu-img convert -O raw "$E2E_DEBIAN_BOX/box.qcow2" "$E2E_TMP/disk.raw"
printf 'network: {config: disabled}\n' > "$E2E_TMP/99-no-network.cfg"
printf '[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n' > "$E2E_TMP/80-dhcp-all.network"
chmod 0644 "$E2E_TMP/99-no-network.cfg" "$E2E_TMP/80-dhcp-all.network"
debugfs -w -f - "$E2E_TMP/disk.raw" >/dev/null <<EOF
cd /etc/cloud/cloud.cfg.d
write $E2E_TMP/99-no-network.cfg 99-no-network.cfg
cd /etc/systemd/network
write $E2E_TMP/80-dhcp-all.network 80-dhcp-all.network
EOF
[ "$(debugfs -R 'cat /etc/cloud/cloud.cfg.d/99-no-network.cfg' "$E2E_TMP/disk.raw" 2>/dev/null)" = "network: {config: disabled}" ] \
  || e2e_fail "debugfs did not write the cloud-init file into the box's disk"
qemu-img convert -O qcow2 "$E2E_TMP/disk.raw" "$NONET/box.qcow2"
rm -f "$E2E_TMP/disk.raw"
cp "$E2E_DEBIAN_BOX"/{box.json,vmlinuz,initrd.img} "$NONET/"
e2e_add_box debian-12-nonet "$NONET"
e2e_add_box debian-12-cloud "$E2E_DEBIAN_BOX"

P="$E2E_TMP/project"
cd "$P"
cat > Vmfile <<'EOF'
name = "e2eaddr"

[defaults]
memory = "768MiB"

[[network]]
name = "lab"
cidr = "192.168.59.0/24"

[[node]]
name = "bad"
box = "debian-12-nonet"
ip = "192.168.59.21"

  [[node.provision]]
  name = "mark"
  type = "shell"
  inline = "echo step-ran-on-$(hostname)"

[[node]]
name = "good"
box = "debian-12-cloud"
ip = "192.168.59.22"

  [[node.provision]]
  name = "mark"
  type = "shell"
  inline = "echo step-ran-on-$(hostname)"
EOF
NET="$(e2e_free_net 59)"
sed -i "s/192\.168\.59\./$NET./g" Vmfile
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"

START=$(date +%s)
rc=0
vm up > "$E2E_TMP/up.log" 2>&1 || rc=$?
cat "$E2E_TMP/up.log"
echo "TIME vmup (one node failing the address check): $(( $(date +%s) - START )) s"
assert_eq "1" "$rc" "vmup exit status with a node lacking its lab address"
UP="$(cat "$E2E_TMP/up.log")"
assert_contains "$UP" "lab address missing after boot"
assert_contains "$UP" "expected $NET.21/24, has no IPv4 address"
assert_contains "$UP" "network lab"
assert_contains "$UP" "network: {config: disabled}"
# The NIC is named as the guest names it, with the MAC vmlab gave it (the domain's interface
# on the lab network, from libvirt).
LINE="$(grep -E 'NIC [^ ]+ \(([0-9a-f]{2}:){5}[0-9a-f]{2}, network lab\)' <<<"$UP" | head -n1)"
[ -n "$LINE" ] || e2e_fail "no 'NIC <name> (<mac>, network lab)' line in the output"
NIC="$(sed -E 's/.*NIC ([^ ]+) \(.*/\1/' <<<"$LINE")"
MAC="$(sed -E 's/.*NIC [^ ]+ \(([^,]+),.*/\1/' <<<"$LINE")"
DOM="$(in_ns virsh -c qemu:///system list --all --name | grep -E '^vmlab-e2eaddr.*bad' | head -n1)"
LIBVIRT_MAC="$(in_ns virsh -c qemu:///system domiflist "$DOM" | awk '$3 ~ /-lab$/ {print $5}' | head -n1)"
echo "reported: NIC $NIC MAC $MAC; libvirt's lab interface of $DOM: $LIBVIRT_MAC"
assert_eq "$LIBVIRT_MAC" "$MAC" "the MAC of the lab NIC"
GUEST_NIC="$(vm ssh bad -c "ip -o link" | awk -v m="$MAC" 'index($0, m) {sub(/:$/, "", $2); sub(/@.*/, "", $2); print $2}' | head -n1)"
assert_eq "$GUEST_NIC" "$NIC" "the NIC's name in the guest"
if grep -q "step-ran-on-bad" <<<"$UP"; then e2e_fail "a step ran on the node without its lab address"; fi
assert_contains "$UP" "step-ran-on-good"
# The box really ignored the seed: cloud-init wrote no network config for the lab NIC.
assert_eq "" "$(vm ssh bad -c "ip -4 -o addr show | grep -F '$NET.21' || true")" "lab address on bad"
assert_contains "$(vm ssh good -c 'ip -4 -o addr show')" "$NET.22/24"
STATUS="$(vm status)"
echo "$STATUS"
# Its machine runs (it can be reached to look), its steps are not done.
grep -E '^bad +running .* 0/1 steps' <<<"$STATUS" >/dev/null || e2e_fail "vmstatus does not show 'bad' running with 0/1 steps"
grep -E '^good +running .* provisioned' <<<"$STATUS" >/dev/null || e2e_fail "vmstatus does not show 'good' provisioned"

vm destroy -f
e2e_assert_lab_gone e2eaddr
echo "PASS: address check"
