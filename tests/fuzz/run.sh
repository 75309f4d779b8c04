#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, -DVMLAB_FUZZ=ON) in their own build dir
# and runs each for SECONDS on a copy of its seed corpus. Fails (exit 1) on any finding: a
# crash, a sanitizer report, an uncaught exception, a hang (-timeout) or a leak; the input
# that caused it is kept under BUILD_DIR/fuzz/artifacts/ and printed as a path.
#   usage: tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      (defaults: 60, build-fuzz)
# BUILD_DIR is relative to the source tree. Exit 77 (skipped, reason printed) when clang or
# its libFuzzer runtime is missing. Always `nice -n 19`, at most 2 build jobs (FUZZ_JOBS).
# FUZZ_PARALLEL=1 runs the two targets at once (one core each) instead of one after the other.
# FUZZ_TARGETS="fuzz_state" runs only those.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$SRC"
SECS="${1:-60}"
BUILD="${2:-build-fuzz}"
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
JOBS="${FUZZ_JOBS:-2}"
((JOBS > 2)) && JOBS=2
TARGETS=(${FUZZ_TARGETS:-fuzz_vmfile fuzz_state})
skip() { echo "SKIP: $*"; exit 77; }

CXX="${VMLAB_FUZZ_CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
[ -n "$CXX" ] || skip "clang++ is not installed (scripts/install-deps.sh installs clang)"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' \
  >"$probe/p.cpp"
"$CXX" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >"$probe/log" 2>&1 ||
  skip "$CXX cannot link a libFuzzer target (libclang_rt.fuzzer missing?): $(head -c 300 "$probe/log")"

echo "fuzz: building in $BUILD with $CXX (-j$JOBS, nice 19)"
start=$(date +%s)
mkdir -p "$BUILD"
nice -n 19 cmake -S "$SRC" -B "$BUILD" -G Ninja -DVMLAB_FUZZ=ON -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log"; exit 1; }
nice -n 19 ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}"
echo "fuzz: built in $(($(date +%s) - start)) s"

# Fresh working copies: the seeds in the repository are never written to. The previous run's
# corpus, artifacts and logs are replaced.
W="$BUILD/fuzz"
rm -rf "$W/corpus" "$W/project" "$W/artifacts" "$W/logs"
mkdir -p "$W/corpus/fuzz_vmfile" "$W/corpus/fuzz_state" "$W/artifacts" "$W/project" "$W/logs"
# Vmfile seeds: every example, Vmfile.example, the documents inline in the config unit tests.
for f in examples/*/Vmfile; do cp "$f" "$W/corpus/fuzz_vmfile/example-$(basename "$(dirname "$f")").toml"; done
cp Vmfile.example "$W/corpus/fuzz_vmfile/Vmfile.example.toml"
python3 tests/fuzz/extract_seeds.py "$W/corpus/fuzz_vmfile" tests/unit/config/*.cpp \
  tests/unit/config/*.hpp
cp tests/fuzz/seeds/state/* "$W/corpus/fuzz_state/"
# The Vmfile's directory for fuzz_vmfile: the files the examples refer to (scripts, a docker
# build context), so that steps naming them resolve; Vmfile.example's script as a stub.
for d in examples/*/; do (cd "$d" && find . -type f ! -name Vmfile ! -name README.md \
  -exec cp --parents {} "$W/project/" \;); done
mkdir -p "$W/project/scripts/lab"
printf '#!/bin/sh\necho config\n' >"$W/project/scripts/lab/config.sh"

run_target() {  # run_target NAME DICT: one libFuzzer run; its log in $W/logs/NAME.log
  local t="$1" dict="$2" rc=0
  mkdir -p "$W/artifacts/$t"
  (cd "$W/project" && nice -n 19 "$BUILD/tests/fuzz/$t" -max_total_time="$SECS" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -dict="$SRC/tests/fuzz/$dict" \
    -artifact_prefix="$W/artifacts/$t/" "$W/corpus/$t") >"$W/logs/$t.log" 2>&1 || rc=$?
  return "$rc"
}
declare -A DICT=([fuzz_vmfile]=toml.dict [fuzz_state]=json.dict)
declare -A RC=()
if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
  declare -A PID=()
  for t in "${TARGETS[@]}"; do run_target "$t" "${DICT[$t]}" & PID[$t]=$!; done
  for t in "${TARGETS[@]}"; do rc=0; wait "${PID[$t]}" || rc=$?; RC[$t]=$rc; done
else
  for t in "${TARGETS[@]}"; do
    echo "fuzz: running $t for $SECS s"
    rc=0; run_target "$t" "${DICT[$t]}" || rc=$?; RC[$t]=$rc
  done
fi

fail=0
for t in "${TARGETS[@]}"; do
  log="$W/logs/$t.log"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)"
  echo "fuzz: $t: exit ${RC[$t]}; last status: ${last:-none}"
  grep -E '^stat::' "$log" | sed "s/^/fuzz: $t: /" || true
  echo "fuzz: $t: corpus $(find "$W/corpus/$t" -type f | wc -l) files; log $log"
  found="$(find "$W/artifacts/$t" -type f 2>/dev/null)"
  if [ "${RC[$t]}" != 0 ] || [ -n "$found" ]; then
    fail=1
    echo "fuzz: FAIL: $t found a problem; the end of its log:"
    tail -n 60 "$log"
    for a in $found; do echo "fuzz: $t: crashing input: $a"; done
    echo "fuzz: reproduce: (cd $W/project && $BUILD/tests/fuzz/$t <input>)"
  fi
done
[ "$fail" = 0 ] && echo "fuzz: ok: no crash in ${TARGETS[*]} (${SECS} s each)"
exit "$fail"
