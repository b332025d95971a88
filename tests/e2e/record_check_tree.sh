#!/bin/bash
# kmrv check --tree / --all on a fixture shaped like a `kmrv record` trace
# (no root needed): the marker names the root, forks from the tree grow
# it (grandchildren too), forks elsewhere don't; violations are counted
# for the tree by default and for everyone with --all; the automata see
# every event either way (a tree object freed by a kworker is no leak).
set -u
: "${KMRV:?}" "${MKFIXTURE:?}" "${SRC:?}"
export KMRV_SPEC_PATH="${KMRV_SPEC_PATH:-$SRC/specs}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

A=0xffff888000001000 B=0xffff888000002000 C=0xffff888000003000
D=0xffff888000004000 E=0xffff888000005000 F=0xffff888000006000
G=0xffff888000007000
AL="call_site=0xffffffff81100020 bytes_req=32 bytes_alloc=32 gfp_flags=0xcc0"
FR="call_site=0xffffffff81100310"

header() {
	cat <<-END
	kernel modern
	cpus 2
	kallsyms ffffffff81000000 T _stext
	kallsyms ffffffff81100000 T alloc_thing
	kallsyms ffffffff81100300 T free_thing
	kallsyms ffffffff81200000 T _etext
	comm 50 kmrv
	comm 7 kworker/0:1
	END
}

# the body: what each pid does, after the marker and the forks
body() {
	cat <<-END
	0 1000 exec 100 filename=/usr/bin/make pid=100 old_pid=100
	0 1100 fork 100 parent_comm=make parent_pid=100 child_comm=make child_pid=101
	1 1150 fork 101 parent_comm=make parent_pid=101 child_comm=cc child_pid=102
	1 1160 fork 7 parent_comm=kworker/0:1 parent_pid=7 child_comm=kworker/0:2 child_pid=300
	0 1200 kmalloc 100 ptr=$A $AL
	0 1210 kfree 100 ptr=$A $FR
	0 1220 kfree 100 ptr=$A $FR
	1 1300 kfree 102 ptr=$B $FR
	1 1310 kfree 7 ptr=$C $FR
	1 1320 kmalloc 300 ptr=$D $AL
	1 1330 kfree 300 ptr=$D $FR
	1 1340 kfree 300 ptr=$D $FR
	0 1400 kmalloc 101 ptr=$E $AL
	0 1410 kmalloc 50 ptr=$F $AL
	0 1420 kmalloc 102 ptr=$G $AL
	1 1500 kfree 7 ptr=$G $FR
	END
}

{ header; echo "0 900 print 50 kmrv-record: pid=100 argv=make -j2"; body; } >"$TMP/rec.txt"
{ header; body; } >"$TMP/plain.txt"
# a marker after the first kmem event: not a kmrv record trace
{ header; echo "0 100 kmalloc 50 ptr=0xffff888000009000 $AL"; \
  echo "0 900 print 50 kmrv-record: pid=100 argv=make -j2"; body; } >"$TMP/late.txt"
for f in rec plain late; do
	"$MKFIXTURE" "$TMP/$f.txt" "$TMP/$f.dat" || fail "mkfixture $f"
done

# counts SCOPE FILE [ARGS]: "free-without-alloc double-free leak" of alloc-free
counts() {
	local f=$1
	shift
	"$KMRV" check --format json --spec alloc-free "$@" "$f" |
		jq -r '.traces[0].specs[0].violations |
		       "\(.["free-without-alloc"]) \(.["double-free"]) \(.leak)"'
}
expect() {
	local want=$1 what=$2
	shift 2
	local got
	got=$(counts "$@") || fail "$what: kmrv check failed"
	[ "$got" = "$want" ] || fail "$what: free-without-alloc double-free leak = '$got', want '$want'"
}

# tree = {100, 101, 102}: B freed by 102, A double-freed by 100, E leaked by 101
expect "1 1 1" "default on a kmrv record trace" "$TMP/rec.dat"
expect "1 1 1" "--tree" "$TMP/rec.dat" --tree
# everyone: + C by kworker 7, D double-freed by 300 (forked outside), F leaked by kmrv
expect "2 2 2" "--all" "$TMP/rec.dat" --all
expect "1 0 0" "--pid 7 (implies --all)" "$TMP/rec.dat" --pid 7
expect "0 0 0" "--tree --pid 7" "$TMP/rec.dat" --tree --pid 7
expect "1 0 0" "--tree --pid 102" "$TMP/rec.dat" --tree --pid 102

"$KMRV" check --format json "$TMP/rec.dat" >"$TMP/rec.json" || fail "check rec"
jq -e '.traces[0].scope == "tree" and .traces[0].command ==
       {"pid": 100, "argv": "make -j2", "tree_pids": 3}' "$TMP/rec.json" >/dev/null ||
	fail "command/scope: $(jq -c '.traces[0] | {scope, command}' "$TMP/rec.json")"
"$KMRV" check "$TMP/rec.dat" >"$TMP/rec.txt.out" || fail "check rec (text)"
grep -q "command: make -j2 (pid 100, 3 pids in its tree; violations of the tree only, --all for every pid)" \
	"$TMP/rec.txt.out" || fail "text header: $(sed -n 2p "$TMP/rec.txt.out")"

# no marker: every pid, and --tree is an error naming the file
expect "2 2 2" "no marker" "$TMP/plain.dat"
"$KMRV" check --format json "$TMP/plain.dat" | jq -e '.traces[0].command == null and
	.traces[0].scope == "all"' >/dev/null || fail "no marker: command should be null"
"$KMRV" check --tree "$TMP/plain.dat" >/dev/null 2>"$TMP/err" && fail "--tree without marker succeeded"
grep -q "plain.dat: --tree: no command recorded" "$TMP/err" || fail "--tree error: $(cat "$TMP/err")"
"$KMRV" check --tree --all "$TMP/rec.dat" >/dev/null 2>&1 && fail "--tree --all accepted"

# a marker after kmem events began: the default is all, --tree still works
expect "2 2 3" "late marker, default" "$TMP/late.dat"
expect "1 1 1" "late marker, --tree" "$TMP/late.dat" --tree
echo "PASS"
