#!/bin/bash
# kmrv record of `ls -R` writes a trace that trace-cmd and kmrv check read,
# with kmalloc/kfree events from the command's own pid, and kmrv check
# reports the command's tree by default: never more than --all.
. "$(dirname "$0")/record_common.bash"

dir=/usr/share/doc
[ -d "$dir" ] || dir=/usr/include
out="$TMP/ls.dat"

run_record -o "$out" -- ls -R "$dir"
[ "$RC" = 0 ] || fail "ls -R $dir: exit $RC, want 0: $(cat "$TMP/err")"
grep -q "events, 0 lost\|events, [0-9]* lost" "$TMP/err" || fail "no summary: $(cat "$TMP/err")"
assert_valid_trace "$out"

pid=$(marker_pid "$out")
[ "$pid" -gt 0 ] 2>/dev/null || fail "no kmrv-record marker pid in $out"
note "root pid $pid"

if command -v trace-cmd >/dev/null; then
	grep -q "kmrv-record: pid=$pid argv=ls -R $dir" "$TMP/report" ||
		fail "trace-cmd report does not show the marker"
	grep -Eq -- "-$pid +\[[0-9]+\] +[0-9.]+: (kmalloc|kmem_cache_alloc):" "$TMP/report" ||
		fail "no allocation by ls (pid $pid) in the trace"
	grep -Eq -- "-$pid +\[[0-9]+\] +[0-9.]+: (kfree|kmem_cache_free):" "$TMP/report" ||
		fail "no free by ls (pid $pid) in the trace"
fi

j="$TMP/check.json"
jq -e '.traces[0].event_counts["kmem:kmalloc"] > 0 and
       .traces[0].event_counts["kmem:kfree"] > 0' "$j" >/dev/null ||
	fail "kmrv check sees no kmalloc/kfree: $(jq -c '.traces[0].event_counts' "$j")"
jq -e --argjson pid "$pid" '.traces[0].scope == "tree" and
       .traces[0].command.pid == $pid and .traces[0].command.tree_pids >= 1' "$j" >/dev/null ||
	fail "default scope is not the command's tree: $(jq -c '.traces[0] | {scope, command}' "$j")"

# --tree (the default here) reports a subset of --all, kind by kind
"$KMRV" check --format json --all "$out" >"$TMP/all.json" || fail "check --all failed"
jq -e '.traces[0].scope == "all"' "$TMP/all.json" >/dev/null || fail "--all: scope not all"
jq -s -e '
  [.[0].traces[0].specs, .[1].traces[0].specs] as [$t, $a] |
  [range($t | length) as $i | $t[$i].violations | to_entries[] as $e |
     $e.value <= $a[$i].violations[$e.key]] | all' "$j" "$TMP/all.json" >/dev/null ||
	fail "--tree reports more than --all"
tree=$(jq '[.traces[0].specs[].violations[]] | add' "$j")
all=$(jq '[.traces[0].specs[].violations[]] | add' "$TMP/all.json")
note "violations: tree $tree, all $all"
# kmrv's own allocations (enabling the events) are outside the tree
[ "$tree" -lt "$all" ] || fail "--tree ($tree) should report fewer than --all ($all)"
# by_pid under --tree holds only tree pids: here the root
jq -e --argjson pid "$pid" '[.traces[0].specs[].by_pid[].pid] | all(. == $pid)' "$j" >/dev/null ||
	fail "--tree reports pids outside the tree: $(jq -c '[.traces[0].specs[].by_pid[].pid] | unique' "$j")"
echo "PASS"
