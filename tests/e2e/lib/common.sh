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
