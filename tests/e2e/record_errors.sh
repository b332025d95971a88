#!/bin/bash
# kmrv record's own errors exit 2 with one clear line and leave no
# instance and no partial file: unwritable output, full disk, unknown
# event, bad usage, not root.
. "$(dirname "$0")/record_common.bash"

run_record -o /nonexistent-kmrv-dir/x.dat -- true
[ "$RC" = 2 ] || fail "unwritable output: exit $RC, want 2"
grep -q "/nonexistent-kmrv-dir/x.dat: No such file or directory" "$TMP/err" ||
	fail "unwritable output: message: $(cat "$TMP/err")"

# a full disk: /dev/full fails every write with ENOSPC
if [ -e /dev/full ]; then
	run_record -q -o /dev/full -- ls /
	[ "$RC" = 2 ] || fail "disk full (/dev/full): exit $RC, want 2"
	grep -q "No space left on device" "$TMP/err" ||
		fail "disk full: message: $(cat "$TMP/err")"
fi

run_record -o "$TMP/ev.dat" -e kmem:no_such_event_kmrv -- true
[ "$RC" = 2 ] || fail "unknown event: exit $RC, want 2"
grep -q "no_such_event_kmrv: no such event" "$TMP/err" || fail "unknown event: $(cat "$TMP/err")"
[ ! -e "$TMP/ev.dat" ] || fail "unknown event: a file was left"

run_record -o "$TMP/ev.dat" -e kmalloc -- true
[ "$RC" = 2 ] || fail "-e without system: exit $RC, want 2"

run_record -o "$TMP/u.dat"
[ "$RC" = 2 ] || fail "no command: exit $RC, want 2"
run_record -a -o "$TMP/u.dat" -- true
[ "$RC" = 2 ] || fail "-a with a command: exit $RC, want 2"
run_record -b 0 -o "$TMP/u.dat" -- true
[ "$RC" = 2 ] || fail "-b 0: exit $RC, want 2"

# -e replaces the kmem set; the process events are always added
run_record -q -o "$TMP/e.dat" -e kmem:kmalloc -e kmem:kfree -- ls /
[ "$RC" = 0 ] || fail "-e kmem:kmalloc -e kmem:kfree: exit $RC: $(cat "$TMP/err")"
"$KMRV" check --format json "$TMP/e.dat" >"$TMP/e.json" || fail "check -e trace"
jq -e '.traces[0].event_counts | has("kmem:kmem_cache_alloc") | not' "$TMP/e.json" >/dev/null ||
	fail "-e: kmem_cache_alloc recorded anyway"
jq -e '.traces[0].event_counts["sched:sched_process_exit"] >= 1' "$TMP/e.json" >/dev/null ||
	fail "-e: process events missing"

# not root: says so, exit 2
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	cp "$KMRV" "$TMP/kmrv" && chmod 755 "$TMP" "$TMP/kmrv"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$TMP/kmrv" record -o /tmp/kmrv-nobody-$$.dat -- true 2>"$TMP/err"
	RC=$?
	[ "$RC" = 2 ] || fail "not root: exit $RC, want 2"
	grep -q "needs root (tracefs is not writable" "$TMP/err" ||
		fail "not root: message: $(cat "$TMP/err")"
	[ ! -e /tmp/kmrv-nobody-$$.dat ] || { rm -f /tmp/kmrv-nobody-$$.dat; fail "not root: a file was left"; }
fi
echo "PASS"
