/*
 * Internal: the histogram's bucket index and add, inline, for hist.c and
 * for stats.c (which adds one latency to several rows and computes its
 * bucket once). Not installed.
 */
#ifndef VSCSI_HIST_INT_H
#define VSCSI_HIST_INT_H

#include <stdint.h>

#include "vscsi/stats.h"

/* vscsi_hist_bucket(). */
static inline unsigned vscsi__hist_bucket(uint64_t v)
{
	unsigned k;

	if (v < VSCSI_HIST_SUB)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v);
	return (k - VSCSI_HIST_SUB_BITS + 1u) * VSCSI_HIST_SUB +
	       (unsigned)((v >> (k - VSCSI_HIST_SUB_BITS)) &
			  (VSCSI_HIST_SUB - 1u));
}

/* vscsi_hist_add() of v whose bucket is idx. */
static inline void vscsi__hist_add_at(vscsi_hist *h, uint64_t v, unsigned idx)
{
	h->bucket[idx]++;
	h->count++;
	h->sum = v > UINT64_MAX - h->sum ? UINT64_MAX : h->sum + v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

#endif
