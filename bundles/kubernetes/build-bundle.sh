#!/usr/bin/env bash
# Builds the Kubernetes bundle (binaries + daemon-less image rootfs tarballs) from Debian 12's
# own `kubernetes` source package, offline (only Debian's archive is used), and caches it.
#   usage: bundles/kubernetes/build-bundle.sh [VERSION]      (root; VERSION default 1.20.2)
#   env:   VMLAB_CACHE (default /var/cache/vmlab)
# Output: ${VMLAB_CACHE}/k8s/v<VERSION>-<hash>/ {bin/, bin.tar.gz, images/, manifest.json}
# and the symlink ${VMLAB_CACHE}/k8s/v<VERSION> pointing at it. hash = first 12 hex of sha256
# over this script, the source package version and the fixes/ files. The last line on stdout
# is always the bundle directory. A second run with a valid cache only prints it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
CACHE="${VMLAB_CACHE:-/var/cache/vmlab}"
K8S="$CACHE/k8s"
VERSION="${1:-1.20.2}"; VERSION="${VERSION#v}"
PKG=kubernetes
DEB_SRC_FILE=/etc/apt/sources.list.d/vmlab-deb-src.sources
BUILD_DEPS=(golang-go rsync jq dpkg-dev golang-github-modern-go-reflect2-dev gcc libc6-dev make)
# Debian packages unpacked into the image rootfs (dpkg-deb -x; no maintainer scripts)
BASE_DEBS=(libc6 libgcc-s1)
PROXY_DEBS=(iptables libip4tc2 libip6tc2 libxtables12 libmnl0 libnetfilter-conntrack3 libnfnetlink0 libnftnl11 netbase conntrack)
ETCD_DEBS=(etcd-server)
ETCD_TAG=3.4.13-0 PAUSE_TAG=3.2 COREDNS_TAG=1.7.0 REGISTRY=k8s.gcr.io
IMG_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "build-bundle: error: $*" >&2; exit 1; }
note() { echo "build-bundle: [$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get, chroot checks)"

# --- the source package: deb-src entry (only if apt knows none), version ---------------------
add_deb_src() {
  local host=/etc/apt/sources.list.d/debian.sources
  [ -f "$host" ] || die "no $host to copy URIs/suites from; add a deb-src entry for Debian yourself"
  note "adding $DEB_SRC_FILE (deb-src, same URIs/suites as $host)"
  # every stanza of debian.sources with Types: deb -> the same stanza with Types: deb-src
  awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[^\n]*deb/ {gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/,""); print}' \
    "$host" >"$DEB_SRC_FILE.tmp"
  grep -q '^Types: deb-src' "$DEB_SRC_FILE.tmp" || { rm -f "$DEB_SRC_FILE.tmp"; die "could not derive deb-src from $host"; }
  mv "$DEB_SRC_FILE.tmp" "$DEB_SRC_FILE"
  apt-get update -qq || die "apt-get update failed"
}
source_version() {  # highest version of the source package apt knows, or nothing
  local v best=""
  for v in $(apt-cache showsrc --only-source "$PKG" 2>/dev/null | sed -n 's/^Version: //p'); do
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best="$v"; fi
  done
  echo "$best"
}
SRCVER="$(source_version)"
if [ -z "$SRCVER" ]; then
  if [ -f "$DEB_SRC_FILE" ]; then apt-get update -qq || die "apt-get update failed"; else add_deb_src; fi
  SRCVER="$(source_version)"
fi
[ -n "$SRCVER" ] || die "apt knows no source package '$PKG' (deb-src entry in $DEB_SRC_FILE?)"
# Debian's version is 1.20.5+really1.20.2-...: the tree is upstream v1.20.2
UPSTREAM="${SRCVER#*:}"; UPSTREAM="${UPSTREAM%-*}"; UPSTREAM="${UPSTREAM##*really}"
[ "$VERSION" = "$UPSTREAM" ] || die "Kubernetes $VERSION is not available: only what Debian's '$PKG' source package provides is supported ($SRCVER = upstream v$UPSTREAM); run without a version or with $UPSTREAM"

HASH="$( (cat "$SELF"; echo "$SRCVER"; for f in "$HERE"/fixes/*; do echo "== ${f##*/}"; cat "$f"; done) | sha256sum | cut -c1-12)"
NAME="v$VERSION-$HASH"
OUT="$K8S/$NAME"
LINK="$K8S/v$VERSION"

bundle_ok() {  # cheap check: manifest says this hash, every listed file has its size
  local m="$1/manifest.json" list p s
  [ -f "$m" ] && command -v jq >/dev/null || return 1
  list="$(jq -er --arg h "$HASH" 'select(.hash == $h) | .files[] | "\(.path) \(.size)"' "$m" 2>/dev/null)" || return 1
  while read -r p s; do
    [ -f "$1/$p" ] && [ "$(stat -c %s "$1/$p")" = "$s" ] || return 1
  done <<<"$list"
}
set_link() { ln -sfn "$NAME" "$LINK.tmp" && mv -T "$LINK.tmp" "$LINK"; }

mkdir -p "$K8S"
exec 9>"$K8S/.lock"
flock 9
if bundle_ok "$OUT"; then
  [ "$(readlink "$LINK" 2>/dev/null)" = "$NAME" ] || set_link
  note "up to date: $OUT"; echo "$OUT"; exit 0
fi

# --- build dependencies --------------------------------------------------------------------
want=()
for p in "${BUILD_DEPS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
done
if ((${#want[@]})); then
  note "apt-get install ${want[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
    || die "apt-get install ${want[*]} failed"
fi

START=$(date +%s)
WORK="$K8S/build.$HASH"          # kept on failure (see build.log), removed on success
rm -rf "$K8S"/build.* "$K8S"/.trash.*   # left by failed or killed builds (we hold the lock)
mkdir -p "$WORK" "$K8S/src" "$K8S/debs" "$K8S/go-build"
LOG="$WORK/build.log"
TREE="$WORK/gopath/src/k8s.io/kubernetes"
STAGE="$WORK/bundle"
trap 'rc=$?; [ $rc = 0 ] || echo "build-bundle: failed (rc $rc); log and tree kept in $WORK" >&2' EXIT
run() {  # run "what" CMD...: output to the log, its tail to stderr on failure
  local what="$1"; shift
  note "$what"
  echo "=== [$(date +%T)] $what: $*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "$what failed (log: $LOG)"; }
}

# --- source ----------------------------------------------------------------------------------
if ! ls "$K8S/src/${PKG}_${SRCVER#*:}.dsc" >/dev/null 2>&1; then
  run "apt-get source --download-only $PKG=$SRCVER" sh -c "cd '$K8S/src' && apt-get source -qq --download-only '$PKG=$SRCVER'"
fi
mkdir -p "$(dirname "$TREE")"
run "dpkg-source -x ${PKG}_${SRCVER#*:}.dsc" dpkg-source -x --no-check "$K8S/src/${PKG}_${SRCVER#*:}.dsc" "$TREE"
for d in cmd/kubeadm cmd/kubelet cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kube-proxy build/pause/linux; do
  [ -d "$TREE/$d" ] || die "the source tree has no $d"
done

export GOPATH="$WORK/gopath" GO111MODULE=off CGO_ENABLED=0 GOCACHE="$K8S/go-build" GOFLAGS= GOPROXY=off
for f in "$HERE"/fixes/*.sh; do run "fix ${f##*/}" nice -n 10 bash "$f" "$TREE"; done

# --- version stamps -------------------------------------------------------------------------
# base.go is filled in by `git archive` (export-subst): the tarball's commit is the release's.
COMMIT="$(sed -n 's/^[[:space:]]*gitCommit[[:space:]]*string = "\([0-9a-f]\{40\}\)".*/\1/p' "$TREE/staging/src/k8s.io/component-base/version/base.go" | head -n1)"
[ -n "$COMMIT" ] || COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
EPOCH="$(dpkg-parsechangelog -l "$TREE/debian/changelog" -S Timestamp)"
BUILD_DATE="$(date -u -d "@$EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
MAJOR="${VERSION%%.*}"; MINOR="${VERSION#*.}"; MINOR="${MINOR%%.*}"
LDFLAGS="-s -w"
for pkgpath in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $pkgpath.gitVersion=v$VERSION -X $pkgpath.gitCommit=$COMMIT -X $pkgpath.gitTreeState=clean"
  LDFLAGS+=" -X $pkgpath.gitMajor=$MAJOR -X $pkgpath.gitMinor=$MINOR -X $pkgpath.buildDate=$BUILD_DATE"
done

# --- binaries --------------------------------------------------------------------------------
BINS=(kubeadm kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
mkdir -p "$STAGE/bin" "$STAGE/images"
declare -A SECS
for b in "${BINS[@]}"; do
  t0=$(date +%s)
  run "go build $b" nice -n 10 go build -p 2 -trimpath -tags selinux,notest -ldflags "$LDFLAGS" \
    -o "$STAGE/bin/$b" "k8s.io/kubernetes/cmd/$b"
  SECS[$b]=$(( $(date +%s) - t0 ))
done
run "gcc pause.c (static)" gcc -Os -Wall -static -DVERSION="v$PAUSE_TAG" -o "$STAGE/bin/pause" "$TREE/build/pause/linux/pause.c"
strip "$STAGE/bin/pause"
chmod 0755 "$STAGE"/bin/*

# --- image rootfs tarballs, without a daemon ----------------------------------------------------
run "apt-get download (image parts)" sh -c "cd '$K8S/debs' && apt-get download -qq ${BASE_DEBS[*]} ${PROXY_DEBS[*]} ${ETCD_DEBS[*]}"
deb_of() { ls -t "$K8S/debs/${1}_"*.deb | head -n1; }
new_root() {  # minimal /etc, /tmp; then the binaries/debs given
  local r="$WORK/rootfs/$1"; rm -rf "$r"; mkdir -p "$r"/{etc,tmp,var/run,usr/local/bin,root}
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$r/etc/hosts"
  echo "$r"
}
unpack() { local r="$1" p; shift; for p in "$@"; do dpkg-deb -x "$(deb_of "$p")" "$r"; done; }
pack() {  # reproducible rootfs tarball: images/NAME.tar.gz
  tar -C "$WORK/rootfs/$1" --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner -cf - . \
    | gzip -n -1 >"$STAGE/images/$1.tar.gz"
}
in_root() { env -i PATH="$IMG_PATH" chroot "$WORK/rootfs/$1" "${@:2}"; }  # PATH lookup inside

note "image rootfs: kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd pause coredns"
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  r="$(new_root "$b")"; cp "$STAGE/bin/$b" "$r/usr/local/bin/"
done
r="$WORK/rootfs/kube-proxy"
unpack "$r" "${BASE_DEBS[@]}" "${PROXY_DEBS[@]}"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  [ -e "$r/usr/sbin/${t/tables/tables-nft}" ] || die "kube-proxy image: no /usr/sbin/${t/tables/tables-nft} in the iptables .deb"
  ln -sfn "${t/tables/tables-nft}" "$r/usr/sbin/$t"
done
r="$(new_root etcd)"; unpack "$r" "${BASE_DEBS[@]}" "${ETCD_DEBS[@]}"
rm -rf "$r"/etc/init.d "$r"/lib/systemd "$r"/usr/share/{doc,man,lintian} "$r"/etc/default
mkdir -p "$r/var/lib/etcd"
r="$WORK/rootfs/pause"; rm -rf "$r"; mkdir -p "$r"; cp "$STAGE/bin/pause" "$r/pause"
r="$WORK/rootfs/coredns"; rm -rf "$r"; mkdir -p "$r"; cp "$STAGE/bin/pause" "$r/pause"
cat >"$r/PLACEHOLDER" <<'TXT'
Placeholder for k8s.gcr.io/coredns: Debian has no CoreDNS. The CoreDNS addon is skipped
(kubeadm --skip-phases=addon/coredns); kubeadm's preflight only checks that the image exists.
Running it just sleeps (/pause).
TXT
rm -rf "$WORK"/rootfs/kube-proxy/usr/share/{doc,man,lintian} "$WORK"/rootfs/*/usr/share/doc 2>/dev/null || true

# checks inside the rootfs (chroot runs the binaries exactly as the container would)
v="$(in_root kube-proxy iptables --version 2>&1)"; [[ "$v" == *nf_tables* ]] || die "kube-proxy image: iptables --version says '$v'"
for t in iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore conntrack; do
  in_root kube-proxy "$t" --version >/dev/null 2>&1 || die "kube-proxy image: '$t --version' does not run in its rootfs"
done
ETCD_REAL="$(in_root etcd etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
[ -n "$ETCD_REAL" ] || die "etcd image: etcd --version does not run in its rootfs"
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  v="$(in_root "$b" "$b" --version 2>&1 | tail -n1)"
  [ "$v" = "Kubernetes v$VERSION" ] || die "$b image: '$b --version' says '$v', not 'Kubernetes v$VERSION'"
done
for i in kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd pause coredns; do
  run "pack images/$i.tar.gz" pack "$i"
done

# --- verify kubeadm ------------------------------------------------------------------------
KA="$STAGE/bin/kubeadm"
v="$("$KA" version -o short 2>&1)" || die "kubeadm version failed: $v"
[ "$v" = "v$VERSION" ] || die "kubeadm version -o short says '$v', not v$VERSION"
IMAGES="$(timeout 60 "$KA" config images list --kubernetes-version "v$VERSION" 2>&1)" \
  || die "kubeadm config images list failed: $IMAGES"
timeout 60 "$KA" config print init-defaults >"$WORK/init-defaults.yaml" 2>&1 \
  || { cat "$WORK/init-defaults.yaml" >&2; die "kubeadm config print init-defaults failed"; }
! grep -q 'panic' "$WORK/init-defaults.yaml" || die "kubeadm config print init-defaults panicked"
# (its kubernetesVersion is kubeadm's offline fallback, v1.20.0: the provisioner sets its own)
grep -q '^kind: ClusterConfiguration' "$WORK/init-defaults.yaml" || die "kubeadm config print init-defaults printed no ClusterConfiguration"
note "kubeadm OK: $v; images: $(echo $IMAGES)"

# --- bin.tar.gz (what a node needs), manifest -------------------------------------------------
tar -C "$STAGE/bin" --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner -cf - kubeadm kubelet | gzip -n -1 >"$STAGE/bin.tar.gz"
img_ref() {  # kubeadm's own name for an image, e.g. k8s.gcr.io/etcd:3.4.13-0
  local ref; ref="$(grep -E "/$1:" <<<"$IMAGES")" || die "kubeadm lists no image '$1'"
  echo "$ref"
}
img_json() {  # NAME CONTENT ROLES CHANGES...
  local name="$1" content="$2" roles="$3" ref; shift 3
  ref="$(img_ref "$name")"
  jq -n --arg name "$name" --arg ref "$ref" --arg file "images/$name.tar.gz" --arg content "$content" \
    --argjson roles "$roles" '$ARGS.positional as $c |
    {name: $name, image: $ref, repository: ($ref | sub(":[^:]*$"; "")), tag: ($ref | sub("^.*:"; "")),
     file: $file, contents: $content, roles: $roles, changes: $c}' --args "$@"
}
CP='["control-plane"]' ALL='["control-plane","worker"]'
[ "$(img_ref etcd)" = "$REGISTRY/etcd:$ETCD_TAG" ] || die "kubeadm wants $(img_ref etcd), the bundle tags etcd $ETCD_TAG"
[ "$(img_ref pause)" = "$REGISTRY/pause:$PAUSE_TAG" ] || die "kubeadm wants $(img_ref pause), the bundle has pause $PAUSE_TAG"
[ "$(img_ref coredns)" = "$REGISTRY/coredns:$COREDNS_TAG" ] || die "kubeadm wants $(img_ref coredns), the bundle has coredns $COREDNS_TAG"
{
  img_json kube-apiserver "kube-apiserver v$VERSION" "$CP" "ENV PATH=$IMG_PATH"
  img_json kube-controller-manager "kube-controller-manager v$VERSION" "$CP" "ENV PATH=$IMG_PATH"
  img_json kube-scheduler "kube-scheduler v$VERSION" "$CP" "ENV PATH=$IMG_PATH"
  img_json kube-proxy "kube-proxy v$VERSION + Debian iptables $(dpkg-deb -f "$(deb_of iptables)" Version) (nft) + conntrack $(dpkg-deb -f "$(deb_of conntrack)" Version)" "$ALL" "ENV PATH=$IMG_PATH"
  img_json etcd "Debian etcd-server $ETCD_REAL (tagged $ETCD_TAG)" "$CP" "ENV PATH=$IMG_PATH"
  img_json pause "pause.c v$PAUSE_TAG, static" "$ALL" 'ENTRYPOINT ["/pause"]'
  img_json coredns "placeholder (Debian has no CoreDNS; the addon is skipped): /pause" "$CP" 'ENTRYPOINT ["/pause"]'
} | jq -s . >"$WORK/images.json"
{ cat <<'SH'
#!/bin/sh
# docker import of the bundle's images (written by build-bundle.sh from manifest.json), with
# the changes each needs (ENV PATH, ENTRYPOINT), under kubeadm's names. Images already present
# are skipped. Run it next to the tarballs.
#   usage: sh import.sh [control-plane|worker]      (default: every image)
set -eu
cd "$(dirname "$0")"
role="${1:-}"
imp() {  # ROLES FILE REF DOCKER-IMPORT-OPTIONS...
  roles="$1" file="$2" ref="$3"; shift 3
  if [ -n "$role" ]; then case " $roles " in *" $role "*) ;; *) return 0 ;; esac; fi
  if docker image inspect "$ref" >/dev/null 2>&1; then echo "present: $ref"; return 0; fi
  docker import "$@" "$file" "$ref" >/dev/null
  echo "imported: $ref"
}
SH
  jq -r '.[] | "imp \(.roles | join(" ") | @sh) \(.file | ltrimstr("images/") | @sh) \(.image | @sh) \([.changes[] | ("-c", .)] | map(@sh) | join(" "))"' "$WORK/images.json"
} >"$STAGE/images/import.sh"
chmod 0755 "$STAGE/images/import.sh"
sh -n "$STAGE/images/import.sh" || die "images/import.sh has a syntax error"
(cd "$STAGE" && find . -type f ! -name manifest.json -printf '%P\n' | sort | while read -r p; do
  jq -n --arg path "$p" --arg sha "$(sha256sum "$p" | cut -d' ' -f1)" --argjson size "$(stat -c %s "$p")" \
    '{path: $path, sha256: $sha, size: $size}'
done) | jq -s . >"$WORK/files.json"
for b in "${BINS[@]}"; do echo "{\"$b\": ${SECS[$b]}}"; done | jq -s add >"$WORK/secs.json"
jq -n --arg version "v$VERSION" --arg src "$SRCVER" --arg hash "$HASH" --arg commit "$COMMIT" \
  --arg date "$BUILD_DATE" --arg go "$(go version | cut -d' ' -f3)" \
  --arg reflect2 "$(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)" \
  --slurpfile images "$WORK/images.json" --slurpfile files "$WORK/files.json" --slurpfile secs "$WORK/secs.json" \
  --arg debs "$(cd "$K8S/debs" && for p in "${BASE_DEBS[@]}" "${PROXY_DEBS[@]}" "${ETCD_DEBS[@]}"; do basename "$(deb_of "$p")"; done)" \
  '{version: $version, source_package: "kubernetes", source_version: $src, hash: $hash,
    git_commit: $commit, build_date: $date, go: $go, reflect2: $reflect2,
    fixes: ["reflect2 vendored v1.0.1 -> Debian \($reflect2)", "make gen_openapi"],
    node_binaries: "bin.tar.gz (kubeadm, kubelet)", import: "images/import.sh [control-plane|worker]", image_debs: ($debs | split("\n")),
    go_build_seconds: $secs[0], images: $images[0], files: $files[0]}' >"$STAGE/manifest.json"
cp "$LOG" "$STAGE/build.log"

# --- publish ---------------------------------------------------------------------------------
rm -rf "$OUT"
mv "$STAGE" "$OUT"
set_link
bundle_ok "$OUT" || die "the new bundle fails its own check ($OUT)"
for old in "$K8S/v$VERSION"-*; do  # bundles of older hashes (other script/fixes/source)
  [ "$old" = "$OUT" ] || [ ! -d "$old" ] || [ -L "$old" ] || { note "removing old bundle $old"; rm -rf "$old"; }
done
note "built $OUT in $(( $(date +%s) - START )) s ($(du -sh "$OUT" | cut -f1))"
mv "$WORK" "$K8S/.trash.$HASH.$$"
exec 9>&-  # published: waiting callers may go on while the 1.3 GB tree is deleted
rm -rf "$K8S/.trash.$HASH.$$"
echo "$OUT"
