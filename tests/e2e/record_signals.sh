#!/bin/bash
# Ctrl-C and SIGTERM to kmrv record: passed on to the command, the file is
# completed and valid, the command is gone, the status is the command's.
# A command that ignores the first signal is ended on the second.
. "$(dirname "$0")/record_common.bash"
# job control: background jobs then keep SIGINT, as from a terminal
set -m

# signal_run SIG [SIG2] -- CMD: kmrv record CMD, signalled after 1 s
signal_run() {
	local sig=$1 sig2=$2 out=$3
	shift 4
	local t0=$SECONDS
	"$KMRV" record -q -o "$out" -- "$@" 2>"$TMP/err" &
	KPID=$!
	sleep 1
	kill -"$sig" "$KPID"
	if [ -n "$sig2" ]; then
		sleep 0.5
		kill -"$sig2" "$KPID"
	fi
	wait "$KPID"
	RC=$?
	assert_clean "$KPID"
	[ $((SECONDS - t0)) -lt 15 ] || fail "kmrv record took $((SECONDS - t0)) s to stop"
}

assert_child_gone() {
	local pid
	pid=$(marker_pid "$1")
	[ "$pid" -gt 0 ] 2>/dev/null || fail "$1: no marker"
	[ ! -e "/proc/$pid" ] || fail "the command (pid $pid) still runs"
}

signal_run INT "" "$TMP/int.dat" -- sleep 30
[ "$RC" = 130 ] || fail "SIGINT: exit $RC, want 130: $(cat "$TMP/err")"
assert_valid_trace "$TMP/int.dat"
assert_child_gone "$TMP/int.dat"

signal_run TERM "" "$TMP/term.dat" -- sleep 30
[ "$RC" = 143 ] || fail "SIGTERM: exit $RC, want 143: $(cat "$TMP/err")"
assert_valid_trace "$TMP/term.dat"
assert_child_gone "$TMP/term.dat"

signal_run HUP "" "$TMP/hup.dat" -- sleep 30
[ "$RC" = 129 ] || fail "SIGHUP: exit $RC, want 129: $(cat "$TMP/err")"
assert_valid_trace "$TMP/hup.dat"

# ignores SIGINT: the second one stops recording, the command gets SIGTERM
signal_run INT INT "$TMP/ign.dat" -- sh -c 'trap "" INT; exec sleep 30'
[ "$RC" = 143 ] || fail "second SIGINT: exit $RC, want 143 (SIGTERM): $(cat "$TMP/err")"
assert_valid_trace "$TMP/ign.dat"
assert_child_gone "$TMP/ign.dat"

# -p: attach until the process exits
sleep 1.5 &
spid=$!
run_record -q -o "$TMP/pid.dat" -p "$spid"
[ "$RC" = 0 ] || fail "-p: exit $RC: $(cat "$TMP/err")"
assert_valid_trace "$TMP/pid.dat"
jq -e --argjson pid "$spid" '.traces[0].command.pid == $pid' "$TMP/check.json" >/dev/null ||
	fail "-p: marker does not name pid $spid"
echo "PASS"
