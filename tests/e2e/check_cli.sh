#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check_cli.sh - options of `kmrv check` and `kmrv specs` on the basic
# fixture, whose verdicts are known (tests/fixtures/README).

. "$(dirname "$0")/lib/common.sh"
need jq
fixture basic
dat=$WORK/basic.dat

# --fail-on: 1 when a chosen kind was found, 0 when not, 2 for a typo
"$KMRV" check --fail-on double-free "$dat" > /dev/null
expect_eq "--fail-on double-free (found)" $? 1
"$KMRV" check --spec no-realloc,3 --fail-on immediate-realloc "$dat" > /dev/null
expect_eq "--fail-on immediate-realloc (found)" $? 1
"$KMRV" check --spec 2 --fail-on realloc-after-free --pid 8 "$dat" > /dev/null
expect_eq "--fail-on with a filter that hides the finding" $? 0
"$KMRV" check "$dat" > /dev/null
expect_eq "findings alone exit 0" $? 0

# --spec selection: aliases, names and paths, in the order given
expect_eq "--spec 3,1" \
	"$("$KMRV" check -f json --spec 3,1 "$dat" | jq -r '[.traces[0].specs[].name] | join(" ")')" \
	"no-immediate-realloc alloc-free"
expect_eq "--spec PATH" \
	"$("$KMRV" check -f json --spec "$SRC/specs/slab-alloc-free.spec" "$dat" | jq -r '.traces[0].specs[0].name')" \
	"slab-alloc-free"
expect_eq "--spec all" \
	"$("$KMRV" check -f json "$dat" | jq -r '[.traces[0].specs[].name] | join(" ")')" \
	"alloc-free no-realloc no-immediate-realloc no-immediate-realloc-global slab-alloc-free"

# filters choose what is reported, never what the automata see: pid 100's
# double free of P3 stays a double free although pid 100 is the only one shown
j=$("$KMRV" check -f json --spec 1 --pid 100 "$dat")
expect_eq "--pid 100 counts" "$(echo "$j" | jq -c '.traces[0].specs[0].violations')" \
	'{"free-without-alloc":0,"realloc-without-free":0,"double-free":1,"leak":2}'
j=$("$KMRV" check -f json --spec 1 --comm cat "$dat")
expect_eq "--comm cat counts" "$(echo "$j" | jq -c '.traces[0].specs[0].violations')" \
	'{"free-without-alloc":0,"realloc-without-free":1,"double-free":0,"leak":0}'
j=$("$KMRV" check -f json --spec 1 --pid 8 --comm cat "$dat")
expect_eq "--pid 8 --comm cat: either matches" \
	"$(echo "$j" | jq -c '.traces[0].specs[0].violations')" \
	'{"free-without-alloc":1,"realloc-without-free":1,"double-free":0,"leak":0}'

# -v: a double free names where the object was allocated and first freed
"$KMRV" check -v --spec 1 "$dat" > "$WORK/v.txt"
grep -A2 '^    double-free ptr=0xffff888000003000 time=0.000002 cpu=1 pid=100 comm=bash site=free_thing+0x10$' "$WORK/v.txt" > "$WORK/df.txt"
expect_eq "-v double-free lines" "$(cat "$WORK/df.txt")" \
"    double-free ptr=0xffff888000003000 time=0.000002 cpu=1 pid=100 comm=bash site=free_thing+0x10
      allocated   0.000001 pid=100 at alloc_thing+0x20
      first freed 0.000002 pid=100 at free_thing+0x10"
expect_eq "-v json alloc/first_free" \
	"$("$KMRV" check -v -f json --spec 1 "$dat" | jq -c '.traces[0].specs[0].violation_list[] | select(.kind == "double-free") | [.ts, .alloc.ts, .alloc.site, .first_free.ts, .first_free.site]')" \
	'[1800,1400,"alloc_thing+0x20",1700,"free_thing+0x10"]'
expect_eq "-v lists every violation" \
	"$("$KMRV" check -v -f json --spec all "$dat" | jq '[.traces[0].specs[].violation_list | length] | add')" \
	"$(( 5 + 3 + 1 + 3 + 5 ))"

# --top limits text rows, JSON keeps all
"$KMRV" check --spec 1 --top 1 "$dat" | grep -q "by call site (top 1 of 4; --top 0 for all):" &&
	pass "--top 1 says what it hides" || fail "--top 1 output"

# kmrv specs
"$KMRV" specs > "$WORK/specs.txt"
expect_eq "kmrv specs lists 5" "$(grep -c '\.spec' "$WORK/specs.txt")" 5
"$KMRV" specs --dot alloc-free > "$WORK/af.dot"
grep -q '"__init_unseen" -> "unseen"' "$WORK/af.dot" &&
grep -q 'doublecircle' "$WORK/af.dot" &&
	pass "specs --dot draws the RV-model convention" || fail "specs --dot output"
expect_eq "specs --check" "$("$KMRV" specs --check "$SRC/specs/alloc-free.spec")" \
	"$SRC/specs/alloc-free.spec: ok (3 states, 2 events, 4 kinds)"

finish
