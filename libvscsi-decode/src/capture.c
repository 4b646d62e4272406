/*
 * Capture records: the parser of one record header and the names.
 * The layout is specified in vscsi-capture(5); offsets in capture_layout.h.
 */
#include <string.h>

#include "vscsi/capture.h"
#include "vscsi/reader.h"
#include "capture_layout.h"
#include "mem_int.h"

int vscsi_cap_linktype(void)
{
	return VSCSI_CAP_LINKTYPE;
}

const char *vscsi_rec_type_name(unsigned type)
{
	switch (type) {
	case VSCSI_REC_REQUEST:
		return "request";
	case VSCSI_REC_COMPLETION:
		return "completion";
	case VSCSI_REC_VHOST_USER:
		return "vhost-user";
	case VSCSI_REC_SESSION:
		return "session";
	case VSCSI_REC_LOSS:
		return "loss";
	case VSCSI_REC_NOTIFY:
		return "notify";
	case VSCSI_REC_DATA:
		return "data";
	default:
		return "unknown";
	}
}

const char *vscsi_cap_loss_reason_name(unsigned reason)
{
	switch (reason) {
	case VSCSI_LOSS_WRITE_ERROR:
		return "write-error";
	case VSCSI_LOSS_QUEUE_FULL:
		return "queue-full";
	case VSCSI_LOSS_SHUTDOWN:
		return "shutdown";
	default:
		return "unknown";
	}
}

unsigned vscsi_cap_queue_size(const vscsi_cap_session *s, unsigned i)
{
	if (!s || i >= s->num_queues)
		return 0;
	if (s->queue_sizes)
		return s->queue_sizes[i];
	if (s->queue_sizes_le)
		return (unsigned)s->queue_sizes_le[2 * i] |
		       (unsigned)s->queue_sizes_le[2 * i + 1] << 8;
	return 0;
}

size_t vscsi__cap_hdr_len(unsigned type)
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
	case VSCSI_REC_DATA:
		return VSCSI_CAP_DATA_HDR_LEN;
	default:
		return 0;
	}
}

static inline uint16_t capp_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t capp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t capp_le64(const uint8_t *p)
{
	return (uint64_t)capp_le32(p) | (uint64_t)capp_le32(p + 4) << 32;
}

/*
 * Request and completion body (vscsi-capture(5), "REQUEST AND COMPLETION"):
 *
 *   24 head  28 used_len  32 n_readable  34 n_writable  36 readable_bytes
 *   40 writable_bytes  44 vs_len  48 data_len  52 reserved  56 digest (u64)
 *
 * raw = the first (vs_len + data_len) bytes of "vs part, data part", cut.
 * Every record passes here, so the body is read straight from the header:
 * the caller has checked VSCSI_CAP_REQ_HDR_LEN <= hdr_len <= len.
 */
static int capp_chain(const uint8_t *h, vscsi_cap_rec *out)
{
	uint64_t full;

	out->head = capp_le32(h + CAPL_RQ_HEAD);
	out->used_len = capp_le32(h + CAPL_RQ_USED_LEN);
	out->n_readable = capp_le16(h + CAPL_RQ_N_READABLE);
	out->n_writable = capp_le16(h + CAPL_RQ_N_WRITABLE);
	out->readable_bytes = capp_le32(h + CAPL_RQ_READABLE);
	out->writable_bytes = capp_le32(h + CAPL_RQ_WRITABLE);
	out->hdr_len = capp_le32(h + CAPL_RQ_VS_LEN);
	out->data_len = capp_le32(h + CAPL_RQ_DATA_LEN);
	out->digest = capp_le64(h + CAPL_RQ_DIGEST);

	full = (uint64_t)out->hdr_len + out->data_len;
	if (out->raw_len > full)
		return VSCSI_ERR_INVALID;
	out->hdr = out->raw;
	out->hdr_cap = out->raw_len < out->hdr_len ? out->raw_len : out->hdr_len;
	out->data = out->raw + out->hdr_cap;
	out->data_cap = out->raw_len - out->hdr_cap;
	if (out->raw_len < full)
		out->flags |= VSCSI_RECF_CUT;
	else
		out->flags &= ~(unsigned)VSCSI_RECF_CUT;
	return VSCSI_OK;
}

/* vhost-user body: 24 dir  25 channel  26 nfds  27 reserved  28 msg_len. */
static int capp_vu(vscsi_rd *r, vscsi_cap_rec *out)
{
	out->vu.dir = vscsi_rd_u8(r);
	out->vu.channel = vscsi_rd_u8(r);
	out->vu.nfds = vscsi_rd_u8(r);
	vscsi_rd_skip(r, 1);
	out->vu.msg_len = vscsi_rd_le32(r);
	if (vscsi_rd_error(r))
		return vscsi_rd_error(r);
	if (out->vu.dir > VSCSI_VU_TO_FRONTEND || out->raw_len > out->vu.msg_len)
		return VSCSI_ERR_INVALID;
	if (out->raw_len < out->vu.msg_len)
		out->flags |= VSCSI_RECF_CUT;
	else
		out->flags &= ~(unsigned)VSCSI_RECF_CUT;
	return VSCSI_OK;
}

/* A NUL-terminated string at the reader's position, or NULL (TRUNCATED). */
static const char *capp_str(vscsi_rd *r)
{
	size_t left = vscsi_rd_left(r);
	const uint8_t *p = vscsi_rd_ptr(r, 0);
	const uint8_t *nul;

	if (!p)
		return NULL;
	nul = memchr(p, 0, left);
	if (!nul) {
		vscsi_rd_skip(r, left + 1);
		return NULL;
	}
	vscsi_rd_skip(r, (size_t)(nul - p) + 1);
	return (const char *)p;
}

/*
 * Session body: 24 features (u64)  32 protocol_features (u64)  40 cdb_size
 * 44 sense_size  48 snaplen  52 num_queues (u16)  54 reserved (u16).
 * raw: u16 queue_size[num_queues], tool "\0", tool_version "\0", then
 * anything (ignored).
 */
static int capp_session(vscsi_rd *r, vscsi_cap_rec *out)
{
	vscsi_cap_session *s = &out->session;
	vscsi_rd raw;

	s->features = vscsi_rd_le64(r);
	s->protocol_features = vscsi_rd_le64(r);
	s->cdb_size = vscsi_rd_le32(r);
	s->sense_size = vscsi_rd_le32(r);
	s->snaplen = vscsi_rd_le32(r);
	s->num_queues = vscsi_rd_le16(r);
	s->flags = out->flags & 0xffu;
	if (vscsi_rd_error(r))
		return vscsi_rd_error(r);

	vscsi_rd_init(&raw, out->raw, out->raw_len);
	s->queue_sizes_le = vscsi_rd_ptr(&raw, 2 * (size_t)s->num_queues);
	s->tool = capp_str(&raw);
	s->tool_version = capp_str(&raw);
	if (vscsi_rd_error(&raw)) {
		s->queue_sizes_le = NULL;
		s->tool = NULL;
		s->tool_version = NULL;
		return vscsi_rd_error(&raw);
	}
	return VSCSI_OK;
}

/* Loss body: 24 count (u64)  32 since_ns (u64)  40 reason  44 reserved. */
static int capp_loss(vscsi_rd *r, vscsi_cap_rec *out)
{
	out->loss.count = vscsi_rd_le64(r);
	out->loss.since_ns = vscsi_rd_le64(r);
	out->loss.reason = vscsi_rd_le32(r);
	return vscsi_rd_error(r);
}

/* Notify body: 24 kind  28 reserved. */
static int capp_notify(vscsi_rd *r, vscsi_cap_rec *out)
{
	out->notify.kind = vscsi_rd_le32(r);
	return vscsi_rd_error(r);
}

/*
 * Data continuation body (vscsi-capture(5), "DATA CONTINUATION"):
 *
 *   24 parent_seq (u64)  32 offset (u32)  36 length (u32)
 *
 * raw = the piece: bytes offset .. offset + length of the data part of the
 * record it continues; length must equal the raw bytes.
 */
static int capp_data(vscsi_rd *r, vscsi_cap_rec *out)
{
	uint32_t len;

	out->piece.parent_seq = vscsi_rd_le64(r);
	out->piece.offset = vscsi_rd_le32(r);
	len = vscsi_rd_le32(r);
	if (vscsi_rd_error(r))
		return vscsi_rd_error(r);
	if (len != out->raw_len ||
	    (uint64_t)out->piece.offset + len > UINT32_MAX)
		return VSCSI_ERR_INVALID;
	out->data = out->raw;
	out->data_cap = out->raw_len;
	return VSCSI_OK;
}

/*
 * Common header (vscsi-capture(5), "RECORD HEADER"):
 *
 *   0 version (u8)  1 type (u8)  2 hdr_len (u16)  4 rec_len (u32)
 *   8 conn (u32)  12 vq (u16)  14 flags (u16)  16 seq (u64)
 */
int vscsi_cap_parse(const void *p, size_t len, vscsi_cap_rec *out)
{
	const uint8_t *b = p;
	vscsi_rd r;
	size_t hdr_len, rec_len, min;
	int rc;

	if (!p || !out)
		return VSCSI_ERR_ARG;
	vscsi__zero(out, sizeof(*out));
	if (len < VSCSI_CAP_COMMON_LEN)
		return VSCSI_ERR_TRUNCATED;

	/* the 24 bytes are there: read them in place */
	out->version = b[CAPL_VERSION];
	out->type = b[CAPL_TYPE];
	hdr_len = capp_le16(b + CAPL_HDR_LEN);
	rec_len = capp_le32(b + CAPL_REC_LEN);
	out->conn = capp_le32(b + CAPL_CONN);
	out->vq = capp_le16(b + CAPL_VQ);
	out->flags = capp_le16(b + CAPL_FLAGS);
	out->seq = capp_le64(b + CAPL_SEQ);

	if (out->version == 0 || hdr_len < VSCSI_CAP_COMMON_LEN)
		return VSCSI_ERR_INVALID;
	if (rec_len > len)
		return VSCSI_ERR_TRUNCATED;
	if (rec_len < len)
		return VSCSI_ERR_INVALID;
	if (hdr_len > len)
		return VSCSI_ERR_TRUNCATED;

	out->rec = b;
	out->rec_len = len;
	out->rec_hdr_len = hdr_len;
	out->raw = out->rec + hdr_len;
	out->raw_len = len - hdr_len;

	if (out->version > VSCSI_CAP_VERSION)
		return VSCSI_ERR_VERSION;
	min = vscsi__cap_hdr_len(out->type);
	if (min == 0)
		return VSCSI_ERR_UNSUPPORTED;
	if (hdr_len < min)
		return VSCSI_ERR_INVALID;

	/* min <= hdr_len <= len: the body is there. Fields a later version
	 * appends (hdr_len above min) are skipped. */
	if (out->type == VSCSI_REC_REQUEST || out->type == VSCSI_REC_COMPLETION)
		return capp_chain(b, out);
	vscsi_rd_init(&r, out->rec, hdr_len);
	vscsi_rd_skip(&r, VSCSI_CAP_COMMON_LEN);
	switch (out->type) {
	case VSCSI_REC_VHOST_USER:
		rc = capp_vu(&r, out);
		break;
	case VSCSI_REC_SESSION:
		rc = capp_session(&r, out);
		break;
	case VSCSI_REC_LOSS:
		rc = capp_loss(&r, out);
		break;
	case VSCSI_REC_DATA:
		rc = capp_data(&r, out);
		break;
	default:
		rc = capp_notify(&r, out);
		break;
	}
	return rc;
}
