#!/usr/bin/env bash
# The .deb, as a user gets it: `test_deb.sh BUILD_DIR` runs cpack on the build into a temp
# dir, checks the control file (Package, Version, Depends naming libvirt0, libssh2-1 and
# openssh-client) and the file list (vmlab, every vm* link as a link to it, vmlab.1.gz, the
# completions), extracts it with `dpkg -x` into a clean root and runs `vmlab --version` and the
# links from there: they must name the vmlab version, libvirt and libssh2.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
for tool in cpack dpkg-deb dpkg dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (dpkg-dev, cmake)"; exit 77; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

version=$("$BUILD/vmlab" --version | head -1)
version=${version#vmlab }
if ! cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$TMP/out" >"$TMP/cpack.log" 2>&1; then
  cat "$TMP/cpack.log"
  echo "FAIL: cpack"
  exit 1
fi
debs=("$TMP"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: cpack made ${debs[*]}"; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# Control file.
dpkg-deb -I "$deb" >"$TMP/info"
sed -n '/Package:/,$p' "$TMP/info"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = vmlab ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', vmlab says '$version'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture '$(field Architecture)'"
depends=", $(field Depends),"
for pkg in libvirt0 libssh2-1 openssh-client libc6; do
  [[ $depends == *", $pkg"[\ ,]* ]] || fail "Depends lacks $pkg: $depends"
done

# File list: paths, and the links as links to vmlab.
dpkg-deb -c "$deb" | awk '{ p = $6; if ($7 == "->") p = p " -> " $8; print p }' >"$TMP/files"
want=(./usr/bin/vmlab ./usr/share/man/man1/vmlab.1.gz ./usr/share/bash-completion/completions/vmlab
      ./usr/share/zsh/vendor-completions/_vmlab)
links=$(cd "$BUILD" && for l in vm*; do [ -L "$l" ] && echo "$l"; done)
[ -n "$links" ] || fail "no vm* links in $BUILD"
for l in $links; do
  want+=("./usr/bin/$l -> vmlab" "./usr/share/man/man1/$l.1.gz -> vmlab.1.gz"
         "./usr/share/bash-completion/completions/$l -> vmlab")
done
for f in "${want[@]}"; do
  grep -qxF "$f" "$TMP/files" || fail "not in the package: $f"
done

# Extracted into a clean root, run from there.
dpkg -x "$deb" "$TMP/root"
zcat "$TMP/root/usr/share/man/man1/vmlab.1.gz" | cmp -s - "$BUILD/generated/man/vmlab.1" ||
  fail "the packaged man page differs from the generated one"
for name in vmlab $links; do
  out=$(env -i PATH=/usr/bin:/bin "$TMP/root/usr/bin/$name" --version 2>&1) || fail "$name --version: exit $?"
  echo "$name --version: $(echo "$out" | tr '\n' ';')"
  grep -qx "vmlab $version" <<<"$out" || fail "$name --version does not name vmlab $version"
  grep -q '^libvirt [0-9]' <<<"$out" || fail "$name --version does not name libvirt"
  grep -q '^libssh2 [0-9]' <<<"$out" || fail "$name --version does not name libssh2"
done
if command -v man >/dev/null; then
  MANPATH="$TMP/root/usr/share/man" man -P cat vmup 2>/dev/null | grep -q 'vmlab up' ||
    fail "man vmup does not show vmlab(1)"
fi

if ((fails)); then
  echo "$fails failure(s)"
  exit 1
fi
echo "ok: package"
