/* The capture proxy's record encoder; see proxy_rec.h. Layout:
 * vscsi-capture(5), version 1. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy_rec.h"
#include "vscsi/reader.h"

/* Longest tool name or version a session record keeps. */
#define PXR_STR_MAX 255

struct px_rec {
	pxq *q;
	uint32_t snaplen;
	int no_data;
	uint64_t pend;		/* records dropped, not yet told */
	uint64_t pend_since;
	px_rec_stats st;
};

uint64_t px_rec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Room one queue entry of len bytes takes (proxy_q.h: a 16-byte header,
 * the body rounded up to 8). */
static uint64_t pxr_entry(uint64_t len)
{
	return PXQ_HDR + ((len + 7u) & ~(uint64_t)7u);
}

uint32_t px_rec_snap_max(const pxq *q)
{
	/* half the queue for the group's entries: the records' bytes and,
	 * per record, an entry header, padding and a record header */
	uint64_t half = pxq_size(q) / 2;
	uint64_t per = PXQ_HDR + 8 + VSCSI_CAP_REQ_HDR_LEN;
	uint64_t recs = half / VSCSI_CAP_PIECE_MAX + 2;
	uint64_t max = half > recs * per ? half - recs * per : 0;

	max &= ~(uint64_t)4095u;
	if (max < VSCSI_CAP_SNAPLEN_MAX)
		max = VSCSI_CAP_SNAPLEN_MAX;
	return max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}

px_rec *px_rec_new(pxq *q, uint32_t snaplen, int no_data)
{
	px_rec *r = calloc(1, sizeof(*r));
	uint32_t max = px_rec_snap_max(q);

	if (!r)
		return NULL;
	r->q = q;
	r->snaplen = snaplen && snaplen < max ? snaplen : max;
	r->no_data = no_data;
	return r;
}

void px_rec_free(px_rec *r)
{
	if (!r)
		return;
	free(r);
}

pxq *px_rec_queue(const px_rec *r)
{
	return r->q;
}

uint32_t px_rec_snaplen(const px_rec *r)
{
	return r->snaplen;
}

void px_rec_get_stats(const px_rec *r, px_rec_stats *st)
{
	*st = r->st;
}

int px_rec_backlogged(const px_rec *r)
{
	return pxq_used(r->q) > pxq_size(r->q) / PX_REC_BACKLOG_DIV;
}

/* ------------------------------------------------------------ encoding */

static uint64_t pxr_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int px_rec_is_piece(const uint8_t *rec, uint32_t len)
{
	return len >= VSCSI_CAP_DATA_HDR_LEN && rec[1] == VSCSI_REC_DATA;
}

void px_rec_set_seq(uint8_t *rec, uint32_t len, uint64_t seq)
{
	if (len < VSCSI_CAP_COMMON_LEN)
		return;
	if (px_rec_is_piece(rec, len)) {
		/* parent_seq (24) keeps its distance to seq (16) */
		uint64_t back = pxr_le64(rec + 16) - pxr_le64(rec + 24);

		vscsi_put_le64(rec + 24, seq - back);
	}
	vscsi_put_le64(rec + 16, seq);
}

static size_t pxr_hdr_len(unsigned type)
{
	switch (type) {
	case VSCSI_REC_REQUEST:
	case VSCSI_REC_COMPLETION:
		return VSCSI_CAP_REQ_HDR_LEN;
	case VSCSI_REC_VHOST_USER:
		return VSCSI_CAP_VU_HDR_LEN;
	case VSCSI_REC_SESSION:
		return VSCSI_CAP_SESSION_HDR_LEN;
	case VSCSI_REC_LOSS:
		return VSCSI_CAP_LOSS_HDR_LEN;
	case VSCSI_REC_NOTIFY:
		return VSCSI_CAP_NOTIFY_HDR_LEN;
	default:
		return 0;
	}
}

static uint64_t pxr_total(const struct iovec *iov, unsigned n)
{
	uint64_t t = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

int px_rec_encode(uint8_t *buf, size_t cap, const vscsi_cap_rec *rec,
		  const struct iovec *iov, unsigned n, uint64_t keep, int *cut)
{
	uint64_t full = 0, total = pxr_total(iov, n);
	int len = vscsi_cap_encode(buf, cap, rec, iov, n, keep,
				   VSCSI_CAP_ENC_COMPUTE |
				   VSCSI_CAP_ENC_CONTINUE, &full);

	/* cut: less is kept than there is, continuations included */
	if (cut)
		*cut = len >= 0 && (uint64_t)len < full &&
		       (keep < total ||
			(rec->type != VSCSI_REC_REQUEST &&
			 rec->type != VSCSI_REC_COMPLETION) ||
			vscsi_cap_pieces(rec->hdr_len, total, keep, NULL) == 0);
	return len;
}

/* ------------------------------------------------------------ queueing */

/* Queue the loss note of the drops not yet told; 0 when it went in (or
 * none was due). */
static int pxr_flush_loss(px_rec *r)
{
	static const char text[] = "record queue full";
	struct iovec iov = { (void *)text, sizeof(text) - 1 };
	vscsi_cap_rec rec;
	uint8_t *b;
	int len;
	uint32_t want = VSCSI_CAP_LOSS_HDR_LEN + (uint32_t)iov.iov_len;

	if (!r->pend)
		return 0;
	b = pxq_reserve(r->q, want);
	if (!b)
		return -1;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = VSCSI_CAP_CONN_NONE;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.loss.count = r->pend;
	rec.loss.since_ns = r->pend_since;
	rec.loss.reason = VSCSI_LOSS_QUEUE_FULL;
	len = px_rec_encode(b, want, &rec, &iov, 1, iov.iov_len, NULL);
	pxq_commit(r->q, (uint32_t)len, PXQ_RECORD, px_rec_now());
	r->st.notes++;
	r->pend = 0;
	r->pend_since = 0;
	return 0;
}

int px_rec_flush(px_rec *r)
{
	if (!r->pend)
		return 0;
	if (pxq_used(r->q) > pxq_size(r->q) / 2)
		return -1;
	return pxr_flush_loss(r);
}

uint64_t px_rec_pending(const px_rec *r)
{
	return r->pend;
}

static int pxr_drop(px_rec *r, uint64_t ts)
{
	if (!r->pend)
		r->pend_since = ts;
	r->pend++;
	r->st.dropped++;
	return VSCSI_ERR_NOSPACE;
}

/* Encode rec with iov (keep bytes of raw at most) into the queue. */
static int pxr_put(px_rec *r, const vscsi_cap_rec *rec,
		   const struct iovec *iov, unsigned n, uint64_t keep,
		   uint64_t ts)
{
	size_t hl = pxr_hdr_len(rec->type);
	uint64_t total = pxr_total(iov, n);
	uint8_t *b;
	int len, cut;

	if (keep > total)
		keep = total;
	/* one record: only data parts are continued (pxr_put_group) */
	if (keep > VSCSI_CAP_SNAPLEN_MAX)
		keep = VSCSI_CAP_SNAPLEN_MAX;
	if (rec->type == VSCSI_REC_SESSION)
		keep = 2u * (uint64_t)rec->session.num_queues +
		       2 * (PXR_STR_MAX + 1);
	/* once dropping, go on until the writer has drained half the queue:
	 * one loss note for a run of drops, not one every other record */
	if (r->pend && pxq_used(r->q) > pxq_size(r->q) / 2)
		return pxr_drop(r, ts);
	if (pxr_flush_loss(r))
		return pxr_drop(r, ts);
	b = pxq_reserve(r->q, (uint32_t)(hl + keep));
	if (!b)
		return pxr_drop(r, ts);
	len = px_rec_encode(b, hl + keep, rec, iov, n, keep, &cut);
	if (len < 0)
		return len;	/* not committed: the room is reused */
	pxq_commit(r->q, (uint32_t)len, PXQ_RECORD, ts);
	r->st.records++;
	r->st.bytes += (uint64_t)len;
	if (cut)
		r->st.cut++;
	return VSCSI_OK;
}

/*
 * A request or completion whose kept bytes go on in pieces continuation
 * records (bytes: all the records): all of them into the queue, or none.
 * Returns VSCSI_OK or VSCSI_ERR_NOSPACE (dropped).
 */
static int pxr_put_group(px_rec *r, const vscsi_cap_rec *rec,
			 const struct iovec *iov, unsigned n, uint64_t keep,
			 unsigned pieces, uint64_t bytes, uint64_t ts)
{
	uint64_t piece_room = pxr_entry(VSCSI_CAP_DATA_HDR_LEN +
					VSCSI_CAP_PIECE_MAX);
	uint64_t first = bytes - (uint64_t)pieces * VSCSI_CAP_DATA_HDR_LEN;
	uint64_t need, left;
	uint8_t *b;
	unsigned i;
	int len, cut;

	if (r->pend && pxq_used(r->q) > pxq_size(r->q) / 2)
		return pxr_drop(r, ts);
	if (pxr_flush_loss(r))
		return pxr_drop(r, ts);
	/* the record: a header and at most one record's raw bytes */
	first = VSCSI_CAP_REQ_HDR_LEN + VSCSI_CAP_SNAPLEN_MAX < first ?
		VSCSI_CAP_REQ_HDR_LEN + VSCSI_CAP_SNAPLEN_MAX : first;
	/* every entry, and one more for the tail the queue may skip when
	 * it wraps (once: the group is at most half the queue) */
	need = pxr_entry(first) + (uint64_t)pieces * piece_room + piece_room;
	left = pxq_size(r->q) - pxq_used(r->q);
	if (left < need)
		return pxr_drop(r, ts);

	b = pxq_reserve(r->q, (uint32_t)first);
	if (!b)
		return pxr_drop(r, ts);
	len = px_rec_encode(b, first, rec, iov, n, keep, &cut);
	if (len < 0)
		return len;
	pxq_commit(r->q, (uint32_t)len, PXQ_RECORD, ts);
	r->st.records++;
	r->st.bytes += (uint64_t)len;
	if (cut)
		r->st.cut++;
	for (i = 1; i <= pieces; i++) {
		b = pxq_reserve(r->q, VSCSI_CAP_DATA_HDR_LEN +
				VSCSI_CAP_PIECE_MAX);
		/* the room was there; a failure here would only leave the
		 * record cut where the pieces stop (the numbers of the
		 * missing ones show the gap, the note the drops) */
		if (!b) {
			for (; i <= pieces; i++)
				pxr_drop(r, ts);
			return VSCSI_OK;
		}
		len = vscsi_cap_encode_data(b, VSCSI_CAP_DATA_HDR_LEN +
					    VSCSI_CAP_PIECE_MAX, rec, iov, n,
					    keep, i, rec->seq + i);
		if (len <= 0) {
			for (; i <= pieces; i++)
				pxr_drop(r, ts);
			return VSCSI_OK;
		}
		pxq_commit(r->q, (uint32_t)len, PXQ_RECORD, ts);
		r->st.records++;
		r->st.pieces++;
		r->st.bytes += (uint64_t)len;
	}
	return VSCSI_OK;
}

/* A request or completion: one record, or a group with its continuation
 * records; *seq moves past the numbers used. */
static int pxr_put_chain(px_rec *r, vscsi_cap_rec *rec,
			 const struct iovec *iov, unsigned n, uint64_t keep,
			 uint64_t *seq, uint64_t ts)
{
	uint64_t bytes = 0;
	unsigned pieces;
	int rc;

	rec->seq = *seq;
	pieces = vscsi_cap_pieces(rec->hdr_len, pxr_total(iov, n), keep,
				  &bytes);
	if (!pieces) {
		*seq += 1;
		return pxr_put(r, rec, iov, n, keep, ts);
	}
	rc = pxr_put_group(r, rec, iov, n, keep, pieces, bytes, ts);
	*seq += rc == VSCSI_OK ? 1u + pieces : 1u;
	return rc;
}

static void pxr_chain(vscsi_cap_rec *rec, unsigned type,
		      const vscsi_cap_chain *c, uint64_t seq)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->conn = c->conn;
	rec->vq = c->vq;
	rec->flags = c->flags;
	rec->seq = seq;
	rec->head = c->head;
	rec->n_readable = c->n_readable;
	rec->n_writable = c->n_writable;
	rec->readable_bytes = c->readable_bytes;
	rec->writable_bytes = c->writable_bytes;
}

/* Raw bytes a request or completion keeps: the snap length, and with
 * no_data the virtio-scsi part only. */
static uint64_t pxr_keep(const px_rec *r, const struct iovec *iov,
			 unsigned n, uint32_t vs_len)
{
	uint64_t keep = r->snaplen;

	if (r->no_data) {
		uint64_t total = pxr_total(iov, n);
		uint64_t vs = vs_len < total ? vs_len : total;

		if (vs < keep)
			keep = vs;
	}
	return keep;
}

int px_rec_request(px_rec *r, const vscsi_cap_chain *c, uint64_t *seq,
		   const struct iovec *iov, unsigned n, uint32_t vs_len,
		   uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	pxr_chain(&rec, VSCSI_REC_REQUEST, c, *seq);
	rec.hdr_len = vs_len;
	return pxr_put_chain(r, &rec, iov, n, pxr_keep(r, iov, n, vs_len),
			     seq, ts_ns);
}

int px_rec_completion(px_rec *r, const vscsi_cap_chain *c, uint64_t *seq,
		      uint32_t used_len, const struct iovec *iov, unsigned n,
		      uint32_t vs_len, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	pxr_chain(&rec, VSCSI_REC_COMPLETION, c, *seq);
	rec.used_len = used_len;
	rec.hdr_len = vs_len;
	return pxr_put_chain(r, &rec, iov, n, pxr_keep(r, iov, n, vs_len),
			     seq, ts_ns);
}

int px_rec_malformed(px_rec *r, const vscsi_cap_chain *c, uint64_t seq,
		     int err, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	pxr_chain(&rec, VSCSI_REC_REQUEST, c, seq);
	rec.flags |= PX_RECF_MALFORMED;
	rec.used_len = (uint32_t)-err;
	return pxr_put(r, &rec, NULL, 0, 0, ts_ns);
}

int px_rec_vhost_user(px_rec *r, uint32_t conn, uint64_t seq, unsigned dir,
		      unsigned channel, const void *msg, size_t len,
		      unsigned nfds, uint64_t ts_ns)
{
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_VHOST_USER;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.seq = seq;
	rec.vu.dir = dir;
	rec.vu.channel = channel;
	rec.vu.nfds = nfds;
	return pxr_put(r, &rec, &iov, 1, r->snaplen, ts_ns);
}

int px_rec_session(px_rec *r, uint32_t conn, uint64_t seq,
		   const vscsi_cap_session *s, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_SESSION;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.seq = seq;
	rec.session = *s;
	return pxr_put(r, &rec, NULL, 0, 0, ts_ns);
}

int px_rec_loss(px_rec *r, uint32_t conn, uint64_t seq, uint64_t count,
		unsigned reason, uint64_t since_ns, const char *text,
		uint64_t ts_ns)
{
	struct iovec iov = { (void *)(uintptr_t)text, text ? strlen(text) : 0 };
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.seq = seq;
	rec.loss.count = count;
	rec.loss.since_ns = since_ns;
	rec.loss.reason = reason;
	return pxr_put(r, &rec, &iov, text ? 1 : 0, r->snaplen, ts_ns);
}

int px_rec_notify(px_rec *r, uint32_t conn, uint64_t seq, uint16_t vq,
		  unsigned kind, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.conn = conn;
	rec.vq = vq;
	rec.seq = seq;
	rec.notify.kind = kind;
	return pxr_put(r, &rec, NULL, 0, 0, ts_ns);
}

int px_rec_control(px_rec *r, unsigned kind, uint32_t conn)
{
	uint8_t *b = pxq_reserve(r->q, 4);

	if (!b)
		return VSCSI_ERR_NOSPACE;
	vscsi_put_le32(b, conn);
	pxq_commit(r->q, 4, kind, px_rec_now());
	return VSCSI_OK;
}
