/*
 * virtio-scsi messages: virtio 1.2 section 5.6 "SCSI Host Device".
 * Layouts are drawn in vscsi/virtio_scsi.h above each function.
 */
#include <string.h>

#include "vscsi/common.h"
#include "vscsi/reader.h"
#include "vscsi/virtio_scsi.h"
#include "mem_int.h"

#define VS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fixed parts of the command headers (5.6.6.1). */
#define VS_REQ_FIXED 19u	/* lun[8] id task_attr prio crn */
#define VS_REQ_PI 8u		/* pi_bytesout pi_bytesin */
#define VS_RESP_FIXED 12u	/* sense_len residual status_qualifier status response */
#define VS_REQ_MAX (VS_REQ_FIXED + VS_REQ_PI + VSCSI_CDB_MAX)
#define VS_RESP_MAX (VS_RESP_FIXED + VSCSI_SENSE_MAX)

#define VS_TMF_REQ_SIZE 24u
#define VS_AN_REQ_SIZE 16u
#define VS_TMF_RESP_SIZE 1u
#define VS_AN_RESP_SIZE 5u
#define VS_CTRL_REQ_MAX VS_TMF_REQ_SIZE

/* Fields of a header already checked to be whole (the fast paths). */
static uint16_t vs_get16(const uint8_t *p, int be)
{
	return (uint16_t)(be ? p[0] << 8 | p[1] : p[0] | p[1] << 8);
}

static uint32_t vs_get32(const uint8_t *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t vs_get64(const uint8_t *p, int be)
{
	return be ? (uint64_t)vs_get32(p, 1) << 32 | vs_get32(p + 4, 1)
		  : (uint64_t)vs_get32(p + 4, 0) << 32 | vs_get32(p, 0);
}

/* ------------------------------------------------------------------ names */

static const char *vs_name(const char *const *tab, size_t n, uint64_t v)
{
	return v < n ? tab[v] : NULL;
}

const char *vscsi_feature_name(unsigned bit)
{
	static const char *const scsi[] = {
		"INOUT", "HOTPLUG", "CHANGE", "T10_PI",
	};
	/* bits 24..41; NULL marks reserved bits */
	static const char *const transport[] = {
		"NOTIFY_ON_EMPTY", NULL, NULL, "ANY_LAYOUT",
		"RING_INDIRECT_DESC", "RING_EVENT_IDX", "PROTOCOL_FEATURES",
		NULL, "VERSION_1", "ACCESS_PLATFORM", "RING_PACKED",
		"IN_ORDER", "ORDER_PLATFORM", "SR_IOV", "NOTIFICATION_DATA",
		"NOTIF_CONFIG_DATA", "RING_RESET", "ADMIN_VQ",
	};

	if (bit < VS_ARRAY_LEN(scsi))
		return scsi[bit];
	if (bit >= VSCSI_F_NOTIFY_ON_EMPTY)
		return vs_name(transport, VS_ARRAY_LEN(transport),
			       bit - VSCSI_F_NOTIFY_ON_EMPTY);
	return NULL;
}

const char *vscsi_vs_response_name(unsigned response, int ctrl)
{
	static const char *const tab[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE",
		"FAILURE", "FUNCTION_SUCCEEDED", "FUNCTION_REJECTED",
		"INCORRECT_LUN",
	};

	if (ctrl && response == VSCSI_S_FUNCTION_COMPLETE)
		return "FUNCTION_COMPLETE";
	return vs_name(tab, VS_ARRAY_LEN(tab), response);
}

const char *vscsi_task_attr_name(unsigned attr)
{
	static const char *const tab[] = { "SIMPLE", "ORDERED", "HEAD", "ACA" };

	return vs_name(tab, VS_ARRAY_LEN(tab), attr);
}

const char *vscsi_ctrl_type_name(unsigned type)
{
	static const char *const tab[] = { "TMF", "AN_QUERY", "AN_SUBSCRIBE" };

	return vs_name(tab, VS_ARRAY_LEN(tab), type);
}

const char *vscsi_tmf_name(unsigned subtype)
{
	static const char *const tab[] = {
		"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK",
		"QUERY_TASK_SET",
	};

	return vs_name(tab, VS_ARRAY_LEN(tab), subtype);
}

const char *vscsi_an_class_name(uint32_t bit)
{
	switch (bit) {
	case VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE: return "OPERATIONAL_CHANGE";
	case VSCSI_EVT_ASYNC_POWER_MGMT: return "POWER_MGMT";
	case VSCSI_EVT_ASYNC_EXTERNAL_REQUEST: return "EXTERNAL_REQUEST";
	case VSCSI_EVT_ASYNC_MEDIA_CHANGE: return "MEDIA_CHANGE";
	case VSCSI_EVT_ASYNC_MULTI_HOST: return "MULTI_HOST";
	case VSCSI_EVT_ASYNC_DEVICE_BUSY: return "DEVICE_BUSY";
	default: return NULL;
	}
}

const char *vscsi_event_name(uint32_t event)
{
	static const char *const tab[] = {
		"NO_EVENT", "TRANSPORT_RESET", "ASYNC_NOTIFY", "PARAM_CHANGE",
	};

	return vs_name(tab, VS_ARRAY_LEN(tab), event & ~VSCSI_EVT_EVENTS_MISSED);
}

const char *vscsi_reset_reason_name(uint32_t reason)
{
	static const char *const tab[] = { "HARD", "RESCAN", "REMOVED" };

	return vs_name(tab, VS_ARRAY_LEN(tab), reason);
}

/* ------------------------------------------------------------------- LUN */

/* vscsi_lun_decode(), inlined into the request parser. */
static inline void vs_lun_decode(const uint8_t raw[8], vscsi_lun *out)
{
	static const uint8_t wlun_literal[8] = { 0xc1, 0x01, 0, 0, 0, 0, 0, 0 };
	uint8_t b2 = raw[2], b3 = raw[3];
	int tail_zero = !(raw[4] | raw[5] | raw[6] | raw[7]);

	memcpy(out->raw, raw, 8);
	out->target = raw[1];
	out->lun = (uint16_t)(((unsigned)b2 << 8 | b3) & 0x3fffu);
	out->kind = VSCSI_LUN_MALFORMED;

	if (memcmp(raw, wlun_literal, 8) == 0) {
		out->kind = VSCSI_LUN_REPORT_LUNS;
		out->target = 0;
		out->lun = 0;
		return;
	}
	if (raw[0] != 1 || !tail_zero)
		return;
	if (b2 == 0) {
		/* peripheral device addressing, bus 0 (SAM-5 4.7.7.2) */
		out->kind = VSCSI_LUN_NORMAL;
	} else if ((b2 & 0xc0) == 0x40) {
		/* flat space addressing (SAM-5 4.7.7.4) */
		out->kind = VSCSI_LUN_NORMAL;
	} else if (b2 == 0xc1 && b3 == 0x01) {
		/* REPORT LUNS well-known LU (SPC-5 8.2) in bytes 2-3 */
		out->kind = VSCSI_LUN_REPORT_LUNS;
		out->lun = 0;
	}
}

void vscsi_lun_decode(const uint8_t raw[8], vscsi_lun *out)
{
	vs_lun_decode(raw, out);
}

void vscsi_lun_encode(uint8_t raw[8], uint8_t target, uint16_t lun, int flat)
{
	unsigned l = lun & 0x3fffu;

	memset(raw, 0, 8);
	raw[0] = 1;
	raw[1] = target;
	if (flat || l >= 256)
		raw[2] = (uint8_t)(0x40u | l >> 8);
	raw[3] = (uint8_t)l;
}

void vscsi_lun_encode_report_luns(uint8_t raw[8], uint8_t target)
{
	memset(raw, 0, 8);
	raw[0] = 1;
	raw[1] = target;
	raw[2] = 0xc1;
	raw[3] = 0x01;
}

/* ------------------------------------------------------------ iov helpers */

/* Walk iovecs from byte offset off, copying up to len bytes between them
 * and buf in the direction to_iov says. */
static size_t vs_iov_copy(const struct iovec *iov, unsigned n, size_t off,
			  uint8_t *buf, size_t len, int to_iov)
{
	size_t done = 0;
	unsigned i;

	if (!iov || !buf)
		return 0;
	for (i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, chunk;
		uint8_t *base = (uint8_t *)iov[i].iov_base;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		if (!base)
			break;
		chunk = seg - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to_iov)
			memcpy(base + off, buf + done, chunk);
		else
			memcpy(buf + done, base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t vscsi_iov_gather(const struct iovec *iov, unsigned n, size_t off,
			void *dst, size_t dst_len)
{
	return vs_iov_copy(iov, n, off, (uint8_t *)dst, dst_len, 0);
}

size_t vscsi_iov_scatter(const struct iovec *iov, unsigned n, size_t off,
			 const void *src, size_t src_len)
{
	/* the cast drops const only for the shared walker; src is read */
	return vs_iov_copy(iov, n, off, (uint8_t *)(uintptr_t)src, src_len, 1);
}

uint64_t vscsi_iov_len(const struct iovec *iov, unsigned n)
{
	uint64_t sum = 0;
	unsigned i;

	if (!iov)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t l = iov[i].iov_len;

		if (l > UINT64_MAX - sum)
			return UINT64_MAX;
		sum += l;
	}
	return sum;
}

/* ------------------------------------------------------------ configuration */

void vscsi_vs_cfg_default(vscsi_vs_cfg *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->features = 1ull << VSCSI_F_VERSION_1;
	cfg->cdb_size = VSCSI_CDB_DEFAULT;
	cfg->sense_size = VSCSI_SENSE_DEFAULT;
	cfg->legacy_big_endian = 0;
}

static int vs_has(const vscsi_vs_cfg *cfg, unsigned bit)
{
	return (cfg->features >> bit) & 1u;
}

/* Byte order of the multi-byte fields: 1 for big-endian. */
static int vs_be(const vscsi_vs_cfg *cfg)
{
	return !vs_has(cfg, VSCSI_F_VERSION_1) && cfg->legacy_big_endian;
}

static int vs_cfg_check(const vscsi_vs_cfg *cfg)
{
	if (!cfg)
		return VSCSI_ERR_ARG;
	if (cfg->cdb_size < 1 || cfg->cdb_size > VSCSI_CDB_MAX ||
	    cfg->sense_size > VSCSI_SENSE_MAX)
		return VSCSI_ERR_CDB_SIZE;
	return VSCSI_OK;
}

/* The two sizes below for a configuration already checked. */
static uint32_t vs_req_size(const vscsi_vs_cfg *cfg)
{
	return VS_REQ_FIXED + (vs_has(cfg, VSCSI_F_T10_PI) ? VS_REQ_PI : 0) +
	       cfg->cdb_size;
}

static uint32_t vs_resp_size(const vscsi_vs_cfg *cfg)
{
	return VS_RESP_FIXED + cfg->sense_size;
}

uint32_t vscsi_vs_cmd_req_size(const vscsi_vs_cfg *cfg)
{
	return vs_cfg_check(cfg) ? 0 : vs_req_size(cfg);
}

uint32_t vscsi_vs_cmd_resp_size(const vscsi_vs_cfg *cfg)
{
	return vs_cfg_check(cfg) ? 0 : vs_resp_size(cfg);
}

/* ---------------------------------------------------------- command request */

/*
 * virtio 1.2 5.6.6.1 virtio_scsi_req_cmd[_pi] (layout drawn in the header).
 * Read the header from the first len bytes; total is every readable byte of
 * the chain (for data_out_len). The flat and the iovec entry points both end
 * here, which is what makes their results equal.
 */
static int vs_cmd_req_decode(const vscsi_vs_cfg *cfg, const uint8_t *p,
			     size_t len, uint64_t total, vscsi_cmd_req *out)
{
	int be = vs_be(cfg);
	uint32_t hdr = vs_req_size(cfg);
	const uint8_t *lun;
	vscsi_rd r;

	vscsi__zero(out, sizeof(*out));
	out->hdr_len = hdr;
	out->has_pi = (uint8_t)vs_has(cfg, VSCSI_F_T10_PI);
	if (len >= hdr) {
		/* the whole header is there (the usual case): read it in
		 * place; the same fields as the reader below */
		const uint8_t *q = p + VS_REQ_FIXED;

		vs_lun_decode(p, &out->lun);
		out->tag = vs_get64(p + 8, be);
		out->task_attr = p[16];
		out->prio = p[17];
		out->crn = p[18];
		if (out->has_pi) {
			out->pi_bytesout = vs_get32(q, be);
			out->pi_bytesin = vs_get32(q + 4, be);
			q += VS_REQ_PI;
		}
		memcpy(out->cdb, q, cfg->cdb_size);
		out->cdb_size = (uint16_t)cfg->cdb_size;
		out->data_out_len = total - hdr;
		return VSCSI_OK;
	}
	vscsi_rd_init(&r, p, len);

	lun = vscsi_rd_ptr(&r, 8);
	if (lun)
		vs_lun_decode(lun, &out->lun);
	out->tag = vscsi_rd_e64(&r, be);
	out->task_attr = vscsi_rd_u8(&r);
	out->prio = vscsi_rd_u8(&r);
	out->crn = vscsi_rd_u8(&r);
	if (out->has_pi) {
		out->pi_bytesout = vscsi_rd_e32(&r, be);
		out->pi_bytesin = vscsi_rd_e32(&r, be);
	}
	if (vscsi_rd_bytes(&r, out->cdb, cfg->cdb_size) == VSCSI_OK)
		out->cdb_size = (uint16_t)cfg->cdb_size;
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);
	out->data_out_len = total - hdr;
	return VSCSI_OK;
}

int vscsi_vs_cmd_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
			   size_t len, vscsi_cmd_req *out)
{
	int rc;

	if (!out || (!buf && len))
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	return vs_cmd_req_decode(cfg, buf, len, len, out);
}

int vscsi_vs_cmd_req_parse_iov(const vscsi_vs_cfg *cfg,
			       const struct iovec *iov, unsigned n,
			       vscsi_cmd_req *out)
{
	uint8_t hdr[VS_REQ_MAX];
	size_t got, want;
	int rc;

	if (!out || (!iov && n))
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	want = vs_req_size(cfg);
	if (n && iov[0].iov_base && iov[0].iov_len >= want) {
		/* the usual request: the header in the first buffer (and,
		 * for all but writes, nothing else readable) */
		vscsi__copy(hdr, iov[0].iov_base, want);
		return vs_cmd_req_decode(cfg, hdr, want,
					 n == 1 ? iov[0].iov_len
						: vscsi_iov_len(iov, n),
					 out);
	}
	got = vscsi_iov_gather(iov, n, 0, hdr, want);
	return vs_cmd_req_decode(cfg, hdr, got, vscsi_iov_len(iov, n), out);
}

int vscsi_vs_cmd_check_dir(const vscsi_vs_cfg *cfg, const vscsi_cmd_req *req,
			   uint64_t in_len)
{
	uint32_t resp;
	int rc;

	if (!req)
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	resp = vs_resp_size(cfg);
	if (in_len < resp)
		return VSCSI_ERR_TRUNCATED;
	if (req->data_out_len > 0 && in_len > resp &&
	    !vs_has(cfg, VSCSI_F_INOUT))
		return VSCSI_ERR_INOUT;
	return VSCSI_OK;
}

int vscsi_vs_cmd_req_build(const vscsi_vs_cfg *cfg, const vscsi_cmd_req *req,
			   void *buf, size_t len)
{
	int be, rc;
	uint32_t hdr;
	uint8_t *p = buf;

	if (!req || !buf)
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	if (req->cdb_size > cfg->cdb_size)
		return VSCSI_ERR_CDB_SIZE;
	hdr = vs_req_size(cfg);
	if (len < hdr)
		return VSCSI_ERR_NOSPACE;
	be = vs_be(cfg);

	memcpy(p, req->lun.raw, 8);
	vscsi_put_e64(p + 8, req->tag, be);
	p[16] = req->task_attr;
	p[17] = req->prio;
	p[18] = req->crn;
	p += VS_REQ_FIXED;
	if (vs_has(cfg, VSCSI_F_T10_PI)) {
		vscsi_put_e32(p, req->pi_bytesout, be);
		vscsi_put_e32(p + 4, req->pi_bytesin, be);
		p += VS_REQ_PI;
	}
	memset(p, 0, cfg->cdb_size);
	memcpy(p, req->cdb, req->cdb_size);
	return (int)hdr;
}

/* --------------------------------------------------------- command response */

/* virtio 1.2 5.6.6.1 virtio_scsi_resp_cmd: 12 fixed bytes, sense[sense_size]. */
static int vs_cmd_resp_decode(const vscsi_vs_cfg *cfg, const uint8_t *p,
			      size_t len, uint64_t total, vscsi_cmd_resp *out)
{
	int be = vs_be(cfg);
	uint32_t hdr = vs_resp_size(cfg);
	size_t keep;
	vscsi_rd r;

	vscsi__zero(out, sizeof(*out));
	out->hdr_len = hdr;
	if (len >= hdr) {
		/* the whole header is there (the usual case): read it in
		 * place; the same fields as the reader below */
		out->sense_len = vs_get32(p, be);
		out->resid = vs_get32(p + 4, be);
		out->status_qualifier = vs_get16(p + 8, be);
		out->status = p[10];
		out->response = p[11];
		keep = out->sense_len < cfg->sense_size ? out->sense_len
							: cfg->sense_size;
		memcpy(out->sense, p + VS_RESP_FIXED, keep);
		out->sense_copied = (uint16_t)keep;
		out->data_in_len = total - hdr;
		return VSCSI_OK;
	}
	vscsi_rd_init(&r, p, len);
	out->sense_len = vscsi_rd_e32(&r, be);
	out->resid = vscsi_rd_e32(&r, be);
	out->status_qualifier = vscsi_rd_e16(&r, be);
	out->status = vscsi_rd_u8(&r);
	out->response = vscsi_rd_u8(&r);
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);

	/* The device may claim more sense than the area holds; keep what
	 * both the area and the bytes at hand allow. */
	keep = out->sense_len < cfg->sense_size ? out->sense_len
						: cfg->sense_size;
	if (keep > vscsi_rd_left(&r))
		keep = vscsi_rd_left(&r);
	vscsi_rd_bytes(&r, out->sense, keep);
	out->sense_copied = (uint16_t)keep;
	vscsi_rd_skip(&r, cfg->sense_size - keep);
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);
	out->data_in_len = total - hdr;
	return VSCSI_OK;
}

int vscsi_vs_cmd_resp_parse(const vscsi_vs_cfg *cfg, const void *buf,
			    size_t len, vscsi_cmd_resp *out)
{
	int rc;

	if (!out || (!buf && len))
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	return vs_cmd_resp_decode(cfg, buf, len, len, out);
}

int vscsi_vs_cmd_resp_parse_iov(const vscsi_vs_cfg *cfg,
				const struct iovec *iov, unsigned n,
				vscsi_cmd_resp *out)
{
	uint8_t hdr[VS_RESP_MAX];
	size_t got;
	int rc;

	if (!out || (!iov && n))
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	got = vscsi_iov_gather(iov, n, 0, hdr, vs_resp_size(cfg));
	return vs_cmd_resp_decode(cfg, hdr, got, vscsi_iov_len(iov, n), out);
}

int vscsi_vs_cmd_resp_build(const vscsi_vs_cfg *cfg,
			    const vscsi_cmd_resp *resp, void *buf, size_t len)
{
	int be, rc;
	uint32_t hdr, sl;
	uint8_t *p = buf;

	if (!resp || !buf)
		return VSCSI_ERR_ARG;
	if ((rc = vs_cfg_check(cfg)) != VSCSI_OK)
		return rc;
	hdr = vs_resp_size(cfg);
	if (len < hdr)
		return VSCSI_ERR_NOSPACE;
	be = vs_be(cfg);
	sl = resp->sense_len < cfg->sense_size ? resp->sense_len
					       : cfg->sense_size;

	vscsi_put_e32(p, sl, be);
	vscsi_put_e32(p + 4, resp->resid, be);
	vscsi_put_e16(p + 8, resp->status_qualifier, be);
	p[10] = resp->status;
	p[11] = resp->response;
	/* the sense, then zeros to the end of the field */
	if (sl)
		vscsi__copy(p + VS_RESP_FIXED, resp->sense, sl);
	memset(p + VS_RESP_FIXED + sl, 0, cfg->sense_size - sl);
	return (int)hdr;
}

/* ------------------------------------------------------------ control queue */

uint32_t vscsi_vs_ctrl_req_size(uint32_t type)
{
	switch (type) {
	case VSCSI_T_TMF: return VS_TMF_REQ_SIZE;
	case VSCSI_T_AN_QUERY:
	case VSCSI_T_AN_SUBSCRIBE: return VS_AN_REQ_SIZE;
	default: return 0;
	}
}

uint32_t vscsi_vs_ctrl_resp_size(uint32_t type)
{
	switch (type) {
	case VSCSI_T_TMF: return VS_TMF_RESP_SIZE;
	case VSCSI_T_AN_QUERY:
	case VSCSI_T_AN_SUBSCRIBE: return VS_AN_RESP_SIZE;
	default: return 0;
	}
}

/* virtio 1.2 5.6.6.2: le32 type selects virtio_scsi_ctrl_tmf (24 bytes) or
 * virtio_scsi_ctrl_an (16 bytes); cfg gives only the byte order. */
static int vs_ctrl_req_decode(const vscsi_vs_cfg *cfg, const uint8_t *p,
			      size_t len, vscsi_ctrl_req *out)
{
	int be = vs_be(cfg);
	const uint8_t *lun;
	vscsi_rd r;

	memset(out, 0, sizeof(*out));
	vscsi_rd_init(&r, p, len);
	out->type = vscsi_rd_e32(&r, be);
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);
	out->hdr_len = vscsi_vs_ctrl_req_size(out->type);
	switch (out->type) {
	case VSCSI_T_TMF:
		out->subtype = vscsi_rd_e32(&r, be);
		if ((lun = vscsi_rd_ptr(&r, 8)) != NULL)
			vscsi_lun_decode(lun, &out->lun);
		out->tag = vscsi_rd_e64(&r, be);
		break;
	case VSCSI_T_AN_QUERY:
	case VSCSI_T_AN_SUBSCRIBE:
		if ((lun = vscsi_rd_ptr(&r, 8)) != NULL)
			vscsi_lun_decode(lun, &out->lun);
		out->event_requested = vscsi_rd_e32(&r, be);
		break;
	default:
		out->hdr_len = 4;
		return VSCSI_ERR_INVALID;
	}
	return vscsi_rd_error(&r);
}

static int vs_args_ok(const vscsi_vs_cfg *cfg, const void *out,
			    const void *buf, size_t len)
{
	if (!cfg || !out || (!buf && len))
		return VSCSI_ERR_ARG;
	return VSCSI_OK;
}

int vscsi_vs_ctrl_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
			    size_t len, vscsi_ctrl_req *out)
{
	int rc = vs_args_ok(cfg, out, buf, len);

	if (rc)
		return rc;
	return vs_ctrl_req_decode(cfg, buf, len, out);
}

int vscsi_vs_ctrl_req_parse_iov(const vscsi_vs_cfg *cfg,
				const struct iovec *iov, unsigned n,
				vscsi_ctrl_req *out)
{
	uint8_t hdr[VS_CTRL_REQ_MAX];
	size_t got;

	if (!cfg || !out || (!iov && n))
		return VSCSI_ERR_ARG;
	got = vscsi_iov_gather(iov, n, 0, hdr, sizeof(hdr));
	return vs_ctrl_req_decode(cfg, hdr, got, out);
}

int vscsi_vs_ctrl_req_build(const vscsi_vs_cfg *cfg, const vscsi_ctrl_req *req,
			    void *buf, size_t len)
{
	uint8_t *p = buf;
	uint32_t size;
	int be;

	if (!cfg || !req || !buf)
		return VSCSI_ERR_ARG;
	size = vscsi_vs_ctrl_req_size(req->type);
	if (!size)
		return VSCSI_ERR_ARG;
	if (len < size)
		return VSCSI_ERR_NOSPACE;
	be = vs_be(cfg);
	vscsi_put_e32(p, req->type, be);
	if (req->type == VSCSI_T_TMF) {
		vscsi_put_e32(p + 4, req->subtype, be);
		memcpy(p + 8, req->lun.raw, 8);
		vscsi_put_e64(p + 16, req->tag, be);
	} else {
		memcpy(p + 4, req->lun.raw, 8);
		vscsi_put_e32(p + 12, req->event_requested, be);
	}
	return (int)size;
}

/* 5.6.6.2 device-writable parts: TMF u8 response; AN le32 event_actual,
 * u8 response. */
int vscsi_vs_ctrl_resp_parse(const vscsi_vs_cfg *cfg, uint32_t type,
			     const void *buf, size_t len, vscsi_ctrl_resp *out)
{
	int rc = vs_args_ok(cfg, out, buf, len);
	vscsi_rd r;

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->hdr_len = vscsi_vs_ctrl_resp_size(type);
	if (!out->hdr_len)
		return VSCSI_ERR_INVALID;
	vscsi_rd_init(&r, buf, len);
	if (type != VSCSI_T_TMF)
		out->event_actual = vscsi_rd_e32(&r, vs_be(cfg));
	out->response = vscsi_rd_u8(&r);
	return vscsi_rd_error(&r);
}

int vscsi_vs_ctrl_resp_build(const vscsi_vs_cfg *cfg,
			     const vscsi_ctrl_resp *resp, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint32_t size;

	if (!cfg || !resp || !buf)
		return VSCSI_ERR_ARG;
	size = vscsi_vs_ctrl_resp_size(resp->type);
	if (!size)
		return VSCSI_ERR_ARG;
	if (len < size)
		return VSCSI_ERR_NOSPACE;
	if (resp->type == VSCSI_T_TMF) {
		p[0] = resp->response;
	} else {
		vscsi_put_e32(p, resp->event_actual, vs_be(cfg));
		p[4] = resp->response;
	}
	return (int)size;
}

/* -------------------------------------------------------------- event queue */

/* 5.6.6.3 virtio_scsi_event: le32 event, u8 lun[8], le32 reason. */
int vscsi_vs_event_parse(const vscsi_vs_cfg *cfg, const void *buf, size_t len,
			 vscsi_event *out)
{
	int rc = vs_args_ok(cfg, out, buf, len);
	int be;
	const uint8_t *lun;
	vscsi_rd r;

	if (rc)
		return rc;
	be = vs_be(cfg);
	memset(out, 0, sizeof(*out));
	vscsi_rd_init(&r, buf, len);
	out->event = vscsi_rd_e32(&r, be);
	if ((lun = vscsi_rd_ptr(&r, 8)) != NULL)
		vscsi_lun_decode(lun, &out->lun);
	out->reason = vscsi_rd_e32(&r, be);
	return vscsi_rd_error(&r);
}

int vscsi_vs_event_build(const vscsi_vs_cfg *cfg, const vscsi_event *ev,
			 void *buf, size_t len)
{
	uint8_t *p = buf;
	int be;

	if (!cfg || !ev || !buf)
		return VSCSI_ERR_ARG;
	if (len < VSCSI_EVENT_SIZE)
		return VSCSI_ERR_NOSPACE;
	be = vs_be(cfg);
	vscsi_put_e32(p, ev->event, be);
	memcpy(p + 4, ev->lun.raw, 8);
	vscsi_put_e32(p + 12, ev->reason, be);
	return VSCSI_EVENT_SIZE;
}

/* ------------------------------------------------------------- config space */

/* 5.6.4 virtio_scsi_config: seven le32, two le16, one le32 (36 bytes). */
int vscsi_vs_config_parse_endian(const void *buf, size_t len, int big_endian,
				 vscsi_config *out)
{
	vscsi_rd r;

	if (!out || (!buf && len))
		return VSCSI_ERR_ARG;
	memset(out, 0, sizeof(*out));
	vscsi_rd_init(&r, buf, len);
	out->num_queues = vscsi_rd_e32(&r, big_endian);
	out->seg_max = vscsi_rd_e32(&r, big_endian);
	out->max_sectors = vscsi_rd_e32(&r, big_endian);
	out->cmd_per_lun = vscsi_rd_e32(&r, big_endian);
	out->event_info_size = vscsi_rd_e32(&r, big_endian);
	out->sense_size = vscsi_rd_e32(&r, big_endian);
	out->cdb_size = vscsi_rd_e32(&r, big_endian);
	out->max_channel = vscsi_rd_e16(&r, big_endian);
	out->max_target = vscsi_rd_e16(&r, big_endian);
	out->max_lun = vscsi_rd_e32(&r, big_endian);
	return vscsi_rd_error(&r);
}

int vscsi_vs_config_parse(const void *buf, size_t len, vscsi_config *out)
{
	return vscsi_vs_config_parse_endian(buf, len, 0, out);
}

int vscsi_vs_config_build_endian(const vscsi_config *cfg, int big_endian,
				 void *buf, size_t len)
{
	uint8_t *p = buf;

	if (!cfg || !buf)
		return VSCSI_ERR_ARG;
	if (len < VSCSI_CONFIG_SIZE)
		return VSCSI_ERR_NOSPACE;
	vscsi_put_e32(p + 0, cfg->num_queues, big_endian);
	vscsi_put_e32(p + 4, cfg->seg_max, big_endian);
	vscsi_put_e32(p + 8, cfg->max_sectors, big_endian);
	vscsi_put_e32(p + 12, cfg->cmd_per_lun, big_endian);
	vscsi_put_e32(p + 16, cfg->event_info_size, big_endian);
	vscsi_put_e32(p + 20, cfg->sense_size, big_endian);
	vscsi_put_e32(p + 24, cfg->cdb_size, big_endian);
	vscsi_put_e16(p + 28, cfg->max_channel, big_endian);
	vscsi_put_e16(p + 30, cfg->max_target, big_endian);
	vscsi_put_e32(p + 32, cfg->max_lun, big_endian);
	return VSCSI_CONFIG_SIZE;
}

int vscsi_vs_config_build(const vscsi_config *cfg, void *buf, size_t len)
{
	return vscsi_vs_config_build_endian(cfg, 0, buf, len);
}
