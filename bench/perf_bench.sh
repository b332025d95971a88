#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perf_bench.sh - kmrv check on a perf.data against perf's own readers of
# the same file: `perf kmem stat` (statistics, no verdicts) and
# `perf script > /dev/null` (decode and print every sample). Medians of
# hyperfine runs, as events per second.
#
#   bench/perf_bench.sh [PERF.DATA]    (default: records `perf kmem record
#                                       -- ls -R /usr/share` into $TMPDIR)
# Environment: KMRV (default build/kmrv), RUNS (default 10).

set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
KMRV=${KMRV:-$SRC/build/kmrv}
RUNS=${RUNS:-10}
export KMRV_SPEC_PATH=${KMRV_SPEC_PATH:-$SRC/specs}

for tool in perf hyperfine jq; do
	command -v $tool > /dev/null || { echo "perf_bench: $tool not installed" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmrv-perfbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

DATA=${1:-}
if [ -z "$DATA" ]; then
	DATA=$WORK/k.data
	perf kmem record -o "$DATA" -- ls -R /usr/share > /dev/null 2> "$WORK/rec.err" ||
		{ cat "$WORK/rec.err" >&2; exit 2; }
fi
EVENTS=$("$KMRV" check --format json --spec all "$DATA" 2> /dev/null | jq '.traces[0].events')
echo "file: $DATA ($(du -h "$DATA" | cut -f1), $EVENTS kmem events)"

# hyperfine sends every command's output to /dev/null (--output=null)
hyperfine -N -w 2 -r "$RUNS" --export-json "$WORK/h.json" \
	-n "kmrv check --spec all" "$KMRV check --spec all -f json $DATA" \
	-n "kmrv check --spec 1" "$KMRV check --spec 1 -f json $DATA" \
	-n "perf kmem stat" "perf kmem -i $DATA stat" \
	-n "perf script" "perf script -i $DATA" > /dev/null

printf '%-24s %10s %14s\n' "command" "median s" "events/s"
jq -r --argjson n "$EVENTS" '.results[] |
	"\(.command)\t\(.median)\t\($n / .median | floor)"' "$WORK/h.json" |
	while IFS=$'\t' read -r name med rate; do
		printf '%-24s %10.4f %14d\n' "$name" "$med" "$rate"
	done
