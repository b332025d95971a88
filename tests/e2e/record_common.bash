# Sourced by tests/e2e/record_*.sh: live tests of `kmrv record`.
# Needs root and a writable tracefs; skips (exit 77) with a reason if not.
# Environment from ctest: KMRV, SRC (KMRV_SPEC_PATH for kmrv check).

set -u
: "${KMRV:?KMRV must name the kmrv binary}"
: "${SRC:?SRC must name the source tree}"
export KMRV_SPEC_PATH="${KMRV_SPEC_PATH:-$SRC/specs}"

TRACEFS=/sys/kernel/tracing

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
note() { echo "# $*"; }

require_tracefs() {
	[ "$(id -u)" = 0 ] || skip "not root: kmrv record needs root"
	if [ ! -d "$TRACEFS/instances" ]; then
		mount -t tracefs nodev "$TRACEFS" 2>/dev/null ||
			skip "tracefs is not mounted at $TRACEFS and mounting it failed"
	fi
	local probe="$TRACEFS/instances/kmrv-test-probe-$$"
	mkdir "$probe" 2>/dev/null ||
		skip "tracefs is not writable: cannot create an instance in $TRACEFS/instances"
	rmdir "$probe"
	command -v jq >/dev/null || skip "jq is not installed"
}

# The top instance's enabled kmem events before we start: other tracing
# users may have their own, and must find them as they were.
top_kmem_enabled() {
	grep -l '^1' "$TRACEFS"/events/kmem/*/enable 2>/dev/null | sort
}

# After each run of kmrv (pid $1): its instance is gone, and we enabled
# nothing in the top instance.
assert_clean() {
	local pid=$1 left
	left=$(ls -d "$TRACEFS"/instances/kmrv-"$pid"-* 2>/dev/null)
	[ -z "$left" ] || fail "instance left behind: $left"
	[ "$(top_kmem_enabled)" = "$TOP_BEFORE" ] ||
		fail "kmem events enabled in the top instance changed: $(top_kmem_enabled)"
}

# run_record ARGS...: kmrv record ARGS in the background (so we know its
# pid), waited for; sets RC, KPID; stderr in $TMP/err.
run_record() {
	"$KMRV" record "$@" 2>"$TMP/err" &
	KPID=$!
	wait "$KPID"
	RC=$?
	assert_clean "$KPID"
}

# The root pid from the file's kmrv-record marker, as kmrv check reads it.
marker_pid() {
	"$KMRV" check --format json --spec alloc-free "$1" | jq -r '.traces[0].command.pid'
}

# A trace must read back: trace-cmd report (if installed) without errors,
# and kmrv check.
assert_valid_trace() {
	local f=$1
	[ -s "$f" ] || fail "$f: missing or empty"
	if command -v trace-cmd >/dev/null; then
		trace-cmd report "$f" >"$TMP/report" 2>"$TMP/report.err" ||
			fail "trace-cmd report $f failed: $(head -3 "$TMP/report.err")"
		! grep -qi 'error\|failed\|bad' "$TMP/report.err" ||
			fail "trace-cmd report $f complained: $(head -3 "$TMP/report.err")"
	fi
	"$KMRV" check --format json "$f" >"$TMP/check.json" ||
		fail "kmrv check $f failed"
}

require_tracefs
TOP_BEFORE=$(top_kmem_enabled)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
