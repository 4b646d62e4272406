/* The capture proxy's single-producer single-consumer record queue; see
 * proxy_q.h. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_q.h"
#include "vscsi/reader.h"

#define PXQ_SKIP 0xffffu	/* kind of a skipped tail */

struct pxq {
	uint8_t *buf;
	size_t size;
	/* free-running byte counters; position = counter % size */
	_Atomic uint64_t head;	/* producer: next byte to write */
	_Atomic uint64_t tail;	/* consumer: next byte to read */
	uint64_t res_at;	/* producer: where the reservation starts */
	uint32_t res_len;
	uint32_t peek_len;	/* consumer: bytes the peeked entry takes */
};

static uint32_t pxq_round(uint32_t n)
{
	return (n + 7u) & ~7u;
}

pxq *pxq_new(size_t bytes)
{
	pxq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	if (bytes < PXQ_MIN_BYTES)
		bytes = PXQ_MIN_BYTES;
	bytes = (bytes + 7u) & ~(size_t)7u;
	q->buf = malloc(bytes);
	if (!q->buf) {
		free(q);
		return NULL;
	}
	q->size = bytes;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return q;
}

void pxq_free(pxq *q)
{
	if (!q)
		return;
	free(q->buf);
	free(q);
}

static void pxq_hdr(uint8_t *p, uint32_t len, unsigned kind, uint64_t ts)
{
	vscsi_put_le32(p, len);
	vscsi_put_le16(p + 4, (uint16_t)kind);
	vscsi_put_le16(p + 6, 0);
	vscsi_put_le64(p + 8, ts);
}

uint8_t *pxq_reserve(pxq *q, uint32_t len)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	size_t pos = (size_t)(head % q->size);
	size_t need, room_end, skip = 0;

	if (len > q->size / 4)
		return NULL;
	need = PXQ_HDR + pxq_round(len);
	room_end = q->size - pos;
	if (room_end < need)
		skip = room_end;	/* the entry starts again at 0 */
	if (q->size - (size_t)(head - tail) < skip + need)
		return NULL;
	if (skip) {
		/* a tail too short for a header is skipped without one: the
		 * consumer knows an entry header always fits before the end */
		if (room_end >= PXQ_HDR)
			pxq_hdr(q->buf + pos, 0, PXQ_SKIP, 0);
		head += skip;
		pos = 0;
	}
	q->res_at = head;
	q->res_len = len;
	return q->buf + pos + PXQ_HDR;
}

void pxq_commit(pxq *q, uint32_t len, unsigned kind, uint64_t ts_ns)
{
	size_t pos = (size_t)(q->res_at % q->size);

	if (len > q->res_len)
		len = q->res_len;
	pxq_hdr(q->buf + pos, len, kind, ts_ns);
	atomic_store_explicit(&q->head,
			      q->res_at + PXQ_HDR + pxq_round(len),
			      memory_order_release);
}

int pxq_peek(pxq *q, pxq_ent *e)
{
	for (;;) {
		uint64_t tail = atomic_load_explicit(&q->tail,
						     memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&q->head,
						     memory_order_acquire);
		size_t pos = (size_t)(tail % q->size);
		const uint8_t *p;
		unsigned kind;

		if (head == tail)
			return 0;
		if (q->size - pos < PXQ_HDR) {
			atomic_store_explicit(&q->tail, tail + (q->size - pos),
					      memory_order_release);
			continue;
		}
		p = q->buf + pos;
		kind = (unsigned)p[4] | (unsigned)p[5] << 8;
		if (kind == PXQ_SKIP) {
			atomic_store_explicit(&q->tail, tail + (q->size - pos),
					      memory_order_release);
			continue;
		}
		e->len = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		e->kind = kind;
		e->ts_ns = 0;
		{
			int i;

			for (i = 7; i >= 0; i--)
				e->ts_ns = e->ts_ns << 8 | p[8 + i];
		}
		e->body = p + PXQ_HDR;
		q->peek_len = PXQ_HDR + pxq_round(e->len);
		return 1;
	}
}

void pxq_pop(pxq *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);

	atomic_store_explicit(&q->tail, tail + q->peek_len,
			      memory_order_release);
	q->peek_len = 0;
}

size_t pxq_used(const pxq *q)
{
	uint64_t head = atomic_load_explicit(&((pxq *)q)->head,
					     memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&((pxq *)q)->tail,
					     memory_order_acquire);

	return (size_t)(head - tail);
}

size_t pxq_size(const pxq *q)
{
	return q->size;
}
