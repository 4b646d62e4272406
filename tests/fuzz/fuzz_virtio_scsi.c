/*
 * Fuzz the virtio-scsi message parsers.
 *
 * Input: a 6-byte selector, then the bytes to parse.
 *   byte 0  bit 0 VERSION_1, bit 1 legacy big-endian, bit 2 T10_PI,
 *           bit 3 INOUT, bit 4 cdb_size += 256, bit 5 sense_size += 256
 *   byte 1  cdb_size low byte (0 and > 256 are out of range on purpose)
 *   byte 2  sense_size low byte
 *   byte 3  first split point, byte 4 second split point (mod len + 1)
 *   byte 5  in_len for the direction check (multiplied by 4)
 * The rest is parsed as every structure: command request flat and split
 * into 3 iovecs (results must be equal), response (same), control request
 * (same), control responses, event, config in both byte orders. Whatever
 * parses is built again and must give the same fields (or bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi.h"

#define CHECK(x)                \
	do {                    \
		if (!(x))       \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lun_same(const vscsi_lun *a, const vscsi_lun *b)
{
	CHECK(memcmp(a->raw, b->raw, 8) == 0);
	CHECK(a->kind == b->kind && a->target == b->target && a->lun == b->lun);
}

static void req_same(const vscsi_cmd_req *a, const vscsi_cmd_req *b)
{
	lun_same(&a->lun, &b->lun);
	CHECK(a->tag == b->tag && a->task_attr == b->task_attr &&
	      a->prio == b->prio && a->crn == b->crn &&
	      a->has_pi == b->has_pi && a->pi_bytesout == b->pi_bytesout &&
	      a->pi_bytesin == b->pi_bytesin && a->cdb_size == b->cdb_size &&
	      a->hdr_len == b->hdr_len && a->data_out_len == b->data_out_len);
	CHECK(memcmp(a->cdb, b->cdb, sizeof(a->cdb)) == 0);
}

static void resp_same(const vscsi_cmd_resp *a, const vscsi_cmd_resp *b)
{
	CHECK(a->sense_len == b->sense_len && a->resid == b->resid &&
	      a->status_qualifier == b->status_qualifier &&
	      a->status == b->status && a->response == b->response &&
	      a->sense_copied == b->sense_copied && a->hdr_len == b->hdr_len &&
	      a->data_in_len == b->data_in_len);
	CHECK(memcmp(a->sense, b->sense, sizeof(a->sense)) == 0);
}

static void ctrl_same(const vscsi_ctrl_req *a, const vscsi_ctrl_req *b)
{
	lun_same(&a->lun, &b->lun);
	CHECK(a->type == b->type && a->subtype == b->subtype &&
	      a->tag == b->tag && a->event_requested == b->event_requested &&
	      a->hdr_len == b->hdr_len);
}

static void fuzz_cmd(const vscsi_vs_cfg *cfg, const uint8_t *p, size_t len,
		     const struct iovec *iov, uint64_t in_len)
{
	vscsi_cmd_req a, b;
	vscsi_cmd_resp ra, rb;
	uint8_t out[600];
	int rc, rc2, n;

	rc = vscsi_vs_cmd_req_parse(cfg, p, len, &a);
	rc2 = vscsi_vs_cmd_req_parse_iov(cfg, iov, 3, &b);
	CHECK(rc == rc2);
	CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED ||
	      rc == VSCSI_ERR_CDB_SIZE);
	if (rc != VSCSI_ERR_CDB_SIZE)
		req_same(&a, &b);
	if (rc == VSCSI_OK) {
		CHECK(a.hdr_len == vscsi_vs_cmd_req_size(cfg));
		CHECK(a.data_out_len == len - a.hdr_len);
		CHECK(a.lun.kind <= VSCSI_LUN_MALFORMED);
		CHECK(a.lun.lun <= 16383);
		/* build gives back the header bytes exactly */
		n = vscsi_vs_cmd_req_build(cfg, &a, out, sizeof(out));
		CHECK(n == (int)a.hdr_len);
		CHECK(memcmp(out, p, (size_t)n) == 0);
		rc = vscsi_vs_cmd_check_dir(cfg, &a, in_len);
		CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_INOUT ||
		      rc == VSCSI_ERR_TRUNCATED);
		if (rc == VSCSI_ERR_INOUT)
			CHECK(!(cfg->features & (1ull << VSCSI_F_INOUT)));
		(void)vscsi_task_attr_name(a.task_attr);
	}

	rc = vscsi_vs_cmd_resp_parse(cfg, p, len, &ra);
	rc2 = vscsi_vs_cmd_resp_parse_iov(cfg, iov, 3, &rb);
	CHECK(rc == rc2);
	if (rc != VSCSI_ERR_CDB_SIZE)
		resp_same(&ra, &rb);
	if (rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED) {
		CHECK(ra.sense_copied <= cfg->sense_size);
		CHECK(ra.sense_copied <= ra.sense_len);
	}
	if (rc == VSCSI_OK) {
		n = vscsi_vs_cmd_resp_build(cfg, &ra, out, sizeof(out));
		CHECK(n == (int)ra.hdr_len);
		/* the fixed fields other than sense_len come back as read */
		CHECK(memcmp(out + 4, p + 4, 8) == 0);
		rc = vscsi_vs_cmd_resp_parse(cfg, out, (size_t)n, &rb);
		CHECK(rc == VSCSI_OK);
		CHECK(rb.sense_len == ra.sense_copied);
		CHECK(rb.sense_copied == ra.sense_copied);
		CHECK(memcmp(rb.sense, ra.sense, ra.sense_copied) == 0);
		(void)vscsi_vs_response_name(ra.response, 0);
	}
}

static void fuzz_ctrl(const vscsi_vs_cfg *cfg, const uint8_t *p, size_t len,
		      const struct iovec *iov)
{
	vscsi_ctrl_req a, b;
	vscsi_ctrl_resp r, r2;
	uint8_t out[32];
	uint32_t type;
	int rc, rc2, n;

	rc = vscsi_vs_ctrl_req_parse(cfg, p, len, &a);
	rc2 = vscsi_vs_ctrl_req_parse_iov(cfg, iov, 3, &b);
	CHECK(rc == rc2);
	CHECK(rc == VSCSI_OK || rc == VSCSI_ERR_TRUNCATED ||
	      rc == VSCSI_ERR_INVALID);
	ctrl_same(&a, &b);
	if (rc == VSCSI_OK) {
		CHECK(a.hdr_len == vscsi_vs_ctrl_req_size(a.type));
		n = vscsi_vs_ctrl_req_build(cfg, &a, out, sizeof(out));
		CHECK(n == (int)a.hdr_len);
		CHECK(memcmp(out, p, (size_t)n) == 0);
		(void)vscsi_ctrl_type_name(a.type);
		(void)vscsi_tmf_name(a.subtype);
	}
	if (rc == VSCSI_ERR_INVALID)
		CHECK(vscsi_vs_ctrl_req_size(a.type) == 0);

	for (type = 0; type < 4; type++) {
		rc = vscsi_vs_ctrl_resp_parse(cfg, type, p, len, &r);
		CHECK(r.type == type);
		if (type > VSCSI_T_AN_SUBSCRIBE) {
			CHECK(rc == VSCSI_ERR_INVALID);
			continue;
		}
		CHECK(rc == (len >= vscsi_vs_ctrl_resp_size(type)
				     ? VSCSI_OK : VSCSI_ERR_TRUNCATED));
		if (rc == VSCSI_OK) {
			n = vscsi_vs_ctrl_resp_build(cfg, &r, out, sizeof(out));
			CHECK(n == (int)r.hdr_len);
			CHECK(memcmp(out, p, (size_t)n) == 0);
			CHECK(vscsi_vs_ctrl_resp_parse(cfg, type, out,
						       (size_t)n, &r2) ==
			      VSCSI_OK);
			CHECK(r2.response == r.response &&
			      r2.event_actual == r.event_actual);
			(void)vscsi_vs_response_name(r.response, 1);
		}
	}
}

static void fuzz_event_config(const vscsi_vs_cfg *cfg, const uint8_t *p,
			      size_t len)
{
	vscsi_event e, e2;
	vscsi_config c, c2;
	uint8_t out[VSCSI_CONFIG_SIZE];
	int rc, be, n;
	uint32_t bit;

	rc = vscsi_vs_event_parse(cfg, p, len, &e);
	CHECK(rc == (len >= VSCSI_EVENT_SIZE ? VSCSI_OK : VSCSI_ERR_TRUNCATED));
	if (rc == VSCSI_OK) {
		n = vscsi_vs_event_build(cfg, &e, out, sizeof(out));
		CHECK(n == VSCSI_EVENT_SIZE);
		CHECK(memcmp(out, p, VSCSI_EVENT_SIZE) == 0);
		CHECK(vscsi_vs_event_parse(cfg, out, (size_t)n, &e2) ==
		      VSCSI_OK);
		CHECK(e2.event == e.event && e2.reason == e.reason);
		lun_same(&e.lun, &e2.lun);
		(void)vscsi_event_name(e.event);
		(void)vscsi_reset_reason_name(e.reason);
		for (bit = 1; bit; bit <<= 1)
			if (e.reason & bit)
				(void)vscsi_an_class_name(bit);
	}

	for (be = 0; be < 2; be++) {
		rc = vscsi_vs_config_parse_endian(p, len, be, &c);
		CHECK(rc == (len >= VSCSI_CONFIG_SIZE ? VSCSI_OK
						      : VSCSI_ERR_TRUNCATED));
		if (rc != VSCSI_OK)
			continue;
		n = vscsi_vs_config_build_endian(&c, be, out, sizeof(out));
		CHECK(n == VSCSI_CONFIG_SIZE);
		CHECK(memcmp(out, p, VSCSI_CONFIG_SIZE) == 0);
		CHECK(vscsi_vs_config_parse_endian(out, (size_t)n, be, &c2) ==
		      VSCSI_OK);
		CHECK(memcmp(&c, &c2, sizeof(c)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vscsi_vs_cfg cfg;
	struct iovec iov[3];
	const uint8_t *p;
	size_t len, s1, s2, t;
	uint64_t in_len;
	uint8_t *copy;

	if (size < 6)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	if (data[0] & 1)
		cfg.features |= 1ull << VSCSI_F_VERSION_1;
	cfg.legacy_big_endian = (data[0] >> 1) & 1;
	if (data[0] & 4)
		cfg.features |= 1ull << VSCSI_F_T10_PI;
	if (data[0] & 8)
		cfg.features |= 1ull << VSCSI_F_INOUT;
	cfg.cdb_size = data[1] + (data[0] & 0x10 ? 256u : 0u);
	cfg.sense_size = data[2] + (data[0] & 0x20 ? 256u : 0u);
	p = data + 6;
	len = size - 6;
	s1 = data[3] % (len + 1);
	s2 = data[4] % (len + 1);
	if (s1 > s2) {
		t = s1;
		s1 = s2;
		s2 = t;
	}
	in_len = (uint64_t)data[5] * 4;

	/* A private copy so that reads past any iovec show up under ASan. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, p, len);
	iov[0].iov_base = copy;
	iov[0].iov_len = s1;
	iov[1].iov_base = copy + s1;
	iov[1].iov_len = s2 - s1;
	iov[2].iov_base = copy + s2;
	iov[2].iov_len = len - s2;

	fuzz_cmd(&cfg, p, len, iov, in_len);
	fuzz_ctrl(&cfg, p, len, iov);
	fuzz_event_config(&cfg, p, len);
	CHECK(vscsi_iov_len(iov, 3) == len);
	free(copy);
	return 0;
}
