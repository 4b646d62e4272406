/*
 * The guest memory map: regions sorted by guest-physical address, binary
 * search with a last-hit hint. See vscsi/gmem.h for the contract.
 *
 * Sizes and ends are never added up where the sum could pass 2^64: a region
 * is described by its start and size, and containment is tested as
 * `addr - start < size`.
 */
#include <stdlib.h>
#include <string.h>

#include "gmem_int.h"

vscsi_gmem *vscsi_gmem_new(void)
{
	return calloc(1, sizeof(vscsi_gmem));
}

void vscsi_gmem_free(vscsi_gmem *mem)
{
	free(mem);
}

/* Index of the first region whose gpa is greater than gpa (0..n). */
static unsigned gmem_upper(const vscsi_gmem *mem, uint64_t gpa)
{
	unsigned lo = 0, hi = mem->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (mem->r[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The region holding gpa, or NULL. */
static const vscsi_gmem_region *gmem_find(const vscsi_gmem *mem, uint64_t gpa)
{
	const vscsi_gmem_region *hit = vscsi__gmem_hint(mem, gpa);
	unsigned i;

	if (hit)
		return hit;
	i = gmem_upper(mem, gpa);
	if (i == 0)
		return NULL;
	i--;
	if (gpa - mem->r[i].gpa >= mem->r[i].size)
		return NULL;
	/* The hint is only advice: a racing store of another index is fine.
	 * Writing it from a const lookup is the one mutation readers make. */
	__atomic_store_n((unsigned *)&mem->hint, i, __ATOMIC_RELAXED);
	return &mem->r[i];
}

/* 1 when [a, a + size) runs past 2^64 (a range may end exactly there). */
static int gmem_wraps(uint64_t a, uint64_t size)
{
	return size - 1 > UINT64_MAX - a;
}

int vscsi_gmem_add(vscsi_gmem *mem, uint64_t gpa, uint64_t size, uint64_t uva,
		   void *host)
{
	unsigned i;

	if (!mem || !host)
		return VSCSI_ERR_ARG;
	if (size == 0 || gmem_wraps(gpa, size) || gmem_wraps(uva, size) ||
	    gmem_wraps((uint64_t)(uintptr_t)host, size))
		return VSCSI_ERR_INVALID;
#if SIZE_MAX < UINT64_MAX
	if (size - 1 > (uint64_t)UINTPTR_MAX - (uintptr_t)host)
		return VSCSI_ERR_INVALID;
#endif
	i = gmem_upper(mem, gpa);
	/* the region before must end at or before gpa */
	if (i > 0 && gpa - mem->r[i - 1].gpa < mem->r[i - 1].size)
		return VSCSI_ERR_INVALID;
	/* the region after must start at or after gpa + size */
	if (i < mem->n && mem->r[i].gpa - gpa < size)
		return VSCSI_ERR_INVALID;
	if (mem->n >= VSCSI_GMEM_MAX_REGIONS)
		return VSCSI_ERR_NOSPACE;
	memmove(&mem->r[i + 1], &mem->r[i], (mem->n - i) * sizeof(mem->r[0]));
	mem->r[i].gpa = gpa;
	mem->r[i].size = size;
	mem->r[i].uva = uva;
	mem->r[i].host = host;
	mem->n++;
	mem->hint = 0;
	return VSCSI_OK;
}

int vscsi_gmem_remove(vscsi_gmem *mem, uint64_t gpa, uint64_t size)
{
	unsigned i;

	if (!mem)
		return VSCSI_ERR_ARG;
	i = gmem_upper(mem, gpa);
	if (i == 0 || mem->r[i - 1].gpa != gpa || mem->r[i - 1].size != size)
		return VSCSI_ERR_EMPTY;
	i--;
	memmove(&mem->r[i], &mem->r[i + 1],
		(mem->n - i - 1) * sizeof(mem->r[0]));
	mem->n--;
	mem->hint = 0;
	return VSCSI_OK;
}

void vscsi_gmem_clear(vscsi_gmem *mem)
{
	if (mem) {
		mem->n = 0;
		mem->hint = 0;
	}
}

unsigned vscsi_gmem_count(const vscsi_gmem *mem)
{
	return mem ? mem->n : 0;
}

int vscsi_gmem_region_at(const vscsi_gmem *mem, unsigned i,
			 vscsi_gmem_region *out)
{
	if (!mem || !out || i >= mem->n)
		return VSCSI_ERR_ARG;
	*out = mem->r[i];
	return VSCSI_OK;
}

int vscsi_gmem_map(const vscsi_gmem *mem, uint64_t gpa, uint64_t len,
		   struct iovec *iov, unsigned max, unsigned *n)
{
	unsigned k = 0;

	if (!n)
		return VSCSI_ERR_ARG;
	*n = 0;
	if (!mem)
		return VSCSI_ERR_ARG;
	if (len == 0)
		return VSCSI_OK;
	if (gmem_wraps(gpa, len))
		return VSCSI_ERR_ADDR;
	while (len > 0) {
		const vscsi_gmem_region *r = gmem_find(mem, gpa);
		uint64_t off, piece;

		if (!r)
			return VSCSI_ERR_ADDR;
		off = gpa - r->gpa;
		piece = r->size - off;
		if (piece > len)
			piece = len;
#if SIZE_MAX < UINT64_MAX
		if (piece > SIZE_MAX)
			piece = SIZE_MAX;
#endif
		if (iov) {
			if (k >= max)
				return VSCSI_ERR_IOV_FULL;
			iov[k].iov_base = (uint8_t *)r->host + off;
			iov[k].iov_len = (size_t)piece;
		}
		k++;
		len -= piece;
		/* no wrap: gpa + len - 1 did not pass 2^64 */
		gpa += piece;
	}
	*n = k;
	return VSCSI_OK;
}

void *vscsi_gmem_ptr(const vscsi_gmem *mem, uint64_t gpa, uint64_t len)
{
	const vscsi_gmem_region *r;
	uint64_t off;

	if (!mem)
		return NULL;
	r = gmem_find(mem, gpa);
	if (!r)
		return NULL;
	off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	return (uint8_t *)r->host + off;
}

void *vscsi_gmem_uva_ptr(const vscsi_gmem *mem, uint64_t uva, uint64_t len)
{
	unsigned i;

	if (!mem)
		return NULL;
	for (i = 0; i < mem->n; i++) {
		const vscsi_gmem_region *r = &mem->r[i];
		uint64_t off = uva - r->uva;

		if (uva >= r->uva && off < r->size && len <= r->size - off)
			return (uint8_t *)r->host + off;
	}
	return NULL;
}

int vscsi_gmem_read(const vscsi_gmem *mem, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (!mem || (!dst && len > 0))
		return VSCSI_ERR_ARG;
	if (len == 0)
		return VSCSI_OK;
	if (gmem_wraps(gpa, len))
		return VSCSI_ERR_ADDR;
	while (len > 0) {
		const vscsi_gmem_region *r = gmem_find(mem, gpa);
		uint64_t off, piece;

		if (!r)
			return VSCSI_ERR_ADDR;
		off = gpa - r->gpa;
		piece = r->size - off;
		if (piece > len)
			piece = len;
		memcpy(out, (const uint8_t *)r->host + off, (size_t)piece);
		out += piece;
		len -= (size_t)piece;
		gpa += piece;
	}
	return VSCSI_OK;
}
