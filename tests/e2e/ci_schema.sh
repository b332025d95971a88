#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ci_schema.sh - check and diff JSON validated against the schemas in
# kmrv-check(1) and kmrv-diff(1): every documented member present with its
# type, on results with a failed trace, lost events, -v lists and totals.

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ci_fixtures.sh"
need jq

for f in basic lost; do fixture $f; done
ci_fixture a 2 1 0 1 0 0
printf 'junk\n' > "$WORK/junk.dat"
"$KMRV" check -v -f json "$WORK/basic.dat" "$WORK/lost.dat" "$WORK/junk.dat" "$WORK/a.dat" \
	> "$WORK/check.json" 2> /dev/null
"$KMRV" check -f json "$WORK/basic.dat" > "$WORK/one.json"
"$KMRV" check -f json "$WORK/basic.dat" "$WORK/a.dat" > "$WORK/two.json"
"$KMRV" diff -f json "$WORK/one.json" "$WORK/two.json" > "$WORK/diff.json"

# A jq validator: prints one line per violation of the schema.
cat > "$WORK/lib.jq" <<'JQ'
def uint: type == "number" and . >= 0 and floor == .;
def int: type == "number" and floor == .;
def str: type == "string";
def counts: type == "object" and ([.[] | uint] | all);
def change: IN("appeared", "vanished", "grew", "shrank");
# f($k; test): one line when member $k of the input is missing or fails test
def f($k; test): if has($k) | not then "missing \($k)"
	elif (.[$k] | test) then empty
	else "bad \($k): \(.[$k] | tojson | .[0:80])" end;
def sitesrows: type == "array" and all(.[]; (.site | str) and (.violations | counts));
def unfreedrows: type == "array" and all(.[]; (.site | str) and
	(.count | uint) and (.bytes | uint) and (.oldest_age_ns | uint));
def spec_checks: f("name"; str), f("description"; str), f("peak_instances"; uint),
	f("violations"; counts),
	f("by_pid"; type == "array" and all(.[]; (.pid | int) and (.comm | str) and (.violations | counts))),
	f("by_call_site"; sitesrows), f("unfreed"; unfreedrows),
	(select(has("violation_list")) | f("violation_list"; type == "array" and all(.[]; (.kind | str) and (.ptr | test("^0x[0-9a-f]+$"))
		and (.ts | uint) and (.cpu | uint) and (.pid | int) and (.comm | str) and (.site | str))));
def trace_checks: if has("error") then
		f("path"; str), f("error"; str),
		(keys - ["path", "error"] | if length > 0 then "error entry with \(.)" else empty end)
	else f("path"; str), f("cpus"; uint), f("events"; uint), f("event_counts"; counts),
		f("failed_allocs"; uint), f("null_frees"; uint), f("first_ts"; uint), f("last_ts"; uint),
		f("lost_events"; uint), f("lost_unknown_gaps"; uint),
		f("lost"; type == "array" and all(.[]; (.cpu | uint) and (.ts | uint) and (.count | int))),
		f("complete"; type == "boolean"), f("scope"; . == "tree" or . == "all"),
		f("command"; . == null or type == "object"), f("specs"; type == "array"),
		(.specs[]? | spec_checks) end;
def totals_checks: f("traces"; uint), f("failed"; uint), f("events"; uint),
	f("failed_allocs"; uint), f("null_frees"; uint), f("lost_events"; uint),
	f("lost_unknown_gaps"; uint), f("incomplete"; uint), f("complete"; type == "boolean"),
	f("specs"; type == "array"),
	(.specs[]? | f("name"; str), f("description"; str), f("violations"; counts),
		f("by_call_site"; sitesrows), f("unfreed"; unfreedrows),
		(if has("by_pid") then "by_pid in totals" else empty end));
def check_result: f("schema_version"; . == 1), f("tool"; . == "kmrv"), f("version"; str),
	f("traces"; type == "array"), f("totals"; type == "object"),
	(.traces[]? | trace_checks), (.totals | totals_checks);
def side: f("path"; str), f("source"; . == "json" or . == "trace"), f("traces"; uint);
def diff_result: f("diff_schema_version"; . == 1), f("tool"; . == "kmrv"), f("version"; str),
	f("match"; . == "site" or . == "function"), f("old"; type == "object"),
	f("new"; type == "object"), f("specs"; type == "array"),
	f("gate"; . == null or type == "object"),
	(.old, .new | side),
	(.gate | select(. != null) | f("kinds"; . == null or (type == "array" and all(.[]; str))),
		f("threshold"; uint), f("threshold_percent"; . == null or uint),
		f("failed"; type == "boolean")),
	(.specs[]? | f("name"; str),
		f("violations"; type == "array" and all(.[]; (.kind | str) and (.old | uint) and
			(.new | uint) and (.delta | int) and (.exceeded | type == "boolean"))),
		f("call_sites"; type == "array" and all(.[]; (.site | str) and (.kind | str) and
			(.old | uint) and (.new | uint) and (.delta | int) and (.change | change))),
		f("unfreed"; type == "object" and (.old.count | uint) and (.old.bytes | uint) and
			(.new.count | uint) and (.new.bytes | uint) and (.sites | type == "array") and
			all(.sites[]; (.site | str) and (.old_count | uint) and (.new_count | uint) and
				(.delta_count | int) and (.old_bytes | uint) and (.new_bytes | uint) and
				(.delta_bytes | int) and (.change | change))));
JQ

validate() {
	local what=$1 def=$2 file=$3 out
	out=$(jq -r -L "$WORK" 'include "lib"; '"$def" "$file" 2>&1)
	if [ -z "$out" ]; then
		pass "$what matches its schema"
	else
		fail "$what: $(echo "$out" | head -5)"
	fi
}
validate "check result (batch, -v, error entry, lost)" check_result "$WORK/check.json"
validate "check result (one trace)" check_result "$WORK/one.json"
validate "diff result" diff_result "$WORK/diff.json"
"$KMRV" diff -f json --match function --fail-on-increase=leak --threshold 1 --threshold 5% \
	"$WORK/one.json" "$WORK/two.json" > "$WORK/diff2.json"
validate "diff result with a gate" diff_result "$WORK/diff2.json"
# The validator itself notices a broken document.
jq '.traces[0].events = "many" | del(.totals.failed)' "$WORK/one.json" > "$WORK/broken.json"
out=$(jq -r -L "$WORK" 'include "lib"; check_result' "$WORK/broken.json" | wc -l)
expect_eq "validator flags a broken document" "$out" 2

finish
