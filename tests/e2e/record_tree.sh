#!/bin/bash
# The process tree of a recorded command follows its forks: a shell that
# runs a pipeline and leaves a background child. The recorder waits for
# the orphan too, and the command's status comes back.
. "$(dirname "$0")/record_common.bash"

out="$TMP/sh.dat"
run_record -o "$out" -- sh -c 'ls / >/dev/null; cat /etc/passwd | wc -l >/dev/null; (sleep 0.3 &); exit 5'
[ "$RC" = 5 ] || fail "exit $RC, want 5: $(cat "$TMP/err")"
assert_valid_trace "$out"
j="$TMP/check.json"
jq -e '.traces[0].command.tree_pids >= 5' "$j" >/dev/null ||
	fail "tree too small: $(jq -c '.traces[0].command' "$j")"
# the orphaned sleep ran to its end inside the recording
jq -e '.traces[0].event_counts["sched:sched_process_exit"] >= 5' "$j" >/dev/null ||
	fail "not every exit recorded: $(jq -c '.traces[0].event_counts' "$j")"
if command -v trace-cmd >/dev/null; then
	grep -q 'sched_process_exit: *comm=sleep' "$TMP/report" ||
		fail "the orphaned sleep's exit is not in the trace"
	# Tasks born while recording are named in the file (saved_cmdlines
	# is read again at the end): every exec in the command's tree (the
	# marker's pid and its forks; the recording is system-wide) shows
	# under the program's name, not trace-cmd's "<...>" for an unknown pid.
	read -r execs named < <(awk '
		/kmrv-record: pid=/ { sub(/.*kmrv-record: pid=/, ""); tree[$1 + 0] = 1; next }
		/sched_process_fork:/ {
			match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5) + 0
			match($0, /child_pid=[0-9]+/); c = substr($0, RSTART + 10, RLENGTH - 10) + 0
			if (p in tree) tree[c] = 1
			next
		}
		/sched_process_exec: *filename=/ {
			match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5) + 0
			if (!(p in tree)) next
			n++
			comm = substr($1, 1, match($1, /-[0-9]+$/) - 1)
			split($0, f, "filename="); split(f[2], g, " ")
			m = split(g[1], q, "/"); if (substr(q[m], 1, 15) == comm) ok++
		}
		END { print n + 0, ok + 0 }' "$TMP/report")
	[ "$execs" -ge 5 ] || fail "$execs execs of the tree in the report, want 5 or more"
	[ "$named" = "$execs" ] ||
		fail "$named of $execs execs of the tree are under the program's name: $(grep 'sched_process_exec' "$TMP/report" | head -8)"
fi
# --tree on a trace without a marker is an error naming the file
"$KMRV" record -a -t 0.3 -o "$TMP/all.dat" 2>"$TMP/err" & KPID=$!; wait $KPID; RC=$?
assert_clean "$KPID"
[ "$RC" = 0 ] || fail "-a -t 0.3: exit $RC: $(cat "$TMP/err")"
"$KMRV" check --format json "$TMP/all.dat" | jq -e '.traces[0].scope == "all" and .traces[0].command == null' >/dev/null ||
	fail "-a trace: default scope should be all"
"$KMRV" check --tree "$TMP/all.dat" >/dev/null 2>"$TMP/err" && fail "--tree without a marker succeeded"
grep -q "all.dat: --tree" "$TMP/err" || fail "--tree error does not name the file: $(cat "$TMP/err")"
echo "PASS"
