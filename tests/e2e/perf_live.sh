#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perf_live.sh - recordings made here with perf, if perf is installed and
# may record: a file-mode and a pipe-mode (`perf record -o -`) recording
# are each checked (exit 0), agree with their trace.dat copy
# (kmrv-perf2dat) and with the `perf script` re-count.

. "$(dirname "$0")/lib/common.sh"
need jq
need perf
PERF2DAT=${PERF2DAT:-$(dirname "$MKFIXTURE")/kmrv-perf2dat}
EVENTS="-e kmem:kmalloc -e kmem:kfree -e kmem:kmem_cache_alloc -e kmem:kmem_cache_free"
PERF_TO_TC='s/^ *(.*[^ ]) +([0-9]+) +\[([0-9]+)\] +([0-9]+\.[0-9]+): +[a-z_]+:([a-z_]+):/\1-\2 [\3] \4: \5:/'

# shellcheck disable=SC2086
if ! perf record -q $EVENTS -o "$WORK/file.data" -- ls -R /usr/share/doc/bash > /dev/null 2>&1; then
	echo "SKIP: perf cannot record kmem events here"
	exit 77
fi
# shellcheck disable=SC2086
perf record -q $EVENTS -o - -- ls -R /usr/share/doc/bash 2> /dev/null > "$WORK/pipe.data"

verdicts() {
	"$KMRV" check --format json --spec all "$1" 2> /dev/null |
		jq -S '.traces[0] | {events, event_counts, failed_allocs, null_frees, specs}'
}

for mode in file pipe; do
	data=$WORK/$mode.data
	if ! "$KMRV" check --spec all "$data" > /dev/null 2> "$WORK/err"; then
		fail "$mode mode: kmrv check failed: $(cat "$WORK/err")"
		continue
	fi
	pass "$mode mode: checked ($(verdicts "$data" | jq .events) events)"
	verdicts "$data" > "$WORK/perf.json"
	if "$PERF2DAT" "$data" "$WORK/conv.dat" &&
	   verdicts "$WORK/conv.dat" | diff -u - "$WORK/perf.json" > "$WORK/diff"; then
		pass "$mode mode: same verdicts as its trace.dat copy"
	else
		fail "$mode mode: differs from its trace.dat copy:"; head -30 "$WORK/diff"
	fi
	jq -r '.specs[] | .name as $s | .violations | to_entries[] | "\($s) \(.key) \(.value)"' \
		"$WORK/perf.json" | sort > "$WORK/kmrv.txt"
	# tid, not pid: perf's pid is the tgid, a trace's common_pid the thread
	perf script -i "$data" -F comm,tid,cpu,time,event,trace 2> /dev/null |
		sed -E "$PERF_TO_TC" | awk -f "$SRC/tests/tools/recount.awk" | sort > "$WORK/recount.txt"
	if diff -u "$WORK/recount.txt" "$WORK/kmrv.txt" > "$WORK/diff"; then
		pass "$mode mode: agrees with the perf script re-count"
	else
		fail "$mode mode: disagrees with the perf script re-count:"; cat "$WORK/diff"
	fi
done

finish
