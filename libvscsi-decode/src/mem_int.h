/*
 * Internal: clearing and copying structures on the paths that run once per
 * record (vscsi_cap_rec, vscsi_cmd_req, vscsi_cmd_resp, vscsi_io, tracker
 * entries). Not installed.
 *
 * GCC (12, -O2, generic tuning) compiles a memset() of a constant size
 * above 64 bytes, and a memcpy() of 256 bytes or more, inline as `rep stos`
 * / `rep movs`, whose start-up costs several times the stores themselves at
 * these sizes (about 12 ns against 3 on the machines we measured). A
 * memcpy() below 256 bytes is inlined as vector moves, so a structure is
 * cleared by copying from a block of zeros, in pieces below that size.
 * The results are those of memset() and memcpy().
 */
#ifndef VSCSI_MEM_INT_H
#define VSCSI_MEM_INT_H

#include <stddef.h>
#include <string.h>

#define VSCSI__ZEROS 192

/* VSCSI__ZEROS zero bytes. */
extern const unsigned char vscsi__zeros[VSCSI__ZEROS];

/* memset(p, 0, n); with a constant n (the size of a structure) the copies
 * below are inlined as vector moves. */
static inline void vscsi__zero(void *p, size_t n)
{
	unsigned char *q = p;

	while (n > VSCSI__ZEROS) {
		memcpy(q, vscsi__zeros, VSCSI__ZEROS);
		q += VSCSI__ZEROS;
		n -= VSCSI__ZEROS;
	}
	memcpy(q, vscsi__zeros, n);
}

/* memcpy(dst, src, n), out of line: libc's vector code for any n. Copies
 * of a size gcc cannot see on a hot path go through it: gcc writes them
 * inline as rep movsq, which in the --serve back-end's request parse cost
 * about 70 ns a command (bench/ab/serve-ab.sh: +4.6% IOPS without it). */
void vscsi__copy(void *dst, const void *src, size_t n);

#endif
