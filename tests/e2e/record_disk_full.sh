#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# record_disk_full.sh - the disk fills while kmrv record writes: a real
# 1 MiB tmpfs (not /dev/full, which fails the first write; here the
# headers fit and the stream of pages does not). One clear line, exit 2,
# no tracefs instance left, no kmem event enabled in the top instance,
# the partial file removed (assert_clean in run_record checks the rest). Skips when tmpfs cannot be mounted.
. "$(dirname "$0")/record_common.bash"

MNT=$TMP/small
mkdir "$MNT"
mount -t tmpfs -o size=1m kmrv-test "$MNT" 2>/dev/null ||
	skip "cannot mount a tmpfs (not allowed here)"
trap 'umount "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT

# enough allocations to need more than 1 MiB of pages
run_record -q -b 256 -o "$MNT/full.dat" -- sh -c 'for i in 1 2 3 4 5 6; do ls -R /usr > /dev/null; done'
[ "$RC" = 2 ] || fail "disk full (tmpfs): exit $RC, want 2: $(cat "$TMP/err")"
[ "$(wc -l < "$TMP/err")" = 1 ] || fail "disk full: not one line: $(cat "$TMP/err")"
grep -q "$MNT/full.dat: .*No space left on device" "$TMP/err" ||
	fail "disk full: message: $(cat "$TMP/err")"
[ ! -e "$MNT/full.dat" ] || fail "disk full: the partial file was left"
note "disk full: $(cat "$TMP/err")"
echo "PASS"
