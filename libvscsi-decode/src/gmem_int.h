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

/* The region the last lookup found, when it holds gpa; else NULL. */
static inline const vscsi_gmem_region *vscsi__gmem_hint(const vscsi_gmem *mem,
							uint64_t gpa)
{
	unsigned h = __atomic_load_n(&mem->hint, __ATOMIC_RELAXED);

	if (h < mem->n && gpa >= mem->r[h].gpa &&
	    gpa - mem->r[h].gpa < mem->r[h].size)
		return &mem->r[h];
	return NULL;
}

/*
 * Where [gpa, gpa + len) is in this process when it lies in the region
 * the last lookup found (nearly always: a guest's rings and buffers sit in
 * one or two regions), else NULL and the caller does the full lookup.
 */
static inline void *vscsi__gmem_hit(const vscsi_gmem *mem, uint64_t gpa,
				    uint64_t len)
{
	const vscsi_gmem_region *r = vscsi__gmem_hint(mem, gpa);
	uint64_t off;

	if (!r)
		return NULL;
	off = gpa - r->gpa;
	if (len > r->size - off)
		return NULL;
	return (uint8_t *)r->host + off;
}

#endif
