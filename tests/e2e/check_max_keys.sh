#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_max_keys.sh - a trace with more distinct live objects than
# --max-keys allows stops with exit 2 and one line naming the limit and
# how to raise it, never a partial answer; under the limit (or with 0,
# no limit) the answer is complete; memory stays bounded (ulimit -v).

. "$(dirname "$0")/lib/common.sh"

# 60000 events, 5 specs, about 20000..40000 objects live at a time
"$MKFIXTURE" --synthetic 60000 --live 20000 --seed 7 "$WORK/many.dat" ||
	{ echo "FAIL: cannot generate the synthetic trace"; exit 1; }

run() {	# run ULIMIT_KB ARGS...
	local lim=$1
	shift
	( [ "$lim" = 0 ] || ulimit -v "$lim"
	  exec timeout 60 "$KMRV" check "$@" ) > "$WORK/out" 2> "$WORK/err"
	RC=$?
}

run 0 --spec all --max-keys 5000 "$WORK/many.dat"
if [ $RC -ne 2 ]; then
	fail "over the limit: exit $RC, want 2"
elif [ "$(wc -l < "$WORK/err")" -ne 1 ] || ! grep -q -- "--max-keys N" "$WORK/err" ||
     ! grep -qF "$WORK/many.dat: more than 5000 automaton instances live" "$WORK/err"; then
	fail "over the limit: message: $(cat "$WORK/err")"
elif [ -s "$WORK/out" ]; then
	fail "over the limit: printed a partial report"
else
	pass "over the limit: $(cat "$WORK/err")"
fi

# split over threads, the check stops at the same event with the same words
cp "$WORK/err" "$WORK/err.one"
for t in 1 2 5; do
	run 0 --spec all --max-keys 5000 -t $t "$WORK/many.dat"
	expect_eq "over the limit with -t $t: exit" "$RC" 2
	cmp -s "$WORK/err" "$WORK/err.one" ||
		fail "over the limit with -t $t: $(cat "$WORK/err"), want $(cat "$WORK/err.one")"
done
# a limit met late: the threads run free, then step the last batches together
run 0 --spec all --max-keys 30000 -t 1 "$WORK/many.dat"
cp "$WORK/err" "$WORK/err.one"
expect_eq "limit met late, one thread: exit" "$RC" 2
run 0 --spec all --max-keys 30000 -t 2 "$WORK/many.dat"
expect_eq "limit met late, two threads: exit" "$RC" 2
cmp -s "$WORK/err" "$WORK/err.one" ||
	fail "limit met late with -t 2: $(cat "$WORK/err"), want $(cat "$WORK/err.one")"

# in a batch the other traces are still checked
fixture basic
run 0 --spec all --max-keys 5000 -f json "$WORK/basic.dat" "$WORK/many.dat"
expect_eq "batch with one trace over the limit: exit" "$RC" 2
expect_eq "batch: the small trace checked (events)" \
	"$(jq -r ".traces[0].events" "$WORK/out" 2>/dev/null)" 34

run 0 --spec all --max-keys 0 -f json "$WORK/many.dat"
expect_eq "no limit: exit" "$RC" 0
total=$(jq '.traces[0].events' "$WORK/out")
expect_eq "no limit: every event read" "$total" 60000

run 0 --spec all -f json "$WORK/many.dat"
expect_eq "default limit: exit" "$RC" 0
run 0 --spec alloc-free --max-keys 40000 -f json "$WORK/many.dat"
expect_eq "limit above the live set of one spec: exit" "$RC" 0

# bounded memory: 400 MB of address space is enough with the limit
# (not under ASan: it reserves terabytes of address space)
[ -n "${KMRV_SANITIZED:-}" ] || run $((400 * 1024)) --spec all --max-keys 100000 "$WORK/many.dat"
[ $RC -eq 0 ] || [ $RC -eq 2 ] || fail "under ulimit -v: exit $RC: $(cat "$WORK/err")"

run 0 --max-keys -3 "$WORK/many.dat"
expect_eq "negative --max-keys: exit" "$RC" 2
grep -q -- "--max-keys: '-3' is not a number" "$WORK/err" || fail "bad --max-keys message: $(cat "$WORK/err")"

finish
