#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# perf_bad_input.sh - damaged and unsuitable perf.data files: exit status 2
# and one stderr line naming the file and the problem; never a signal, a
# hang, or a report on stdout. Cuts and overwritten bytes anywhere in a
# recording made here give a clean error or (a cut at a record boundary,
# a byte no check depends on) a full answer, never anything else (the
# bundled sample gets the same in hard_corrupt.sh). Recordings that need
# perf are made only when perf is installed and may record.

. "$(dirname "$0")/lib/common.sh"

SAMPLE=$SRC/samples/ls-doc.perf.data

# expect_file_error WHAT NEEDLE FILE: checking FILE fails with "FILE: NEEDLE"
expect_file_error() {
	expect_error "$1" "$3: $2" check --spec all "$3"
}

# patch FILE OFFSET HEXBYTES: overwrite bytes in place
patch() {
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

variant() {
	cp "$SAMPLE" "$WORK/$1.data"
	echo "$WORK/$1.data"
}

f=$(variant magic); patch "$f" 7 33
expect_file_error "wrong magic (PERFILE3)" "not a trace.dat or perf.data file (bad magic)" "$f"
head -c 60 "$SAMPLE" > "$WORK/short.data"
expect_file_error "header cut at 60 bytes" "truncated perf.data header" "$WORK/short.data"
head -c 8 "$SAMPLE" > "$WORK/magiconly.data"
expect_file_error "magic only" "truncated perf.data header" "$WORK/magiconly.data"

# header fields (little endian): 8 size, 16 attr_size, 24/32 attrs,
# 40/48 data, 72.. feature bitmap (bit 1: tracing data)
f=$(variant hsize); patch "$f" 8 ff00000000000000
expect_file_error "absurd header size" "corrupt perf.data header (header size 255)" "$f"
f=$(variant attrsize); patch "$f" 16 ffffffff00000000
expect_file_error "absurd attribute size" "corrupt perf.data header (attribute section)" "$f"
f=$(variant attrsec); patch "$f" 32 0000000001000000
expect_file_error "attribute section past the end" "corrupt perf.data header (attribute section)" "$f"
f=$(variant datasize); patch "$f" 48 00000000ffff0000
expect_file_error "absurd data size" "truncated perf.data (data section ends past the end" "$f"
f=$(variant notracing)
bits=$(od -An -tx1 -j72 -N1 "$f" | tr -d ' ')
patch "$f" 72 "$(printf '%02x' $((0x$bits & ~2)))"
expect_file_error "no tracing data (feature bit cleared)" "no tracing data in this perf.data" "$f"

# the attribute ids of the first event point past the end of the file
attrs=$(od -An -tu8 -j24 -N8 "$SAMPLE" | tr -d ' ')
asize=$(od -An -tu8 -j16 -N8 "$SAMPLE" | tr -d ' ')
f=$(variant ids); patch "$f" $((attrs + asize - 16)) 00000000ffff0000
expect_file_error "event ids past the end" "corrupt perf.data header (ids of event 0)" "$f"

# the first record of the data section gets size 0, then 0xffff
data=$(od -An -tu8 -j40 -N8 "$SAMPLE" | tr -d ' ')
f=$(variant rec0); patch "$f" $((data + 6)) 0000
expect_file_error "record of size 0" "truncated or corrupt perf.data record at offset $data" "$f"

# copies SRC CUT|SMASH OFFSET...: $WORK/copies/OFFSET, SRC cut at OFFSET
# or with 8 bytes 0xff there; one gawk for all (a head, or a cp and a dd,
# per copy cost more than the kmrv run on it)
command -v gawk > /dev/null || { echo "FAIL: gawk not installed"; exit 1; }
copies() {
	local src=$1 how=$2
	shift 2
	mkdir -p "$WORK/copies"
	printf '%s\n' "$@" | LC_ALL=C gawk -v src="$src" -v how="$how" -v dir="$WORK/copies" '
	BEGIN {
		RS = "^$"; getline data < src; close(src); RS = "\n"
		ff = "\377\377\377\377\377\377\377\377"
	}
	{
		out = dir "/" $1
		if (how == "cut")
			printf "%s", substr(data, 1, $1) > out
		else
			printf "%s%s%s", substr(data, 1, $1), ff, substr(data, $1 + 9) > out
		close(out)
	}' || fail "gawk cannot write the damaged copies"
}

# judge_copies SRC WHAT OFFSET...: each copy exits 2 with one line, or 0
judge_copies() {
	local src=$1 what=$2 n=0 bad=0 rc off
	shift 2
	for off in "$@"; do
		timeout 20 "$KMRV" check --spec all "$WORK/copies/$off" > /dev/null 2> "$WORK/stderr"
		rc=$?
		n=$((n + 1))
		if [ $rc -ne 2 ] && [ $rc -ne 0 ]; then
			fail "$(basename "$src") $what at $off: exit $rc"; bad=$((bad + 1))
		elif [ $rc -eq 2 ] && ! one_line "$WORK/stderr"; then
			fail "$(basename "$src") $what at $off: not one line: $(cat "$WORK/stderr")"
			bad=$((bad + 1))
		fi
	done
	rm -r "$WORK/copies"
	[ $bad -eq 0 ] && pass "$(basename "$src"): $n ${what}s, all exit 2 with one line or 0"
}

# The bundled sample's cuts, flips and overwrites are hard_corrupt.sh's
# table; here the same damage is done to a recording perf makes on this
# machine (its own kernel's formats, a pipe-mode header): cuts at 97
# places and overwrites at 150 (25 and 40 under the sanitizers, which run
# everything several times slower).
cuts=97 smashes=150
[ -n "${KMRV_SANITIZED:-}" ] && cuts=25 smashes=40

# Cuts: anywhere in the file (the feature table is at its end, so every
# cut is caught by the header checks).
cut_table() {
	local src=$1 step=$2 size off offs=()
	size=$(stat -c %s "$src")
	for ((off = 0; off < size; off += step)); do
		offs+=("$off")
	done
	copies "$src" cut "${offs[@]}"
	judge_copies "$src" cut "${offs[@]}"
}
# Overwritten bytes: 0xff runs at places spread over the file.
# libtraceevent leaks what it allocated for a format it then fails to
# parse (a smashed format text); that is its leak, not kmrv's, and
# tests/lsan.supp names it (unless ctest already passes it).
case ${LSAN_OPTIONS:-} in
*suppressions=*) ;;
*) export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SRC/tests/lsan.supp ;;
esac
smash_table() {
	local src=$1 size i offs=()
	size=$(stat -c %s "$src")
	for ((i = 0; i < smashes; i++)); do
		offs+=($(( (i * 7919 + i * i * 31) % size )))
	done
	copies "$src" smash "${offs[@]}"
	judge_copies "$src" overwrite "${offs[@]}"
}
# Recordings made here, if perf can record.
if ! command -v perf > /dev/null 2>&1 ||
   ! perf record -q -e cpu-clock -o "$WORK/clock.data" -- true > /dev/null 2>&1; then
	echo "note: perf cannot record here; live bad-input cases not run"
	finish
fi
expect_file_error "cpu-clock recording" "no tracing data in this perf.data" "$WORK/clock.data"
if perf record -q -e sched:sched_process_exec -o "$WORK/sched.data" -- true > /dev/null 2>&1; then
	expect_file_error "recording without kmem events" "no kmem events in this perf.data" "$WORK/sched.data"
fi
if perf record -q -z -e kmem:kmalloc -o "$WORK/z.data" -- true > /dev/null 2>&1; then
	expect_file_error "compressed recording" "compressed perf.data (perf record -z) is not supported" "$WORK/z.data"
fi
if perf record -q -e kmem:kmalloc -e kmem:kfree -o - -- ls /usr > "$WORK/pipe.data" 2> /dev/null; then
	cut_table "$WORK/pipe.data" $(( $(stat -c %s "$WORK/pipe.data") / cuts + 1 ))
	smash_table "$WORK/pipe.data"
fi

finish
