# SPDX-License-Identifier: GPL-2.0
# common.sh - sourced by the end-to-end tests. Environment from ctest:
# KMRV (the CLI), MKFIXTURE (fixture generator), SRC (source tree).

set -u
: "${KMRV:?KMRV must name the kmrv binary}"
: "${MKFIXTURE:?MKFIXTURE must name kmrv-mkfixture}"
: "${SRC:?SRC must name the source tree}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kmrv-e2e.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
FAILURES=0

fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

pass() {
	echo "ok: $*"
}

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "SKIP: $1 not installed"
	exit 77
}

# fixture NAME: generate tests/fixtures/NAME.txt into $WORK/NAME.dat
fixture() {
	"$MKFIXTURE" "$SRC/tests/fixtures/$1.txt" "$WORK/$1.dat" || {
		echo "FAIL: cannot generate fixture $1"
		exit 1
	}
}

# one_line FILE: true if FILE holds exactly one newline-ended line (the
# shape of every kmrv error). mapfile, no fork: the corrupt-input loops
# call this thousands of times.
one_line() {
	local l
	mapfile l < "$1"
	[ ${#l[@]} -eq 1 ] && [ "${l[0]: -1}" = $'\n' ]
}

# expect_error DESCRIPTION NEEDLE ARGS...: `kmrv ARGS` exits 2 with one stderr
# line holding NEEDLE and prints nothing on stdout
expect_error() {
	local what=$1 needle=$2 rc lines
	shift 2
	timeout 20 "$KMRV" "$@" > "$WORK/stdout" 2> "$WORK/stderr"
	rc=$?
	lines=$(wc -l < "$WORK/stderr")
	if [ $rc -ne 2 ]; then
		fail "$what: exit $rc, want 2 ($(head -c 200 "$WORK/stderr"))"
	elif [ "$lines" -ne 1 ]; then
		fail "$what: $lines lines on stderr, want 1:"; cat "$WORK/stderr"
	elif ! grep -qF -- "$needle" "$WORK/stderr"; then
		fail "$what: stderr does not name '$needle': $(cat "$WORK/stderr")"
	elif [ -s "$WORK/stdout" ]; then
		fail "$what: printed a report despite the error"
	else
		pass "$what: $(cat "$WORK/stderr")"
	fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 = $3"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# count JSON SPEC KIND: one spec's count of one kind in a check result
count() {
	jq -r --arg s "$2" --arg k "$3" \
		'.traces[0].specs[] | select(.name == $s) | .violations[$k]' "$1"
}

finish() {
	if [ "$FAILURES" -ne 0 ]; then
		echo "$FAILURES check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
