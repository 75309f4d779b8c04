#!/usr/bin/env bash
# End to end: a box fetched by URL. The vmlab-tiny box, packed as a tar.gz, is served by a
# small HTTP server (tests/component/boxes/box_http_server.py) on 127.0.0.1 inside the test's
# network namespace. `vmlab box add URL` with a wrong digest and a 404 fail clearly and leave
# nothing in the store; a Vmfile `box = { name, url, sha256 }` makes `vmup` fetch it: the
# first transfer is cut off halfway (the up fails before creating anything, the part is kept
# beside the store), the next `vmup` continues it with a Range request, verifies it, installs
# it and brings up one node from it. `box list` shows its source and digest, `box remove`
# refuses while the lab uses it and says which, destroy leaves nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
e2e_purge_lab e2eurl
START=$(date +%s)
vm() { in_ns "$VMLAB" "$@"; }

WWW="$E2E_TMP/www"
mkdir -p "$WWW"
tar -czf "$WWW/tiny.tar.gz" -C "$E2E_TINY_BOX" --exclude=.stamp .
SUM="$(sha256sum "$WWW/tiny.tar.gz" | cut -d' ' -f1)"
e2e_log "serving the tiny box ($(du -h "$WWW/tiny.tar.gz" | cut -f1), sha256 $SUM) on 127.0.0.1 in $E2E_NETNS"
# exec: $! is the server itself (ip netns exec execs it), so the exit hook ends it by its pid.
(exec ip netns exec "$E2E_NETNS" python3 "$E2E_SOURCE_DIR/tests/component/boxes/box_http_server.py" \
  "$WWW" "$E2E_TMP/requests.log" "$E2E_TMP/port" >/dev/null 2>&1) &
SERVER=$!
e2e_on_exit kill "$SERVER"
for _ in $(seq 100); do [ -s "$E2E_TMP/port" ] && break; sleep 0.1; done
PORT="$(cat "$E2E_TMP/port")" || e2e_fail "the test HTTP server did not start"
BASE="http://127.0.0.1:$PORT"

store() { ls -A "$VMLAB_HOME/boxes" 2>/dev/null | tr '\n' ' '; }
# If the test stops early: the box and its libvirt pool volumes go (a no-op when it is gone).
e2e_on_exit bash -c "ip netns exec '$E2E_NETNS' '$VMLAB' box remove --force tiny-url >/dev/null 2>&1"

e2e_log "box add: a wrong digest, then a 404; nothing may be left in the store"
WRONG="$(printf '0%.0s' $(seq 64))"
set +e
OUT="$(vm box add bad "$BASE/tiny.tar.gz" --sha256 "$WRONG" 2>&1)"; RC=$?
set -e
echo "$OUT" | tail -n 2
assert_eq 1 "$RC" "exit code of a wrong digest"
assert_contains "$OUT" "vmlab: error: the download of $BASE/tiny.tar.gz does not match its sha256: expected $WRONG, got $SUM"
assert_eq "" "$(store)" "store after a wrong digest"
assert_eq "" "$(ls -A "$VMLAB_HOME/downloads" | grep -v '\.lock$' || true)" "downloads after a wrong digest"
set +e
OUT="$(vm box add bad "$BASE/nope.tar.gz" --sha256 "$SUM" 2>&1)"; RC=$?
set -e
assert_eq 1 "$RC" "exit code of a 404"
assert_eq "vmlab: error: cannot download $BASE/nope.tar.gz: HTTP 404 Not Found" "$OUT"
assert_eq "" "$(store)" "store after a 404"
set +e
OUT="$(vm box add bad "$BASE/tiny.tar.gz" 2>&1)"; RC=$?
set -e
assert_eq 2 "$RC" "exit code of a URL without --sha256"

P="$E2E_TMP/project"
cd "$P"
cat > Vmfile <<EOF
name = "e2eurl"

[defaults]
box = { name = "tiny-url", url = "$BASE/trunc-once/tiny.tar.gz", sha256 = "$SUM" }
memory = "256MiB"

[[node]]
name = "n1"

  [[node.provision]]
  type = "shell"
  inline = "echo booted-from-url > /root/mark"
EOF
vm validate
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"

e2e_log "vmup: the download is cut off halfway"
set +e
vm up > "$E2E_TMP/up1.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/up1.log"
assert_eq 1 "$RC" "exit code of an up whose download was cut off"
assert_contains "$(cat "$E2E_TMP/up1.log")" "Vmfile:4:7: box \"tiny-url\": cannot download $BASE/trunc-once/tiny.tar.gz: the connection closed after"
assert_contains "$(cat "$E2E_TMP/up1.log")" "are kept, and the next try continues from there"
assert_eq "" "$(store)" "store after a cut-off download"
[ -s "$VMLAB_HOME/downloads/sha256-$SUM.part" ] || e2e_fail "no part kept in $VMLAB_HOME/downloads"
assert_eq "" "$(in_ns virsh -c qemu:///system list --all --name | grep vmlab-e2eurl || true)" "domains after the failed up"

e2e_log "vmup again: continues the download, verifies, installs, boots"
vm up 2>&1 | tee "$E2E_TMP/up2.log"
assert_contains "$(cat "$E2E_TMP/up2.log")" "downloading tiny-url: continuing after"
assert_contains "$(cat "$E2E_TMP/up2.log")" "downloading tiny-url: 100%"
assert_contains "$(cat "$E2E_TMP/up2.log")" "box \"tiny-url\" added"
SECOND="$(grep '^/trunc-once/' "$E2E_TMP/requests.log" | sed -n 2p)"  # after box add's own
case "$SECOND" in "/trunc-once/tiny.tar.gz bytes="[1-9]*-) ;; *) e2e_fail "the second request was not a Range request: '$SECOND'" ;; esac
assert_eq "booted-from-url" "$(vm ssh n1 -c 'cat /root/mark')" "the node's mark"
assert_eq "" "$(ls -A "$VMLAB_HOME/downloads" | grep -v '\.lock$' || true)" "downloads once installed"

LIST="$(vm box list)"
echo "$LIST"
assert_contains "$LIST" "tiny-url"
assert_contains "$LIST" "sha256:${SUM:0:12}"
assert_contains "$LIST" "$BASE/trunc-once/tiny.tar.gz"
assert_eq "$SUM" "$(vm box list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["sha256"])')" "digest in box list --json"

e2e_log "box remove refuses while the lab uses the box"
set +e
OUT="$(vm box remove tiny-url 2>&1)"; RC=$?
set -e
echo "$OUT"
assert_eq 2 "$RC" "exit code of box remove of a box in use"
assert_contains "$OUT" "box \"tiny-url\" is used by a lab on this host:"
assert_contains "$OUT" "(libvirt, $P): n1"
assert_contains "$(store)" "tiny-url"

e2e_log "a second vmup is a no-op and downloads nothing"
N_REQ="$(wc -l < "$E2E_TMP/requests.log")"
assert_contains "$(vm up 2>&1)" "nothing to do"
assert_eq "$N_REQ" "$(wc -l < "$E2E_TMP/requests.log")" "requests after a no-op up"

LAB_ID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lab_id"])' "$P/.vmlab/state.json")"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
vm box remove tiny-url
assert_eq "" "$(store)" "store after box remove"
echo "test_box_url took $(( $(date +%s) - START )) s"
