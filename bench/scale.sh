#!/usr/bin/env bash
# In-process scale benchmark (issue 13 §3): builds bench/scale.cpp (target scale_bench, not
# part of `all`) and prints a Markdown table of its medians against the issue's targets.
# No hypervisor, no SSH, no root. Usage: bench/scale.sh [BUILD_DIR]   (default: build)
# Knobs: SCALE_RUNS (runs per median, default 5), SCALE_PLAN_NODES (1000),
# SCALE_PARSE_NODES (10000), SCALE_UP_NODES (200; 0 skips the fake `up`; it writes
# state.json once per machine and step, which makes it slow at scale).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
[ -f "$BUILD_DIR/build.ninja" ] || BUILD_DIR="$BUILD_DIR" scripts/build.sh >/dev/null
nice -n 19 ninja -C "$BUILD_DIR" scale_bench >/dev/null
out="$(nice -n 19 "$BUILD_DIR/bench/scale_bench" --runs "${SCALE_RUNS:-5}" \
  --plan-nodes "${SCALE_PLAN_NODES:-1000}" --parse-nodes "${SCALE_PARSE_NODES:-10000}" \
  --up-nodes "${SCALE_UP_NODES:-200}")"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); runs per median: ${SCALE_RUNS:-5}" \
  "(the fake \`up\`: at most 3); run under nice -n 19"
echo
echo "| measure | nodes | median ms | min ms | max ms | target |"
echo "|---|---:|---:|---:|---:|---|"
while IFS=$'\t' read -r name nodes med min max; do
  target="-"
  case "$name" in
    parse+validate) [ "$nodes" -ge 10000 ] && target="< 1000 ms (10,000 nodes)" ;;
    plan*|dag*) target="plan + DAG < 100 ms (1,000 nodes)" ;;
  esac
  echo "| $name | $nodes | $med | $min | $max | $target |"
done <<<"$out"
