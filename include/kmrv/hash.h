/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hash.h - the 64-bit mixer every kmrv hash table uses.
 *
 * Keys are slab addresses (aligned, sharing their high bits) and pids
 * (small, dense): the low bits of a key say almost nothing, so every bit
 * must reach the slot index. murmur3's fmix64 finalizer does that.
 */
#ifndef KMRV_HASH_H
#define KMRV_HASH_H

#include <stdint.h>

static inline uint64_t kmrv_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#endif /* KMRV_HASH_H */
