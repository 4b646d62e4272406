/*
 * Internal: the guest memory map's layout, and the lookup the ring walker
 * makes for every descriptor. Not installed.
 */
#ifndef VSCSI_GMEM_INT_H
#define VSCSI_GMEM_INT_H

#include <stdint.h>

#include "vscsi/gmem.h"

struct vscsi_gmem {
	unsigned n;
	unsigned hint;		/* last region hit; atomic, relaxed */
	vscsi_gmem_region r[VSCSI_GMEM_MAX_REGIONS];	/* sorted by gpa */
};

/*
 * Where [gpa, gpa + len) is in this process when it lies in the region
 * the last lookup found (nearly always: a guest's rings and buffers sit in
 * one or two regions), else NULL and the caller does the full lookup.
 */
static inline void *vscsi__gmem_hit(const vscsi_gmem *mem, uint64_t gpa,
				    uint64_t len)
{
	unsigned h = __atomic_load_n(&mem->hint, __ATOMIC_RELAXED);
	const vscsi_gmem_region *r;
	uint64_t off;

	if (h >= mem->n)
		return NULL;
	r = &mem->r[h];
	off = gpa - r->gpa;
	if (gpa < r->gpa || off >= r->size || len > r->size - off)
		return NULL;
	return (uint8_t *)r->host + off;
}

#endif
