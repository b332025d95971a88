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

/*
 * The instance key (ptr, pid): the pid is spread by a golden-ratio
 * multiply and rotated into the pointer's constant high half, then the
 * lot is mixed.
 */
static inline uint64_t kmrv_mix_key(uint64_t ptr, int32_t pid)
{
	uint64_t p = (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL;

	return kmrv_mix64(ptr ^ ((p << 32) | (p >> 32)));
}

#endif /* KMRV_HASH_H */
