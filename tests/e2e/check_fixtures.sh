#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_fixtures.sh - `kmrv check --spec all` on every fixture gives exactly
# the verdicts computed by hand in tests/fixtures/README, and the v7-zstd
# copy of each fixture gives the same JSON as the v6 original.

. "$(dirname "$0")/lib/common.sh"
need jq

for f in basic lost old-kernel slab; do
	fixture $f
	"$KMRV" check --format json --spec all "$WORK/$f.dat" > "$WORK/$f.json" ||
		fail "$f: kmrv check exited $?"
done

# spec kind count, per fixture
expect_counts() {
	local json=$1; shift
	while [ $# -ge 3 ]; do
		expect_eq "$(basename "$json" .json) $1 $2" "$(count "$json" "$1" "$2")" "$3"
		shift 3
	done
}

for f in basic lost; do
	expect_counts "$WORK/$f.json" \
		alloc-free free-without-alloc 1  alloc-free realloc-without-free 1 \
		alloc-free double-free 1         alloc-free leak 2 \
		no-realloc realloc-after-free 3 \
		no-immediate-realloc immediate-realloc 1 \
		no-immediate-realloc-global immediate-realloc 3 \
		slab-alloc-free free-without-alloc 1  slab-alloc-free realloc-without-free 1 \
		slab-alloc-free double-free 1         slab-alloc-free leak 2
	expect_eq "$f null frees" "$(jq '.traces[0].null_frees' "$WORK/$f.json")" 2
	expect_eq "$f failed allocs" "$(jq '.traces[0].failed_allocs' "$WORK/$f.json")" 1
done

j=$WORK/basic.json
expect_eq "basic complete" "$(jq '.traces[0].complete' "$j")" true
expect_eq "basic lost" "$(jq '.traces[0].lost_events' "$j")" 0
expect_eq "basic leak site" \
	"$(jq -c '.traces[0].specs[0].unfreed' "$j")" \
	'[{"site":"leaky_init+0x30","count":2,"bytes":512,"oldest_age_ns":1500}]'
expect_eq "basic pids with alloc-free violations" \
	"$(jq -c '[.traces[0].specs[0].by_pid[] | [.pid, .comm, .violations["double-free"]]]' "$j")" \
	'[[100,"bash",1],[8,"kworker/1:1",0],[200,"cat",0]]'

j=$WORK/lost.json
expect_eq "lost incomplete" "$(jq '.traces[0].complete' "$j")" false
expect_eq "lost known count" "$(jq '.traces[0].lost_events' "$j")" 5
expect_eq "lost unknown gaps" "$(jq '.traces[0].lost_unknown_gaps' "$j")" 1
expect_eq "lost gaps" "$(jq -c '.traces[0].lost' "$j")" \
	'[{"cpu":1,"ts":1900,"count":5},{"cpu":1,"ts":3200,"count":-1}]'
"$KMRV" check --spec 1 "$WORK/lost.dat" | grep -q "LOST EVENTS: 5 in 2 gaps (1 of unknown size).*INCOMPLETE" ||
	fail "lost: text report does not say INCOMPLETE"

expect_counts "$WORK/old-kernel.json" \
	alloc-free double-free 1  alloc-free leak 1  alloc-free free-without-alloc 0 \
	no-realloc realloc-after-free 1 \
	no-immediate-realloc immediate-realloc 1 \
	no-immediate-realloc-global immediate-realloc 1 \
	slab-alloc-free double-free 1  slab-alloc-free leak 2
expect_eq "old-kernel null frees" "$(jq '.traces[0].null_frees' "$WORK/old-kernel.json")" 1

expect_counts "$WORK/slab.json" \
	alloc-free free-without-alloc 2  alloc-free double-free 0  alloc-free leak 0 \
	no-realloc realloc-after-free 0 \
	slab-alloc-free double-free 1  slab-alloc-free free-without-alloc 1 \
	slab-alloc-free leak 1  slab-alloc-free realloc-without-free 0

# Same answers from trace-cmd's default v7 + zstd encoding of the same data.
if command -v trace-cmd >/dev/null 2>&1 && trace-cmd list -c 2>/dev/null | grep -q zstd; then
	for f in basic lost old-kernel slab; do
		trace-cmd convert -i "$WORK/$f.dat" -o "$WORK/$f-v7.dat" \
			--file-version 7 --compression zstd >/dev/null 2>&1 ||
			{ fail "$f: trace-cmd convert failed"; continue; }
		"$KMRV" check --format json --spec all "$WORK/$f-v7.dat" |
			sed "s|$WORK/$f-v7.dat|X|" > "$WORK/$f-v7.json"
		sed "s|$WORK/$f.dat|X|" "$WORK/$f.json" | cmp -s - "$WORK/$f-v7.json" &&
			pass "$f: v7-zstd result identical to v6" ||
			fail "$f: v7-zstd result differs from v6"
	done
else
	echo "note: trace-cmd with zstd not installed, v7 comparison not run"
fi

finish
