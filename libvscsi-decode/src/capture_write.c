/*
 * The capture writer: records into pcap (libpcap's dumper) into a stdio
 * stream made with fopencookie, whose write function compresses with a
 * ZSTD_CCtx (or passes bytes through for plain pcap) and writes to the fd.
 *
 * Frames. The writer ends a zstd frame (plain files: flushes) at the first
 * record boundary after the frame is frame_ns old, when the caller ticks, and
 * at close; the pcap file header is a frame of its own. Frames therefore
 * start and end on record boundaries, which is what makes a write error
 * repairable: when a write fails, the rest of the frame is dropped, and at
 * the frame's end the file is cut back to where the frame began (regular
 * files) and a new frame begins with a loss note. A pipe cannot be cut back;
 * after an error there the writer is broken and drops everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>
#include <zstd.h>

#include "vscsi/capture.h"
#include "vscsi/reader.h"
#include "capture_layout.h"

#define CAPW_STDIO_BUF (128u * 1024u)

struct capw_seq {
	uint32_t conn;
	uint64_t next;
};

struct vscsi_cap_writer {
	int fd;
	int zstd;
	int seekable;
	FILE *fp;
	pcap_t *pd;
	pcap_dumper_t *dump;
	ZSTD_CCtx *cctx;
	uint8_t *zbuf;
	size_t zbuf_size;
	char *stdio_buf;
	uint8_t *rec;			/* VSCSI_CAP_MAX_RECORD bytes */

	uint64_t snaplen;		/* raw bytes kept of a request or
					 * completion, continuations included */
	unsigned flags;
	uint64_t frame_ns;
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;

	/* frames */
	int in_group;			/* the last record said more of it
					 * follows (a continued record, or a
					 * continuation that is not the last):
					 * no frame ends before the rest */
	uint64_t off;			/* file offset of the next byte */
	uint64_t frame_off;		/* file offset where this frame began */
	uint64_t frame_t0;		/* clock when this frame got its first byte */
	uint64_t frame_ts0;		/* ts of the first record of this frame */
	uint64_t frame_records;		/* caller records in this frame */
	uint64_t frame_bytes;		/* bytes fed into this frame */
	int failing;			/* a write failed: this frame is lost */

	/* drops not yet told by a loss note that reached the disk */
	uint64_t loss_pending;
	uint64_t loss_since_ns;
	uint64_t loss_in_frame;		/* count of the note in this frame */

	struct capw_seq *seqs;
	size_t n_seqs, cap_seqs, last_seq;

	vscsi_cap_wstats st;
};

static uint64_t capw_mono(vscsi_cap_writer *w)
{
	struct timespec ts;

	if (w->clock_ns)
		return w->clock_ns(w->clock_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t capw_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write all of buf to the fd; on failure mark the frame lost. */
static int capw_out(vscsi_cap_writer *w, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->st.write_errors++;
			w->st.last_errno = k < 0 ? errno : EIO;
			w->failing = 1;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		w->off += (uint64_t)k;
		w->st.bytes_out += (uint64_t)k;
	}
	return 0;
}

/* stdio's write function. It always reports success: a short count would
 * put the stream in its error state for good; the writer keeps the error. */
static ssize_t capw_cookie_write(void *cookie, const char *buf, size_t size)
{
	vscsi_cap_writer *w = cookie;
	ZSTD_inBuffer in = { buf, size, 0 };

	if (w->failing || w->st.broken || size == 0)
		return (ssize_t)size;
	w->frame_bytes += size;
	if (!w->zstd) {
		capw_out(w, buf, size);
		return (ssize_t)size;
	}
	while (in.pos < in.size) {
		ZSTD_outBuffer out = { w->zbuf, w->zbuf_size, 0 };
		size_t r = ZSTD_compressStream2(w->cctx, &out, &in,
						ZSTD_e_continue);

		if (ZSTD_isError(r)) {
			w->st.write_errors++;
			w->st.last_errno = EIO;
			w->failing = 1;
			break;
		}
		if (out.pos > 0 && capw_out(w, w->zbuf, out.pos) < 0)
			break;
	}
	return (ssize_t)size;
}

static int capw_emit(vscsi_cap_writer *w, const uint8_t *buf, uint32_t caplen,
		     uint64_t full_len, uint64_t ts_ns, int internal, int more);

/* Put a loss note for the pending drops into the current frame. Its own
 * buffer: a caller's record may be waiting in w->rec. */
static void capw_loss_note(vscsi_cap_writer *w)
{
	static const char text[] = "capture file write failed";
	uint8_t b[VSCSI_CAP_LOSS_HDR_LEN + sizeof(text) - 1];
	struct iovec iov = { (void *)(uintptr_t)text, sizeof(text) - 1 };
	vscsi_cap_rec rec;
	uint64_t full = 0;
	uint64_t ts = capw_realtime();
	int len;

	if (w->loss_pending == 0)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = VSCSI_CAP_CONN_NONE;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.loss.count = w->loss_pending;
	rec.loss.since_ns = w->loss_since_ns;
	rec.loss.reason = VSCSI_LOSS_WRITE_ERROR;
	len = vscsi_cap_encode(b, sizeof(b), &rec, &iov, 1, iov.iov_len,
			       VSCSI_CAP_ENC_COMPUTE, &full);
	if (len < 0)
		return;
	w->loss_in_frame = w->loss_pending;
	capw_emit(w, b, (uint32_t)len, full, ts, 1, 0);
}

/*
 * End the current frame: flush pcap's stdio buffer into the compressor, end
 * the zstd frame, write it. When the frame was lost, cut the file back to
 * where it began and start again with a loss note.
 */
static int capw_end_frame(vscsi_cap_writer *w)
{
	pcap_dump_flush(w->dump);
	if (!w->failing && w->zstd && w->frame_bytes > 0) {
		size_t left;

		do {
			ZSTD_inBuffer in = { NULL, 0, 0 };
			ZSTD_outBuffer out = { w->zbuf, w->zbuf_size, 0 };

			left = ZSTD_compressStream2(w->cctx, &out, &in,
						    ZSTD_e_end);
			if (ZSTD_isError(left)) {
				w->st.write_errors++;
				w->st.last_errno = EIO;
				w->failing = 1;
				break;
			}
			if (out.pos > 0 && capw_out(w, w->zbuf, out.pos) < 0)
				break;
		} while (left > 0);
	}
	if (w->st.broken)
		return VSCSI_ERR_IO;
	if (!w->failing) {
		if (w->frame_bytes > 0)
			w->st.frames++;
		w->frame_off = w->off;
		w->frame_records = 0;
		w->frame_bytes = 0;
		w->loss_pending -= w->loss_in_frame;
		w->loss_in_frame = 0;
		if (w->loss_pending == 0)
			w->loss_since_ns = 0;
		return VSCSI_OK;
	}

	/* The frame is lost. */
	w->st.dropped += w->frame_records;
	if (w->frame_records > 0) {
		w->loss_pending += w->frame_records;
		if (!w->loss_since_ns || w->frame_ts0 < w->loss_since_ns)
			w->loss_since_ns = w->frame_ts0;
	}
	w->frame_records = 0;
	w->frame_bytes = 0;
	w->loss_in_frame = 0;
	if (!w->seekable || ftruncate(w->fd, (off_t)w->frame_off) != 0 ||
	    lseek(w->fd, (off_t)w->frame_off, SEEK_SET) < 0) {
		w->st.broken = 1;
		return VSCSI_ERR_IO;
	}
	w->off = w->frame_off;
	if (w->zstd)
		ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	w->failing = 0;
	capw_loss_note(w);
	return VSCSI_ERR_IO;
}

/* End the frame when it is old enough (or lost and old enough to retry). */
static int capw_check_clock(vscsi_cap_writer *w, uint64_t now)
{
	if (w->frame_bytes == 0 && !w->failing)
		return VSCSI_OK;
	if (now - w->frame_t0 < w->frame_ns)
		return w->failing ? VSCSI_ERR_IO : VSCSI_OK;
	return capw_end_frame(w);
}

/*
 * Hand one finished record to pcap. internal: a note of the writer's own,
 * not counted as a caller record. more: continuation records of it (or
 * more of them) follow, so the frame does not end after it.
 */
static int capw_emit(vscsi_cap_writer *w, const uint8_t *buf, uint32_t caplen,
		     uint64_t full_len, uint64_t ts_ns, int internal, int more)
{
	struct pcap_pkthdr h;
	uint64_t now = capw_mono(w);
	int group = w->in_group;

	if (!internal)
		w->in_group = more;

	if (w->failing && !internal && !group)
		capw_check_clock(w, now);
	if (w->failing || w->st.broken) {
		if (!internal) {
			w->st.records++;
			w->st.dropped++;
			w->loss_pending++;
			if (!w->loss_since_ns || ts_ns < w->loss_since_ns)
				w->loss_since_ns = ts_ns;
		}
		return VSCSI_ERR_IO;
	}
	if (w->frame_bytes == 0) {
		w->frame_t0 = now;
		w->frame_ts0 = ts_ns;
	}
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
	/* nanoseconds: the dumper was opened with nanosecond precision */
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
	h.caplen = caplen;
	h.len = full_len > UINT32_MAX ? UINT32_MAX : (uint32_t)full_len;
	/* frame_bytes counts what reached the cookie; count the record as
	 * fed now so that the frame is known to be non-empty */
	if (w->frame_bytes == 0)
		w->frame_bytes = 1;
	pcap_dump((u_char *)w->dump, &h, buf);
	w->st.records += internal ? 0 : 1;
	w->st.bytes += CAPL_PCAP_REC_HDR + (uint64_t)caplen;
	if (!internal)
		w->frame_records++;
	if (internal)
		return VSCSI_OK;
	if (more)
		return w->failing ? VSCSI_ERR_IO : VSCSI_OK;
	return capw_check_clock(w, now) == VSCSI_OK && !w->failing ?
	       VSCSI_OK : VSCSI_ERR_IO;
}

/* Next sequence number of conn (or NOMEM). */
static int capw_seq(vscsi_cap_writer *w, uint32_t conn, uint64_t *seq)
{
	size_t i;

	if (w->n_seqs > 0 && w->seqs[w->last_seq].conn == conn) {
		*seq = w->seqs[w->last_seq].next++;
		return VSCSI_OK;
	}
	for (i = 0; i < w->n_seqs; i++)
		if (w->seqs[i].conn == conn)
			break;
	if (i == w->n_seqs) {
		if (w->n_seqs == w->cap_seqs) {
			size_t ncap = w->cap_seqs ? 2 * w->cap_seqs : 8;
			struct capw_seq *s = realloc(w->seqs, ncap * sizeof(*s));

			if (!s)
				return VSCSI_ERR_NOMEM;
			w->seqs = s;
			w->cap_seqs = ncap;
		}
		w->seqs[i].conn = conn;
		w->seqs[i].next = 0;
		w->n_seqs++;
	}
	w->last_seq = i;
	*seq = w->seqs[i].next++;
	return VSCSI_OK;
}

/* Total length of iov, or ARG for a NULL base with a length. */
static int capw_iov_total(const struct iovec *iov, unsigned n, uint64_t *total)
{
	uint64_t t = 0;
	unsigned i;

	if (n > 0 && !iov)
		return VSCSI_ERR_ARG;
	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > 0 && !iov[i].iov_base)
			return VSCSI_ERR_ARG;
		t += iov[i].iov_len;
	}
	*total = t;
	return VSCSI_OK;
}

/* Copy the first keep bytes of iov to dst. */
static void capw_copy(uint8_t *dst, const struct iovec *iov, unsigned n,
		      uint64_t keep)
{
	unsigned i;

	for (i = 0; i < n && keep > 0; i++) {
		size_t k = iov[i].iov_len < keep ? iov[i].iov_len : (size_t)keep;

		if (k)
			memcpy(dst, iov[i].iov_base, k);
		dst += k;
		keep -= k;
	}
}

/* Copy len bytes of iov from offset from on to dst. */
static void capw_copy_from(uint8_t *dst, const struct iovec *iov, unsigned n,
			   uint64_t from, uint64_t len)
{
	unsigned i;

	for (i = 0; i < n && len > 0; i++) {
		uint64_t l = iov[i].iov_len;
		size_t k;

		if (from >= l) {
			from -= l;
			continue;
		}
		k = l - from < len ? (size_t)(l - from) : (size_t)len;
		memcpy(dst, (const uint8_t *)iov[i].iov_base + from, k);
		dst += k;
		len -= k;
		from = 0;
	}
}

/*
 * The split of a request or completion (vscsi_cap_pieces()): vs part,
 * data part counted up to 2^32-1, raw bytes kept in all and in the first
 * record, and the continuation records: data offsets d0 .. dend.
 */
struct capw_split {
	uint64_t vs, data, keep, first, d0, dend;
	unsigned pieces;
};

static void capw_split(uint64_t hdr_len, uint64_t total, uint64_t keep,
		       struct capw_split *sp)
{
	sp->vs = hdr_len < total ? hdr_len : total;
	sp->data = total - sp->vs;
	if (sp->data > UINT32_MAX)
		sp->data = UINT32_MAX;
	sp->keep = keep < sp->vs + sp->data ? keep : sp->vs + sp->data;
	sp->first = sp->keep < VSCSI_CAP_SNAPLEN_MAX ? sp->keep :
						       VSCSI_CAP_SNAPLEN_MAX;
	sp->d0 = sp->dend = 0;
	sp->pieces = 0;
	if (sp->keep > sp->first && sp->vs <= sp->first) {
		sp->d0 = sp->first - sp->vs;
		sp->dend = sp->keep - sp->vs;
		sp->pieces = (unsigned)((sp->dend - sp->d0 +
					 VSCSI_CAP_PIECE_MAX - 1) /
					VSCSI_CAP_PIECE_MAX);
	}
}

unsigned vscsi_cap_pieces(uint64_t hdr_len, uint64_t total, uint64_t keep,
			  uint64_t *bytes)
{
	struct capw_split sp;

	capw_split(hdr_len, total, keep, &sp);
	if (bytes)
		*bytes = VSCSI_CAP_REQ_HDR_LEN + sp.first +
			 (uint64_t)sp.pieces * VSCSI_CAP_DATA_HDR_LEN +
			 (sp.dend - sp.d0);
	return sp.pieces;
}

/* XXH3_64bits of the bytes of iov from offset `from` to the end (one call
 * when they lie in one iovec, the streaming API otherwise). */
static uint64_t capw_digest(const struct iovec *iov, unsigned n, uint64_t from)
{
	XXH3_state_t st;
	uint64_t pos = 0;
	unsigned i, first = n, segs = 0;

	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > 0 && pos + iov[i].iov_len > from) {
			if (first == n)
				first = i;
			segs++;
		}
		pos += iov[i].iov_len;
	}
	if (segs == 0)
		return XXH3_64bits(NULL, 0);
	pos = 0;
	for (i = 0; i < first; i++)
		pos += iov[i].iov_len;
	if (segs == 1) {
		size_t skip = from > pos ? (size_t)(from - pos) : 0;

		return XXH3_64bits((const uint8_t *)iov[first].iov_base + skip,
				   iov[first].iov_len - skip);
	}
	XXH3_INITSTATE(&st);
	XXH3_64bits_reset(&st);
	for (i = first; i < n; i++) {
		size_t skip = from > pos ? (size_t)(from - pos) : 0;

		if (iov[i].iov_len > skip)
			XXH3_64bits_update(&st, (const uint8_t *)
					   iov[i].iov_base + skip,
					   iov[i].iov_len - skip);
		pos += iov[i].iov_len;
	}
	return XXH3_64bits_digest(&st);
}

int vscsi_cap_encode(void *buf, size_t cap, const vscsi_cap_rec *rec,
		     const struct iovec *iov, unsigned n, uint64_t keep,
		     unsigned eflags, uint64_t *full_len)
{
	uint8_t *b = buf;
	size_t hl;
	uint64_t total = 0, full;
	unsigned flags;
	int rc;

	if (!b || !rec)
		return VSCSI_ERR_ARG;
	hl = vscsi__cap_hdr_len(rec->type);
	/* continuations come from vscsi_cap_encode_data() */
	if (hl == 0 || rec->type == VSCSI_REC_DATA)
		return VSCSI_ERR_ARG;
	flags = rec->flags & 0xffu;
	if (rec->type == VSCSI_REC_SESSION) {
		const vscsi_cap_session *s = &rec->session;

		total = 2u * (uint64_t)s->num_queues +
			strnlen(s->tool ? s->tool : "", CAPL_STR_MAX) + 1 +
			strnlen(s->tool_version ? s->tool_version : "",
				CAPL_STR_MAX) + 1;
		keep = total;	/* never cut */
		flags = s->flags & 0xffu;
	} else if (rec->type == VSCSI_REC_NOTIFY) {
		total = 0;
	} else {
		rc = capw_iov_total(iov, n, &total);
		if (rc)
			return rc;
	}
	if (keep > total)
		keep = total;
	if ((eflags & VSCSI_CAP_ENC_CONTINUE) && keep > VSCSI_CAP_SNAPLEN_MAX) {
		struct capw_split sp;

		if (rec->type == VSCSI_REC_REQUEST ||
		    rec->type == VSCSI_REC_COMPLETION) {
			capw_split(rec->hdr_len, total, keep, &sp);
			if (sp.pieces)
				flags |= VSCSI_RECF_CONTINUED;
		}
		keep = VSCSI_CAP_SNAPLEN_MAX;
	}
	if (keep > cap || hl > cap - keep ||
	    hl + keep > VSCSI_CAP_MAX_RECORD)
		return VSCSI_ERR_NOSPACE;

	memset(b, 0, hl);
	b[CAPL_VERSION] = VSCSI_CAP_VERSION;
	b[CAPL_TYPE] = (uint8_t)rec->type;
	vscsi_put_le16(b + CAPL_HDR_LEN, (uint16_t)hl);
	vscsi_put_le32(b + CAPL_CONN, rec->conn);
	vscsi_put_le16(b + CAPL_VQ, rec->vq);
	vscsi_put_le64(b + CAPL_SEQ, rec->seq);
	full = total;

	switch (rec->type) {
	case VSCSI_REC_REQUEST:
	case VSCSI_REC_COMPLETION: {
		uint64_t vs = rec->hdr_len < total ? rec->hdr_len : total;
		uint64_t data = total - vs;
		uint64_t digest = rec->digest;

		capw_copy(b + hl, iov, n, keep);
		if (eflags & VSCSI_CAP_ENC_DIGEST)
			digest = capw_digest(iov, n, vs);
		if (!(eflags & VSCSI_CAP_ENC_LENGTHS)) {
			vs = rec->hdr_len;
			data = rec->data_len;
		} else if (data > UINT32_MAX) {
			data = UINT32_MAX;
			flags |= VSCSI_RECF_CLAMPED;
		}
		vscsi_put_le32(b + CAPL_RQ_HEAD, rec->head);
		vscsi_put_le32(b + CAPL_RQ_USED_LEN, rec->used_len);
		vscsi_put_le16(b + CAPL_RQ_N_READABLE, rec->n_readable);
		vscsi_put_le16(b + CAPL_RQ_N_WRITABLE, rec->n_writable);
		vscsi_put_le32(b + CAPL_RQ_READABLE, rec->readable_bytes);
		vscsi_put_le32(b + CAPL_RQ_WRITABLE, rec->writable_bytes);
		vscsi_put_le32(b + CAPL_RQ_VS_LEN, (uint32_t)vs);
		vscsi_put_le32(b + CAPL_RQ_DATA_LEN, (uint32_t)data);
		vscsi_put_le64(b + CAPL_RQ_DIGEST, digest);
		full = vs + data;
		break;
	}
	case VSCSI_REC_VHOST_USER:
		capw_copy(b + hl, iov, n, keep);
		if (!(eflags & VSCSI_CAP_ENC_LENGTHS)) {
			full = rec->vu.msg_len;
		} else if (full > UINT32_MAX) {
			full = UINT32_MAX;
			flags |= VSCSI_RECF_CLAMPED;
		}
		b[CAPL_VU_DIR] = (uint8_t)rec->vu.dir;
		b[CAPL_VU_CHANNEL] = (uint8_t)rec->vu.channel;
		b[CAPL_VU_NFDS] = (uint8_t)(rec->vu.nfds > 255 ? 255
							       : rec->vu.nfds);
		vscsi_put_le32(b + CAPL_VU_MSG_LEN, (uint32_t)full);
		break;
	case VSCSI_REC_SESSION: {
		const vscsi_cap_session *s = &rec->session;
		const char *tool = s->tool ? s->tool : "";
		const char *ver = s->tool_version ? s->tool_version : "";
		size_t tl = strnlen(tool, CAPL_STR_MAX);
		size_t vl = strnlen(ver, CAPL_STR_MAX);
		uint8_t *q = b + hl;
		unsigned i;

		vscsi_put_le64(b + CAPL_SS_FEATURES, s->features);
		vscsi_put_le64(b + CAPL_SS_PROTO, s->protocol_features);
		vscsi_put_le32(b + CAPL_SS_CDB_SIZE, s->cdb_size);
		vscsi_put_le32(b + CAPL_SS_SENSE_SIZE, s->sense_size);
		vscsi_put_le32(b + CAPL_SS_SNAPLEN, s->snaplen);
		vscsi_put_le16(b + CAPL_SS_NUM_QUEUES, s->num_queues);
		for (i = 0; i < s->num_queues; i++, q += 2)
			vscsi_put_le16(q, (uint16_t)vscsi_cap_queue_size(s, i));
		memcpy(q, tool, tl);
		q[tl] = 0;
		q += tl + 1;
		memcpy(q, ver, vl);
		q[vl] = 0;
		break;
	}
	case VSCSI_REC_LOSS:
		capw_copy(b + hl, iov, n, keep);
		vscsi_put_le64(b + CAPL_LS_COUNT, rec->loss.count);
		vscsi_put_le64(b + CAPL_LS_SINCE, rec->loss.since_ns);
		vscsi_put_le32(b + CAPL_LS_REASON, rec->loss.reason);
		break;
	default:
		vscsi_put_le32(b + CAPL_NT_KIND, rec->notify.kind);
		break;
	}
	if (keep < full)
		flags |= VSCSI_RECF_CUT;
	vscsi_put_le16(b + CAPL_FLAGS, (uint16_t)flags);
	vscsi_put_le32(b + CAPL_REC_LEN, (uint32_t)(hl + keep));
	if (full_len)
		*full_len = hl + full;
	return (int)(hl + keep);
}

/*
 * Data continuation (vscsi-capture(5) "DATA CONTINUATION"):
 *
 *   0 common header (type 7)  24 parent_seq (u64)  32 offset (u32)
 *   36 length (u32)  40 the piece (length bytes)
 */
int vscsi_cap_encode_data(void *buf, size_t cap, const vscsi_cap_rec *parent,
			  const struct iovec *iov, unsigned n, uint64_t keep,
			  unsigned piece, uint64_t seq)
{
	uint8_t *b = buf;
	struct capw_split sp;
	uint64_t total, off, len;
	unsigned flags = 0;
	int rc;

	if (!b || !parent || piece == 0 ||
	    (parent->type != VSCSI_REC_REQUEST &&
	     parent->type != VSCSI_REC_COMPLETION))
		return VSCSI_ERR_ARG;
	rc = capw_iov_total(iov, n, &total);
	if (rc)
		return rc;
	capw_split(parent->hdr_len, total, keep, &sp);
	if (piece > sp.pieces)
		return 0;
	off = sp.d0 + (uint64_t)(piece - 1) * VSCSI_CAP_PIECE_MAX;
	len = sp.dend - off < VSCSI_CAP_PIECE_MAX ? sp.dend - off :
						    VSCSI_CAP_PIECE_MAX;
	if (len > cap || VSCSI_CAP_DATA_HDR_LEN > cap - len)
		return VSCSI_ERR_NOSPACE;
	if (piece < sp.pieces)
		flags |= VSCSI_DATAF_MORE;
	else if (sp.keep < sp.vs + sp.data)
		flags |= VSCSI_RECF_CUT;
	memset(b, 0, VSCSI_CAP_DATA_HDR_LEN);
	b[CAPL_VERSION] = VSCSI_CAP_VERSION;
	b[CAPL_TYPE] = VSCSI_REC_DATA;
	vscsi_put_le16(b + CAPL_HDR_LEN, VSCSI_CAP_DATA_HDR_LEN);
	vscsi_put_le32(b + CAPL_REC_LEN,
		       (uint32_t)(VSCSI_CAP_DATA_HDR_LEN + len));
	vscsi_put_le32(b + CAPL_CONN, parent->conn);
	vscsi_put_le16(b + CAPL_VQ, parent->vq);
	vscsi_put_le16(b + CAPL_FLAGS, (uint16_t)flags);
	vscsi_put_le64(b + CAPL_SEQ, seq);
	vscsi_put_le64(b + CAPL_DT_PARENT_SEQ, parent->seq);
	vscsi_put_le32(b + CAPL_DT_OFFSET, (uint32_t)off);
	vscsi_put_le32(b + CAPL_DT_LENGTH, (uint32_t)len);
	capw_copy_from(b + VSCSI_CAP_DATA_HDR_LEN, iov, n, sp.vs + off, len);
	return (int)(VSCSI_CAP_DATA_HDR_LEN + len);
}

int vscsi_cap_write(vscsi_cap_writer *w, const vscsi_cap_rec *rec,
		    const struct iovec *iov, unsigned n)
{
	vscsi_cap_rec r;
	struct capw_split sp;
	uint64_t total = 0, full = 0, seq, ts;
	unsigned i;
	int rc, len;

	if (!w || !rec)
		return VSCSI_ERR_ARG;
	if (vscsi__cap_hdr_len(rec->type) == 0 || rec->type == VSCSI_REC_DATA)
		return VSCSI_ERR_ARG;
	rc = capw_iov_total(iov, n, &total);
	if (rc)
		return rc;
	if ((rec->type == VSCSI_REC_SESSION || rec->type == VSCSI_REC_NOTIFY) &&
	    total > 0)
		return VSCSI_ERR_ARG;
	if (rec->type == VSCSI_REC_VHOST_USER &&
	    (rec->vu.dir > VSCSI_VU_TO_FRONTEND || rec->vu.channel > 255 ||
	     rec->vu.nfds > 255))
		return VSCSI_ERR_ARG;
	if (rec->type == VSCSI_REC_SESSION && rec->session.num_queues > 0 &&
	    !rec->session.queue_sizes && !rec->session.queue_sizes_le)
		return VSCSI_ERR_ARG;

	if (w->flags & VSCSI_CAP_W_CALLER_SEQ) {
		seq = rec->seq;
	} else {
		rc = capw_seq(w, rec->conn, &seq);
		if (rc)
			return rc;
	}
	ts = rec->ts_ns ? rec->ts_ns : capw_realtime();
	r = *rec;
	r.seq = seq;
	len = vscsi_cap_encode(w->rec, VSCSI_CAP_MAX_RECORD, &r, iov, n,
			       w->snaplen, VSCSI_CAP_ENC_COMPUTE |
			       VSCSI_CAP_ENC_CONTINUE, &full);
	if (len < 0)
		return len;
	if (rec->type == VSCSI_REC_REQUEST || rec->type == VSCSI_REC_COMPLETION)
		capw_split(r.hdr_len, total, w->snaplen, &sp);
	else
		memset(&sp, 0, sizeof(sp));
	if (sp.pieces == 0) {
		if ((uint64_t)len < full)
			w->st.cut++;
		return capw_emit(w, w->rec, (uint32_t)len, full, ts, 0, 0);
	}

	/* the record and its continuations, in one frame */
	if (sp.keep < sp.vs + sp.data)
		w->st.cut++;
	rc = capw_emit(w, w->rec, (uint32_t)len, full, ts, 0, 1);
	for (i = 1; i <= sp.pieces; i++) {
		int e;

		if (w->flags & VSCSI_CAP_W_CALLER_SEQ) {
			seq = r.seq + i;
		} else {
			e = capw_seq(w, rec->conn, &seq);
			if (e) {
				rc = e;
				break;
			}
		}
		len = vscsi_cap_encode_data(w->rec, VSCSI_CAP_MAX_RECORD, &r,
					    iov, n, w->snaplen, i, seq);
		if (len <= 0) {
			rc = len < 0 ? len : VSCSI_ERR_ARG;
			break;
		}
		w->st.pieces++;
		e = capw_emit(w, w->rec, (uint32_t)len, (uint64_t)len, ts, 0,
			      i < sp.pieces);
		if (e && rc == VSCSI_OK)
			rc = e;
	}
	if (w->in_group) {
		/* cut short (no memory for a number): end the group */
		w->in_group = 0;
		if (capw_check_clock(w, capw_mono(w)) != VSCSI_OK &&
		    rc == VSCSI_OK)
			rc = VSCSI_ERR_IO;
	}
	return rc;
}

int vscsi_cap_write_request(vscsi_cap_writer *w, const vscsi_cap_chain *c,
			    const struct iovec *rd, unsigned n, size_t hdr_len,
			    uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	if (!c || hdr_len > UINT32_MAX)
		return VSCSI_ERR_ARG;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_REQUEST;
	rec.conn = c->conn;
	rec.vq = c->vq;
	rec.flags = c->flags;
	rec.seq = c->seq;
	rec.ts_ns = ts_ns;
	rec.head = c->head;
	rec.n_readable = c->n_readable;
	rec.n_writable = c->n_writable;
	rec.readable_bytes = c->readable_bytes;
	rec.writable_bytes = c->writable_bytes;
	rec.hdr_len = (uint32_t)hdr_len;
	return vscsi_cap_write(w, &rec, rd, n);
}

int vscsi_cap_write_completion(vscsi_cap_writer *w, const vscsi_cap_chain *c,
			       uint32_t used_len, const struct iovec *wr,
			       unsigned n, size_t hdr_len, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	if (!c || hdr_len > UINT32_MAX)
		return VSCSI_ERR_ARG;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_COMPLETION;
	rec.conn = c->conn;
	rec.vq = c->vq;
	rec.flags = c->flags;
	rec.seq = c->seq;
	rec.ts_ns = ts_ns;
	rec.head = c->head;
	rec.used_len = used_len;
	rec.n_readable = c->n_readable;
	rec.n_writable = c->n_writable;
	rec.readable_bytes = c->readable_bytes;
	rec.writable_bytes = c->writable_bytes;
	rec.hdr_len = (uint32_t)hdr_len;
	return vscsi_cap_write(w, &rec, wr, n);
}

int vscsi_cap_write_vhost_user(vscsi_cap_writer *w, uint32_t conn,
			       unsigned dir, unsigned channel, const void *msg,
			       size_t len, unsigned nfds, uint64_t ts_ns)
{
	vscsi_cap_rec rec;
	struct iovec iov = { (void *)(uintptr_t)msg, len };

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_VHOST_USER;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.ts_ns = ts_ns;
	rec.vu.dir = dir;
	rec.vu.channel = channel;
	rec.vu.nfds = nfds;
	return vscsi_cap_write(w, &rec, &iov, 1);
}

int vscsi_cap_write_session(vscsi_cap_writer *w, uint32_t conn,
			    const vscsi_cap_session *s, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	if (!s)
		return VSCSI_ERR_ARG;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_SESSION;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.ts_ns = ts_ns;
	rec.session = *s;
	return vscsi_cap_write(w, &rec, NULL, 0);
}

int vscsi_cap_write_loss(vscsi_cap_writer *w, uint32_t conn, uint64_t count,
			 unsigned reason, uint64_t since_ns, const char *text,
			 uint64_t ts_ns)
{
	vscsi_cap_rec rec;
	struct iovec iov = { (void *)(uintptr_t)text, text ? strlen(text) : 0 };

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.conn = conn;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.ts_ns = ts_ns;
	rec.loss.count = count;
	rec.loss.since_ns = since_ns;
	rec.loss.reason = reason;
	return vscsi_cap_write(w, &rec, &iov, text ? 1 : 0);
}

int vscsi_cap_write_notify(vscsi_cap_writer *w, uint32_t conn, uint16_t vq,
			   unsigned kind, uint64_t ts_ns)
{
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.conn = conn;
	rec.vq = vq;
	rec.ts_ns = ts_ns;
	rec.notify.kind = kind;
	return vscsi_cap_write(w, &rec, NULL, 0);
}

int vscsi_cap_write_raw(vscsi_cap_writer *w, const void *rec, size_t len,
			uint64_t ts_ns)
{
	const uint8_t *b = rec;
	int more = 0;

	if (!w || (!rec && len > 0) || len > VSCSI_CAP_MAX_RECORD)
		return VSCSI_ERR_ARG;
	/* a record copied with its continuations keeps them in its frame */
	if (len >= VSCSI_CAP_COMMON_LEN) {
		unsigned flags = (unsigned)b[CAPL_FLAGS] |
				 (unsigned)b[CAPL_FLAGS + 1] << 8;

		if (b[CAPL_TYPE] == VSCSI_REC_REQUEST ||
		    b[CAPL_TYPE] == VSCSI_REC_COMPLETION)
			more = (flags & VSCSI_RECF_CONTINUED) != 0;
		else if (b[CAPL_TYPE] == VSCSI_REC_DATA)
			more = (flags & VSCSI_DATAF_MORE) != 0;
	}
	return capw_emit(w, rec, (uint32_t)len, len,
			 ts_ns ? ts_ns : capw_realtime(), 0, more);
}

int vscsi_cap_writer_tick(vscsi_cap_writer *w)
{
	if (!w)
		return VSCSI_ERR_ARG;
	if (w->st.broken)
		return VSCSI_ERR_IO;
	return capw_check_clock(w, capw_mono(w));
}

int vscsi_cap_writer_flush(vscsi_cap_writer *w)
{
	if (!w)
		return VSCSI_ERR_ARG;
	return capw_end_frame(w);
}

void vscsi_cap_writer_stats(const vscsi_cap_writer *w, vscsi_cap_wstats *st)
{
	if (!st)
		return;
	if (!w) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = w->st;
}

static void capw_free(vscsi_cap_writer *w)
{
	if (w->dump)
		pcap_dump_close(w->dump);	/* fcloses w->fp */
	else if (w->fp)
		fclose(w->fp);
	if (w->pd)
		pcap_close(w->pd);
	ZSTD_freeCCtx(w->cctx);
	free(w->zbuf);
	free(w->stdio_buf);
	free(w->rec);
	free(w->seqs);
	free(w);
}

int vscsi_cap_writer_close(vscsi_cap_writer *w)
{
	int rc;

	if (!w)
		return VSCSI_OK;
	rc = capw_end_frame(w);
	/* A lost last frame was cut back and its loss note waits in a new
	 * frame; end that one too. */
	if (rc != VSCSI_OK && !w->st.broken && w->frame_bytes > 0)
		capw_end_frame(w);
	if (w->st.broken || w->loss_pending > 0)
		rc = VSCSI_ERR_IO;
	if (w->dump) {
		pcap_dump_close(w->dump);
		w->dump = NULL;
		w->fp = NULL;
	}
	if (close(w->fd) != 0) {
		w->st.last_errno = errno;
		rc = VSCSI_ERR_IO;
	}
	capw_free(w);
	return rc;
}

static int capw_open_fd(const char *path, unsigned flags)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (flags & VSCSI_CAP_W_OVERWRITE)
		return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			    O_NOCTTY, 0644);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0 && errno == EEXIST) {
		struct stat sb;

		/* Writing to a pipe or a device replaces nothing. */
		if (stat(path, &sb) == 0 && (S_ISFIFO(sb.st_mode) ||
		    S_ISCHR(sb.st_mode) || S_ISSOCK(sb.st_mode)))
			return open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		errno = EEXIST;
	}
	return fd;
}

static int capw_want_zstd(const char *path, unsigned compress)
{
	size_t n = strlen(path);

	if (compress == VSCSI_CAP_COMPRESS_ON)
		return 1;
	if (compress == VSCSI_CAP_COMPRESS_OFF)
		return 0;
	return !(n >= 5 && strcmp(path + n - 5, ".pcap") == 0);
}

vscsi_cap_writer *vscsi_cap_writer_open(const char *path,
					const vscsi_cap_wopts *opts, int *err)
{
	static const vscsi_cap_wopts defaults;
	cookie_io_functions_t io = { NULL, capw_cookie_write, NULL, NULL };
	vscsi_cap_writer *w;
	struct stat sb;
	int rc = VSCSI_ERR_NOMEM, level, saved;
	off_t base;

	if (!opts)
		opts = &defaults;
	if (!path || opts->compress > VSCSI_CAP_COMPRESS_OFF) {
		rc = VSCSI_ERR_ARG;
		goto fail_early;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto fail_early;
	w->fd = -1;
	w->zstd = capw_want_zstd(path, opts->compress);
	w->flags = opts->flags;
	w->snaplen = opts->snaplen ? opts->snaplen : VSCSI_CAP_SNAPLEN_WHOLE;
	w->frame_ns = opts->frame_ns ? opts->frame_ns : VSCSI_CAP_FRAME_NS;
	w->clock_ns = opts->clock_ns;
	w->clock_arg = opts->clock_arg;

	w->rec = malloc(VSCSI_CAP_MAX_RECORD);
	w->stdio_buf = malloc(CAPW_STDIO_BUF);
	if (!w->rec || !w->stdio_buf)
		goto fail;
	if (w->zstd) {
		level = opts->level ? opts->level : VSCSI_CAP_ZSTD_LEVEL;
		w->cctx = ZSTD_createCCtx();
		w->zbuf_size = ZSTD_CStreamOutSize();
		w->zbuf = malloc(w->zbuf_size);
		if (!w->cctx || !w->zbuf)
			goto fail;
		if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx,
				ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx,
				ZSTD_c_checksumFlag, 1))) {
			rc = VSCSI_ERR_COMPRESS;
			goto fail;
		}
	}

	w->fd = capw_open_fd(path, opts->flags);
	if (w->fd < 0) {
		rc = VSCSI_ERR_IO;
		goto fail;
	}
	if (fstat(w->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		base = lseek(w->fd, 0, SEEK_CUR);
		if (base >= 0) {
			w->seekable = 1;
			w->off = (uint64_t)base;
			w->frame_off = w->off;
		}
	}

	w->fp = fopencookie(w, "w", io);
	if (!w->fp) {
		rc = VSCSI_ERR_IO;
		goto fail;
	}
	setvbuf(w->fp, w->stdio_buf, _IOFBF, CAPW_STDIO_BUF);
	w->pd = pcap_open_dead_with_tstamp_precision(VSCSI_CAP_LINKTYPE,
			(int)VSCSI_CAP_MAX_RECORD, PCAP_TSTAMP_PRECISION_NANO);
	if (!w->pd) {
		rc = VSCSI_ERR_PCAP;
		goto fail;
	}
	w->dump = pcap_dump_fopen(w->pd, w->fp);
	if (!w->dump) {
		/* libpcap closed the stream */
		w->fp = NULL;
		rc = VSCSI_ERR_PCAP;
		goto fail;
	}
	/* The file header is a frame of its own. */
	w->frame_bytes = 1;
	w->frame_t0 = capw_mono(w);
	if (capw_end_frame(w) != VSCSI_OK || w->failing) {
		errno = w->st.last_errno ? w->st.last_errno : EIO;
		rc = VSCSI_ERR_IO;
		goto fail;
	}
	w->st.frames = 0;
	return w;

fail:
	saved = errno;
	if (w->fd >= 0)
		close(w->fd);
	w->failing = 1;		/* nothing more reaches the fd */
	w->st.broken = 1;
	capw_free(w);
	errno = saved;
fail_early:
	if (err)
		*err = rc;
	return NULL;
}
