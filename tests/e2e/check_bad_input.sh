#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_bad_input.sh - every bad input gets exit status 2 and exactly one
# line on stderr that names the file (or the bad argument); never a signal,
# never a hang, never a report on stdout that could pass for an answer.

. "$(dirname "$0")/lib/common.sh"

fixture basic
cp "$SRC/samples/ls-doc.dat" "$WORK/sample-v7.dat"

expect_error "missing file" "$WORK/nope.dat: No such file" check "$WORK/nope.dat"
mkdir "$WORK/empty-dir"
expect_error "directory without traces" "$WORK/empty-dir: no trace files" check "$WORK/empty-dir"
: > "$WORK/empty.dat"
expect_error "empty file" "$WORK/empty.dat: empty file" check "$WORK/empty.dat"
expect_error "text file" "$SRC/README.md: not a trace.dat" check "$SRC/README.md"
printf '\027\010\104tracing9\0' > "$WORK/v9.dat"
expect_error "unknown version" "unsupported trace.dat version '9'" check "$WORK/v9.dat"

cat > "$WORK/nokmem.txt" <<'DESC'
cpus 1
0 100 print 1 only a marker here
DESC
"$MKFIXTURE" "$WORK/nokmem.txt" "$WORK/nokmem.dat" || fail "cannot generate nokmem"
expect_error "no kmem events" "$WORK/nokmem.dat: no kmem events recorded" check "$WORK/nokmem.dat"

expect_error "unknown spec" "unknown spec 'nosuch'" check --spec nosuch "$WORK/basic.dat"
printf 'spec broken\ndescribe "x"\nevent alloc = kmem:kmaloc\n' > "$WORK/broken.spec"
expect_error "spec with an error" "$WORK/broken.spec:3:15: unknown tracepoint 'kmem:kmaloc'" \
	check --spec "$WORK/broken.spec" "$WORK/basic.dat"
expect_error "unknown --fail-on kind" "no selected spec has violation kind 'double-frees'" \
	check --fail-on double-frees "$WORK/basic.dat"
expect_error "bad --format" "'yaml' is not text or json" check --format yaml "$WORK/basic.dat"
expect_error "bad --pid" "'abc' is not a pid" check --pid abc "$WORK/basic.dat"
expect_error "no trace given" "no trace file given" check
expect_error "unknown command" "'chekc' is not a kmrv command" chekc

# Truncation anywhere: a v6 fixture at every 64th byte, the v7 sample at
# 40 places (every 256th and 10 under the sanitizers, which run everything
# several times slower). Each is a clean error (the file is cut) or, when
# the cut falls in padding after the last page, a full answer. One gawk
# writes every cut copy: a head per cut costs more than the kmrv run.
command -v gawk > /dev/null || { echo "FAIL: gawk not installed"; exit 1; }
truncate_table() {
	local src=$1 step=$2 size n=0 bad=0 rc off
	size=$(stat -c %s "$src")
	mkdir "$WORK/cuts"
	LC_ALL=C gawk -v src="$src" -v step="$step" -v dir="$WORK/cuts" 'BEGIN {
		RS = "^$"
		getline data < src
		for (off = 0; off < length(data); off += step) {
			printf "%s", substr(data, 1, off) > (dir "/" off)
			close(dir "/" off)
		}
	}' || fail "gawk cannot write the cut copies"
	for ((off = 0; off < size; off += step)); do
		timeout 20 "$KMRV" check --spec 1 "$WORK/cuts/$off" > /dev/null 2> "$WORK/stderr"
		rc=$?
		n=$((n + 1))
		if [ $rc -ne 2 ] && [ $rc -ne 0 ]; then
			fail "$(basename "$src") cut at $off: exit $rc"; bad=$((bad + 1))
		elif [ $rc -eq 2 ] && ! one_line "$WORK/stderr"; then
			fail "$(basename "$src") cut at $off: not one line: $(cat "$WORK/stderr")"
			bad=$((bad + 1))
		fi
	done
	rm -r "$WORK/cuts"
	[ $bad -eq 0 ] && pass "$(basename "$src"): $n truncations, all exit 2 with one line or 0"
}
step=64 places=40
[ -n "${KMRV_SANITIZED:-}" ] && step=256 places=10
truncate_table "$WORK/basic.dat" "$step"
truncate_table "$WORK/sample-v7.dat" $(( $(stat -c %s "$WORK/sample-v7.dat") / places ))

finish
