/*
 * replay_hash512: XXH3-64 compiled for AVX-512 (replay_hash.c picks it
 * when the CPU has AVX-512 F and BW). A 4 KiB digest, which a replay makes
 * for nearly every request, takes about two thirds of the AVX2 code's time
 * (81 against 119 ns on the machine the benchmarks ran on). A file of its
 * own: xxhash's inline implementation can be compiled once per file.
 */
#include <stddef.h>
#include <stdint.h>

#include "replay_int.h"

#if RP_HASH_HAVE_AVX512
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define XXH_INLINE_ALL
#include <xxhash.h>
uint64_t rp_hash_avx512(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}
#pragma GCC diagnostic pop
#pragma GCC pop_options
#else
/* ISO C wants something in a translation unit */
typedef int rp_hash512_unused;
#endif
