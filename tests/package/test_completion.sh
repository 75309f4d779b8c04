#!/usr/bin/env bash
# The generated shell completions, driven for real: `test_completion.sh BUILD_DIR bash|zsh`.
# bash: sources the script and calls its completion function with COMP_WORDS/COMP_CWORD as
# bash would, then reads COMPREPLY. zsh: `zsh -n`, then the same cases with zsh's completion
# builtins (compadd, _describe, _files) replaced by functions that record what they are given.
# Node names come from a Vmfile in a temp project, box names from a temp box store
# (VMLAB_HOME): both through the built vmlab (`vmlab __complete`), found on PATH as in use.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SHELL_NAME=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

export PATH="$BUILD:$PATH" VMLAB_HOME="$TMP/home"
unset VMLAB_PROVIDER
mkdir -p "$TMP/lab" "$TMP/other" "$TMP/empty" "$VMLAB_HOME/boxes/tiny" "$VMLAB_HOME/boxes/debian-12"
for b in tiny debian-12; do
  : >"$VMLAB_HOME/boxes/$b/box.qcow2"
  echo '{"format":"qcow2"}' >"$VMLAB_HOME/boxes/$b/box.json"
done
cat >"$TMP/lab/Vmfile" <<'TOML'
name = "comp"
[defaults]
box = "tiny"
[[node]]
name = "alpha"
[[node]]
name = "w{i}"
count = 2
TOML
printf 'name = "other"\n[[node]]\nname = "solo"\nbox = "tiny"\n' >"$TMP/other/Vmfile"
: >"$TMP/lab/disk.qcow2"

case $SHELL_NAME in
  bash)
    SCRIPT=$BUILD/generated/bash-completion/vmlab
    # complete WORD... : the completions for the last word (the one under the cursor), sorted,
    # on one line.
    complete_words() {
      bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
               _vmlab; ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
        _ "$SCRIPT" "$@"
    } ;;
  zsh)
    command -v zsh >/dev/null || { echo "SKIP: zsh is not installed (scripts/install-deps.sh installs it)"; exit 77; }
    SCRIPT=$BUILD/generated/zsh/_vmlab
    zsh -n "$SCRIPT" || fail "zsh -n $SCRIPT"
    complete_words() {
      zsh -fc '
        typeset -ga got
        # Like zsh: only the candidates that start with the word under the cursor.
        add() { local c; for c; do [[ $c == ${words[CURRENT]}* ]] && got+=("$c"); done; }
        compadd() { [[ $1 == -a ]] && { add ${(P)2}; return; }; add "$@"; }
        _describe() { local -a l; l=(${(P)4}); add ${l%%:*}; }
        _files() { got+=(${(f)"$(ls -1 | sed "s|^|FILE:|")"}); }
        script=$1; shift; words=("$@"); CURRENT=$#
        source $script
        print -r -- ${(j: :)${(o)got}} ""' _ "$SCRIPT" "$@" 2>&1
    } ;;
  *) echo "usage: $0 BUILD_DIR bash|zsh" >&2; exit 2 ;;
esac
[ -f "$SCRIPT" ] || { echo "FAIL: $SCRIPT was not generated (build the vmlab_generated target)"; exit 1; }

# expect DIR "WANTED" WORD... : the completions in DIR are exactly WANTED ("a b " form).
expect() {
  local dir=$1 want=$2 got
  shift 2
  got=$(cd "$dir" && complete_words "$@")
  [ "$got" = "$want" ] || fail "in ${dir#$TMP/}: '$*' completed to '$got', wanted '$want'"
}
# has DIR "WORD..." WORDS... : each of the wanted words is among the completions.
has() {
  local dir=$1 want=$2 got w
  shift 2
  got=" $(cd "$dir" && complete_words "$@")"
  for w in $want; do
    [[ $got == *" $w "* ]] || fail "in ${dir#$TMP/}: '$*' completed to '$got', no '$w'"
  done
  [[ $got != *__* ]] || fail "in ${dir#$TMP/}: '$*' offers a hidden command: '$got'"
}

# Subcommands (from the table: every visible one), their options, nested subcommands.
subs=$(vmlab --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$subs" ] || fail "no subcommands in vmlab --help"
has "$TMP/empty" "$subs" vmlab ""
expect "$TMP/empty" "status " vmlab st
has "$TMP/empty" "--json --no-provision --file --provider --help" vmlab up --
expect "$TMP/empty" "add list remove " vmlab box ""
expect "$TMP/empty" "libvirt virtualbox " vmlab --provider ""
# Node names of the lab in the current directory, through each name of the binary.
expect "$TMP/lab" "alpha w1 w2 " vmssh ""
expect "$TMP/lab" "alpha w1 w2 " vmlab ssh ""
expect "$TMP/lab" "w1 w2 " vmlab up alpha w
expect "$TMP/lab" "alpha w1 w2 " vmup --json ""
expect "$TMP/lab" "alpha w1 w2 " vmlab destroy -f ""   # -f is destroy's --force: no value
expect "$TMP/lab" "" vmlab ssh alpha ""                # ssh takes one node
expect "$TMP/lab" "" vmlab ssh -c ""                   # -c's value is a command
expect "$TMP/lab" "" vmlab exec alpha -- ""            # after --: the remote command
expect "$TMP/empty" "solo " vmlab -f "$TMP/other/Vmfile" ssh ""
expect "$TMP/empty" "solo " vmhalt --file "$TMP/other/Vmfile" ""
expect "$TMP/empty" "" vmssh ""                        # no Vmfile: nothing, quietly
printf 'name = "bad"\n[[node]]\nnmae = "x"\n' >"$TMP/empty/Vmfile"
expect "$TMP/empty" "" vmssh ""                        # an invalid one: the same
rm "$TMP/empty/Vmfile"
# Box names from the store; files where a path goes.
expect "$TMP/empty" "debian-12 tiny " vmlab box remove ""
expect "$TMP/empty" "tiny " vmlab box remove t
if [ "$SHELL_NAME" = bash ]; then
  expect "$TMP/lab" "disk.qcow2 " vmlab box add newbox d
  # Every name of the binary has the completion.
  for name in vmlab $(sed -n 's/^complete -F _vmlab //p' "$SCRIPT"); do
    bash -c 'source "$1"; complete -p "$2"' _ "$SCRIPT" "$name" >/dev/null || fail "no completion for $name"
  done
  for link in "$BUILD"/vm*; do
    [ -L "$link" ] || continue
    name=$(basename "$link")
    bash -c 'source "$1"; complete -p "$2"' _ "$SCRIPT" "$name" >/dev/null 2>&1 ||
      fail "$name is a link to vmlab but has no completion"
  done
else
  has "$TMP/lab" "FILE:Vmfile FILE:disk.qcow2" vmlab box add newbox ""
fi

if ((fails)); then
  echo "$fails failure(s)"
  exit 1
fi
echo "ok: $SHELL_NAME completion"
