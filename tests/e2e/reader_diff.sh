#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reader_diff.sh - the direct reader yields exactly the event stream of the
# libtracecmd reader (the oracle): tp, ts, cpu, pid, ptr, call_site,
# bytes_req, bytes_alloc, lost count, text, and the comm and call-site
# symbol each reader knows at every event; read in batches, each reader
# yields its stream read event by event. Inputs: every fixture (v6),
# its trace-cmd v7-zstd conversion, the same re-compressed as zlib and
# uncompressed v7 and with an instance buffer (kmrv-v7conv), a synthetic
# trace, and every samples/*.dat. Then damaged copies: the direct reader
# must fail with one line or succeed, never crash or hang.

. "$(dirname "$0")/lib/common.sh"

# In an ASan build: leaks inside libtracecmd/libtraceevent are theirs
# (unless ctest already passes the project's suppressions, the same file).
case ${LSAN_OPTIONS:-} in
*suppressions=*) ;;
*) export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SRC/tests/lsan.supp ;;
esac
TOOLS=$(dirname "$MKFIXTURE")
DUMP=$TOOLS/kmrv-dump-events
CONV=$TOOLS/kmrv-v7conv
[ -x "$DUMP" ] && [ -x "$CONV" ] || { echo "FAIL: kmrv-dump-events or kmrv-v7conv not built"; exit 1; }

# same NAME ORACLE_FILE DIRECT_FILE: both readers, one stream. The
# oracle's stream of a file is dumped once (a v7 file is the oracle of
# its zlib copy too).
same() {
	local name=$1 a=$WORK/oracle-${2//\//_}.txt b=$WORK/direct.txt
	if [ ! -e "$a" ] &&
	   ! "$DUMP" --names --reader libtracecmd "$2" > "$a" 2> "$WORK/err"; then
		rm -f "$a"
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

# batched NAME FILE: after same(), each reader gives through
# kmrv_trace_read(), 7 events at a time, the stream both gave one by one
# (the oracle's dump less its --names lines); the direct reader through
# its own loop, libtracecmd through the generic one. kmrv-dump-events
# checks each batch's rule.
batched() {
	local r oracle=$WORK/oracle-${2//\//_}.txt
	[ -e "$oracle" ] || return	# same() said why
	grep -v '^  comm=' "$oracle" > "$WORK/one.txt"
	for r in direct libtracecmd; do
		if ! "$DUMP" --reader $r --batch 7 "$2" > "$WORK/batch.txt" 2> "$WORK/err"; then
			fail "$1, $r: $(cat "$WORK/err")"
		elif cmp -s "$WORK/one.txt" "$WORK/batch.txt"; then
			pass "$1, $r: read in batches of 7, the same $(wc -l < "$WORK/one.txt") events"
		else
			fail "$1, $r: batches differ from the stream"
			diff "$WORK/one.txt" "$WORK/batch.txt" | head -4
		fi
	done
}

# variants NAME V6_OR_V7_FILE: the file itself and its v7 re-encodings
variants() {
	local name=$1 src=$2 v7=$2
	same "$name" "$src" "$src"
	batched "$name" "$src"
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

# Damage: set one byte to 0xa5 at 300 places (75 under the sanitizers,
# which run everything ~3x slower) of a v6 fixture and of the zlib sample
# copies, less those deep in a kallsyms section (kallsyms_range). Exit 0
# (read) or 1 (one-line error), within the timeout. One gawk writes 30
# damaged copies at a time: a cp and a dd per copy cost as much as the
# reads.
places=300
[ -n "${KMRV_SANITIZED:-}" ] && places=75
command -v gawk > /dev/null || { echo "FAIL: gawk not installed"; exit 1; }
mkdir "$WORK/hurt"

# hurt SRC OFFSET...: $WORK/hurt/OFFSET, SRC with 0xa5 at OFFSET
hurt() {
	local src=$1
	shift
	printf '%s\n' "$@" | LC_ALL=C gawk -v src="$src" -v dir="$WORK/hurt" '
	BEGIN { RS = "^$"; getline data < src; close(src); RS = "\n" }
	{
		out = dir "/" $1
		printf "%s\245%s", substr(data, 1, $1), substr(data, $1 + 2) > out
		close(out)
	}' || fail "gawk cannot write the damaged copies"
}

# kallsyms_range FILE: the bytes of a v7 file's kallsyms section after
# its first 4 KiB, or "0 0". --count never reads it (the direct reader
# inflates it at the first symbol lookup), so the places that fall there
# all test one thing: it is most of a real sample.
kallsyms_range() {
	local f=$1 h o=() off size pos=16 id len i
	mapfile -t -d '' h < <(head -c 128 "$f" | tail -c +19)
	off=$((18 + ${#h[0]} + ${#h[1]} + 2))
	read -r off < <(od -An -tu8 -j"$off" -N8 "$f")		# OPTIONS section
	read -r size < <(od -An -tu8 -j$((off + 8)) -N8 "$f")
	o=($(od -An -v -tu1 -j"$off" -N$((16 + size)) "$f"))
	while [ $((pos + 6)) -le ${#o[@]} ]; do
		id=$((o[pos] | o[pos + 1] << 8))
		len=$((o[pos + 2] | o[pos + 3] << 8 | o[pos + 4] << 16 | o[pos + 5] << 24))
		if [ "$id" -eq 19 ] && [ "$len" -eq 8 ] && [ $((pos + 14)) -le ${#o[@]} ]; then
			off=0
			for ((i = 7; i >= 0; i--)); do
				off=$((off << 8 | o[pos + 6 + i]))
			done
			read -r size < <(od -An -tu8 -j$((off + 8)) -N8 "$f")
			echo "$((off + 4096)) $((off + 16 + size))"
			return
		fi
		pos=$((pos + 6 + len))
	done
	echo "0 0"
}

damage() {
	local src=$1 size bad=0 rc off n=0 offs=() lazy_from=0 lazy_to=0
	size=$(stat -c %s "$src")
	[ "$(head -c 11 "$src" | tail -c 1)" = 7 ] &&
		read -r lazy_from lazy_to < <(kallsyms_range "$src")
	for ((off = 16; off < size; off += size / places + 1)); do
		[ "$off" -ge "$lazy_from" ] && [ "$off" -lt "$lazy_to" ] && continue
		offs+=("$off")
	done
	while [ ${#offs[@]} -gt 0 ]; do
		hurt "$src" "${offs[@]:0:30}"
		for off in "${offs[@]:0:30}"; do
			timeout 20 "$DUMP" --count --reader direct "$WORK/hurt/$off" \
				> /dev/null 2> "$WORK/err"
			rc=$?
			n=$((n + 1))
			if [ $rc -ne 0 ] && { [ $rc -ne 1 ] || ! one_line "$WORK/err"; }; then
				fail "$(basename "$src") byte $off damaged: exit $rc: $(head -c 200 "$WORK/err")"
				bad=$((bad + 1))
			fi
			rm -f "$WORK/hurt/$off"
		done
		offs=("${offs[@]:30}")
	done
	[ $bad -eq 0 ] && pass "$(basename "$src"): $n damaged copies, each read or one-line error"
}
damage "$WORK/lost.dat"
for f in "$WORK"/sample*-zlib.dat; do
	[ -e "$f" ] && damage "$f"
done

finish
