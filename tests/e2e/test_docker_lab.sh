#!/usr/bin/env bash
# End to end, the docker provisioner on the real thing: three debian-12-cloud nodes (systemd,
# real cloud-init, 1 GiB) behind a libvirtd in a network namespace with an uplink to Debian's
# archive (slirp4netns; no other traffic leaves the namespace).
#  - node1: docker.io (a docker step) and Debian's docker-registry (a shell step), anonymous,
#    on :5000
#  - node2: docker.io installed by the docker step (insecure-registries = ["node1:5000"]),
#    imports a base image made on the host from busybox-static, builds an image on it; a
#    shell step pushes it to node1's registry
#  - node3: a docker step installs the engine; a second one (after node2:push) pulls the image
#    and runs it twice (web, side) as small HTTP servers; node1 fetches a page from node3
#  - a second `vmup` runs nothing (timed)
#  - changing web's args, stopping side, `vmprovision node3`: web is recreated, side started
#    again with the same container id (only what drifted is fixed)
#  - `vmdestroy -f` leaves nothing
# Under TCG on a loaded 2-core host the apt installs dominate (see docs/docker-e2e-notes.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup_uplink vmlab-e2e
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"
e2e_debian_box
e2e_busybox_rootfs
e2e_purge_lab e2edk
e2e_add_box debian-12-cloud "$E2E_DEBIAN_BOX"
P="$E2E_TMP/project"
cd "$P"
mkdir -p images
cp "$E2E_BUSYBOX_ROOTFS" images/rootfs.tar
cp -r "$E2E_SOURCE_DIR/tests/e2e/docker/web" web
cat > registry.sh <<'EOF'
#!/bin/sh
# Debian's registry, without its default htpasswd auth (docs/docker-e2e-notes.md, section 2).
set -eu
export DEBIAN_FRONTEND=noninteractive
if ! command -v docker-registry >/dev/null || ! command -v rsync >/dev/null; then
  apt-get -q update
  # rsync: the host's `rsync -e 'ssh -F ssh_config'` below needs it on this end too.
  apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends docker-registry rsync
fi
python3 -c 'import re;p="/etc/docker/registry/config.yml";s=open(p).read();open(p,"w").write(re.sub(r"(?m)^auth:\n(?:[ \t]+.*\n)*","",s))'
systemctl restart docker-registry
for i in $(seq 60); do ss -ltn | grep -q ':5000 ' && exit 0; sleep 1; done
echo "the registry does not listen on :5000" >&2; exit 1
EOF
cat > Vmfile <<'EOF'
name = "e2edk"

[defaults]
box = "debian-12-cloud"
memory = "1GiB"

[[network]]
name = "lab"
cidr = "192.168.59.0/24"   # replaced below by a free subnet (e2e_free_net)

[[node]]
name = "node1"
ip = "192.168.59.11"

  [[node.provision]]
  name = "engine"
  type = "docker"

  [[node.provision]]
  name = "registry"
  type = "shell"
  path = "registry.sh"

[[node]]
name = "node2"
ip = "192.168.59.12"

  [[node.provision]]
  name = "docker"
  type = "docker"
  daemon = { "insecure-registries" = ["node1:5000"] }
  import = [{ image = "lab/base:1", rootfs = "images/rootfs.tar" }]
  build = [{ image = "node1:5000/lab/web:1", context = "web" }]

  [[node.provision]]
  name = "push"
  type = "shell"
  after = ["node1:registry"]
  inline = "docker push node1:5000/lab/web:1"

[[node]]
name = "node3"
ip = "192.168.59.13"

  [[node.provision]]
  name = "engine"
  type = "docker"
  daemon = { "insecure-registries" = ["node1:5000"] }

  [[node.provision]]
  name = "app"
  type = "docker"
  after = ["node2:push"]
  images = ["node1:5000/lab/web:1"]
  run = [
    { name = "web", image = "node1:5000/lab/web:1", args = ["--init", "-p", "8080:8080"] },
    { name = "side", image = "node1:5000/lab/web:1", args = ["--init", "-p", "8081:8080"] },
  ]
EOF
NET="$(e2e_free_net 59)"
sed -i "s/192\.168\.59\./$NET./g" Vmfile
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
vm validate

e2e_log "vmup: three Debian nodes, docker installed on each, registry on node1"
START=$(date +%s)
vm up > "$E2E_TMP/up.log" 2>&1 || { cat "$E2E_TMP/up.log"; e2e_fail "vmup failed"; }
cat "$E2E_TMP/up.log"
echo "TIME first vmup (3 nodes, 3 docker.io installs): $(( $(date +%s) - START )) s"
UP="$(cat "$E2E_TMP/up.log")"
assert_contains "$UP" "installing docker.io with apt-get"
assert_contains "$UP" "importing lab/base:1"
assert_contains "$UP" "creating container web"
grep -E "node[123] +\| .*(docker|engine|app): done in" "$E2E_TMP/up.log" || true

e2e_log "node1 fetches a page from node3 over the private network"
page() { vm ssh node1 -c "python3 -c 'import urllib.request,sys;print(urllib.request.urlopen(sys.argv[1],timeout=30).read().decode().strip())' http://node3:$1/"; }
assert_eq "hello from vmlab web" "$(page 8080)" "page from node3:8080"
assert_eq "hello from vmlab web" "$(page 8081)" "page from node3:8081"
assert_contains " $(vm ssh node3 -c 'id -nG vmlab') " " docker " "vmlab's groups on node3"
for n in node1 node2 node3; do
  assert_contains "$(vm ssh "$n" -c "docker info --format '{{.ServerVersion}}'")" "20.10" "docker info as vmlab on $n"
done

e2e_log "rsync -e 'ssh -F <vmlab ssh-config>' copies a tree to node1 (host key verified)"
vm ssh-config > "$E2E_TMP/ssh_config"
in_ns rsync -a -e "ssh -F $E2E_TMP/ssh_config -o BatchMode=yes" web/ node1:/tmp/web-copy/ \
  || e2e_fail "rsync -e 'ssh -F ssh_config' to node1 failed"
assert_eq "$(cd web && find . -type f | sort | xargs sha256sum)" \
  "$(vm ssh node1 -c 'cd /tmp/web-copy && find . -type f | sort | xargs sha256sum')" "the tree rsync copied"

e2e_log "a second vmup runs nothing"
START=$(date +%s%N)
UP2="$(vm up 2>&1)" || { echo "$UP2"; e2e_fail "second vmup failed"; }
echo "TIME second vmup: $(( ($(date +%s%N) - START) / 1000000 )) ms"
assert_contains "$UP2" "nothing to do"

e2e_log "drift: web's args change, side is stopped; vmprovision node3 fixes only those"
ids() { vm ssh node3 -c "sudo docker inspect --format '{{.Name}} {{.Id}}' web side"; }
BEFORE="$(ids)"
vm ssh node3 -c "sudo docker stop side >/dev/null"
sed -i 's/"8080:8080"/"8090:8080"/' Vmfile
START=$(date +%s)
vm provision node3 > "$E2E_TMP/prov.log" 2>&1 || { cat "$E2E_TMP/prov.log"; e2e_fail "vmprovision node3 failed"; }
cat "$E2E_TMP/prov.log"
echo "TIME vmprovision node3 (recreate web, start side): $(( $(date +%s) - START )) s"
PROV="$(cat "$E2E_TMP/prov.log")"
assert_contains "$PROV" "recreating container web"
assert_contains "$PROV" "starting container side (stopped)"
if grep -q "installing docker.io\|recreating container side\|pulling" <<<"$PROV"; then
  e2e_fail "vmprovision node3 redid a part that had not drifted"
fi
AFTER="$(ids)"
echo "before: $BEFORE"; echo "after:  $AFTER"
assert_eq "$(grep '^/side ' <<<"$BEFORE")" "$(grep '^/side ' <<<"$AFTER")" "side's container id"
[ "$(grep '^/web ' <<<"$BEFORE")" != "$(grep '^/web ' <<<"$AFTER")" ] || e2e_fail "web was not recreated"
assert_eq "hello from vmlab web" "$(page 8090)" "page from node3:8090 after the change"
assert_eq "hello from vmlab web" "$(page 8081)" "side serves again"

e2e_log "vmdestroy -f leaves nothing"
LAB_ID="$(vm status --json | sed -n 's/.*"lab_id": "\(.*\)".*/\1/p')"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
[ ! -e .vmlab/state.json ] || e2e_fail ".vmlab/state.json left after destroy"
echo "PASS: docker lab"
