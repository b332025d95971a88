#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fixtures_trace_cmd.sh - every tests/fixtures/*.txt, generated with
# kmrv-mkfixture, is a trace.dat that `trace-cmd report` reads: exit 0, one
# kmem line per kmem record of the description, one "EVENTS DROPPED" line
# per `lost`. Where trace-cmd can convert to v7 (zstd, zlib), the
# converted copies must report identically.
#
# Environment: MKFIXTURE (the generator), SRC (source tree). Exit 77 when
# trace-cmd is missing.

set -u

: "${MKFIXTURE:?MKFIXTURE must name kmrv-mkfixture}"
: "${SRC:?SRC must name the source tree}"

if ! command -v trace-cmd >/dev/null 2>&1; then
	echo "SKIP: trace-cmd not installed"
	exit 77
fi

out=${TMPDIR:-/tmp}/kmrv-fixtures-e2e.$$
mkdir -p "$out" || exit 1
[ -d fixtures-out ] || mkdir -p fixtures-out 2>/dev/null
keep=fixtures-out			# converted copies stay in the build dir
trap 'rm -rf "$out"' EXIT

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# kmem records and lost directives in a description, repeat blocks counted
count_desc() {
	awk '
	function add(n) { if (inrep) blk += n; else total += n }
	{ sub(/(^|[ \t])#.*/, "") }
	$1 == "repeat" { inrep = 1; times = $2; blk = 0; lblk = 0; next }
	$1 == "end"    { total += blk * times; lost += lblk * times; inrep = 0; next }
	$1 == "lost"   { if (inrep) lblk++; else lost++; next }
	$1 ~ /^[0-9]/ && ($3 ~ /^kmem:/ || $3 ~ /^(kmalloc|kfree|kmem_cache_(alloc|free))$/ ||
			  $3 ~ /^(kmalloc|kmem_cache_alloc)_node$/) { add(1) }
	END { print total + 0, lost + 0 }' "$1"
}

kmem_re=' (kmalloc|kmalloc_node|kfree|kmem_cache_alloc|kmem_cache_alloc_node|kmem_cache_free): '

# Compression algorithms this trace-cmd can write.
algos=$(trace-cmd list -c 2>/dev/null | awk 'NR > 1 { sub(/,.*/, "", $1); print $1 }')
has_algo() { printf '%s\n' $algos | grep -qx "$1"; }

check_report() {
	local name=$1 dat=$2 want_kmem=$3 want_lost=$4 rep=$5
	local got_kmem got_lost

	if ! trace-cmd report "$dat" >"$rep" 2>"$rep.err"; then
		fail "$name: trace-cmd report exited $? ($(head -1 "$rep.err"))"
		return 1
	fi
	got_kmem=$(grep -Ec -- "$kmem_re" "$rep")
	got_lost=$(grep -c 'EVENTS DROPPED\]' "$rep")
	if [ "$got_kmem" != "$want_kmem" ]; then
		fail "$name: $got_kmem kmem lines in the report, $want_kmem in the description"
		return 1
	fi
	if [ "$got_lost" != "$want_lost" ]; then
		fail "$name: $got_lost dropped-events lines, $want_lost lost directives"
		return 1
	fi
	return 0
}

nfix=0
for desc in "$SRC"/tests/fixtures/*.txt; do
	name=$(basename "$desc" .txt)
	dat=$out/$name.dat
	nfix=$((nfix + 1))

	if ! "$MKFIXTURE" "$desc" "$dat"; then
		fail "$name: kmrv-mkfixture exited $?"
		continue
	fi
	read -r want_kmem want_lost < <(count_desc "$desc")
	check_report "$name" "$dat" "$want_kmem" "$want_lost" "$out/$name.rep" ||
		continue
	echo "ok: $name ($want_kmem kmem records, $want_lost gaps)"

	for algo in zstd zlib; do
		v7=$keep/$name-v7-$algo.dat
		if ! has_algo "$algo"; then
			echo "note: trace-cmd cannot write $algo; no v7-$algo copy"
			continue
		fi
		if ! trace-cmd convert -i "$dat" -o "$v7" --file-version 7 \
		     --compression "$algo" >/dev/null 2>"$out/conv.err"; then
			fail "$name: trace-cmd convert to v7 $algo failed ($(head -1 "$out/conv.err"))"
			continue
		fi
		if ! trace-cmd dump --summary "$v7" 2>/dev/null |
		     grep -q "$algo.*\[Compression algorithm\]"; then
			fail "$name: $v7 is not a $algo-compressed file"
			continue
		fi
		check_report "$name v7-$algo" "$v7" "$want_kmem" "$want_lost" \
			"$out/$name-$algo.rep" || continue
		if ! cmp -s "$out/$name.rep" "$out/$name-$algo.rep"; then
			fail "$name: v7-$algo reports differently from v6"
			diff "$out/$name.rep" "$out/$name-$algo.rep" | head -5
			continue
		fi
		echo "ok: $name v7-$algo reports identically"
	done
done

# The synthetic generator: deterministic, and readable too.
"$MKFIXTURE" --synthetic 5000 --cpus 3 --live 200 --seed 7 "$out/s1.dat" &&
"$MKFIXTURE" --synthetic 5000 --cpus 3 --live 200 --seed 7 "$out/s2.dat" ||
	fail "synthetic: kmrv-mkfixture failed"
cmp -s "$out/s1.dat" "$out/s2.dat" || fail "synthetic: same seed, different files"
check_report synthetic "$out/s1.dat" 5000 0 "$out/s1.rep" &&
	echo "ok: synthetic (5000 kmem records, deterministic)"

[ "$nfix" -gt 0 ] || fail "no fixtures found in $SRC/tests/fixtures"
if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all $nfix fixtures ok"
