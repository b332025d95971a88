#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci_merge.sh - `kmrv merge` of results checked one by one equals one
# `kmrv check` over all the files (totals compared with jq, and the whole
# document); inputs that cannot be merged are refused.

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ci_fixtures.sh"
need jq

ci_fixture a 2 1 0 1 0 0
ci_fixture b 3 0 2 3 1 1
ci_fixture c 0 4 1 0 2 2 0x18
for f in basic lost slab old-kernel; do fixture $f; done
files="$WORK/a.dat $WORK/b.dat $WORK/c.dat $WORK/basic.dat $WORK/lost.dat $WORK/slab.dat $WORK/old-kernel.dat"
parts=
for f in $files; do
	"$KMRV" check -f json "$f" > "$f.json" || fail "check $f"
	parts="$parts $f.json"
done
# shards of several traces merge too
"$KMRV" check -f json "$WORK/a.dat" "$WORK/b.dat" > "$WORK/shard1.json"
"$KMRV" check -j 2 -f json "$WORK/c.dat" "$WORK/basic.dat" "$WORK/lost.dat" "$WORK/slab.dat" "$WORK/old-kernel.dat" > "$WORK/shard2.json"

# shellcheck disable=SC2086
"$KMRV" check -f json $files > "$WORK/one.json"
# shellcheck disable=SC2086
"$KMRV" merge $parts > "$WORK/merged.json"
expect_eq "merge exit" $? 0
"$KMRV" merge "$WORK/shard1.json" "$WORK/shard2.json" > "$WORK/shards.json"

expect_eq "merged totals == one run's totals" \
	"$(jq -S -c .totals "$WORK/merged.json")" "$(jq -S -c .totals "$WORK/one.json")"
expect_eq "shard totals == one run's totals" \
	"$(jq -S -c .totals "$WORK/shards.json")" "$(jq -S -c .totals "$WORK/one.json")"
cmp -s "$WORK/merged.json" "$WORK/one.json" && pass "merged document identical to one run" ||
	fail "merged document differs from one run"
expect_eq "traces concatenated" "$(jq '.traces | length' "$WORK/merged.json")" 7
expect_eq "merge of a merge" \
	"$("$KMRV" merge "$WORK/merged.json" "$WORK/a.dat.json" | jq -c '.totals.traces')" 8
"$KMRV" merge -f text "$WORK/shard1.json" "$WORK/shard2.json" | grep -q "^totals: 7 traces" &&
	pass "merge -f text" || fail "merge -f text has no totals"

# -v lists survive a merge of -v results
"$KMRV" check -v -f json "$WORK/basic.dat" > "$WORK/v1.json"
"$KMRV" check -v -f json "$WORK/slab.dat" > "$WORK/v2.json"
"$KMRV" check -v -f json "$WORK/basic.dat" "$WORK/slab.dat" > "$WORK/v12.json"
"$KMRV" merge "$WORK/v1.json" "$WORK/v2.json" | cmp -s - "$WORK/v12.json" &&
	pass "merge keeps violation lists" || fail "merge of -v results differs"

# error entries are carried over and counted
printf 'junk\n' > "$WORK/junk.dat"
"$KMRV" check -f json "$WORK/a.dat" "$WORK/junk.dat" > "$WORK/err.json" 2> /dev/null
expect_eq "failed counted" "$("$KMRV" merge "$WORK/err.json" "$WORK/b.dat.json" | jq -c '[.totals.traces, .totals.failed]')" '[3,1]'

refuse() {
	local what=$1 needle=$2 rc; shift 2
	"$KMRV" merge "$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$WORK/out" ] && grep -qF -- "$needle" "$WORK/err"; then
		pass "$what: $(cat "$WORK/err")"
	else
		fail "$what: exit $rc, $(cat "$WORK/err")"
	fi
}
"$KMRV" check -f json --spec 1 "$WORK/c.dat" > "$WORK/c1.json"
refuse "different spec sets" "totals need one spec set" "$WORK/a.dat.json" "$WORK/c1.json"
sed 's/"schema_version": 1/"schema_version": 7/' "$WORK/a.dat.json" > "$WORK/v7.json"
refuse "other schema version" "schema_version 7" "$WORK/b.dat.json" "$WORK/v7.json"
refuse "no input" "no result given"
refuse "not JSON" "$WORK/a.dat:1:1:" "$WORK/a.dat"

finish
