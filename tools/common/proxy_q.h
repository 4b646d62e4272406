/*
 * pxq: the capture proxy's record queue, from the I/O thread (one producer)
 * to the writer thread (one consumer). A bounded ring of bytes: the
 * producer reserves room for an entry, writes it in place (a record is
 * built straight from guest memory into the queue, no second copy) and
 * commits it; the consumer peeks the oldest entry and pops it. Neither side
 * ever waits for the other: a reservation that does not fit fails at once,
 * and the caller counts the drop (the guest's I/O never waits for the
 * record, ARCHITECTURE.md "Never slow the guest for the sake of the
 * record").
 *
 * Each entry starts on an 8-byte boundary with a 16-byte header (le32
 * length of the body, le16 kind, le16 pad, le64 time stamp), then the body.
 * An entry never wraps: when the room left at the end is too small, the
 * producer marks it skipped and starts again at offset 0.
 *
 * Threads: pxq_reserve/pxq_commit from one thread, pxq_peek/pxq_pop from
 * one other thread; pxq_used may be read from either. Ordering: the body
 * written before pxq_commit is visible to the consumer that sees the entry
 * (release/acquire on the two counters).
 */
#ifndef VSCSI_TOOLS_PROXY_Q_H
#define VSCSI_TOOLS_PROXY_Q_H

#include <stddef.h>
#include <stdint.h>

/* Entry kinds. */
#define PXQ_RECORD 1	/* a capture record (vscsi-capture(5) bytes) */
#define PXQ_CONN_END 2	/* body: le32 connection id; the connection ended */
#define PXQ_FLUSH 3	/* end the file's current frame now */

#define PXQ_HDR 16u
#define PXQ_MIN_BYTES 4096u

typedef struct pxq pxq;

typedef struct pxq_ent {
	unsigned kind;
	uint64_t ts_ns;
	const uint8_t *body;
	uint32_t len;
} pxq_ent;

/* A queue of `bytes` (at least PXQ_MIN_BYTES; rounded up to 8). NULL when
 * out of memory. */
pxq *pxq_new(size_t bytes);
void pxq_free(pxq *q);

/* Room for a body of len bytes: a pointer to write it, or NULL when the
 * queue cannot take it now (or ever: len above a quarter of the queue).
 * The pointer is valid until pxq_commit; one reservation at a time. */
uint8_t *pxq_reserve(pxq *q, uint32_t len);
/* Publish the reserved entry with its final length (<= the reserved one). */
void pxq_commit(pxq *q, uint32_t len, unsigned kind, uint64_t ts_ns);

/* The oldest entry into *e: 1, or 0 when the queue is empty. The body stays
 * valid until pxq_pop. */
int pxq_peek(pxq *q, pxq_ent *e);
/* Remove the entry pxq_peek returned. */
void pxq_pop(pxq *q);

/* Bytes in use (entries and skipped tails) and the capacity. */
size_t pxq_used(const pxq *q);
size_t pxq_size(const pxq *q);

#endif
