/*
 * replay_hash: XXH3-64 of payloads, the digest the capture format keeps.
 *
 * A replay hashes every data-in it gets and every data-out the fill
 * rebuilds: 4 KiB each for a typical request, which the library's generic
 * build (SSE2) takes about three times as long to hash as the AVX2 code.
 * So this file compiles xxhash's inline implementation a second time for
 * AVX2 and picks it at run time when the CPU has it; the results are the
 * same bytes either way (XXH3 does not depend on the code path).
 */
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "replay_int.h"

static uint64_t rp_hash_lib(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RP_HASH_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define XXH_INLINE_ALL
#include <xxhash.h>
static uint64_t rp_hash_avx2(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}
#pragma GCC diagnostic pop
#pragma GCC pop_options
#endif

uint64_t rp_hash(const void *p, size_t n)
{
#ifdef RP_HASH_AVX2
	/* decided once (2: AVX-512, 1: AVX2, 0: neither); the lanes of a
	 * replay (replay_lanes.c) may race to decide it, to the same value */
	static int isa = -1;
	int a = __atomic_load_n(&isa, __ATOMIC_RELAXED);

	if (a < 0) {
		a = __builtin_cpu_supports("avx2") ? 1 : 0;
#if RP_HASH_HAVE_AVX512
		if (__builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw"))
			a = 2;
#endif
		__atomic_store_n(&isa, a, __ATOMIC_RELAXED);
	}
#if RP_HASH_HAVE_AVX512
	if (a == 2)
		return rp_hash_avx512(p, n);
#endif
	if (a)
		return rp_hash_avx2(p, n);
#endif
	return rp_hash_lib(p, n);
}
