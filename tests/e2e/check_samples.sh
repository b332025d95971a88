#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_samples.sh - the real recordings in samples/ against their golden
# output (samples/NAME.expected, the text of `kmrv check --spec all`), and
# against an independent re-count: tests/tools/recount.awk runs the specs'
# automata by hand over `trace-cmd report` text (trace-cmd parses the file,
# not kmrv), and every count must agree.
#
# To refresh a golden file after an intended change of output:
#   (cd SRC && kmrv check samples/NAME.dat --spec all > samples/NAME.expected)

. "$(dirname "$0")/lib/common.sh"
need jq
cd "$SRC" || exit 1

for dat in samples/*.dat; do
	name=${dat%.dat}
	if [ -f "$name.expected" ]; then
		"$KMRV" check "$dat" --spec all > "$WORK/out.txt"
		if diff -u "$name.expected" "$WORK/out.txt" > "$WORK/diff"; then
			pass "$dat: text output matches $name.expected"
		else
			fail "$dat: output differs from $name.expected:"
			head -40 "$WORK/diff"
		fi
	fi

	if ! command -v trace-cmd >/dev/null 2>&1; then
		echo "note: trace-cmd not installed, re-count of $dat not run"
		continue
	fi
	"$KMRV" check --format json --spec all --all "$dat" |
		jq -r '.traces[0].specs[] | .name as $s | .violations | to_entries[] |
		       "\($s) \(.key) \(.value)"' | sort > "$WORK/kmrv.txt"
	trace-cmd report -N "$dat" 2>/dev/null |
		awk -f "$SRC/tests/tools/recount.awk" | sort > "$WORK/recount.txt"
	if diff -u "$WORK/recount.txt" "$WORK/kmrv.txt" > "$WORK/diff"; then
		pass "$dat: kmrv agrees with the re-count ($(wc -l < "$WORK/kmrv.txt") counts)"
	else
		fail "$dat: kmrv and the awk re-count disagree:"
		cat "$WORK/diff"
	fi
done

finish
