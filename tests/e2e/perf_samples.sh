#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perf_samples.sh - the real perf recordings in samples/ (NAME.perf.data):
#
#  - golden: `kmrv check --spec all` text equals samples/NAME.perf.expected;
#  - differential: the same samples written as a trace.dat (kmrv-perf2dat:
#    raw payloads, formats from the tracing data) give the same counts,
#    violations, per-PID, per-call-site and unfreed tables as the perf.data;
#  - re-count: `perf script` parses the file (not kmrv) and
#    tests/tools/recount.awk runs the automata by hand; every count agrees.
#
# To refresh a golden file after an intended change of output:
#   (cd SRC && kmrv check samples/NAME.perf.data --spec all > samples/NAME.perf.expected)

. "$(dirname "$0")/lib/common.sh"
need jq
PERF2DAT=${PERF2DAT:-$(dirname "$MKFIXTURE")/kmrv-perf2dat}
cd "$SRC" || exit 1

# perf script's "comm pid [cpu] time: sys:event: fields" as trace-cmd's
# "comm-pid [cpu] time: event: fields", the line recount.awk reads
PERF_TO_TC='s/^ *(.*[^ ]) +([0-9]+) +\[([0-9]+)\] +([0-9]+\.[0-9]+): +[a-z_]+:([a-z_]+):/\1-\2 [\3] \4: \5:/'

# verdicts FILE: what both readers must agree on, paths aside
verdicts() {
	"$KMRV" check --format json --spec all "$1" 2> /dev/null |
		jq -S '.traces[0] | {events, event_counts, failed_allocs, null_frees,
				     lost_events, specs}'
}

counts() {
	jq -r '.specs[] | .name as $s | .violations | to_entries[] |
	       "\($s) \(.key) \(.value)"' "$1" | sort
}

for data in samples/*.perf.data; do
	name=${data%.data}
	if [ -f "$name.expected" ]; then
		"$KMRV" check "$data" --spec all > "$WORK/out.txt" 2> "$WORK/err.txt"
		if diff -u "$name.expected" "$WORK/out.txt" > "$WORK/diff"; then
			pass "$data: text output matches $name.expected"
		else
			fail "$data: output differs from $name.expected:"
			head -40 "$WORK/diff"
		fi
		if [ "$(grep -c 'symbols unavailable' "$WORK/err.txt")" = 1 ]; then
			pass "$data: 'symbols unavailable' said once"
		else
			fail "$data: stderr: $(cat "$WORK/err.txt")"
		fi
	fi

	verdicts "$data" > "$WORK/perf.json"
	if ! "$PERF2DAT" "$data" "$WORK/conv.dat"; then
		fail "$data: kmrv-perf2dat failed"
	else
		verdicts "$WORK/conv.dat" > "$WORK/dat.json"
		if [ "$(jq '.specs | length' "$WORK/perf.json")" -gt 0 ] &&
		   diff -u "$WORK/dat.json" "$WORK/perf.json" > "$WORK/diff"; then
			pass "$data: same verdicts as its trace.dat copy ($(counts "$WORK/perf.json" | wc -l) counts, tables equal)"
		else
			fail "$data: perf.data and its trace.dat copy disagree:"
			head -40 "$WORK/diff"
		fi
	fi

	if ! command -v perf > /dev/null 2>&1; then
		echo "note: perf not installed, re-count of $data not run"
		continue
	fi
	counts "$WORK/perf.json" > "$WORK/kmrv.txt"
	# tid, not pid: perf's pid is the tgid, a trace's common_pid the thread
	perf script -i "$data" -F comm,tid,cpu,time,event,trace 2> /dev/null |
		sed -E "$PERF_TO_TC" | awk -f "$SRC/tests/tools/recount.awk" |
		sort > "$WORK/recount.txt"
	if diff -u "$WORK/recount.txt" "$WORK/kmrv.txt" > "$WORK/diff"; then
		pass "$data: kmrv agrees with the perf script re-count ($(wc -l < "$WORK/kmrv.txt") counts)"
	else
		fail "$data: kmrv and the perf script re-count disagree:"
		cat "$WORK/diff"
	fi
done

finish
