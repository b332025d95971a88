#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_threads.sh - `kmrv check -t N` splits the specs of a trace over
# threads and prints exactly what one thread prints: text and JSON, alone
# and with -j, on a synthetic trace of 4 CPUs with frees on other CPUs
# and on the fixtures. (tests/unit/test_check.c shows the threads are
# really used, on the real recordings.) Bad values: exit 2, one line.

. "$(dirname "$0")/lib/common.sh"

"$MKFIXTURE" --synthetic 200000 --live 5000 --seed 3 "$WORK/syn.dat" ||
	{ echo "FAIL: cannot generate the synthetic trace"; exit 1; }
fixture basic
fixture slab
fixture lost

for f in syn basic slab lost; do
	"$KMRV" check --spec all --top 0 -t 1 "$WORK/$f.dat" > "$WORK/$f.one.txt"
	"$KMRV" check --spec all -f json -t 1 "$WORK/$f.dat" > "$WORK/$f.one.json"
	for t in 2 3 0; do
		"$KMRV" check --spec all --top 0 -t $t "$WORK/$f.dat" > "$WORK/out.txt"
		"$KMRV" check --spec all -f json -t $t "$WORK/$f.dat" > "$WORK/out.json"
		if cmp -s "$WORK/out.txt" "$WORK/$f.one.txt" &&
		   cmp -s "$WORK/out.json" "$WORK/$f.one.json"; then
			pass "$f with -t $t: text and JSON as with -t 1"
		else
			fail "$f with -t $t differs from -t 1:"
			diff "$WORK/$f.one.txt" "$WORK/out.txt" | head -5
		fi
	done
done

# not a comparison of empty reports: the synthetic trace leaves objects
# live at the end and reuses freed addresses in the same pid
for sk in "alloc-free leak" "no-realloc realloc-after-free"; do
	set -- $sk
	n=$(count "$WORK/syn.one.json" "$1" "$2")
	[ "${n:-0}" -gt 0 ] && pass "synthetic: $1 $2 = $n" ||
		fail "synthetic: no $1 $2 ($n): the comparison proves little"
done

# several traces at once, each split over threads
"$KMRV" check --spec all -f json -t 1 "$WORK/syn.dat" "$WORK/basic.dat" > "$WORK/two.one.json"
"$KMRV" check --spec all -f json -j 2 -t 2 "$WORK/syn.dat" "$WORK/basic.dat" > "$WORK/out.json"
cmp -s "$WORK/out.json" "$WORK/two.one.json" && pass "-j 2 -t 2: as one thread" ||
	fail "-j 2 -t 2 differs from one thread"

expect_error "-t -1" "--threads: '-1' is not a number from 0 to 64" check -t -1 "$WORK/basic.dat"
expect_error "-t 65" "--threads: '65' is not a number from 0 to 64" check -t 65 "$WORK/basic.dat"
expect_error "--threads x" "--threads: 'x' is not a number" check --threads x "$WORK/basic.dat"

finish
