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

. "$(dirname "$0")/lib/common.sh"

LAYOUT=$(dirname "$MKFIXTURE")/kmrv-tdat-layout
[ -x "$LAYOUT" ] || { echo "FAIL: kmrv-tdat-layout not built"; exit 1; }
# Under the sanitizers (several times slower) every other case runs,
# and without ulimit -v (ASan reserves terabytes of address space).
STRIDE=1
[ -n "${KMRV_SANITIZED:-}" ] && STRIDE=4
CASES=0
RUNS=0
SEQ=0

# patch FILE OFFSET HEXBYTES: overwrite bytes in place
patch() {
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# flip FILE OFFSET: invert one byte
flip() {
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] && patch "$1" "$2" "$(printf '%02x' $((b ^ 0xff)))"
}

# le HEX WIDTH: little-endian hex bytes of a number
le() {
	local v=$1 w=$2 out=""
	for ((i = 0; i < w; i++)); do
		out+=$(printf '%02x' $(( (v >> (8 * i)) & 0xff )))
	done
	echo "$out"
}

# judge WHAT FILE [READERS]: run kmrv check with each reader
judge() {
	local what=$1 file=$2 readers=${3:-default} rc r
	SEQ=$((SEQ + 1))
	[ $((SEQ % STRIDE)) -eq 0 ] || return 0
	CASES=$((CASES + 1))
	for r in $readers; do
		local opt=()
		[ "$r" = default ] || opt=(--reader "$r")
		( [ -n "${KMRV_SANITIZED:-}" ] || ulimit -v $((1024 * 1024))
		  exec timeout 20 "$KMRV" check --spec all "${opt[@]}" "$file" ) \
			> "$WORK/out" 2> "$WORK/err"
		rc=$?
		RUNS=$((RUNS + 1))
		case $rc in
		0)	# an answer: a gap the file records is marked, and nothing
			# is said on stderr but warnings
			;;
		2)	[ "$(wc -l < "$WORK/err")" -eq 1 ] ||
				fail "$what ($r): exit 2 with $(wc -l < "$WORK/err") lines: $(head -c 300 "$WORK/err")"
			[ -s "$WORK/out" ] && fail "$what ($r): exit 2 after printing a report" ;;
		124)	fail "$what ($r): hang (timeout)" ;;
		*)	fail "$what ($r): exit $rc $(head -c 300 "$WORK/err")" ;;
		esac
	done
}

# case_patch BASE WHAT OFFSET HEX [READERS]
case_patch() {
	cp "$1" "$WORK/case"
	patch "$WORK/case" "$3" "$4"
	judge "$(basename "$1"): $2" "$WORK/case" "${5:-}"
}

case_cut() {	# case_cut BASE OFFSET [READERS]
	head -c "$2" "$1" > "$WORK/case"
	judge "$(basename "$1"): cut at $2" "$WORK/case" "${3:-}"
}

case_flip() {	# case_flip BASE OFFSET [READERS]
	cp "$1" "$WORK/case"
	flip "$WORK/case" "$2"
	judge "$(basename "$1"): byte $2 flipped" "$WORK/case" "${3:-}"
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
	cp "$f" "$WORK/case"
	patch "$WORK/case" "$coff" "$(le $((t0 + (1 << 40))) 8)"
	patch "$WORK/case" $((coff + 4096)) "$(le 1 8)"
	judge "$(basename "$f"): pages in reverse order" "$WORK/case" "$R"
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

# A perf.data: header fields, attribute and data records, cuts.
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

echo "# corrupt-input table: $CASES cases, $RUNS runs of kmrv check"
[ "$FAILURES" -eq 0 ] && pass "$CASES damaged files, $RUNS runs: exit 0 or 2 with one line"
finish
