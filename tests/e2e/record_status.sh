#!/bin/bash
# kmrv record exits with the command's status, as timeout(1) and env(1)
# do: N, 128+signal, 127 not found, 126 not executable; no file is left
# for a command that never ran.
. "$(dirname "$0")/record_common.bash"

run_record -q -o "$TMP/e3.dat" -- sh -c 'exit 3'
[ "$RC" = 3 ] || fail "sh -c 'exit 3': exit $RC, want 3: $(cat "$TMP/err")"
assert_valid_trace "$TMP/e3.dat"

run_record -q -o "$TMP/kill.dat" -- sh -c 'kill -KILL $$'
[ "$RC" = 137 ] || fail "killed by SIGKILL: exit $RC, want 137"

run_record -q -o "$TMP/nf.dat" -- /nonexistent/kmrv-no-such-command
[ "$RC" = 127 ] || fail "missing command: exit $RC, want 127"
grep -q "kmrv-no-such-command: command not found" "$TMP/err" ||
	fail "missing command: message: $(cat "$TMP/err")"
[ ! -e "$TMP/nf.dat" ] || fail "missing command: a file was left"

run_record -q -o "$TMP/nx.dat" -- no-such-command-in-path-kmrv
[ "$RC" = 127 ] || fail "command not in PATH: exit $RC, want 127"

printf 'not a program\n' >"$TMP/noexec"
chmod 644 "$TMP/noexec"
run_record -q -o "$TMP/ne.dat" -- "$TMP/noexec"
[ "$RC" = 126 ] || fail "not executable: exit $RC, want 126"
grep -q "Permission denied" "$TMP/err" || fail "not executable: message: $(cat "$TMP/err")"
echo "PASS"
