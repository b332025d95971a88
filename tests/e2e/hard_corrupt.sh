#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hard_corrupt.sh - the corrupt-input table. Each real sample and a
# fixture, damaged on purpose: cut at many offsets (every section
# boundary and around it, inside pages, spread over the file), bytes
# flipped in the file header, the page headers and the event records,
# length fields set to zero and to enormous values, absurd CPU counts and
# page sizes, CPU extents out of the file, timestamps that go backwards.
# For every case and every trace.dat reader, kmrv check must exit 0 (an
# answer; a gap the file records is marked) or 2 with one line on stderr,
# never a signal, never a hang (timeout), in bounded memory (ulimit -v).
# The number of cases is printed at the end.
#
# The tables only queue their cases; one gawk per batch writes the
# damaged copies and then each is judged. A cp, dd and od per case cost
# more than the kmrv runs on the small files; a case asked twice (cuts
# around neighbouring fields meet) runs once.

. "$(dirname "$0")/lib/common.sh"

LAYOUT=$(dirname "$MKFIXTURE")/kmrv-tdat-layout
[ -x "$LAYOUT" ] || { echo "FAIL: kmrv-tdat-layout not built"; exit 1; }
command -v gawk > /dev/null || { echo "FAIL: gawk not installed"; exit 1; }
# Under the sanitizers (several times slower) every fourth case runs,
# and without ulimit -v (ASan reserves terabytes of address space); here
# the limit holds for the whole script, kmrv's runs included.
STRIDE=1
[ -n "${KMRV_SANITIZED:-}" ] && STRIDE=4
[ -n "${KMRV_SANITIZED:-}" ] || ulimit -v $((1024 * 1024))
CASES=0
RUNS=0
SEQ=0
mkdir "$WORK/cases"

# The queue: write_copies() lines and, per copy, what it is and which
# readers judge it; SEEN holds the cases so far, SIZE each base's size.
QUEUE=()
WHAT=()
READERS=()
QUEUED_BYTES=0
declare -A SEEN SIZE

# write_copies: for each line OUT BASE OP ARGS (tab-separated) write OUT,
# BASE damaged by OP: cut N (its first N bytes), patch OFFSET HEX, flip
# OFFSET (invert a byte). Each copy is built from BASE in one expression:
# gawk is several times slower on a string it appended to or copied.
write_copies() {
	LC_ALL=C gawk -F '\t' '
	function bytes(hex,	b, i) {
		b = ""
		for (i = 1; i < length(hex); i += 2)
			b = b sprintf("%c", strtonum("0x" substr(hex, i, 2)))
		return b
	}
	BEGIN { for (i = 0; i < 256; i++) ord[sprintf("%c", i)] = i }
	$2 != base {		# the whole file, bytes as they are
		base = $2
		save = RS; RS = "^$"; data = ""
		getline data < base; close(base)
		RS = save
	}
	$3 == "cut" { out = substr(data, 1, $4) }
	$3 == "flip" && $4 < length(data) {
		out = substr(data, 1, $4) \
		      sprintf("%c", xor(ord[substr(data, $4 + 1, 1)], 255)) \
		      substr(data, $4 + 2)
	}
	$3 == "flip" && $4 >= length(data) { out = data }
	$3 == "patch" {
		b = bytes($5)
		out = substr(data, 1, $4) b substr(data, $4 + length(b) + 1)
	}
	{ printf "%s", out > $1; close($1) }' || fail "gawk cannot write the damaged copies"
}

# queue BASE WHAT READERS OP ARGS...: a damaged copy of BASE to judge
# (OP and ARGS as write_copies() takes them).
queue() {
	local base=$1 what=$2 readers=$3 line
	shift 3
	printf -v line '%s\t' "$base" "$@"
	line=${line%$'\t'}
	[ -z "${SEEN[$line]:-}" ] || return 0
	SEEN[$line]=1
	SEQ=$((SEQ + 1))
	[ $((SEQ % STRIDE)) -eq 0 ] || return 0
	QUEUE+=("$WORK/cases/${#QUEUE[@]}"$'\t'"$line")
	WHAT+=("${base##*/}: $what")
	READERS+=("${readers:-default}")
	[ -n "${SIZE[$base]:-}" ] || SIZE[$base]=$(stat -c %s "$base")
	QUEUED_BYTES=$((QUEUED_BYTES + SIZE[$base]))
	[ "$QUEUED_BYTES" -lt $((64 << 20)) ] || run_queue
}

# run_queue: write the queued copies, judge and remove them
run_queue() {
	local i
	[ ${#QUEUE[@]} -gt 0 ] || return 0
	printf '%s\n' "${QUEUE[@]}" | write_copies
	for i in "${!QUEUE[@]}"; do
		judge "${WHAT[i]}" "${QUEUE[i]%%$'\t'*}" "${READERS[i]}"
		rm -f "${QUEUE[i]%%$'\t'*}"
	done
	QUEUE=()
	WHAT=()
	READERS=()
	QUEUED_BYTES=0
}

# le HEX WIDTH: little-endian hex bytes of a number
le() {
	local v=$1 w=$2 out="" b i
	for ((i = 0; i < w; i++)); do
		printf -v b '%02x' $(( (v >> (8 * i)) & 0xff ))
		out+=$b
	done
	echo "$out"
}

# lines FILE: set NLINES to its number of lines (wc -l, without a fork)
lines() {
	local l
	mapfile l < "$1"
	NLINES=${#l[@]}
	[ "$NLINES" -eq 0 ] || [ "${l[-1]: -1}" = $'\n' ] || NLINES=$((NLINES - 1))
}

# judge WHAT FILE READERS: run kmrv check with each reader
judge() {
	local what=$1 file=$2 readers=$3 rc r
	CASES=$((CASES + 1))
	for r in $readers; do
		local opt=()
		[ "$r" = default ] || opt=(--reader "$r")
		timeout 20 "$KMRV" check --spec all "${opt[@]}" "$file" \
			> "$WORK/out" 2> "$WORK/err"
		rc=$?
		RUNS=$((RUNS + 1))
		case $rc in
		0)	# an answer: a gap the file records is marked, and nothing
			# is said on stderr but warnings
			;;
		2)	lines "$WORK/err"
			[ "$NLINES" -eq 1 ] ||
				fail "$what ($r): exit 2 with $NLINES lines: $(head -c 300 "$WORK/err")"
			[ -s "$WORK/out" ] && fail "$what ($r): exit 2 after printing a report" ;;
		124)	fail "$what ($r): hang (timeout)" ;;
		*)	fail "$what ($r): exit $rc $(head -c 300 "$WORK/err")" ;;
		esac
	done
}

# case_patch BASE WHAT OFFSET HEX [READERS]
case_patch() {
	queue "$1" "$2" "${5:-}" patch "$3" "$4"
}

case_cut() {	# case_cut BASE OFFSET [READERS]
	queue "$1" "cut at $2" "${3:-}" cut "$2"
}

case_flip() {	# case_flip BASE OFFSET [READERS]
	queue "$1" "byte $2 flipped" "${3:-}" flip "$2"
}

# A trace.dat v6: every field the layout tool names.
table_v6() {	# table_v6 FILE [light: no cuts or flips]
	local f=$1 light=${2:-} R="default libtracecmd" size name off c coff csize
	size=$(stat -c %s "$f")
	"$LAYOUT" "$f" > "$WORK/layout" || { fail "$f: no layout"; return; }
	declare -A at
	while read -r name off rest; do
		[ "$name" = cpu ] && continue
		at[$name]=$off
	done < "$WORK/layout"
	read -r _ _ coff csize < <(grep '^cpu 0 ' "$WORK/layout")

	# cuts: at and around every field, inside the first page, spread
	[ -n "$light" ] || for off in "${at[@]}" "$coff" $((coff + 8)) $((coff + 16)) $((coff + 40)) \
		   $((coff + csize / 2)) $((coff + csize - 1)); do
		for d in -1 0 1 5; do
			[ $((off + d)) -gt 0 ] && [ $((off + d)) -lt "$size" ] &&
				case_cut "$f" $((off + d)) "$R"
		done
	done
	[ -n "$light" ] || for ((i = 1; i < 16; i++)); do
		case_cut "$f" $((size * i / 16)) "$R"
	done

	# the file header: every byte of magic, version, endianness, sizes
	[ -n "$light" ] || for ((off = 0; off < 18; off++)); do
		case_flip "$f" "$off" "$R"
	done
	case_patch "$f" "long size 3" "${at[long_size]}" 03 "$R"
	for v in 0 1 512 8192 $((1 << 30)) 4294967295; do
		case_patch "$f" "page size $v" "${at[page_size]}" "$(le $v 4)" "$R"
	done

	# length and count fields: zero, one short, enormous
	for name in header_page_size header_event_size ftrace_format_size \
		    event_format_size cmdlines_size; do
		for v in 0 1 $((1 << 40)) 9223372036854775807 -1; do
			case_patch "$f" "$name = $v" "${at[$name]}" "$(le $v 8)" "$R"
		done
	done
	for name in ftrace_count systems events_count kallsyms_size printk_size; do
		for v in 0 1 65536 2147483647 4294967295; do
			case_patch "$f" "$name = $v" "${at[$name]}" "$(le $v 4)" "$R"
		done
	done

	# CPU counts: none, fewer and more than the data, absurd
	for v in 0 1 3 255 65536 2147483647 4294967295; do
		case_patch "$f" "cpus = $v" "${at[cpus]}" "$(le $v 4)" "$R"
	done
	# CPU extents out of the file, empty, overlapping the headers
	for v in 0 "$size" $((size + 4096)) 9223372036854775807 -1; do
		case_patch "$f" "cpu 0 offset $v" "${at[flyrecord]}" "$(le $v 8)" "$R"
		case_patch "$f" "cpu 0 size $v" $((at[flyrecord] + 8)) "$(le $v 8)" "$R"
	done

	# the first page header: timestamp, commit (size and flag bits)
	for v in 0 1 -1 9223372036854775807; do
		case_patch "$f" "page timestamp $v" "$coff" "$(le $v 8)" "$R"
	done
	for v in 0 1 4080 4081 4096 65536 4294967295 $(( (1 << 31) | 64 )) \
		 $(( (1 << 30) | 64 )) $(( (3 << 30) | 4080 )) -1; do
		case_patch "$f" "page commit $v" $((coff + 8)) "$(le $v 8)" "$R"
	done

	# the first event records: header words of every type, length words
	# zero and enormous, then every byte of the first 48 flipped
	for v in 0 29 30 31 $((29 | 0xffffffe0)) $((30 | 0xffffffe0)) \
		 $((31 | 0xffffffe0)) 4294967295 $((1 | (1 << 5))); do
		case_patch "$f" "record header $v" $((coff + 16)) "$(le $v 4)" "$R"
	done
	for v in 0 1 4 4095 65536 4294967295; do
		case_patch "$f" "record length $v" $((coff + 16)) "00000000$(le $v 4)" "$R"
	done
	[ -n "$light" ] || for ((off = 0; off < 48; off++)); do
		case_flip "$f" $((coff + 16 + off)) "$R"
	done
}

# Timestamps that go backwards: the writer refuses to make such a file,
# so the second page of CPU 0 gets a page timestamp before the first's,
# and a record of the first page a huge delta followed by a small one.
table_backwards() {
	local f=$1 R="default libtracecmd" coff csize t0
	"$LAYOUT" "$f" > "$WORK/layout" || { fail "$f: no layout"; return; }
	read -r _ _ coff csize < <(grep '^cpu 0 ' "$WORK/layout")
	[ "$csize" -ge 8192 ] || { fail "$f: CPU 0 has one page only"; return; }
	t0=$(od -An -tu8 -j"$coff" -N8 "$f" | tr -d ' ')
	case_patch "$f" "page 2 before page 1" $((coff + 4096)) "$(le $((t0 - 1000)) 8)" "$R"
	case_patch "$f" "page 2 at 0" $((coff + 4096)) "$(le 0 8)" "$R"
	case_patch "$f" "page 1 after page 2" "$coff" "$(le $((t0 + (1 << 40))) 8)" "$R"
	printf '%s\t%s\tpatch\t%s\t%s\n' "$WORK/synth-later.dat" "$f" "$coff" \
		"$(le $((t0 + (1 << 40))) 8)" | write_copies
	case_patch "$WORK/synth-later.dat" "pages in reverse order" \
		$((coff + 4096)) "$(le 1 8)" "$R"
	# 27-bit time deltas: the largest on the first record
	case_patch "$f" "record delta maximal" $((coff + 16)) \
		"$(le $(( ($(od -An -tu4 -j$((coff + 16)) -N4 "$f" | tr -d ' ') & 31) | 0xffffffe0 )) 4)" "$R"
}

# A trace.dat v7 (sections, compressed): cuts, header bytes, the options
# offset, and bytes flipped all over (inside compressed data too).
table_v7() {
	local f=$1 R="default libtracecmd" size off
	size=$(stat -c %s "$f")
	for ((i = 1; i < 24; i++)); do
		case_cut "$f" $((size * i / 24 + i)) "$R"
	done
	for off in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
		case_flip "$f" "$off" "$R"
	done
	# the options offset follows the compression strings: find it
	off=$(grep -abo 'zstd' "$f" | head -1 | cut -d: -f1)
	if [ -n "$off" ]; then
		off=$((off + 5))
		off=$((off + $(tail -c +$((off + 1)) "$f" | head -c 64 | tr '\0' '\n' | head -1 | wc -c)))
		for v in 0 1 "$size" -1; do
			case_patch "$f" "options offset $v" "$off" "$(le $v 8)" "$R"
		done
	fi
	for ((i = 0; i < 30; i++)); do
		case_flip "$f" $(( (i * 104729 + i * i * 7) % size )) "$R"
	done
}

# A perf.data: header fields, attribute and data records, cuts, bytes
# flipped and overwritten all over.
table_perf() {
	local f=$1 size data off
	size=$(stat -c %s "$f")
	for off in 8 16 24 32 40 48 56 64 72 80; do
		for v in 0 1 -1 "$size"; do
			case_patch "$f" "header field at $off = $v" "$off" "$(le $v 8)"
		done
	done
	data=$(od -An -tu8 -j40 -N8 "$f" | tr -d ' ')
	# the first records of the data section: type, misc, size
	for rec in 0 1 2; do
		for v in 0 1 8 65535; do
			case_patch "$f" "record $rec size $v" $((data + 6)) "$(le $v 2)"
		done
		for v in 0 9 68 255; do
			case_patch "$f" "record $rec type $v" "$data" "$(le $v 4)"
		done
		data=$((data + $(od -An -tu2 -j$((data + 6)) -N2 "$f" | tr -d ' ')))
	done
	for ((i = 1; i < 30; i++)); do
		case_cut "$f" $((size * i / 30 + i))
	done
	for ((i = 0; i < 40; i++)); do
		case_flip "$f" $(( (i * 7919 + i * i * 131) % size ))
	done
	# runs of eight 0xff bytes (a length or an offset at its maximum)
	for ((i = 0; i < 60; i++)); do
		off=$(( (i * 7919 + i * i * 31) % size ))
		case_patch "$f" "8 bytes 0xff at $off" "$off" ffffffffffffffff
	done
}

fixture basic
table_v6 "$WORK/basic.dat"
cp "$SRC/samples/record-sh-ls.dat" "$WORK/record-sh-ls.dat"
table_v6 "$WORK/record-sh-ls.dat" light
"$MKFIXTURE" --synthetic 2000 --cpus 2 --live 50 "$WORK/synth.dat" ||
	{ echo "FAIL: cannot generate the synthetic trace"; exit 1; }
table_backwards "$WORK/synth.dat"
cp "$SRC/samples/ls-doc.dat" "$WORK/ls-doc.dat"
table_v7 "$WORK/ls-doc.dat"
cp "$SRC/samples/ls-doc.perf.data" "$WORK/ls-doc.perf.data"
table_perf "$WORK/ls-doc.perf.data"
run_queue

echo "# corrupt-input table: $CASES cases, $RUNS runs of kmrv check"
[ "$FAILURES" -eq 0 ] && pass "$CASES damaged files, $RUNS runs: exit 0 or 2 with one line"
finish
