#!/usr/bin/env bash
# Formatting check (CI): the C++ lines that changed must be as the committed .clang-format
# says (clang-format 14). Only changed lines are checked, so older code that predates the
# check does not fail it; a file touched is formatted where it was touched.
#   usage: scripts/check-format.sh [BASE]
# Checks the lines that differ between BASE and HEAD (the commits under test) and the
# uncommitted changes to tracked files. BASE defaults to $VMLAB_FORMAT_BASE, else the merge
# base with the upstream branch when HEAD is ahead of it, else HEAD~1. New untracked files
# are not seen until they are committed (or `git add`ed).
# Exit 0 when clean; 1 with the diff that would fix it and the command that applies it.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "check-format: error: $*" >&2; exit 2; }
command -v git-clang-format >/dev/null || die "git-clang-format is missing (apt-get install clang-format)"
CF="$(command -v clang-format-14 || command -v clang-format)" || die "clang-format is missing"
git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout"

BASE="${1:-${VMLAB_FORMAT_BASE:-}}"
if [ -z "$BASE" ] && up="$(git rev-parse -q --verify '@{upstream}' 2>/dev/null)"; then
  mb="$(git merge-base HEAD "$up")"
  [ "$mb" != "$(git rev-parse HEAD)" ] && BASE="$mb"
fi
if [ -z "$BASE" ]; then
  if git rev-parse -q --verify HEAD~1 >/dev/null; then
    BASE=HEAD~1
  else
    BASE="$(git hash-object -t tree /dev/null)"  # the first commit: all of it is new
  fi
fi
git rev-parse -q --verify "$BASE^{tree}" >/dev/null || die "unknown base '$BASE'"

# git-clang-format --diff exits 0 either way; a patch on stdout means "not formatted".
check() {  # check WHAT ARGS...: prints the fix and returns 1 if the lines are not formatted
  local out
  out="$(git clang-format --binary "$CF" --diff "$@" 2>&1)" || die "git clang-format $*: $out"
  case "$out" in
    "" | "no modified files to format" | "clang-format did not modify any files") return 0 ;;
  esac
  echo "$out"
  return 1
}
rc=0
TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT
check "$BASE" HEAD >"$TMP" || {
  echo "check-format: FAIL: lines changed in $(git rev-parse --short "$BASE")..HEAD are not formatted as .clang-format says:"
  cat "$TMP"
  echo "check-format: fix: git clang-format $BASE  (then amend or commit)"
  rc=1
}
check HEAD >"$TMP" || {
  echo "check-format: FAIL: uncommitted changes are not formatted as .clang-format says:"
  cat "$TMP"
  echo "check-format: fix: git clang-format -f"
  rc=1
}
[ "$rc" = 0 ] && echo "check-format: ok (C++ lines changed since $(git rev-parse --short "$BASE"), and uncommitted ones, follow .clang-format)"
exit "$rc"
