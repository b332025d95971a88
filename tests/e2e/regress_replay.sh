#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# regress_replay.sh - every input kept in tests/regress/ (crashes, hangs
# and leaks the fuzzers found, see tests/fuzz/run.sh) goes again through
# the code path it broke, by the CLI:
#   fuzz_trace_*  kmrv check with every reader (direct, libtracecmd; perf
#                 files pick theirs)
#   fuzz_spec     kmrv specs --check, and kmrv check --spec FILE
#   fuzz_json     kmrv diff FILE FILE, kmrv merge FILE
# Each must exit 0 (or 1 for diff's gate), or 2 with one line on stderr;
# never a signal, never a hang (timeout), in bounded memory (ulimit -v,
# except under ASan, which reserves terabytes of address space).

. "$(dirname "$0")/lib/common.sh"

REGRESS=$SRC/tests/regress
fixture basic
N=0

# replay DESCRIPTION ARGS...: the kmrv command must end cleanly
replay() {
	local what=$1 rc lines
	shift
	( [ -n "${KMRV_SANITIZED:-}" ] || ulimit -v $((2 * 1024 * 1024))
	  exec timeout 30 "$KMRV" "$@" ) > /dev/null 2> "$WORK/stderr"
	rc=$?
	N=$((N + 1))
	lines=$(wc -l < "$WORK/stderr")
	case $rc in
	0|1)	;;
	2)	[ "$lines" -eq 1 ] ||
			{ fail "$what: exit 2 with $lines lines on stderr: $(head -c 300 "$WORK/stderr")"; return; } ;;
	124)	fail "$what: timed out"; return ;;
	*)	fail "$what: exit $rc: $(head -c 300 "$WORK/stderr")"; return ;;
	esac
}

for f in "$REGRESS"/fuzz_trace_*/*; do
	[ -f "$f" ] || continue
	for reader in direct libtracecmd; do
		replay "$(basename "$f") ($reader)" check --spec all --reader "$reader" "$f"
	done
done
for f in "$REGRESS"/fuzz_spec/*; do
	[ -f "$f" ] || continue
	replay "$(basename "$f") (specs --check)" specs --check "$f"
	replay "$(basename "$f") (check --spec)" check --spec "$f" "$WORK/basic.dat"
done
for f in "$REGRESS"/fuzz_json/*; do
	[ -f "$f" ] || continue
	cp "$f" "$WORK/in.json"		# diff tells results from traces by name
	replay "$(basename "$f") (diff)" diff "$WORK/in.json" "$WORK/in.json"
	replay "$(basename "$f") (merge)" merge "$WORK/in.json"
done
[ "$FAILURES" -eq 0 ] && pass "$N replays of $(find "$REGRESS" -type f | wc -l) regression inputs"
finish
