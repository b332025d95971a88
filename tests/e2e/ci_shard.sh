#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci_shard.sh - scripts/shard-check.sh over two "local" shards gives the
# totals of one kmrv check over every trace; a failed trace in a shard
# makes it exit 2 but is still merged.

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ci_fixtures.sh"
need jq
need xargs

mkdir -p "$WORK/s1" "$WORK/s2"
ci_fixture a 2 1 0 1 0 0
ci_fixture b 3 0 2 3 1 1
fixture basic
mv "$WORK/a.dat" "$WORK/s1/"
mv "$WORK/b.dat" "$WORK/basic.dat" "$WORK/s2/"

export KMRV
"$SRC/scripts/shard-check.sh" -j 2 -o "$WORK/sharded.json" local:"$WORK/s1" local:"$WORK/s2"
expect_eq "shard-check exit" $? 0
"$KMRV" check -f json "$WORK/s1" "$WORK/s2" > "$WORK/one.json"
expect_eq "sharded totals == one run's" \
	"$(jq -S -c .totals "$WORK/sharded.json")" "$(jq -S -c .totals "$WORK/one.json")"

printf '\027\010\104tracing6' > "$WORK/s2/zz.dat"	# a trace by its magic, but cut
"$SRC/scripts/shard-check.sh" -o "$WORK/sharded.json" local:"$WORK/s1" local:"$WORK/s2" 2> /dev/null
expect_eq "a failed trace: exit 2" $? 2
expect_eq "... and still merged" "$(jq -c '[.totals.traces, .totals.failed]' "$WORK/sharded.json")" '[4,1]'

finish
