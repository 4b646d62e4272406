/*
 * libvscsi-decode: the guest memory map.
 *
 * A vscsi_gmem holds the memory regions a vhost-user front-end shared
 * (SET_MEM_TABLE / ADD_MEM_REG, docs/interop/vhost-user.rst "Memory region
 * description"): for each region its guest-physical address (gpa), size,
 * front-end virtual address (uva) and where the caller mapped it in this
 * process (host). Descriptor addresses are guest-physical; vhost-user ring
 * addresses are front-end virtual addresses. The map translates both.
 *
 *   region i:  gpa [gpa, gpa + size)  <->  host [host, host + size)
 *              uva [uva, uva + size)  <->  host [host, host + size)
 *
 * The map never owns or unmaps the memory behind `host`.
 *
 * Threads: lookups (vscsi_gmem_map, _ptr, _uva_ptr, _read, _count, _region)
 * may run concurrently with each other. vscsi_gmem_add, _remove and _clear
 * need exclusive access (no lookup running). Lookups keep a last-hit hint in
 * one atomic word (relaxed loads and stores); a stale hint only costs a
 * binary search, so concurrent readers are safe.
 *
 * Lookup cost: gpa lookups are a binary search over regions sorted by gpa
 * (after the hint); uva lookups are a linear scan (they serve ring setup).
 */
#ifndef VSCSI_GMEM_H
#define VSCSI_GMEM_H

#include <stdint.h>
#include <sys/uio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most regions a map holds (vhost-user CONFIGURE_MEM_SLOTS allows up to
 * 509; QEMU's limit is lower). */
#define VSCSI_GMEM_MAX_REGIONS 512

typedef struct vscsi_gmem vscsi_gmem;

typedef struct vscsi_gmem_region {
	uint64_t gpa;	/* guest-physical start */
	uint64_t size;	/* bytes, > 0 */
	uint64_t uva;	/* front-end virtual start */
	void *host;	/* where the region is mapped in this process */
} vscsi_gmem_region;

/* An empty map, or NULL when out of memory. Free with vscsi_gmem_free(). */
VSCSI_API vscsi_gmem *vscsi_gmem_new(void);
/* Free the map (not the regions' memory). NULL is ignored. */
VSCSI_API void vscsi_gmem_free(vscsi_gmem *mem);

/*
 * Add a region. Returns VSCSI_OK;
 * VSCSI_ERR_ARG when mem or host is NULL;
 * VSCSI_ERR_INVALID when size is 0, when gpa + size, uva + size or
 *   host + size passes 2^64 (a region may end exactly at 2^64), or when
 *   [gpa, gpa + size) overlaps a region already in the map;
 * VSCSI_ERR_NOSPACE when the map already holds VSCSI_GMEM_MAX_REGIONS.
 * Needs exclusive access.
 */
VSCSI_API int vscsi_gmem_add(vscsi_gmem *mem, uint64_t gpa, uint64_t size,
			     uint64_t uva, void *host);

/* Remove the region that starts at gpa with exactly this size.
 * VSCSI_OK, or VSCSI_ERR_EMPTY when there is none. Exclusive access. */
VSCSI_API int vscsi_gmem_remove(vscsi_gmem *mem, uint64_t gpa, uint64_t size);

/* Remove every region. Exclusive access. */
VSCSI_API void vscsi_gmem_clear(vscsi_gmem *mem);

/* Number of regions (0 for NULL). */
VSCSI_API unsigned vscsi_gmem_count(const vscsi_gmem *mem);

/* Copy region i (in ascending gpa order) to *out. VSCSI_OK, or
 * VSCSI_ERR_ARG when i >= count or a pointer is NULL. */
VSCSI_API int vscsi_gmem_region_at(const vscsi_gmem *mem, unsigned i,
				   vscsi_gmem_region *out);

/*
 * Translate the guest-physical buffer [gpa, gpa + len) into host iovecs.
 * Each piece is clamped to the end of its region, so a buffer that crosses
 * from one region into the next (adjacent) one becomes several iovecs; no
 * pieces are merged. On VSCSI_OK, *n is the number of iovecs written to
 * iov[0..*n) (0 when len is 0).
 *
 * iov may be NULL: then nothing is stored, max is ignored and *n counts the
 * pieces (a way to check that a buffer lies in memory).
 *
 * Errors: VSCSI_ERR_ADDR when any byte of the buffer lies outside every
 * region (including a buffer that would run past 2^64);
 * VSCSI_ERR_IOV_FULL when it needs more than max pieces;
 * VSCSI_ERR_ARG when mem or n is NULL. On error *n is 0 and the contents
 * of iov are unspecified.
 */
VSCSI_API int vscsi_gmem_map(const vscsi_gmem *mem, uint64_t gpa, uint64_t len,
			     struct iovec *iov, unsigned max, unsigned *n);

/* Host pointer to [gpa, gpa + len) when that range lies inside one region,
 * otherwise NULL. With len 0: the pointer for gpa when gpa is inside a
 * region. */
VSCSI_API void *vscsi_gmem_ptr(const vscsi_gmem *mem, uint64_t gpa,
			       uint64_t len);

/* The same by front-end virtual address (vhost-user ring addresses). */
VSCSI_API void *vscsi_gmem_uva_ptr(const vscsi_gmem *mem, uint64_t uva,
				   uint64_t len);

/*
 * Copy len bytes of guest memory at gpa into dst, across regions if need
 * be. VSCSI_OK; VSCSI_ERR_ADDR when any byte is outside memory (dst is then
 * unspecified); VSCSI_ERR_ARG for NULL mem, or NULL dst with len > 0.
 * The guest may change the bytes while they are copied; the copy is a
 * snapshot to be checked after, never re-read.
 */
VSCSI_API int vscsi_gmem_read(const vscsi_gmem *mem, uint64_t gpa, void *dst,
			      size_t len);

#ifdef __cplusplus
}
#endif
#endif
