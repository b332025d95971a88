#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh TARGET SECONDS - run one libFuzzer target for a fixed time.
#
#   CC=clang cmake -S . -B build-fuzz -DKMRV_FUZZ=ON && cmake --build build-fuzz -j2
#   tests/fuzz/run.sh fuzz_trace_direct 300
#
# TARGET: fuzz_spec, fuzz_json, fuzz_trace_direct, fuzz_trace_libtracecmd,
# fuzz_trace_perf. The seed corpus is made on first use in
# BUILD/fuzz-corpus/TARGET (BUILD: $FUZZ_BUILD, default build-fuzz) from
# the fixtures, samples, specs and kmrv check results; what the fuzzer
# adds stays there between runs. A crash, leak or timeout is written to
# BUILD/fuzz-crash/TARGET/; keep it as tests/regress/TARGET/NAME once
# fixed (tests/e2e/regress_replay.sh replays that directory).
set -eu

[ $# -eq 2 ] || { echo "usage: $0 TARGET SECONDS" >&2; exit 2; }
TARGET=$1
SECONDS_=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${FUZZ_BUILD:-$SRC/build-fuzz}" && pwd)
BIN=$BUILD/tests/fuzz/$TARGET
[ -x "$BIN" ] || { echo "$BIN: not built (cmake -DKMRV_FUZZ=ON with clang)" >&2; exit 2; }
CORPUS=$BUILD/fuzz-corpus/$TARGET
CRASH=$BUILD/fuzz-crash/$TARGET
mkdir -p "$CRASH"

# Trace seeds: small fixtures (v6 and, via trace-cmd, v7), a synthetic
# trace, and the real samples cut to their first 64 KiB (headers, formats
# and the first pages); the perf sample whole, it has its index at the end.
seed_traces() {
	local out=$1 mkf=$BUILD/kmrv-mkfixture f
	for f in "$SRC"/tests/fixtures/*.txt; do
		"$mkf" "$f" "$out/$(basename "$f" .txt).dat" > /dev/null
	done
	"$mkf" --synthetic 300 --cpus 2 --live 20 "$out/synth.dat" > /dev/null
	if command -v trace-cmd > /dev/null; then
		for f in basic lost; do
			trace-cmd convert -i "$out/$f.dat" -o "$out/$f-v7.dat" \
				--file-version 7 --compression zstd > /dev/null 2>&1 ||
				rm -f "$out/$f-v7.dat"
		done
	fi
	for f in "$SRC"/samples/*.dat; do
		head -c 65536 "$f" > "$out/cut-$(basename "$f")"
	done
}

seed() {
	local out=$CORPUS
	mkdir -p "$out"
	case $TARGET in
	fuzz_spec)
		cp "$SRC"/specs/*.spec "$out/" ;;
	fuzz_json)
		"$BUILD/kmrv-mkfixture" "$SRC/tests/fixtures/basic.txt" "$BUILD/seed-basic.dat"
		for v in "" -v; do
			KMRV_SPEC_PATH=$SRC/specs "$BUILD/kmrv" check -f json $v --spec all \
				"$BUILD/seed-basic.dat" > "$out/basic$v.json" || true
			KMRV_SPEC_PATH=$SRC/specs "$BUILD/kmrv" check -f json $v --spec all \
				"$BUILD/seed-basic.dat" "$SRC/samples/ls-doc.dat" \
				> "$out/two$v.json" || true
		done
		rm -f "$BUILD/seed-basic.dat" ;;
	fuzz_trace_perf)
		cp "$SRC"/samples/*.perf.data "$out/"
		if perf record -q -e kmem:kmalloc -e kmem:kfree -o "$out/true.perf.data" \
			-- true > /dev/null 2>&1; then :; else rm -f "$out/true.perf.data"; fi ;;
	fuzz_trace_*)
		seed_traces "$out" ;;
	*)
		echo "$TARGET: unknown target" >&2; exit 2 ;;
	esac
}

[ -d "$CORPUS" ] && [ -n "$(ls -A "$CORPUS")" ] || seed

export KMRV_SPEC_PATH=$SRC/specs
# libtraceevent and libtracecmd leak on some damaged inputs: their leaks
# are theirs (tests/lsan.supp), kmrv's are not suppressed
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"
exec "$BIN" -max_total_time="$SECONDS_" -timeout=10 -rss_limit_mb=2048 \
	-max_len=$((512 * 1024)) -artifact_prefix="$CRASH/" -print_final_stats=1 \
	"$CORPUS"
