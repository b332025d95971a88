#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reader_diff.sh - the direct reader yields exactly the event stream of the
# libtracecmd reader (the oracle): tp, ts, cpu, pid, ptr, call_site,
# bytes_req, bytes_alloc, lost count, text, and the comm and call-site
# symbol each reader knows at every event. Inputs: every fixture (v6),
# its trace-cmd v7-zstd conversion, the same re-compressed as zlib and
# uncompressed v7 and with an instance buffer (kmrv-v7conv), a synthetic
# trace, and every samples/*.dat. Then damaged copies: the direct reader
# must fail with one line or succeed, never crash or hang.

. "$(dirname "$0")/lib/common.sh"

# In an ASan build: leaks inside libtracecmd/libtraceevent are theirs
# (unless ctest already passes the project's suppressions).
case ${LSAN_OPTIONS:-} in
*suppressions=*) ;;
*) export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SRC/tests/e2e/lib/lsan-libs.supp ;;
esac
TOOLS=$(dirname "$MKFIXTURE")
DUMP=$TOOLS/kmrv-dump-events
CONV=$TOOLS/kmrv-v7conv
[ -x "$DUMP" ] && [ -x "$CONV" ] || { echo "FAIL: kmrv-dump-events or kmrv-v7conv not built"; exit 1; }

# same NAME ORACLE_FILE DIRECT_FILE: both readers, one stream
same() {
	local name=$1 a=$WORK/oracle.txt b=$WORK/direct.txt
	if ! "$DUMP" --names --reader libtracecmd "$2" > "$a" 2> "$WORK/err"; then
		fail "$name: libtracecmd cannot read it: $(cat "$WORK/err")"
		return
	fi
	if ! "$DUMP" --names --reader direct "$3" > "$b" 2> "$WORK/err"; then
		fail "$name: direct reader failed: $(cat "$WORK/err")"
		return
	fi
	if cmp -s "$a" "$b"; then
		pass "$name: $(($(wc -l < "$a") / 2)) events identical"
	else
		fail "$name: streams differ"
		diff "$a" "$b" | head -6
	fi
}

# variants NAME V6_OR_V7_FILE: the file itself and its v7 re-encodings
variants() {
	local name=$1 src=$2 v7=$2
	same "$name" "$src" "$src"
	if [ "$(head -c 11 "$src" | tail -c 1)" = 6 ]; then
		command -v trace-cmd > /dev/null || return
		v7=$WORK/$name-v7.dat
		if ! trace-cmd convert -i "$src" -o "$v7" --file-version 7 \
			--compression zstd > /dev/null 2>&1; then
			fail "$name: trace-cmd convert failed"
			return
		fi
		same "$name v7-zstd" "$v7" "$v7"
	fi
	"$CONV" --compression zlib "$v7" "$WORK/$name-zlib.dat" &&
		same "$name v7-zlib" "$v7" "$WORK/$name-zlib.dat"
	"$CONV" --compression none "$v7" "$WORK/$name-none.dat" &&
		same "$name v7-none" "$WORK/$name-none.dat" "$WORK/$name-none.dat"
	"$CONV" --compression zstd --instance inst "$v7" "$WORK/$name-inst.dat" &&
		same "$name v7 + instance" "$WORK/$name-inst.dat" "$WORK/$name-inst.dat"
}

for desc in "$SRC"/tests/fixtures/*.txt; do
	name=$(basename "$desc" .txt)
	fixture "$name"
	variants "$name" "$WORK/$name.dat"
done

"$MKFIXTURE" --synthetic 100000 --cpus 3 --live 3000 --seed 5 "$WORK/synthetic.dat" ||
	fail "cannot generate the synthetic trace"
variants synthetic "$WORK/synthetic.dat"
"$MKFIXTURE" --synthetic 20000 --cpus 2 --kernel old --page-size 8192 --seed 9 \
	"$WORK/synthetic-old.dat" || fail "cannot generate the old-kernel synthetic trace"
same "synthetic, old kernel, 8 KiB pages" "$WORK/synthetic-old.dat" "$WORK/synthetic-old.dat"

for sample in "$SRC"/samples/*.dat; do
	[ -e "$sample" ] || continue
	variants "sample $(basename "$sample" .dat)" "$sample"
done

# Damage: flip one byte at 300 places (75 under the sanitizers, which run
# everything ~3x slower) of a v6 fixture and of the zlib sample copy.
# Exit 0 (read) or 1 (one-line error), within the timeout.
places=300
[ -n "${KMRV_SANITIZED:-}" ] && places=75
damage() {
	local src=$1 size bad=0 rc off n=0
	size=$(stat -c %s "$src")
	for ((off = 16; off < size; off += size / places + 1)); do
		cp "$src" "$WORK/hurt.dat"
		printf '\xa5' | dd of="$WORK/hurt.dat" bs=1 seek="$off" conv=notrunc status=none
		timeout 20 "$DUMP" --count --reader direct "$WORK/hurt.dat" > /dev/null 2> "$WORK/err"
		rc=$?
		n=$((n + 1))
		if [ $rc -ne 0 ] && { [ $rc -ne 1 ] || [ "$(wc -l < "$WORK/err")" -ne 1 ]; }; then
			fail "$(basename "$src") byte $off damaged: exit $rc: $(head -c 200 "$WORK/err")"
			bad=$((bad + 1))
		fi
	done
	[ $bad -eq 0 ] && pass "$(basename "$src"): $n damaged copies, each read or one-line error"
}
damage "$WORK/lost.dat"
for f in "$WORK"/sample*-zlib.dat; do
	[ -e "$f" ] && damage "$f"
done

finish
