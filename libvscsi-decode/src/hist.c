/*
 * Log-linear latency histogram: values below 32 have a bucket each; above,
 * every power of two is cut into 32 equal buckets, so a bucket's width is at
 * most 1/32 of its lower bound. 1920 buckets cover all of uint64_t.
 */
#include <string.h>

#include "vscsi/stats.h"
#include "hist_int.h"

void vscsi_hist_init(vscsi_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned vscsi_hist_bucket(uint64_t v)
{
	return vscsi__hist_bucket(v);
}

void vscsi_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi)
{
	unsigned k, sub, shift;

	if (idx >= VSCSI_HIST_BUCKETS)
		idx = VSCSI_HIST_BUCKETS - 1;
	if (idx < VSCSI_HIST_SUB) {
		*lo = *hi = idx;
		return;
	}
	k = idx / VSCSI_HIST_SUB + VSCSI_HIST_SUB_BITS - 1u;
	sub = idx % VSCSI_HIST_SUB;
	shift = k - VSCSI_HIST_SUB_BITS;
	*lo = (uint64_t)(VSCSI_HIST_SUB + sub) << shift;
	*hi = *lo + ((1ull << shift) - 1u);
}

void vscsi_hist_add(vscsi_hist *h, uint64_t v)
{
	vscsi__hist_add_at(h, v, vscsi__hist_bucket(v));
}

void vscsi_hist_merge(vscsi_hist *dst, const vscsi_hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	for (i = 0; i < VSCSI_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum = src->sum > UINT64_MAX - dst->sum ? UINT64_MAX :
						      dst->sum + src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t vscsi_hist_quantile(const vscsi_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	unsigned i;

	if (!h->count)
		return 0;
	if (q >= 1.0)
		return h->max;
	if (q <= 0.0)
		return h->min;
	/* the smallest value with at least q of the values at or below it */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < VSCSI_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	vscsi_hist_bucket_range(i, &lo, &hi);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

uint64_t vscsi_hist_mean(const vscsi_hist *h)
{
	return h->count ? h->sum / h->count : 0;
}
