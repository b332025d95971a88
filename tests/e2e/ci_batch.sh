#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci_batch.sh - `kmrv check` over many traces: directories walked for
# files whose content is a trace, one corrupt trace among good ones (its
# error entry, the others complete, exit 2), totals, and -j N giving the
# same output as -j 1.

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ci_fixtures.sh"
need jq

mkdir -p "$WORK/arch/run1" "$WORK/arch/run2/deep"
ci_fixture a 2 1 0 1 0 0
ci_fixture b 3 0 2 3 1 1
fixture basic
mv "$WORK/a.dat" "$WORK/arch/run1/a.dat"
mv "$WORK/b.dat" "$WORK/arch/run2/deep/b.perfless"	# any name: told by content
cp "$WORK/basic.dat" "$WORK/arch/run2/basic.dat"
head -c 2000 "$WORK/basic.dat" > "$WORK/arch/run1/corrupt.dat"
echo "notes" > "$WORK/arch/run1/README"		# not a trace: skipped
"$KMRV" check -f json --spec 1 "$WORK/basic.dat" > "$WORK/arch/run2/result.json"	# skipped

"$KMRV" check -f json --spec 1 "$WORK/arch" > "$WORK/all.json" 2> "$WORK/err"
expect_eq "exit with one corrupt trace" $? 2
expect_eq "traces found, in order" \
	"$(jq -r '[.traces[].path | sub(".*/arch/"; "")] | join(" ")' "$WORK/all.json")" \
	"run1/a.dat run1/corrupt.dat run2/basic.dat run2/deep/b.perfless"
expect_eq "the corrupt one is an error entry" \
	"$(jq -c '.traces[1] | [keys, (.error | test("corrupt.dat: "))]' "$WORK/all.json")" \
	'[["error","path"],true]'
expect_eq "the others complete" "$(jq '[.traces[] | select(.specs) ] | length' "$WORK/all.json")" 3
expect_eq "stderr: the error, once" "$(grep -c "corrupt.dat" "$WORK/err")" 1
# alloc-free: a = (2,1,1,0) b = (3,2,4,1) basic = (1,1,2,1) as df,fwa,leak,rwf
expect_eq "totals" "$(jq -c '.totals | [.traces, .failed, .specs[0].violations]' "$WORK/all.json")" \
	'[4,1,{"free-without-alloc":4,"realloc-without-free":2,"double-free":6,"leak":7}]'
expect_eq "totals by call site summed" \
	"$(jq -c '.totals.specs[0].by_call_site[] | select(.site == "free_a+0x10") | .violations["double-free"]' "$WORK/all.json")" 5
expect_eq "totals unfreed summed" \
	"$(jq -c '.totals.specs[0].unfreed[] | select(.site == "alloc_l+0x10") | [.count, .bytes]' "$WORK/all.json")" '[4,1024]'
expect_eq "totals sum the traces" \
	"$(jq '[.traces[].specs[0].violations.leak // 0] | add' "$WORK/all.json")" \
	"$(jq '.totals.specs[0].violations.leak' "$WORK/all.json")"
expect_eq "no by_pid in totals" "$(jq '.totals.specs[0] | has("by_pid")' "$WORK/all.json")" false

"$KMRV" check --spec 1 "$WORK/arch" > "$WORK/all.txt" 2> /dev/null
grep -q "^$WORK/arch/run1/corrupt.dat: " "$WORK/all.txt" && pass "text: the error in its section" ||
	fail "text: no error section"
grep -q "^totals: 4 traces (1 could not be checked)" "$WORK/all.txt" && pass "text: totals section" ||
	fail "text: no totals section"

for fmt in text json; do
	"$KMRV" check -v -f $fmt "$WORK/arch" > "$WORK/j1.$fmt" 2> "$WORK/e1"
	r1=$?
	"$KMRV" check -v -j 3 -f $fmt "$WORK/arch" > "$WORK/j3.$fmt" 2> "$WORK/e3"
	r3=$?
	cmp -s "$WORK/j1.$fmt" "$WORK/j3.$fmt" && cmp -s "$WORK/e1" "$WORK/e3" && [ $r1 = $r3 ] &&
		pass "-j 3 $fmt output identical to -j 1 (exit $r1)" ||
		fail "-j 3 $fmt output differs from -j 1"
done

# Good traces only: exit 0, or 1 with --fail-on; -j 0 means one per CPU.
"$KMRV" check -j 0 "$WORK/arch/run2" > /dev/null
expect_eq "all good" $? 0
"$KMRV" check -j 2 --fail-on leak "$WORK/arch/run2" > /dev/null
expect_eq "--fail-on over a batch" $? 1
"$KMRV" check -j 2 --fail-on leak "$WORK/arch" > /dev/null 2>&1
expect_eq "an input error wins over --fail-on" $? 2
"$KMRV" check -j x "$WORK/arch" > /dev/null 2>&1
expect_eq "bad -j" $? 2

finish
