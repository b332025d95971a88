#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# shard-check.sh - check an archive of traces where its shards are, in
# parallel over ssh, and merge the results into one.
#
#   scripts/shard-check.sh [-j N] [-s SPECS] [-o OUT.json] HOST:DIR...
#
# Each HOST:DIR is one shard: `kmrv check -f json -j N DIR` runs on HOST
# (over ssh; the host "local" runs here), all shards at the same time; the
# JSON results come back here and `kmrv merge` makes one result of them,
# whose totals equal one `kmrv check` over every trace of every shard.
# Traces never travel, only their results (kilobytes).
#
# Environment: KMRV, the kmrv command on the hosts (default: kmrv);
# KMRV_LOCAL, the one here for merging (default: $KMRV); SSH (default ssh).
# Exit status: 0 all traces checked; 2 a shard or a trace failed (what
# could be checked is still merged into OUT.json).
set -u

jobs=$(nproc 2>/dev/null || echo 1)
specs=all
out=/dev/stdout
usage() {
	echo "usage: $0 [-j N] [-s SPECS] [-o OUT.json] HOST:DIR..." >&2
	exit 2
}
while getopts "j:s:o:h" opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	s) specs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage

KMRV=${KMRV:-kmrv}
KMRV_LOCAL=${KMRV_LOCAL:-$KMRV}
SSH=${SSH:-ssh}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# check_shard INDEX HOST:DIR: the shard's result into $tmp/INDEX.json,
# its exit status into $tmp/INDEX.rc
check_shard() {
	local i=$1 host=${2%%:*} dir=${2#*:} cmd
	cmd="$KMRV check -f json -j $jobs --spec $(printf %q "$specs") $(printf %q "$dir")"
	if [ "$host" = local ]; then
		bash -c "$cmd" > "$tmp/$i.json" 2> "$tmp/$i.err"
	else
		$SSH -o BatchMode=yes "$host" "$cmd" > "$tmp/$i.json" 2> "$tmp/$i.err"
	fi
	echo $? > "$tmp/$i.rc"
}
export -f check_shard
export KMRV SSH jobs specs tmp

i=0
for shard in "$@"; do
	case $shard in
	*:*) printf '%s\0%s\0' "$i" "$shard" ;;
	*) echo "$0: '$shard' is not HOST:DIR" >&2; exit 2 ;;
	esac
	i=$((i + 1))
done | xargs -0 -n 2 -P "$#" bash -c 'check_shard "$0" "$1"'

status=0
results=()
i=0
for shard in "$@"; do
	rc=$(cat "$tmp/$i.rc" 2>/dev/null || echo 255)
	sed "s|^|$shard: |" "$tmp/$i.err" >&2
	# 0 and 1 (--fail-on) are whole results; 2 may still hold good traces
	if [ -s "$tmp/$i.json" ]; then
		results+=("$tmp/$i.json")
	fi
	if [ "$rc" -ne 0 ]; then
		echo "$0: shard $shard: kmrv check exited $rc" >&2
		status=2
	fi
	i=$((i + 1))
done
if [ ${#results[@]} -eq 0 ]; then
	echo "$0: no shard gave a result" >&2
	exit 2
fi
"$KMRV_LOCAL" merge "${results[@]}" > "$out" || exit 2
exit $status
