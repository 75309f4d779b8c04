#!/usr/bin/env bash
# vmlab beside Vagrant, in one run (issue 13 §1): the same job, the same image, rounds that
# alternate the tools, and the physical limit (the image booted by plain libvirt calls until
# SSH answers) measured in the same run. Writes the "vagrant-bench" section of
# bench/RESULTS.md (between its markers; the rest of the file is kept).
#   usage (as root):  bench/vagrant.sh [BUILD_DIR]     (default: $BUILD, else <repo>/build)
# The job: 3 nodes, 1 vCPU, 512 MiB each, a static address on a private network, the
# hostname, one `echo` shell step per node; QEMU TCG (or KVM where it works).
# The image: boxes/build-disk-image.sh's Debian image (GRUB on its own disk; the root file
# system of the debian-12-cloud box). vmlab gets it as a bare qcow2 (`vmlab box add`; real
# cloud-init reads vmlab's seed); Vagrant gets its `--vagrant` variant, packed as a libvirt
# .box (the same files, with cloud-init disabled, user vagrant and Vagrant's insecure key, DHCP
# on the first NIC); the plain boot uses that variant too (no tool configures anything).
# Tools and variants, per round in a rotating order:
#   plain      virsh define + start of 3 overlays, until `ssh true` answers on each (OpenSSH,
#              insecure key); the floors: `ssh node1 true`, 3 × `ssh echo` in parallel,
#              3 × `virsh shutdown` until shut off, virsh destroy/undefine/vol-delete
#   vmlab      vmup, vmup (no-op), vmstatus, vmssh node1 -c true, vmprovision, vmhalt,
#              vmdestroy -f (halted)
#   vagrant    the same commands (`vagrant up` ... `vagrant destroy -f`), untuned
#   vagrant-t  the same, tuned: `config.vm.guest = :debian` (no guest detection)
# Debian's vagrant and vagrant-libvirt are installed here with apt when missing (never by the
# tests). Vagrant runs inside the network namespace (where libvirtd and its networks are),
# VAGRANT_HOME in the run's temp dir, its box volume uploaded before the first round (as
# `vmlab box add` does for vmlab), its own storage pool, removed at exit with everything else.
# Knobs: BENCH_ROUNDS (default 2), BENCH_TOOLS (default "plain vmlab vagrant vagrant-t"),
# BENCH_RESULTS (output file).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="${1:-${BUILD:-$REPO/build}}"
BUILD="$(cd "$BUILD" && pwd)"
ROUNDS="${BENCH_ROUNDS:-2}"
TOOLS="${BENCH_TOOLS:-plain vmlab vagrant vagrant-t}"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}"
NS=vmlab-e2e
. "$REPO/tests/e2e/lib.sh"
. "$BENCH_DIR/lib-results.sh"
bench_log() { echo "bench: [$(date +%T)] $*" >&2; }

if ! command -v vagrant >/dev/null || [ ! -d /usr/share/doc/vagrant-libvirt ]; then
  bench_log "installing Debian's vagrant and vagrant-libvirt (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends vagrant vagrant-libvirt >/dev/null \
    || e2e_fail "apt-get install vagrant vagrant-libvirt failed"
fi
VAGRANT_VERSION="$(vagrant --version 2>/dev/null | awk '{print $2}')"
VL_VERSION="$(dpkg-query -W -f '${Version}' vagrant-libvirt 2>/dev/null)"

# ---- the table (from T, the rounds' seconds) --------------------------------------------------
med() { tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
cell() {  # TOOL MEASURE: "median (runs)"
  local v="${T[$1.$2]:-}"
  [ -n "$v" ] || { echo "-"; return; }
  echo "$(med "$v") ($(echo $v | tr ' ' '/'))"
}
render_results() {
TABLE="| measure (wall s, median of $ROUNDS round(s); the rounds in brackets) | plain libvirt + OpenSSH | Vagrant $VAGRANT_VERSION + vagrant-libvirt $VL_VERSION | Vagrant, tuned (\`guest = :debian\`) | vmlab | OpenSSH on vmlab's nodes | vmlab / plain | vmlab / Vagrant | vmlab / tuned | vmlab / OpenSSH on its nodes |
|---|---|---|---|---|---|---|---|---|---|"
for m in up up-noop status ssh provision halt destroy; do
  case $m in
    up) label='`up` from nothing (3 nodes to provisioned)' ;;
    up-noop) label='`up` again, no-op' ;;
    status) label='`status` (plain: `virsh list --all`)' ;;
    ssh) label='`ssh node1 -c true`' ;;
    provision) label='`provision` (one `echo` per node; plain: 3 × ssh in parallel)' ;;
    halt) label='`halt` (plain: 3 × ACPI shutdown)' ;;
    destroy) label='`destroy -f` (halted)' ;;
  esac
  p="$(med "${T[plain.$m]:-}")"; v="$(med "${T[vagrant.$m]:-}")"; t="$(med "${T[vagrant-t.$m]:-}")"; l="$(med "${T[vmlab.$m]:-}")"
  o="$(med "${T[vmlab-openssh.$m]:-}")"
  TABLE+="
| $label | $(cell plain "$m") | $(cell vagrant "$m") | $(cell vagrant-t "$m") | $(cell vmlab "$m") | $(cell vmlab-openssh "$m") | $(ratio "$l" "$p") | $(ratio "$l" "$v") | $(ratio "$l" "$t") | $(ratio "$l" "$o") |"
done
SECTION="<!-- vagrant-bench -->
## vmlab beside Vagrant (bench/vagrant.sh, one run, $(date -u +%Y-%m-%d))

The same job for each tool: 3 nodes, 1 vCPU, 512 MiB, a static address on a private network,
the hostname, one \`echo\` shell step; $([ "$DOMTYPE" = kvm ] && echo KVM || echo "QEMU TCG (no KVM)"), libvirtd in a network namespace, $(nproc) cores.
The same image: boxes/build-disk-image.sh (Debian 12, GRUB on its own disk): vmlab boots it
with its cloud-init seed; Vagrant and the plain boot its \`--vagrant\` variant (cloud-init
off, Vagrant's insecure key, DHCP). $ROUNDS round(s), the tools' order rotating per round.
Load average at start $LOAD_START, at the end $LOAD_END. Ratios < 1: vmlab is faster.
\"OpenSSH on vmlab's nodes\": the system ssh with \`vmlab ssh-config\` against vmlab's guests, right
after vmlab's own command (\`provision\`: 3 × \`ssh node sudo -n sh -c 'echo ...'\` in parallel), the
floor of vmlab's own cost on the same guests. vmlab's \`up\` ends once its steps ran, which may be
before cloud-init's final stage in the guests did; vmlab's later commands start after it.

$TABLE

Logs of every command: $LOGS (kept after the run).
<!-- /vagrant-bench -->"
echo
echo "$SECTION"
results_section vagrant-bench "$SECTION" "$RESULTS"
bench_log "wrote the vagrant-bench section of $RESULTS"
}

# BENCH_FROM_LOG=FILE: no run, the table again from an earlier run's output (its "round R:
# TOOL MEASURE: S s" lines), e.g. after the table's code changed.
if [ -n "${BENCH_FROM_LOG:-}" ]; then
  declare -A T=()
  ROUNDS=0
  while read -r r tool m sec; do
    T[$tool.$m]="${T[$tool.$m]:-} $sec"
    [ "$r" -le "$ROUNDS" ] || ROUNDS="$r"
  done < <(sed -n 's/^bench: \[[^]]*\] round \([0-9]*\): \([a-z-]*\) \([a-z-]*\): \([0-9.]*\) s$/\1 \2 \3 \4/p' "$BENCH_FROM_LOG")
  [ "$ROUNDS" -gt 0 ] || e2e_fail "no \"round R: TOOL MEASURE: S s\" lines in $BENCH_FROM_LOG"
  if [ "${BENCH_ACCEL:-tcg}" = kvm ]; then DOMTYPE=kvm; else DOMTYPE=qemu; fi
  LOAD_START="(see $BENCH_FROM_LOG)" LOAD_END="(see $BENCH_FROM_LOG)" LOGS="(the run of $BENCH_FROM_LOG)"
  render_results
  exit 0
fi

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
e2e_setup "$NS"
bench_log "building (or reusing) the disk image and its Vagrant variant"
DISK_DIR="$("$REPO/boxes/build-disk-image.sh" | tail -n1)" || e2e_fail "build-disk-image.sh failed"
VAG_DIR="$("$REPO/boxes/build-disk-image.sh" --vagrant | tail -n1)" || e2e_fail "build-disk-image.sh --vagrant failed"
LOGS="$(mktemp -d /tmp/vmlab-bench-vagrant.XXXXXX)"
chmod 0755 "$LOGS"
NET="$(e2e_free_net 70)"
# All three tools on the same accelerator: TCG unless BENCH_ACCEL=kvm (nested KVM hangs on
# this kind of machine, LAB-FACTS).
if [ "${BENCH_ACCEL:-tcg}" = kvm ]; then DOMTYPE=kvm; export VMLAB_ACCEL=kvm; else DOMTYPE=qemu; export VMLAB_ACCEL=tcg; fi
bench_log "network $NET.0/24, logs in $LOGS"

# ---- vmlab's project ----------------------------------------------------------------------
e2e_add_box bench-disk "$DISK_DIR/disk.qcow2"
VP="$E2E_TMP/vmlab-project"
mkdir -p "$VP"
{
  printf 'name = "benchvg"\n\n[defaults]\nbox = "bench-disk"\ncpus = 1\nmemory = "512MiB"\n\n'
  printf '[[network]]\nname = "lab"\ncidr = "%s.0/24"\n' "$NET"
  for i in 1 2 3; do
    printf '\n[[node]]\nname = "node%s"\nip = "%s.1%s"\n\n  [[node.provision]]\n  name = "hello"\n' "$i" "$NET" "$i"
    printf '  type = "shell"\n  inline = "echo bench-hello-from-$(hostname)"\n'
  done
} > "$VP/Vmfile"
e2e_on_exit bash -c "cd '$VP' && ip netns exec '$NS' '$VMLAB' destroy -f >/dev/null 2>&1"

# ---- Vagrant's projects (untuned, tuned), box, pool -----------------------------------------
export VAGRANT_HOME="$E2E_TMP/vagrant.d" VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_DEFAULT_PROVIDER=libvirt
POOL=vmlab-bench-vagrant
POOL_DIR="$E2E_TMP/pool"
mkdir -p "$POOL_DIR"
chmod 0755 "$POOL_DIR"
in_ns virsh -q -c qemu:///system pool-info "$POOL" >/dev/null 2>&1 && {
  in_ns virsh -q -c qemu:///system pool-destroy "$POOL" >/dev/null 2>&1 || true
  in_ns virsh -q -c qemu:///system pool-undefine "$POOL" >/dev/null 2>&1 || true
}
in_ns virsh -q -c qemu:///system pool-define-as "$POOL" dir --target "$POOL_DIR" >/dev/null
in_ns virsh -q -c qemu:///system pool-start "$POOL" >/dev/null
remove_pool() {
  local v
  for v in $(in_ns virsh -q -c qemu:///system vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
    in_ns virsh -q -c qemu:///system vol-delete "$v" --pool "$POOL" >/dev/null 2>&1 || true
  done
  in_ns virsh -q -c qemu:///system pool-destroy "$POOL" >/dev/null 2>&1 || true
  in_ns virsh -q -c qemu:///system pool-undefine "$POOL" >/dev/null 2>&1 || true
}
e2e_on_exit remove_pool
remove_vagrant_nets() {
  local n
  for n in vmlab-bench-vagrant-mgmt vmlab-bench-vagrant-lab; do
    in_ns virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1 || true
    in_ns virsh -q -c qemu:///system net-undefine "$n" >/dev/null 2>&1 || true
  done
}
e2e_on_exit remove_vagrant_nets
BOXFILE="$E2E_TMP/bench-debian12.box"
tar -C "$VAG_DIR" -cf "$BOXFILE" metadata.json Vagrantfile box.img
rm -rf "$VAGRANT_HOME"
in_ns vagrant box add --force --name bench-debian12 "$BOXFILE" > "$LOGS/vagrant-box-add.log" 2>&1 \
  || { cat "$LOGS/vagrant-box-add.log"; e2e_fail "vagrant box add failed"; }
rm -f "$BOXFILE"
# The box volume, uploaded before the rounds (as `vmlab box add` does for vmlab). vagrant-libvirt
# 0.11.2 names it <box>_vagrant_box_image_<version>_box.img, and for an unversioned local box
# the version is "0_<mtime of the box.img under VAGRANT_HOME>" (handle_box_image.rb).
BOXIMG="$(find "$VAGRANT_HOME/boxes/bench-debian12" -name box.img | head -n1)"
[ -n "$BOXIMG" ] || e2e_fail "vagrant box add left no box.img under $VAGRANT_HOME"
BOXVOL="bench-debian12_vagrant_box_image_0_$(stat -c %Y "$BOXIMG")_box.img"
qemu-img convert -O qcow2 "$VAG_DIR/box.img" "$POOL_DIR/$BOXVOL"
chmod 0644 "$POOL_DIR/$BOXVOL"
in_ns virsh -q -c qemu:///system pool-refresh "$POOL" >/dev/null

vagrantfile() {  # TUNED(0|1): the Vagrantfile of the job
  cat <<EOF
# vmlab bench: 3 nodes, 1 vCPU, 512 MiB, a private network, hostname, one shell step
Vagrant.configure("2") do |config|
  config.vm.box = "bench-debian12"
  config.vm.box_check_update = false
  config.vm.synced_folder ".", "/vagrant", disabled: true
$([ "$1" = 1 ] && echo '  config.vm.guest = :debian')
  config.vm.provider :libvirt do |lv|
    lv.uri = "qemu:///system"
    lv.driver = "$DOMTYPE"
    lv.cpus = 1
    lv.memory = 512
    lv.storage_pool_name = "$POOL"
    lv.management_network_name = "vmlab-bench-vagrant-mgmt"
    lv.management_network_address = "$MGMT.0/24"
  end
  (1..3).each do |i|
    config.vm.define "node#{i}" do |n|
      n.vm.hostname = "node#{i}"
      n.vm.network :private_network, ip: "$VNET.1#{i}", libvirt__network_name: "vmlab-bench-vagrant-lab"
      n.vm.provision "shell", inline: "echo bench-hello-from-\$(hostname)"
    end
  end
end
EOF
}
MGMT="$(e2e_free_net $(( ${NET##*.} + 1 )))"
VNET="$(e2e_free_net $(( ${MGMT##*.} + 1 )))"
for v in vagrant vagrant-t; do
  mkdir -p "$E2E_TMP/$v"
  vagrantfile "$([ $v = vagrant-t ] && echo 1 || echo 0)" > "$E2E_TMP/$v/Vagrantfile"
  e2e_on_exit bash -c "cd '$E2E_TMP/$v' && ip netns exec '$NS' vagrant destroy -f >/dev/null 2>&1"
done

# ---- the plain boot: virsh, OpenSSH --------------------------------------------------------
PLAIN_NET=vmlab-bench-plain
INSECURE="$E2E_TMP/insecure"
# Vagrant's published insecure key pair (the private half is public too: hashicorp/vagrant
# keys/vagrant); the box trusts it. Taken from the installed vagrant package.
KEYSRC="$(dpkg -L vagrant | grep -E '/keys/vagrant$' | head -n1)"
[ -n "$KEYSRC" ] || e2e_fail "Vagrant's insecure private key not found in the vagrant package"
install -m 0600 "$KEYSRC" "$INSECURE"
SSHO=(-i "$INSECURE" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o BatchMode=yes -o ConnectTimeout=5 -o PubkeyAcceptedAlgorithms=+ssh-rsa)
plain_net_up() {  # its own NAT network with DHCP reservations (made once, before the rounds)
  local p
  p="$(e2e_free_net $(( ${VNET##*.} + 1 )))"
  cat > "$E2E_TMP/plain-net.xml" <<EOF
<network><name>$PLAIN_NET</name><forward mode='nat'/><ip address='$p.1' netmask='255.255.255.0'>
<dhcp><range start='$p.100' end='$p.200'/>
<host mac='52:54:00:bb:00:01' ip='$p.11'/><host mac='52:54:00:bb:00:02' ip='$p.12'/><host mac='52:54:00:bb:00:03' ip='$p.13'/>
</dhcp></ip></network>
EOF
  in_ns virsh -q -c qemu:///system net-create "$E2E_TMP/plain-net.xml" >/dev/null
  PLAIN_PREFIX="$p"
}
plain_define() {  # I: overlay + domain XML for node I
  local i="$1" disk="$POOL_DIR/plain-node$i.qcow2"
  qemu-img create -q -f qcow2 -F qcow2 -b "$POOL_DIR/$BOXVOL" "$disk"
  chmod 0666 "$disk"
  cat > "$E2E_TMP/plain$i.xml" <<EOF
<domain type='$DOMTYPE'><name>vmlab-bench-plain-node$i</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os><features><acpi/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$disk'/><target dev='vda' bus='virtio'/></disk>
<interface type='network'><source network='$PLAIN_NET'/><mac address='52:54:00:bb:00:0$i'/><model type='virtio'/></interface>
<serial type='pty'/><console type='pty'/></devices></domain>
EOF
  in_ns virsh -q -c qemu:///system define "$E2E_TMP/plain$i.xml" >/dev/null
}
plain_ssh() { in_ns ssh "${SSHO[@]}" "vagrant@$PLAIN_PREFIX.1$1" "${@:2}"; }
plain_up() {  # define + start 3, wait until each answers `ssh true`
  local i
  for i in 1 2 3; do plain_define "$i"; in_ns virsh -q -c qemu:///system start "vmlab-bench-plain-node$i" >/dev/null; done
  for i in 1 2 3; do
    local end=$(( $(date +%s) + 900 ))
    until plain_ssh "$i" true 2>/dev/null; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.5; done
  done
}
plain_provision() {
  local i pids=()
  for i in 1 2 3; do plain_ssh "$i" 'echo bench-hello-from-$(hostname)' & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || return 1; done
}
plain_halt() {
  local i
  for i in 1 2 3; do in_ns virsh -q -c qemu:///system shutdown "vmlab-bench-plain-node$i" >/dev/null; done
  local end=$(( $(date +%s) + 300 ))
  while in_ns virsh -q -c qemu:///system list --name | grep -q '^vmlab-bench-plain-'; do
    [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2
  done
}
plain_destroy() {
  local i
  for i in 1 2 3; do
    in_ns virsh -q -c qemu:///system destroy "vmlab-bench-plain-node$i" >/dev/null 2>&1 || true
    in_ns virsh -q -c qemu:///system undefine "vmlab-bench-plain-node$i" >/dev/null 2>&1 || true
    rm -f "$POOL_DIR/plain-node$i.qcow2"
  done
}
plain_cleanup() { plain_destroy; in_ns virsh -q -c qemu:///system net-destroy "$PLAIN_NET" >/dev/null 2>&1 || true; }
e2e_on_exit plain_cleanup
PLAIN_PREFIX=""
plain_net_up

# ---- timing --------------------------------------------------------------------------------
declare -A T=()   # T[tool.measure] = "s1 s2 ..." (one per round)
timed() {  # TOOL MEASURE CMD...: wall seconds of CMD (run in the current dir), appended
  local tool="$1" m="$2" t0 t1 rc=0 log="$LOGS/$1.$2.r$ROUND.log"
  shift 2
  t0=$(date +%s%N)
  "$@" > "$log" 2>&1 || rc=$?
  t1=$(date +%s%N)
  local s
  s="$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }')"
  if [ "$rc" != 0 ]; then tail -n 20 "$log" >&2; e2e_fail "$tool $m failed (exit $rc; $log)"; fi
  T[$tool.$m]="${T[$tool.$m]:-} $s"
  bench_log "round $ROUND: $tool $m: $s s"
}
vg() { in_ns vagrant "$@"; }
vm() { in_ns "$VMLAB" "$@"; }

job_done() {  # OUTPUT ADDRESS TOOL: node2 has its hostname and its static address (untimed)
  grep -qx node2 <<<"$1" && grep -qF " $2" <<<"$1" || e2e_fail "$3: node2 lacks its hostname or $2: $1"
}
run_plain() {
  timed plain up plain_up
  timed plain ssh plain_ssh 1 true
  timed plain provision plain_provision
  timed plain status in_ns virsh -c qemu:///system list --all
  timed plain halt plain_halt
  timed plain destroy plain_destroy
}
vmlab_openssh_provision() {  # the floor on vmlab's own guests: 3 x OpenSSH, sudo, in parallel
  local i pids=()
  for i in 1 2 3; do
    in_ns ssh -F "$VP/bench-ssh.cfg" "node$i" 'sudo -n sh -c "echo bench-hello-from-\$(hostname)"' & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || return 1; done
}
run_vmlab() {
  cd "$VP"
  timed vmlab up vm up
  grep -q bench-hello-from-node3 "$LOGS/vmlab.up.r$ROUND.log" || e2e_fail "vmlab up did not run node3's step"
  job_done "$(vm ssh node2 -c 'hostname; ip -4 -o addr show')" "$NET.12/" vmlab
  # `up` starts the steps once cloud-init's config stage is done; its final stage (a Python
  # start, ~10 s of the one vCPU under TCG) may still run. The commands below compare the
  # tools' own costs, so they start once it ended on every node (untimed).
  for i in 1 2 3; do vm ssh "node$i" -c 'cloud-init status --wait >/dev/null 2>&1; true'; done
  timed vmlab up-noop vm up
  timed vmlab status vm status
  vm ssh-config > "$VP/bench-ssh.cfg"
  timed vmlab-openssh ssh in_ns ssh -F "$VP/bench-ssh.cfg" node1 true
  timed vmlab ssh vm ssh node1 -c true
  timed vmlab provision vm provision
  timed vmlab-openssh provision vmlab_openssh_provision
  timed vmlab halt vm halt
  timed vmlab destroy vm destroy -f
  cd "$E2E_TMP"
}
run_vagrant() {  # vagrant | vagrant-t
  cd "$E2E_TMP/$1"
  timed "$1" up vg up
  grep -q bench-hello-from-node3 "$LOGS/$1.up.r$ROUND.log" || e2e_fail "$1 up did not run node3's step"
  job_done "$(vg ssh node2 -c 'hostname; ip -4 -o addr show' 2>/dev/null)" "$VNET.12/" "$1"
  timed "$1" up-noop vg up
  timed "$1" status vg status
  timed "$1" ssh vg ssh node1 -c true
  timed "$1" provision vg provision
  timed "$1" halt vg halt
  timed "$1" destroy vg destroy -f
  cd "$E2E_TMP"
}
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  # rotate the order: round r starts with tool r
  read -ra LIST <<<"$TOOLS"
  n=${#LIST[@]}
  for ((k = 0; k < n; k++)); do
    tool="${LIST[$(( (k + ROUND - 1) % n ))]}"
    case "$tool" in
      plain) run_plain ;;
      vmlab) run_vmlab ;;
      vagrant|vagrant-t) run_vagrant "$tool" ;;
      *) e2e_fail "unknown tool '$tool' in BENCH_TOOLS" ;;
    esac
  done
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
render_results
