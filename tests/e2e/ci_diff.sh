#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci_diff.sh - `kmrv diff` on two fixtures with known per-site deltas:
# kinds and call sites that appeared, vanished, grew and shrank, in the
# documented order; unfreed per allocation site; the --fail-on-increase
# gate's exit codes at and around its thresholds; --match function; and
# sides that cannot be compared (exit 2, one line, no table).

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ci_fixtures.sh"
need jq

#            name  ND NB NC NL NM NR
ci_fixture   old   2  1  0  1  0  0
ci_fixture   new   3  0  2  3  1  1
ci_fixture   moved 3  0  2  3  1  1  0x18	# new, every offset moved
for f in old new moved; do
	"$KMRV" check -f json --spec 1 "$WORK/$f.dat" > "$WORK/$f.json" || fail "check $f"
done

"$KMRV" diff -f json "$WORK/old.json" "$WORK/new.json" > "$WORK/d.json"
expect_eq "diff exit without a gate" $? 0
expect_eq "kinds old/new/delta" \
	"$(jq -c '[.specs[0].violations[] | [.kind, .old, .new, .delta]]' "$WORK/d.json")" \
	'[["free-without-alloc",1,2,1],["realloc-without-free",0,1,1],["double-free",2,3,1],["leak",1,4,3]]'
expect_eq "call sites by |delta| desc, then site" \
	"$(jq -c '[.specs[0].call_sites[] | [.site, .kind, .old, .new, .delta, .change]]' "$WORK/d.json")" \
	'[["alloc_l+0x10","leak",1,3,2,"grew"],["free_c+0x10","free-without-alloc",0,2,2,"appeared"],["alloc_a+0x10","realloc-without-free",0,1,1,"appeared"],["alloc_m+0x10","leak",0,1,1,"appeared"],["free_a+0x10","double-free",2,3,1,"grew"],["free_b+0x10","free-without-alloc",1,0,-1,"vanished"]]'
expect_eq "unfreed per allocation site" \
	"$(jq -c '.specs[0].unfreed | [.old, .new, [.sites[] | [.site, .old_count, .new_count, .delta_count, .old_bytes, .new_bytes, .delta_bytes, .change]]]' "$WORK/d.json")" \
	'[{"count":1,"bytes":256},{"count":4,"bytes":1024},[["alloc_l+0x10",1,3,2,256,768,512,"grew"],["alloc_m+0x10",0,1,1,0,256,256,"appeared"]]]'
expect_eq "diff header" "$(jq -c '[.diff_schema_version, .match, .old.source, .new.traces, .gate]' "$WORK/d.json")" \
	'[1,"site","json",1,null]'

# Reverse direction: what grew shrinks, what appeared vanishes.
"$KMRV" diff -f json "$WORK/new.json" "$WORK/old.json" > "$WORK/r.json"
expect_eq "reverse changes" \
	"$(jq -c '[.specs[0].call_sites[] | .change] | unique' "$WORK/r.json")" \
	'["appeared","shrank","vanished"]'

# A trace side is checked on the fly and gives the same diff.
"$KMRV" diff -f json --spec 1 "$WORK/old.json" "$WORK/new.dat" |
	jq -c 'del(.new.path, .new.source)' > "$WORK/t.json"
jq -c 'del(.new.path, .new.source)' "$WORK/d.json" | cmp -s - "$WORK/t.json" &&
	pass "trace side == JSON side" || fail "trace side differs from JSON side"

# Text: header says the match mode; tables present.
"$KMRV" diff "$WORK/old.json" "$WORK/new.json" > "$WORK/d.txt"
grep -q "^call sites matched by function+offset (--match site)$" "$WORK/d.txt" &&
	pass "text header names the match mode" || fail "text header: $(head -2 "$WORK/d.txt")"
grep -Eq '^    free_c\+0x10 +free-without-alloc +0 +2 +\+2  appeared$' "$WORK/d.txt" &&
	pass "text appeared row" || fail "text: no appeared row for free_c+0x10"

# gate: expect_gate WANT-EXIT ARGS...
expect_gate() {
	local want=$1; shift
	"$KMRV" diff "$@" "$WORK/old.json" "$WORK/new.json" > /dev/null 2> "$WORK/err"
	expect_eq "exit of diff $*" $? "$want"
}
expect_gate 1 --fail-on-increase
expect_gate 0 --fail-on-increase=double-free --threshold 1	# +1 is at the threshold
expect_gate 1 --fail-on-increase=double-free --threshold 0	# one above
expect_gate 0 --fail-on-increase=leak --threshold 3		# +3, at
expect_gate 1 --fail-on-increase=leak --threshold 2		# +3, one above
expect_gate 0 --fail-on-increase=leak --threshold 300%		# 1 -> 4 is +300%: at
expect_gate 1 --fail-on-increase=leak --threshold 299%
expect_gate 1 --fail-on-increase=realloc-without-free --threshold 1000%	# old 0: any increase
expect_gate 0 --fail-on-increase=realloc-without-free --threshold 1000% --threshold 1
expect_gate 0 --fail-on-increase=free-without-alloc,double-free --threshold 1
expect_gate 2 --fail-on-increase=double-frees			# no such kind
expect_gate 2 --threshold 5					# needs the gate
expect_gate 2 --fail-on-increase --threshold 5x
"$KMRV" diff --fail-on-increase "$WORK/new.json" "$WORK/old.json" > /dev/null
expect_eq "decreases pass the gate" $? 0
"$KMRV" diff -f json --fail-on-increase=leak --threshold 2 "$WORK/old.json" "$WORK/new.json" > "$WORK/g.json"
expect_eq "gate in JSON" \
	"$(jq -c '[.gate.failed, .gate.kinds, .gate.threshold, [.specs[0].violations[] | select(.exceeded) | .kind]]' "$WORK/g.json")" \
	'[true,["leak"],2,["leak"]]'

# --match function: offsets that moved between kernel builds.
"$KMRV" diff -f json "$WORK/new.json" "$WORK/moved.json" > "$WORK/m.json"
expect_eq "site mode sees moved offsets as appear/vanish" \
	"$(jq -c '[.specs[0].call_sites[] | .change] | unique' "$WORK/m.json")" '["appeared","vanished"]'
"$KMRV" diff -f json --match function "$WORK/new.json" "$WORK/moved.json" > "$WORK/m.json"
expect_eq "function mode: no change" \
	"$(jq -c '[.match, (.specs[0].call_sites | length), (.specs[0].unfreed.sites | length)]' "$WORK/m.json")" \
	'["function",0,0]'
"$KMRV" diff --match function "$WORK/new.json" "$WORK/moved.json" | grep -q "^call sites matched by function name, offsets ignored (--match function)$" &&
	pass "text header: function mode" || fail "text header: function mode"

# Sides that cannot be compared: one line on stderr, exit 2, no table.
expect_refusal() {
	local what=$1 needle=$2 rc; shift 2
	"$KMRV" diff "$@" > "$WORK/out" 2> "$WORK/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l < "$WORK/err")" -eq 1 ] && [ ! -s "$WORK/out" ] &&
	   grep -qF -- "$needle" "$WORK/err"; then
		pass "$what: $(cat "$WORK/err")"
	else
		fail "$what: exit $rc, stderr: $(cat "$WORK/err"), stdout $(wc -c < "$WORK/out") bytes"
	fi
}
"$KMRV" check -f json --spec 1,2 "$WORK/new.dat" > "$WORK/new12.json"
expect_refusal "different spec sets" "checked with different specs" "$WORK/old.json" "$WORK/new12.json"
"$KMRV" diff --spec 1 "$WORK/old.json" "$WORK/new12.json" > /dev/null
expect_eq "--spec picks the common specs" $? 0
sed 's/"schema_version": 1/"schema_version": 2/' "$WORK/new.json" > "$WORK/v2.json"
expect_refusal "other schema version" "schema_version 2, this kmrv reads 1" "$WORK/old.json" "$WORK/v2.json"
expect_refusal "diff result as input" "a kmrv diff result" "$WORK/old.json" "$WORK/d.json"
head -c 100 "$WORK/new.json" > "$WORK/cut.json"
expect_refusal "truncated JSON" "$WORK/cut.json:" "$WORK/old.json" "$WORK/cut.json"
expect_refusal "missing side" "nope.json: No such file" "$WORK/old.json" "$WORK/nope.json"
expect_refusal "one side only" "give two results" "$WORK/old.json"
printf 'junk\n' > "$WORK/junk.dat"
"$KMRV" check -f json --spec 1 "$WORK/new.dat" "$WORK/junk.dat" > "$WORK/witherr.json" 2>/dev/null
expect_refusal "a side with a failed trace" "could not be checked" "$WORK/old.json" "$WORK/witherr.json"

finish
