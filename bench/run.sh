#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - kmrv check against the libtracecmd baseline and
# trace-cmd report, on the same files, in one run.
#
#   bench/run.sh [BUILD_DIR]          (default: build)
#
# Builds the bench target, then generates once into BUILD_DIR/bench-cache:
#   syn-*-v6.dat   EVENTS kmalloc/kfree on 2 CPUs, live set ~LIVE..2*LIVE,
#                frees on random (mostly other) CPUs, v6 uncompressed
#   syn-*-v7.dat   the same, `trace-cmd convert` to v7 zstd
#   syn2x-*-v6.dat twice the events, same live set (RSS growth check)
#   slice-*-v6.dat 1M events, for trace-cmd report in RUNS runs (on the
#                big one it takes minutes, and runs SLOW_RUNS times)
#   small-*-v6.dat EVENTS/4 events over a live set of 1k: every table in
#                cache, so its row is the automata's CPU cost alone
# and uses the largest samples/*.dat and, as root, a real recording of
# a fixed workload made once with `kmrv record` (real-record.dat). Each
# command runs RUNS times under
# /usr/bin/time; the table shows medians: seconds, events/s, the ratio to
# bench/baseline's events/s on the same file, and peak RSS. `kmrv check`
# rows use the default threads (one per CPU, at most one per spec); the
# "-t 1" rows one thread. Then: the ns/event split of kmrv check -t 1
# (perf, on the 20M trace), -j, start-up time on the sample,
# memory_floor, bench/floor (the reading and the large tables alone,
# on the 20M and the real trace), and table_bench.
#
# Environment: RUNS (default 3), SLOW_RUNS (1: the libtracecmd rows on
# the v7 file and trace-cmd report on the 20M one, minutes each), EVENTS (20000000), LIVE (500000),
# SKIP_TABLE=1 to leave out table_bench, SKIP_2X=1 to leave out the
# doubled trace, SKIP_REAL=1 not to record the real trace.

set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$SRC/build}" 2>/dev/null && pwd) || { echo "bench: no build directory ${1:-build} (cmake -B build first)" >&2; exit 2; }
RUNS=${RUNS:-3}
EVENTS=${EVENTS:-20000000}
LIVE=${LIVE:-500000}
CACHE=$B/bench-cache
TAG=$EVENTS-$LIVE
SYN=$CACHE/syn-$TAG-v6.dat
SYN7=$CACHE/syn-$TAG-v7.dat
SYN2X=$CACHE/syn2x-$TAG-v6.dat
SLICE=$CACHE/slice-1000000-$LIVE-v6.dat
SMALL=$CACHE/small-$((EVENTS / 4))-1000-v6.dat
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kmrv-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
export KMRV_SPEC_PATH=$SRC/specs

cmake --build "$B" --target bench -j"$(nproc)" > "$TMP/build.log" 2>&1 ||
	{ cat "$TMP/build.log" >&2; exit 1; }
KMRV=$B/kmrv
MKF=$B/kmrv-mkfixture
DUMP=$B/kmrv-dump-events
BASE=$B/bench/baseline
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
HAVE_TC=0
command -v trace-cmd > /dev/null && HAVE_TC=1

mkdir -p "$CACHE"
gen() {	# gen FILE N [LIVE]
	[ -s "$1" ] && return 0
	echo "generating $(basename "$1") ($2 events)..." >&2
	"$MKF" --synthetic "$2" --cpus 2 --live "${3:-$LIVE}" --seed 1 "$1.tmp" && mv "$1.tmp" "$1"
}
gen "$SYN" "$EVENTS" || exit 1
gen "$SLICE" 1000000 || exit 1
gen "$SMALL" $((EVENTS / 4)) 1000 || exit 1
[ "${SKIP_2X:-0}" = 1 ] || gen "$SYN2X" $((2 * EVENTS)) || exit 1
if [ $HAVE_TC = 1 ] && [ ! -s "$SYN7" ]; then
	echo "converting $(basename "$SYN") to v7 zstd..." >&2
	trace-cmd convert -i "$SYN" -o "$SYN7.tmp" \
		--file-version 7 --compression zstd > /dev/null 2>&1 &&
		mv "$SYN7.tmp" "$SYN7"
fi
SAMPLE=$(ls -S "$SRC"/samples/*.dat 2>/dev/null | head -1)

# A real recording of millions of events, made once by `kmrv record` where
# it can record (root, writable tracefs): kmem_cache events dominate real
# traces, which the synthetic ones do not show. The workload is fixed
# (a clone and Debug build of this tree, then stat of 100k files), the
# recording is not: its row is the kernel's, not reproducible to the event.
REAL=$CACHE/real-record.dat
if [ ! -s "$REAL" ] && [ "$(id -u)" = 0 ] && [ "${SKIP_REAL:-0}" != 1 ]; then
	echo "recording $(basename "$REAL") (kmrv record, about 20 s)..." >&2
	if "$KMRV" record -q -b 65536 -o "$REAL.tmp" -- sh -c "
		git clone -q '$SRC' '$TMP/clone' && cd '$TMP/clone' &&
		cmake -S . -B b -DCMAKE_BUILD_TYPE=Debug > /dev/null &&
		cmake --build b -j$(nproc) > /dev/null
		find /usr -xdev -type f 2>/dev/null | head -100000 |
			xargs -n 500 stat > /dev/null 2>&1; true" > /dev/null 2>&1; then
		mv "$REAL.tmp" "$REAL"
	else
		rm -f "$REAL.tmp"
		echo "  (kmrv record cannot record here; no real-recording rows)" >&2
	fi
fi

# events FILE: how many events the file holds (cached)
events() {
	local f=$1 c="$CACHE/.$(basename "$1").events"
	if [ ! -s "$c" ] || [ "$c" -ot "$f" ]; then
		# the direct reader counts as the baseline does (every record),
		# in seconds where libtracecmd takes minutes on v7
		"$DUMP" --count --reader direct "$f" > "$c"
	fi
	cat "$c"
}

# measure CMD...: RUNS runs; prints "median_seconds median_peak_rss_kb"
# (wall time by date(1) to the nanosecond, RSS by /usr/bin/time)
measure() {
	local i t0 t1 m
	: > "$TMP/m"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		/usr/bin/time -f "%M" -o "$TMP/t" "$@" > /dev/null 2> "$TMP/err" ||
			{ echo "bench: $* failed: $(head -c 300 "$TMP/err")" >&2; echo "nan nan"; return; }
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 )) $(tail -1 "$TMP/t")" >> "$TMP/m"
	done
	m=$(( (RUNS + 1) / 2 ))
	printf '%s %s\n' \
		"$(awk '{ print $1 }' "$TMP/m" | sort -n | sed -n "${m}p" | awk '{ printf "%.3f", $1 / 1e6 }')" \
		"$(awk '{ print $2 }' "$TMP/m" | sort -n | sed -n "${m}p")"
}

ROWS=$TMP/rows
printf '%-14s %-34s %9s %12s %9s %9s\n' FILE COMMAND SECONDS EVENTS/S VS_BASE RSS_MB > "$ROWS"
# row FILE LABEL BASE_EPS EVENTS CMD...
row() {
	local file=$1 label=$2 base=$3 n=$4 r s rss eps
	shift 4
	echo "  $label on $(basename "$file")..." >&2
	r=$(measure "$@")
	s=${r% *}
	rss=${r#* }
	eps=$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf '%-14s %-34s %9s %12s %9s %9s\n' "$(basename "$file")" "$label" "$s" \
		"$eps" "$(awk -v a="$eps" -v b="$base" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" \
		"$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')" >> "$ROWS"
	echo "$eps" > "$TMP/last_eps"
}

# slow FILE: libtracecmd on a compressed file takes minutes (it inflates
# every CPU to a temporary file first): those rows run SLOW_RUNS times.
slow_runs() {
	case $(basename "$1") in
	*-v7.dat) echo "${SLOW_RUNS:-1}" ;;
	*) echo "$RUNS" ;;
	esac
}

contenders() {	# contenders FILE [report [REPORT_RUNS]]
	local f=$1 n base
	n=$(events "$f")
	RUNS=$(slow_runs "$f") row "$f" "bench/baseline (libtracecmd)" 0 "$n" "$BASE" "$f"
	base=$(cat "$TMP/last_eps")
	sed -i '$ s/ 0.00x/ 1.00x/' "$ROWS"
	row "$f" "kmrv check --spec all" "$base" "$n" "$KMRV" check --spec all "$f"
	row "$f" "kmrv check --spec all -t 1" "$base" "$n" "$KMRV" check --spec all -t 1 "$f"
	row "$f" "kmrv check --spec all -f json" "$base" "$n" "$KMRV" check --spec all --format json "$f"
	RUNS=$(slow_runs "$f") row "$f" "kmrv check --reader=libtracecmd" "$base" "$n" "$KMRV" check --reader libtracecmd --spec all "$f"
	row "$f" "direct reader alone" "$base" "$n" "$DUMP" --count --reader direct "$f"
	if [ "${2:-}" = report ] && [ $HAVE_TC = 1 ]; then
		RUNS=${3:-$RUNS} row "$f" "trace-cmd report >/dev/null" "$base" "$n" trace-cmd report -i "$f"
	fi
}

echo "machine: $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2 }'), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r); RUNS=$RUNS" >&2
# trace-cmd report on the 20M trace takes minutes: SLOW_RUNS runs
contenders "$SYN" report "${SLOW_RUNS:-1}"
[ -s "$SYN7" ] && contenders "$SYN7"
contenders "$SLICE" report
[ -n "$SAMPLE" ] && contenders "$SAMPLE" report
[ -s "$REAL" ] && contenders "$REAL" report
if [ "${SKIP_2X:-0}" != 1 ]; then
	n=$(events "$SYN2X")
	row "$SYN2X" "kmrv check --spec all (2x events)" 0 "$n" \
		"$KMRV" check --spec all "$SYN2X"
	row "$SYN2X" "kmrv check --spec alloc-free (2x)" 0 "$n" \
		"$KMRV" check --spec alloc-free "$SYN2X"
	row "$SYN" "kmrv check --spec alloc-free (1x)" 0 "$(events "$SYN")" \
		"$KMRV" check --spec alloc-free "$SYN"
fi
# The automata's CPU cost alone: a live set of 1k objects keeps every
# table in cache, so what is left is instructions, not memory.
row "$SMALL" "kmrv check --spec all -t 1 (live 1k)" 0 "$(events "$SMALL")" \
	"$KMRV" check --spec all -t 1 "$SMALL"
echo
echo "== events/s (median of $RUNS runs; ${SLOW_RUNS:-1} for libtracecmd on v7 and trace-cmd report on the 20M trace), ratio to bench/baseline on the same file, peak RSS"
cat "$ROWS"
echo
echo "== kmrv check --spec all against trace-cmd report on the same file (seconds, ratio)"
awk '/kmrv check --spec all +[0-9]/ { check[$1] = $(NF - 3) }
     /trace-cmd report/ { report[$1] = $(NF - 3) }
     END {
	for (f in report)
		if (check[f] > 0)
			printf "  %-16s %8.3f s against %8.3f s: %5.1fx\n", f, check[f], report[f], report[f] / check[f]
     }' "$ROWS" | sort

# Where kmrv check spends its time, by function group (perf samples;
# helpers the compiler inlined count with their caller).
echo
# On the 20M-event trace: on the 1M slice the end-of-trace report of the
# 500k objects still live would be most of the profile.
# One thread (-t 1), so the split adds up to the time per event.
echo "== ns/event split of kmrv check --spec all -t 1 on $(basename "$SYN") (perf, one run)"
t0=$(date +%s%N)
if perf record -q -o "$TMP/perf.data" "$KMRV" check --spec all -t 1 "$SYN" > /dev/null 2>&1; then
	t1=$(date +%s%N)
	perf report -i "$TMP/perf.data" --no-children --sort symbol --stdio -q 2>/dev/null |
	awk -v secs="$(( (t1 - t0) / 1000 ))e-6" -v n="$(events "$SYN")" '
	/%/ {
		pct = $1; sub(/%/, "", pct); sym = $3
		if (sym ~ /stream_advance|next_page|next_window|next_chunk|read_at|ZSTD|HUF_|FSE_|inflate|decode|read_text|dr_next|kmrv_trace_next|copy_to|filemap|pread|_copy_/)
			g = "read (pages, fields, decompression)"
		else if (sym ~ /sift_down|heap_refresh/)
			g = "merge (heap)"
		else if (sym ~ /kmrv_monitor_(step|prefetch)|kmrv_table_(find|insert|delete|prefetch)|own_step|transition|nudge_holder|take_slot|release_slot|forget_if_idle|groups_|origin|place|record$|clear_page|pidtree|account|lane_|step_batch|main_run|stream|kmrv_check_file|page_fault|irq_enable|handle_mm/)
			g = "automata (tables, state, their memory)"
		else if (sym ~ /collector|sort_at_end|msort|report_at_end|kmrv_monitor_finish|kmrv_table_next|json|text_|print|qsort|symbol|tep_|row_counts|idmap/)
			g = "verdicts and report"
		else
			g = "other (start-up, libc, kernel)"
		t[g] += pct
	}
	END {
		for (g in t)
			printf "  %-42s %5.1f%%  %7.1f ns/event\n", g, t[g], t[g] / 100 * secs * 1e9 / n
	}' | sort -k1,1
else
	echo "  (perf record not permitted here; skipped)"
fi

if [ -s "$SYN7" ]; then
	echo
	echo "== kmrv check -j: the v6 and v7 synthetic traces in one run (median of $RUNS)"
	for j in 1 2; do
		s=$(measure "$KMRV" check -j $j --spec all "$SYN" "$SYN7")
		printf '  -j %d  %8.2f s  %6.0f MB peak RSS (largest process)\n' $j "${s% *}" \
			"$(awk -v k="${s#* }" 'BEGIN { print k / 1024 }')"
	done
fi

# startup READER: median seconds of a whole check of the sample. hyperfine
# where installed: measure()'s /usr/bin/time and date cost this VM about
# 25 ms of forks a run, as much as the run itself.
startup() {
	local s
	if command -v hyperfine > /dev/null; then
		hyperfine -N -w 3 -r 30 --export-json "$TMP/h.json" \
			"$KMRV check --reader $1 --spec all $SAMPLE" > /dev/null 2>&1 &&
			grep -o '"median": *[0-9.e+-]*' "$TMP/h.json" | head -1 | sed 's/.*: *//' &&
			return
	fi
	s=$(measure "$KMRV" check --reader "$1" --spec all "$SAMPLE")
	echo "${s% *}"
}

if [ -n "$SAMPLE" ]; then
	echo
	how="median of $RUNS"
	command -v hyperfine > /dev/null && how="hyperfine -N, median of 30"
	echo "== start-up: kmrv check --spec all on $(basename "$SAMPLE") (whole run, $how)"
	for r in direct libtracecmd; do
		printf '  --reader=%-12s %6.1f ms\n' "$r" "$(awk -v s="$(startup "$r")" 'BEGIN { print s * 1000 }')"
	done
fi

echo
echo "== bench/memory_floor: what one core of this machine allows"
"$B/bench/memory_floor"

# floor_rows FILE: bench/floor's tables one by one, then on two threads,
# beside kmrv check and what 5x the baseline would take on that file.
floor_rows() {
	local f=$1 name s label
	name=$(basename "$f")
	echo
	echo "== bench/floor on $name: the reading and the large tables alone, no automaton (median of $RUNS)"
	for arg in "0 1" "1 1" "2 1" "3 1" "3 2"; do
		set -- $arg
		case $1 in
		0) label="reading alone" ;;
		1) label="+ alloc-free's table" ;;
		2) label="+ slab-alloc-free's table" ;;
		3) label="+ no-realloc's table" ;;
		esac
		[ "$2" = 2 ] && label="the three tables, 2 threads"
		s=$(measure "$B/bench/floor" "$f" "$1" "$2")
		printf '  %-34s %8s s %6.0f MB\n' "$label" "${s% *}" \
			"$(awk -v k="${s#* }" 'BEGIN { print k / 1024 }')"
	done
	awk -v f="$name" '$1 == f && /bench\/baseline/ { base = $(NF - 3) }
	     $1 == f && /kmrv check --spec all +[0-9]/ { check = $(NF - 3) }
	     END { if (base > 0) printf "  %-34s %8.3f s\n  %-34s %8.3f s\n", \
			"kmrv check --spec all (above)", check, "5x bench/baseline would be", base / 5 }' "$ROWS"
}

echo
echo "Where the floor sits: bench/floor reads the file as kmrv check does and"
echo "touches the tables of alloc-free, slab-alloc-free and no-realloc, each"
echo "event's instance found or added with the check's prefetch, and nothing else."
floor_rows "$SYN"
[ -s "$REAL" ] && floor_rows "$REAL"

if [ "${SKIP_TABLE:-0}" != 1 ]; then
	echo
	echo "== bench/table_bench"
	"$B/bench/table_bench"
fi
