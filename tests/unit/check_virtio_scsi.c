/*
 * virtio-scsi messages (virtio 1.2 section 5.6): hand-built vectors from the
 * spec layouts, truncation at every offset, headers split at every byte
 * boundary, build/parse round trips, names.
 */
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"

/* ------------------------------------------------------------- helpers */

static vscsi_vs_cfg cfg_make(uint64_t features, uint32_t cdb, uint32_t sense,
			     int be)
{
	vscsi_vs_cfg c;

	memset(&c, 0, sizeof(c));
	c.features = features;
	c.cdb_size = cdb;
	c.sense_size = sense;
	c.legacy_big_endian = be;
	return c;
}

#define F(bit) (1ull << (bit))
#define V1 F(VSCSI_F_VERSION_1)

static void lun_eq(const vscsi_lun *a, const vscsi_lun *b)
{
	ck_assert_mem_eq(a->raw, b->raw, 8);
	ck_assert_uint_eq(a->kind, b->kind);
	ck_assert_uint_eq(a->target, b->target);
	ck_assert_uint_eq(a->lun, b->lun);
}

static void req_eq(const vscsi_cmd_req *a, const vscsi_cmd_req *b)
{
	lun_eq(&a->lun, &b->lun);
	ck_assert_uint_eq(a->tag, b->tag);
	ck_assert_uint_eq(a->task_attr, b->task_attr);
	ck_assert_uint_eq(a->prio, b->prio);
	ck_assert_uint_eq(a->crn, b->crn);
	ck_assert_uint_eq(a->has_pi, b->has_pi);
	ck_assert_uint_eq(a->pi_bytesout, b->pi_bytesout);
	ck_assert_uint_eq(a->pi_bytesin, b->pi_bytesin);
	ck_assert_uint_eq(a->cdb_size, b->cdb_size);
	ck_assert_mem_eq(a->cdb, b->cdb, sizeof(a->cdb));
	ck_assert_uint_eq(a->hdr_len, b->hdr_len);
	ck_assert_uint_eq(a->data_out_len, b->data_out_len);
}

static void resp_eq(const vscsi_cmd_resp *a, const vscsi_cmd_resp *b)
{
	ck_assert_uint_eq(a->sense_len, b->sense_len);
	ck_assert_uint_eq(a->resid, b->resid);
	ck_assert_uint_eq(a->status_qualifier, b->status_qualifier);
	ck_assert_uint_eq(a->status, b->status);
	ck_assert_uint_eq(a->response, b->response);
	ck_assert_uint_eq(a->sense_copied, b->sense_copied);
	ck_assert_mem_eq(a->sense, b->sense, sizeof(a->sense));
	ck_assert_uint_eq(a->hdr_len, b->hdr_len);
	ck_assert_uint_eq(a->data_in_len, b->data_in_len);
}

static void ctrl_eq(const vscsi_ctrl_req *a, const vscsi_ctrl_req *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->subtype, b->subtype);
	lun_eq(&a->lun, &b->lun);
	ck_assert_uint_eq(a->tag, b->tag);
	ck_assert_uint_eq(a->event_requested, b->event_requested);
	ck_assert_uint_eq(a->hdr_len, b->hdr_len);
}

/* Which parser a split test drives. */
enum which { W_REQ, W_RESP, W_CTRL };

struct result {
	int rc;
	vscsi_cmd_req req;
	vscsi_cmd_resp resp;
	vscsi_ctrl_req ctrl;
};

static void parse_flat(enum which w, const vscsi_vs_cfg *c, const uint8_t *b,
		       size_t len, struct result *r)
{
	memset(r, 0xa5, sizeof(*r));
	switch (w) {
	case W_REQ: r->rc = vscsi_vs_cmd_req_parse(c, b, len, &r->req); break;
	case W_RESP: r->rc = vscsi_vs_cmd_resp_parse(c, b, len, &r->resp); break;
	case W_CTRL: r->rc = vscsi_vs_ctrl_req_parse(c, b, len, &r->ctrl); break;
	}
}

static void parse_iov(enum which w, const vscsi_vs_cfg *c,
		      const struct iovec *iov, unsigned n, struct result *r)
{
	memset(r, 0x5a, sizeof(*r));
	switch (w) {
	case W_REQ: r->rc = vscsi_vs_cmd_req_parse_iov(c, iov, n, &r->req); break;
	case W_RESP: r->rc = vscsi_vs_cmd_resp_parse_iov(c, iov, n, &r->resp); break;
	case W_CTRL: r->rc = vscsi_vs_ctrl_req_parse_iov(c, iov, n, &r->ctrl); break;
	}
}

static void result_eq(enum which w, const struct result *a,
		      const struct result *b)
{
	ck_assert_int_eq(a->rc, b->rc);
	switch (w) {
	case W_REQ: req_eq(&a->req, &b->req); break;
	case W_RESP: resp_eq(&a->resp, &b->resp); break;
	case W_CTRL: ctrl_eq(&a->ctrl, &b->ctrl); break;
	}
}

/* Split b at every byte boundary into 2 and into 3 iovecs (and with an
 * empty iovec in between); every split must parse as the flat bytes do. */
static void check_splits(enum which w, const vscsi_vs_cfg *c,
			 const uint8_t *b, size_t len)
{
	struct result flat, split;
	struct iovec iov[4];
	size_t i, j;

	parse_flat(w, c, b, len, &flat);
	for (i = 0; i <= len; i++) {
		iov[0].iov_base = (void *)(uintptr_t)b;
		iov[0].iov_len = i;
		iov[1].iov_base = (void *)(uintptr_t)(b + i);
		iov[1].iov_len = len - i;
		parse_iov(w, c, iov, 2, &split);
		result_eq(w, &flat, &split);

		/* an empty iovec at the split point is skipped */
		iov[2] = iov[1];
		iov[1].iov_base = (void *)(uintptr_t)(b + i);
		iov[1].iov_len = 0;
		parse_iov(w, c, iov, 3, &split);
		result_eq(w, &flat, &split);

		for (j = i; j <= len; j++) {
			iov[1].iov_base = (void *)(uintptr_t)(b + i);
			iov[1].iov_len = j - i;
			iov[2].iov_base = (void *)(uintptr_t)(b + j);
			iov[2].iov_len = len - j;
			parse_iov(w, c, iov, 3, &split);
			result_eq(w, &flat, &split);
		}
	}
}

/* ------------------------------------------------------------ vectors */

/*
 * virtio 1.2 5.6.6.1 virtio_scsi_req_cmd, VERSION_1 (little-endian),
 * cdb_size 32: lun 01 02 40 05 00 00 00 00 (target 2, flat LUN 5),
 * id 0x1122334455667788, task_attr ORDERED, prio 3, crn 7,
 * cdb READ(10) LBA 0x1000 length 8 and 22 zero bytes, then 4 bytes of
 * data-out.
 */
static const uint8_t req_le32[51 + 4] = {
	0x01, 0x02, 0x40, 0x05, 0x00, 0x00, 0x00, 0x00,	/* lun */
	0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,	/* le64 id */
	0x01, 0x03, 0x07,				/* attr prio crn */
	0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, /* cdb */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xde, 0xad, 0xbe, 0xef,				/* data-out */
};

/* The same request through the legacy interface of a big-endian guest
 * (5.6.6.1.2: fields in guest-native order; lun and cdb unchanged). */
static const uint8_t req_be32[51] = {
	0x01, 0x02, 0x40, 0x05, 0x00, 0x00, 0x00, 0x00,
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,	/* be64 id */
	0x01, 0x03, 0x07,
	0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * virtio_scsi_req_cmd_pi (T10_PI, as Linux and QEMU lay it out:
 * pi_bytesout, pi_bytesin between crn and cdb), cdb_size 16:
 * WRITE(16) of 8 blocks with 64 bytes of PI out; then pi_out (4 bytes here).
 */
static const uint8_t req_pi16[43 + 4] = {
	0x01, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,	/* target 0 lun 0 */
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* id 1 */
	0x00, 0x00, 0x00,
	0x40, 0x00, 0x00, 0x00,				/* pi_bytesout 64 */
	0x00, 0x00, 0x00, 0x00,				/* pi_bytesin 0 */
	0x8a, 0x20, 0, 0, 0, 0, 0, 0, 0x12, 0x34,	/* WRITE(16) */
	0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
	0xaa, 0xbb, 0xcc, 0xdd,				/* pi_out... */
};

/*
 * virtio 1.2 5.6.6.1 virtio_scsi_resp_cmd, sense_size 96: sense_len 18,
 * residual 512, status_qualifier 0x0102, status CHECK CONDITION (0x02),
 * response OK, fixed-format sense NOT READY / MEDIUM NOT PRESENT (3A/00),
 * then 2 bytes of data-in.
 */
static uint8_t resp_le96[108 + 2];

static void resp_le96_init(void)
{
	static const uint8_t head[12] = {
		0x12, 0x00, 0x00, 0x00,	/* sense_len 18 */
		0x00, 0x02, 0x00, 0x00,	/* residual 512 */
		0x02, 0x01,		/* status_qualifier 0x0102 */
		0x02,			/* status CHECK CONDITION */
		0x00,			/* response OK */
	};
	static const uint8_t sense[18] = {
		0x70, 0, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x3a, 0x00,
	};

	memset(resp_le96, 0, sizeof(resp_le96));
	memcpy(resp_le96, head, sizeof(head));
	memcpy(resp_le96 + 12, sense, sizeof(sense));
	resp_le96[108] = 0x55;
	resp_le96[109] = 0x66;
}

/* 5.6.6.2 virtio_scsi_ctrl_tmf: type TMF, subtype ABORT_TASK, lun target 1
 * LUN 2, id 0x0102030405060708 (24 bytes). */
static const uint8_t tmf_le[24] = {
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x40, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
};

/* 5.6.6.2 virtio_scsi_ctrl_an: type AN_SUBSCRIBE, lun target 0 LUN 0,
 * event_requested MEDIA_CHANGE | DEVICE_BUSY (0x50) (16 bytes). */
static const uint8_t an_le[16] = {
	0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x00, 0x00, 0x00,
};

/* ------------------------------------------------------------- names */

START_TEST(test_names)
{
	static const char *const resp[] = {
		"OK", "OVERRUN", "ABORTED", "BAD_TARGET", "RESET", "BUSY",
		"TRANSPORT_FAILURE", "TARGET_FAILURE", "NEXUS_FAILURE",
		"FAILURE", "FUNCTION_SUCCEEDED", "FUNCTION_REJECTED",
		"INCORRECT_LUN",
	};
	static const char *const tmf[] = {
		"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK",
		"QUERY_TASK_SET",
	};
	unsigned i;

	for (i = 0; i < ARRAY_LEN(resp); i++) {
		ck_assert_str_eq(vscsi_vs_response_name(i, 0), resp[i]);
		if (i)
			ck_assert_str_eq(vscsi_vs_response_name(i, 1), resp[i]);
	}
	ck_assert_str_eq(vscsi_vs_response_name(VSCSI_S_FUNCTION_COMPLETE, 1),
			 "FUNCTION_COMPLETE");
	ck_assert_ptr_null(vscsi_vs_response_name(13, 0));
	ck_assert_ptr_null(vscsi_vs_response_name(13, 1));
	ck_assert_ptr_null(vscsi_vs_response_name(255, 0));
	ck_assert_ptr_null(vscsi_vs_response_name(~0u, 1));

	ck_assert_str_eq(vscsi_task_attr_name(VSCSI_TASK_SIMPLE), "SIMPLE");
	ck_assert_str_eq(vscsi_task_attr_name(VSCSI_TASK_ORDERED), "ORDERED");
	ck_assert_str_eq(vscsi_task_attr_name(VSCSI_TASK_HEAD), "HEAD");
	ck_assert_str_eq(vscsi_task_attr_name(VSCSI_TASK_ACA), "ACA");
	ck_assert_ptr_null(vscsi_task_attr_name(4));
	ck_assert_ptr_null(vscsi_task_attr_name(255));

	ck_assert_str_eq(vscsi_ctrl_type_name(VSCSI_T_TMF), "TMF");
	ck_assert_str_eq(vscsi_ctrl_type_name(VSCSI_T_AN_QUERY), "AN_QUERY");
	ck_assert_str_eq(vscsi_ctrl_type_name(VSCSI_T_AN_SUBSCRIBE),
			 "AN_SUBSCRIBE");
	ck_assert_ptr_null(vscsi_ctrl_type_name(3));
	ck_assert_ptr_null(vscsi_ctrl_type_name(~0u));

	for (i = 0; i < ARRAY_LEN(tmf); i++)
		ck_assert_str_eq(vscsi_tmf_name(i), tmf[i]);
	ck_assert_ptr_null(vscsi_tmf_name(8));
	ck_assert_ptr_null(vscsi_tmf_name(~0u));

	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE),
			 "OPERATIONAL_CHANGE");
	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_POWER_MGMT),
			 "POWER_MGMT");
	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_EXTERNAL_REQUEST),
			 "EXTERNAL_REQUEST");
	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_MEDIA_CHANGE),
			 "MEDIA_CHANGE");
	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_MULTI_HOST),
			 "MULTI_HOST");
	ck_assert_str_eq(vscsi_an_class_name(VSCSI_EVT_ASYNC_DEVICE_BUSY),
			 "DEVICE_BUSY");
	ck_assert_ptr_null(vscsi_an_class_name(0));
	ck_assert_ptr_null(vscsi_an_class_name(1));
	ck_assert_ptr_null(vscsi_an_class_name(6));	/* two bits */
	ck_assert_ptr_null(vscsi_an_class_name(128));
	ck_assert_ptr_null(vscsi_an_class_name(0x80000000u));

	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_NO_EVENT), "NO_EVENT");
	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_TRANSPORT_RESET),
			 "TRANSPORT_RESET");
	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_ASYNC_NOTIFY),
			 "ASYNC_NOTIFY");
	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_PARAM_CHANGE),
			 "PARAM_CHANGE");
	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_EVENTS_MISSED |
					  VSCSI_EVT_NO_EVENT), "NO_EVENT");
	ck_assert_str_eq(vscsi_event_name(VSCSI_EVT_EVENTS_MISSED |
					  VSCSI_EVT_PARAM_CHANGE),
			 "PARAM_CHANGE");
	ck_assert_ptr_null(vscsi_event_name(4));
	ck_assert_ptr_null(vscsi_event_name(VSCSI_EVT_EVENTS_MISSED | 4));
	ck_assert_ptr_null(vscsi_event_name(0x40000000u));

	ck_assert_str_eq(vscsi_reset_reason_name(VSCSI_EVT_RESET_HARD), "HARD");
	ck_assert_str_eq(vscsi_reset_reason_name(VSCSI_EVT_RESET_RESCAN),
			 "RESCAN");
	ck_assert_str_eq(vscsi_reset_reason_name(VSCSI_EVT_RESET_REMOVED),
			 "REMOVED");
	ck_assert_ptr_null(vscsi_reset_reason_name(3));
	ck_assert_ptr_null(vscsi_reset_reason_name(~0u));
}
END_TEST

START_TEST(test_feature_names)
{
	static const struct {
		unsigned bit;
		const char *name;
	} tab[] = {
		{ VSCSI_F_INOUT, "INOUT" },
		{ VSCSI_F_HOTPLUG, "HOTPLUG" },
		{ VSCSI_F_CHANGE, "CHANGE" },
		{ VSCSI_F_T10_PI, "T10_PI" },
		{ VSCSI_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY" },
		{ VSCSI_F_ANY_LAYOUT, "ANY_LAYOUT" },
		{ VSCSI_F_RING_INDIRECT_DESC, "RING_INDIRECT_DESC" },
		{ VSCSI_F_RING_EVENT_IDX, "RING_EVENT_IDX" },
		{ VSCSI_F_PROTOCOL_FEATURES, "PROTOCOL_FEATURES" },
		{ VSCSI_F_VERSION_1, "VERSION_1" },
		{ VSCSI_F_ACCESS_PLATFORM, "ACCESS_PLATFORM" },
		{ VSCSI_F_RING_PACKED, "RING_PACKED" },
		{ VSCSI_F_IN_ORDER, "IN_ORDER" },
		{ VSCSI_F_ORDER_PLATFORM, "ORDER_PLATFORM" },
		{ VSCSI_F_SR_IOV, "SR_IOV" },
		{ VSCSI_F_NOTIFICATION_DATA, "NOTIFICATION_DATA" },
		{ VSCSI_F_NOTIF_CONFIG_DATA, "NOTIF_CONFIG_DATA" },
		{ VSCSI_F_RING_RESET, "RING_RESET" },
		{ VSCSI_F_ADMIN_VQ, "ADMIN_VQ" },
	};
	static const unsigned unknown[] = { 4, 5, 23, 25, 26, 31, 42, 63, 64,
					    1000, ~0u };
	size_t i;

	/* the numbers themselves, virtio 1.2 5.6.3 and 6 */
	ck_assert_uint_eq(VSCSI_F_T10_PI, 3);
	ck_assert_uint_eq(VSCSI_F_ANY_LAYOUT, 27);
	ck_assert_uint_eq(VSCSI_F_VERSION_1, 32);
	ck_assert_uint_eq(VSCSI_F_RING_RESET, 40);
	for (i = 0; i < ARRAY_LEN(tab); i++)
		ck_assert_str_eq(vscsi_feature_name(tab[i].bit), tab[i].name);
	for (i = 0; i < ARRAY_LEN(unknown); i++)
		ck_assert_ptr_null(vscsi_feature_name(unknown[i]));
}
END_TEST

/* ---------------------------------------------------------------- LUN */

START_TEST(test_lun_decode_vectors)
{
	/* virtio 1.2 5.6.6.1: 1, target, single-level LUN, four zeros */
	static const struct {
		uint8_t raw[8];
		uint8_t kind, target;
		uint16_t lun;
	} tab[] = {
		/* flat space addressing, as Linux writes */
		{ { 1, 0, 0x40, 0x00, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 0, 0 },
		{ { 1, 0, 0x40, 0x01, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 0, 1 },
		{ { 1, 7, 0x40, 0xff, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 7, 255 },
		{ { 1, 255, 0x41, 0x00, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 255, 256 },
		{ { 1, 3, 0x7f, 0xff, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 3, 16383 },
		/* peripheral device addressing, bus 0, as QEMU writes < 256 */
		{ { 1, 0, 0x00, 0x00, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 0, 0 },
		{ { 1, 9, 0x00, 0x01, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 9, 1 },
		{ { 1, 200, 0x00, 0xff, 0, 0, 0, 0 }, VSCSI_LUN_NORMAL, 200, 255 },
		/* REPORT LUNS well-known LU (SPC-5 W-LUN C1 01) in bytes 2-3 */
		{ { 1, 4, 0xc1, 0x01, 0, 0, 0, 0 }, VSCSI_LUN_REPORT_LUNS, 4, 0 },
		/* ... and as the spec's literal text: C1 01 and six zeros */
		{ { 0xc1, 0x01, 0, 0, 0, 0, 0, 0 }, VSCSI_LUN_REPORT_LUNS, 0, 0 },
		/* MALFORMED: byte 0 != 1 (QEMU: BAD_TARGET) */
		{ { 0, 0, 0x40, 0x00, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 0, 0 },
		{ { 2, 1, 0x40, 0x05, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 0xff, 1, 0x40, 0x05, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		/* MALFORMED: bytes 4-7 not zero (each byte) */
		{ { 1, 1, 0x40, 0x05, 1, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 1, 1, 0x40, 0x05, 0, 1, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 1, 1, 0x40, 0x05, 0, 0, 1, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 1, 1, 0x40, 0x05, 0, 0, 0, 0x80 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 1, 1, 0xc1, 0x01, 0, 0, 0, 1 }, VSCSI_LUN_MALFORMED, 1, 0x0101 },
		/* MALFORMED: peripheral with a nonzero bus number */
		{ { 1, 1, 0x01, 0x05, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x105 },
		{ { 1, 1, 0x3f, 0x05, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x3f05 },
		/* MALFORMED: logical unit addressing (10b), extended (11b) */
		{ { 1, 1, 0x80, 0x05, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 5 },
		{ { 1, 1, 0xbf, 0xff, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x3fff },
		{ { 1, 1, 0xc1, 0x00, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x0100 },
		{ { 1, 1, 0xc1, 0x02, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x0102 },
		{ { 1, 1, 0xc0, 0x01, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 1 },
		{ { 1, 1, 0xff, 0xff, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0x3fff },
		/* MALFORMED: literal W-LUN form with anything else nonzero */
		{ { 0xc1, 0x01, 0, 0, 0, 0, 0, 1 }, VSCSI_LUN_MALFORMED, 1, 0 },
		{ { 0xc1, 0x01, 0x40, 0, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 1, 0 },
		{ { 0, 0, 0, 0, 0, 0, 0, 0 }, VSCSI_LUN_MALFORMED, 0, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(tab); i++) {
		vscsi_lun l;

		memset(&l, 0xee, sizeof(l));
		vscsi_lun_decode(tab[i].raw, &l);
		ck_assert_msg(l.kind == tab[i].kind, "row %zu kind %u", i,
			      l.kind);
		ck_assert_msg(l.target == tab[i].target, "row %zu target %u", i,
			      l.target);
		ck_assert_msg(l.lun == tab[i].lun, "row %zu lun %u", i, l.lun);
		ck_assert_mem_eq(l.raw, tab[i].raw, 8);
	}
}
END_TEST

START_TEST(test_lun_every_byte2)
{
	/* byte 2 decides the form: 0x00 and 0x40..0x7F are the only normal
	 * values, 0xC1 (with byte 3 = 1) the W-LUN; everything else bad */
	unsigned b2;

	for (b2 = 0; b2 < 256; b2++) {
		uint8_t raw[8] = { 1, 5, (uint8_t)b2, 0x01, 0, 0, 0, 0 };
		vscsi_lun l;
		uint8_t want;

		if (b2 == 0 || (b2 >= 0x40 && b2 <= 0x7f))
			want = VSCSI_LUN_NORMAL;
		else if (b2 == 0xc1)
			want = VSCSI_LUN_REPORT_LUNS;
		else
			want = VSCSI_LUN_MALFORMED;
		vscsi_lun_decode(raw, &l);
		ck_assert_msg(l.kind == want, "byte 2 = %#x", b2);
	}
}
END_TEST

START_TEST(test_lun_encode)
{
	uint8_t raw[8];
	static const uint8_t linux_5[8] = { 1, 2, 0x40, 0x05, 0, 0, 0, 0 };
	static const uint8_t qemu_5[8] = { 1, 2, 0x00, 0x05, 0, 0, 0, 0 };
	static const uint8_t any_300[8] = { 1, 2, 0x41, 0x2c, 0, 0, 0, 0 };
	static const uint8_t max[8] = { 1, 255, 0x7f, 0xff, 0, 0, 0, 0 };
	static const uint8_t wlun[8] = { 1, 9, 0xc1, 0x01, 0, 0, 0, 0 };

	memset(raw, 0xff, sizeof(raw));
	vscsi_lun_encode(raw, 2, 5, 1);
	ck_assert_mem_eq(raw, linux_5, 8);
	memset(raw, 0xff, sizeof(raw));
	vscsi_lun_encode(raw, 2, 5, 0);
	ck_assert_mem_eq(raw, qemu_5, 8);
	vscsi_lun_encode(raw, 2, 300, 0);
	ck_assert_mem_eq(raw, any_300, 8);
	vscsi_lun_encode(raw, 2, 300, 1);
	ck_assert_mem_eq(raw, any_300, 8);
	vscsi_lun_encode(raw, 255, 16383, 0);
	ck_assert_mem_eq(raw, max, 8);
	/* cut to 14 bits */
	vscsi_lun_encode(raw, 255, 0xffff, 1);
	ck_assert_mem_eq(raw, max, 8);
	memset(raw, 0xff, sizeof(raw));
	vscsi_lun_encode_report_luns(raw, 9);
	ck_assert_mem_eq(raw, wlun, 8);
}
END_TEST

START_TEST(test_lun_round_trip)
{
	static const uint16_t luns[] = { 0, 1, 2, 255, 256, 257, 4095, 16383 };
	unsigned t, flat, l;
	size_t i;

	for (t = 0; t < 256; t++)
		for (flat = 0; flat < 2; flat++)
			for (i = 0; i < ARRAY_LEN(luns); i++) {
				uint8_t raw[8];
				vscsi_lun d;

				vscsi_lun_encode(raw, (uint8_t)t, luns[i],
						 (int)flat);
				vscsi_lun_decode(raw, &d);
				ck_assert_uint_eq(d.kind, VSCSI_LUN_NORMAL);
				ck_assert_uint_eq(d.target, t);
				ck_assert_uint_eq(d.lun, luns[i]);
			}
	/* every 14-bit LUN, both forms */
	for (l = 0; l < 16384; l++)
		for (flat = 0; flat < 2; flat++) {
			uint8_t raw[8];
			vscsi_lun d;

			vscsi_lun_encode(raw, 1, (uint16_t)l, (int)flat);
			vscsi_lun_decode(raw, &d);
			ck_assert_uint_eq(d.kind, VSCSI_LUN_NORMAL);
			ck_assert_uint_eq(d.lun, l);
		}
	for (t = 0; t < 256; t++) {
		uint8_t raw[8];
		vscsi_lun d;

		vscsi_lun_encode_report_luns(raw, (uint8_t)t);
		vscsi_lun_decode(raw, &d);
		ck_assert_uint_eq(d.kind, VSCSI_LUN_REPORT_LUNS);
		ck_assert_uint_eq(d.target, t);
	}
}
END_TEST

/* ------------------------------------------------------- command request */

START_TEST(test_cfg)
{
	vscsi_vs_cfg c, bad;
	vscsi_cmd_req req;
	vscsi_cmd_resp resp;
	uint8_t buf[600];

	vscsi_vs_cfg_default(&c);
	ck_assert_uint_eq(c.features, V1);
	ck_assert_uint_eq(c.cdb_size, 32);
	ck_assert_uint_eq(c.sense_size, 96);
	ck_assert_int_eq(c.legacy_big_endian, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&c), 51);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&c), 108);
	c.features |= F(VSCSI_F_T10_PI);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&c), 59);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&c), 108);

	c = cfg_make(V1, 1, 0, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&c), 20);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&c), 12);
	c = cfg_make(V1, VSCSI_CDB_MAX, VSCSI_SENSE_MAX, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&c), 19 + 256);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&c), 12 + 256);

	/* out of range: cdb_size 0 or > 256, sense_size > 256 */
	memset(buf, 0, sizeof(buf));
	bad = cfg_make(V1, 0, 96, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&bad), 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&bad, buf, sizeof(buf), &req),
			 VSCSI_ERR_CDB_SIZE);
	bad = cfg_make(V1, 257, 96, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&bad), 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&bad, buf, sizeof(buf), &req),
			 VSCSI_ERR_CDB_SIZE);
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&bad, &req, buf, sizeof(buf)),
			 VSCSI_ERR_CDB_SIZE);
	bad = cfg_make(V1, 32, 257, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&bad), 0);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&bad, buf, sizeof(buf), &resp),
			 VSCSI_ERR_CDB_SIZE);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse_iov(&bad, NULL, 0, &resp),
			 VSCSI_ERR_CDB_SIZE);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&bad, NULL, 0, &req),
			 VSCSI_ERR_CDB_SIZE);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&bad, &req, 1000),
			 VSCSI_ERR_CDB_SIZE);
	bad = cfg_make(V1, 0xffffffffu, 0xffffffffu, 0);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(&bad), 0);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(&bad), 0);
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&bad, &resp, buf, sizeof(buf)),
			 VSCSI_ERR_CDB_SIZE);

	/* NULL arguments */
	vscsi_vs_cfg_default(&c);
	ck_assert_uint_eq(vscsi_vs_cmd_req_size(NULL), 0);
	ck_assert_uint_eq(vscsi_vs_cmd_resp_size(NULL), 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(NULL, buf, 60, &req),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, buf, 60, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, NULL, 60, &req),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, NULL, 0, &req),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&c, NULL, 1, &req),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&c, NULL, 0, &req),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, NULL, 5, &resp),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse_iov(&c, NULL, 2, &resp),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, NULL, 200), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, NULL, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c, &resp, NULL, 200),
			 VSCSI_ERR_ARG);
	vscsi_vs_cfg_default(NULL);	/* no crash */
}
END_TEST

START_TEST(test_req_vector_le)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_cmd_req r;

	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_le32, sizeof(req_le32),
						&r), VSCSI_OK);
	ck_assert_uint_eq(r.lun.kind, VSCSI_LUN_NORMAL);
	ck_assert_uint_eq(r.lun.target, 2);
	ck_assert_uint_eq(r.lun.lun, 5);
	ck_assert_uint_eq(r.tag, 0x1122334455667788ull);
	ck_assert_uint_eq(r.task_attr, VSCSI_TASK_ORDERED);
	ck_assert_uint_eq(r.prio, 3);
	ck_assert_uint_eq(r.crn, 7);
	ck_assert_uint_eq(r.has_pi, 0);
	ck_assert_uint_eq(r.pi_bytesout, 0);
	ck_assert_uint_eq(r.cdb_size, 32);
	ck_assert_mem_eq(r.cdb, req_le32 + 19, 32);
	ck_assert_uint_eq(r.cdb[0], 0x28);
	ck_assert_uint_eq(r.hdr_len, 51);
	ck_assert_uint_eq(r.data_out_len, 4);

	/* legacy interface on a little-endian guest reads the same */
	c = cfg_make(0, 32, 96, 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_le32, 51, &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.tag, 0x1122334455667788ull);
	ck_assert_uint_eq(r.data_out_len, 0);
	/* with VERSION_1, legacy_big_endian is ignored */
	c = cfg_make(V1, 32, 96, 1);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_le32, 51, &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.tag, 0x1122334455667788ull);
}
END_TEST

START_TEST(test_req_vector_be)
{
	vscsi_vs_cfg c = cfg_make(0, 32, 96, 1);
	vscsi_cmd_req r;

	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_be32, sizeof(req_be32),
						&r), VSCSI_OK);
	ck_assert_uint_eq(r.tag, 0x1122334455667788ull);
	/* the LUN and CDB are byte arrays: not swapped */
	ck_assert_uint_eq(r.lun.target, 2);
	ck_assert_uint_eq(r.lun.lun, 5);
	ck_assert_mem_eq(r.cdb, req_be32 + 19, 32);
	ck_assert_uint_eq(r.data_out_len, 0);
	/* read as little-endian the id comes out swapped */
	c = cfg_make(V1, 32, 96, 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_be32, 51, &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.tag, 0x8877665544332211ull);
}
END_TEST

START_TEST(test_req_vector_pi)
{
	vscsi_vs_cfg c = cfg_make(V1 | F(VSCSI_F_T10_PI), 16, 96, 0);
	vscsi_cmd_req r;

	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_pi16, sizeof(req_pi16),
						&r), VSCSI_OK);
	ck_assert_uint_eq(r.has_pi, 1);
	ck_assert_uint_eq(r.pi_bytesout, 64);
	ck_assert_uint_eq(r.pi_bytesin, 0);
	ck_assert_uint_eq(r.cdb_size, 16);
	ck_assert_uint_eq(r.cdb[0], 0x8a);
	ck_assert_uint_eq(r.cdb[13], 0x08);
	ck_assert_mem_eq(r.cdb, req_pi16 + 27, 16);
	ck_assert_uint_eq(r.hdr_len, 43);
	ck_assert_uint_eq(r.tag, 1);
	ck_assert_uint_eq(r.lun.lun, 0);
	ck_assert_uint_eq(r.data_out_len, sizeof(req_pi16) - 43);

	/* without T10_PI the same bytes read the PI words as CDB */
	c.features = V1;
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_pi16, sizeof(req_pi16),
						&r), VSCSI_OK);
	ck_assert_uint_eq(r.has_pi, 0);
	ck_assert_uint_eq(r.cdb[0], 0x40);
	ck_assert_uint_eq(r.hdr_len, 35);

	/* big-endian legacy PI header */
	{
		static const uint8_t be[19 + 8 + 6] = {
			1, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
			0, 0, 0,
			0x00, 0x00, 0x01, 0x00,	/* pi_bytesout 256 */
			0x00, 0x00, 0x00, 0x20,	/* pi_bytesin 32 */
			0x12, 0, 0, 0, 0x60, 0,	/* INQUIRY */
		};

		c = cfg_make(F(VSCSI_F_T10_PI), 6, 96, 1);
		ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, be, sizeof(be),
							&r), VSCSI_OK);
		ck_assert_uint_eq(r.tag, 2);
		ck_assert_uint_eq(r.pi_bytesout, 256);
		ck_assert_uint_eq(r.pi_bytesin, 32);
		ck_assert_uint_eq(r.cdb[0], 0x12);
		ck_assert_uint_eq(r.cdb[4], 0x60);
		ck_assert_uint_eq(r.data_out_len, 0);
	}
}
END_TEST

START_TEST(test_req_cdb_sizes)
{
	static const uint32_t sizes[] = { 1, 6, 10, 12, 16, 32, 33, 255, 256 };
	uint8_t buf[19 + 8 + 256 + 10];
	size_t i, k;

	for (k = 0; k < sizeof(buf); k++)
		buf[k] = (uint8_t)(k * 7 + 1);
	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		vscsi_vs_cfg c = cfg_make(V1, sizes[i], 96, 0);
		vscsi_cmd_req r;
		size_t hdr = 19 + sizes[i];

		ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, buf, hdr + 3, &r),
				 VSCSI_OK);
		ck_assert_uint_eq(r.cdb_size, sizes[i]);
		ck_assert_uint_eq(r.hdr_len, hdr);
		ck_assert_mem_eq(r.cdb, buf + 19, sizes[i]);
		for (k = sizes[i]; k < VSCSI_CDB_MAX; k++)
			ck_assert_uint_eq(r.cdb[k], 0);
		ck_assert_uint_eq(r.data_out_len, 3);
		ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, buf, hdr - 1, &r),
				 VSCSI_ERR_TRUNCATED);
	}
}
END_TEST

/* Every length below the header truncates; the header alone parses. */
static void req_truncation(const vscsi_vs_cfg *c, const uint8_t *b,
			   size_t size)
{
	size_t len;

	for (len = 0; len < size; len++) {
		vscsi_cmd_req r;
		int rc = vscsi_vs_cmd_req_parse(c, b, len, &r);

		ck_assert_msg(rc == VSCSI_ERR_TRUNCATED, "len %zu rc %d", len,
			      rc);
		ck_assert_uint_eq(r.hdr_len, size);
		ck_assert_uint_eq(r.data_out_len, 0);
		/* fields wholly present are kept, the rest zero */
		ck_assert_uint_eq(r.lun.raw[0], len >= 8 ? b[0] : 0);
		ck_assert_uint_eq(r.task_attr, len >= 17 ? b[16] : 0);
		ck_assert_uint_eq(r.cdb_size, 0);
	}
	{
		vscsi_cmd_req r;

		ck_assert_int_eq(vscsi_vs_cmd_req_parse(c, b, size, &r),
				 VSCSI_OK);
		ck_assert_uint_eq(r.data_out_len, 0);
	}
}

START_TEST(test_req_truncation)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);

	req_truncation(&c, req_le32, 51);
	c = cfg_make(0, 32, 96, 1);
	req_truncation(&c, req_be32, 51);
	c = cfg_make(V1 | F(VSCSI_F_T10_PI), 16, 96, 0);
	req_truncation(&c, req_pi16, 43);
	{
		vscsi_cmd_req r;

		/* truncated inside the PI words: tag there, PI zero */
		ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, req_pi16, 25, &r),
				 VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(r.tag, 1);
		ck_assert_uint_eq(r.pi_bytesout, 64);
		ck_assert_uint_eq(r.pi_bytesin, 0);
		ck_assert_uint_eq(r.lun.kind, VSCSI_LUN_NORMAL);
	}
}
END_TEST

START_TEST(test_req_splits)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);

	check_splits(W_REQ, &c, req_le32, sizeof(req_le32));
	check_splits(W_REQ, &c, req_le32, 30);	/* truncated */
	c = cfg_make(0, 32, 96, 1);
	check_splits(W_REQ, &c, req_be32, sizeof(req_be32));
	c = cfg_make(V1 | F(VSCSI_F_T10_PI), 16, 96, 0);
	check_splits(W_REQ, &c, req_pi16, sizeof(req_pi16));
	check_splits(W_REQ, &c, req_pi16, 40);
	c = cfg_make(V1, 1, 96, 0);
	check_splits(W_REQ, &c, req_le32, 20);
}
END_TEST

START_TEST(test_req_iov_data_out)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	uint8_t data[4096];
	struct iovec iov[4];
	vscsi_cmd_req r;

	memset(data, 0, sizeof(data));
	/* Linux: one header descriptor, then data-out */
	iov[0].iov_base = (void *)(uintptr_t)req_le32;
	iov[0].iov_len = 51;
	iov[1].iov_base = data;
	iov[1].iov_len = 4096;
	iov[2].iov_base = data;
	iov[2].iov_len = 512;
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&c, iov, 3, &r), VSCSI_OK);
	ck_assert_uint_eq(r.data_out_len, 4096 + 512);
	ck_assert_uint_eq(r.tag, 0x1122334455667788ull);
	/* a first descriptor longer than the header: the rest is data-out */
	iov[0].iov_len = sizeof(req_le32);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&c, iov, 1, &r), VSCSI_OK);
	ck_assert_uint_eq(r.data_out_len, 4);
	/* no iovecs */
	ck_assert_int_eq(vscsi_vs_cmd_req_parse_iov(&c, iov, 0, &r),
			 VSCSI_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_check_dir)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_cmd_req r;

	memset(&r, 0, sizeof(r));
	/* 5.6.6.1: data-out and data-in at once need INOUT */
	r.data_out_len = 0;
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 108), VSCSI_OK);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 108 + 4096), VSCSI_OK);
	r.data_out_len = 512;
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 108), VSCSI_OK);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 109), VSCSI_ERR_INOUT);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, UINT64_MAX),
			 VSCSI_ERR_INOUT);
	r.data_out_len = 1;
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 200), VSCSI_ERR_INOUT);
	c.features |= F(VSCSI_F_INOUT);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 200), VSCSI_OK);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, UINT64_MAX), VSCSI_OK);
	/* no room for the response header */
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 107),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 0),
			 VSCSI_ERR_TRUNCATED);
	/* the response size follows sense_size */
	c = cfg_make(V1, 32, 0, 0);
	r.data_out_len = 5;
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 12), VSCSI_OK);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 13), VSCSI_ERR_INOUT);
	ck_assert_int_eq(vscsi_vs_cmd_check_dir(&c, &r, 11),
			 VSCSI_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_req_build)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_cmd_req r, back;
	uint8_t out[64];

	/* build the spec vector from its fields */
	memset(&r, 0, sizeof(r));
	vscsi_lun_encode(r.lun.raw, 2, 5, 1);
	r.tag = 0x1122334455667788ull;
	r.task_attr = VSCSI_TASK_ORDERED;
	r.prio = 3;
	r.crn = 7;
	memcpy(r.cdb, req_le32 + 19, 10);
	r.cdb_size = 10;
	memset(out, 0xcc, sizeof(out));
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, &r, out, sizeof(out)), 51);
	ck_assert_mem_eq(out, req_le32, 51);
	ck_assert_uint_eq(out[51], 0xcc);	/* nothing past the header */
	c = cfg_make(0, 32, 96, 1);
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, &r, out, 51), 51);
	ck_assert_mem_eq(out, req_be32, 51);

	/* too small, CDB bigger than cdb_size */
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, &r, out, 50),
			 VSCSI_ERR_NOSPACE);
	c = cfg_make(V1, 6, 96, 0);
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, &r, out, sizeof(out)),
			 VSCSI_ERR_CDB_SIZE);

	/* PI header: build then parse gives the fields back */
	c = cfg_make(V1 | F(VSCSI_F_T10_PI), 16, 96, 0);
	r.pi_bytesout = 0x01020304;
	r.pi_bytesin = 0x0a0b0c0d;
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c, &r, out, sizeof(out)), 43);
	ck_assert_uint_eq(out[19], 0x04);
	ck_assert_uint_eq(out[23], 0x0d);
	ck_assert_int_eq(vscsi_vs_cmd_req_parse(&c, out, 43, &back), VSCSI_OK);
	ck_assert_uint_eq(back.pi_bytesout, 0x01020304);
	ck_assert_uint_eq(back.pi_bytesin, 0x0a0b0c0d);
	ck_assert_mem_eq(back.cdb, r.cdb, 10);
	ck_assert_uint_eq(back.cdb_size, 16);
}
END_TEST

START_TEST(test_req_round_trip)
{
	static const uint64_t feats[] = {
		V1, V1 | F(VSCSI_F_T10_PI), 0, F(VSCSI_F_T10_PI),
		V1 | F(VSCSI_F_INOUT) | F(VSCSI_F_ANY_LAYOUT),
	};
	static const uint32_t cdbs[] = { 1, 6, 16, 32, 256 };
	size_t f, s, be;

	for (f = 0; f < ARRAY_LEN(feats); f++)
		for (s = 0; s < ARRAY_LEN(cdbs); s++)
			for (be = 0; be < 2; be++) {
				vscsi_vs_cfg c = cfg_make(feats[f], cdbs[s],
							  96, (int)be);
				vscsi_cmd_req r, back;
				uint8_t out[300];
				int n;
				uint32_t k;

				memset(&r, 0, sizeof(r));
				vscsi_lun_encode(r.lun.raw, (uint8_t)(f + s),
						 (uint16_t)(300 * s), (int)be);
				vscsi_lun_decode(r.lun.raw, &r.lun);
				r.tag = 0x0123456789abcdefull ^ f ^ (s << 8);
				r.task_attr = (uint8_t)s;
				r.prio = (uint8_t)f;
				r.crn = 0xff;
				r.cdb_size = (uint16_t)cdbs[s];
				for (k = 0; k < cdbs[s]; k++)
					r.cdb[k] = (uint8_t)(k + 1);
				if (feats[f] & F(VSCSI_F_T10_PI)) {
					r.has_pi = 1;
					r.pi_bytesout = 0xfffffff0u;
					r.pi_bytesin = 8;
				}
				n = vscsi_vs_cmd_req_build(&c, &r, out,
							   sizeof(out));
				ck_assert_int_eq(n, (int)vscsi_vs_cmd_req_size(&c));
				r.hdr_len = (uint32_t)n;
				r.data_out_len = 0;
				ck_assert_int_eq(vscsi_vs_cmd_req_parse(
					&c, out, (size_t)n, &back), VSCSI_OK);
				req_eq(&r, &back);
			}
}
END_TEST

/* ------------------------------------------------------ command response */

START_TEST(test_resp_vector)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_cmd_resp r;

	resp_le96_init();
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, resp_le96,
						 sizeof(resp_le96), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_len, 18);
	ck_assert_uint_eq(r.resid, 512);
	ck_assert_uint_eq(r.status_qualifier, 0x0102);
	ck_assert_uint_eq(r.status, 0x02);
	ck_assert_uint_eq(r.response, VSCSI_S_OK);
	ck_assert_uint_eq(r.sense_copied, 18);
	ck_assert_mem_eq(r.sense, resp_le96 + 12, 18);
	ck_assert_uint_eq(r.sense[12], 0x3a);
	ck_assert_uint_eq(r.sense[18], 0);	/* not copied */
	ck_assert_uint_eq(r.hdr_len, 108);
	ck_assert_uint_eq(r.data_in_len, 2);
}
END_TEST

START_TEST(test_resp_sense_len)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	uint8_t b[108];
	vscsi_cmd_resp r;
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	/* sense_len claims 200 (> sense_size 96): keep 96, keep the claim */
	b[0] = 200; b[1] = 0; b[2] = 0; b[3] = 0;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_len, 200);
	ck_assert_uint_eq(r.sense_copied, 96);
	ck_assert_mem_eq(r.sense, b + 12, 96);
	/* huge claim */
	b[0] = 0xff; b[1] = 0xff; b[2] = 0xff; b[3] = 0xff;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_len, 0xffffffffu);
	ck_assert_uint_eq(r.sense_copied, 96);
	/* exactly sense_size, zero */
	b[0] = 96; b[1] = b[2] = b[3] = 0;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_copied, 96);
	b[0] = 0;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_copied, 0);
	ck_assert_uint_eq(r.sense[0], 0);
	/* sense_size 0: the header is 12 bytes and no sense is kept */
	c = cfg_make(V1, 32, 0, 0);
	b[0] = 18;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_len, 18);
	ck_assert_uint_eq(r.sense_copied, 0);
	ck_assert_uint_eq(r.hdr_len, 12);
	ck_assert_uint_eq(r.data_in_len, 96);
	/* legacy big-endian */
	c = cfg_make(0, 32, 96, 1);
	b[0] = 0; b[1] = 0; b[2] = 0; b[3] = 20;
	b[8] = 0x12; b[9] = 0x34;
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.sense_len, 20);
	ck_assert_uint_eq(r.sense_copied, 20);
	ck_assert_uint_eq(r.resid, 0x04050607);
	ck_assert_uint_eq(r.status_qualifier, 0x1234);
}
END_TEST

START_TEST(test_resp_truncation)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	size_t len;

	resp_le96_init();
	for (len = 0; len < 108; len++) {
		vscsi_cmd_resp r;

		ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, resp_le96, len,
							 &r),
				 VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(r.hdr_len, 108);
		ck_assert_uint_eq(r.data_in_len, 0);
		if (len >= 12) {
			/* fixed part kept, sense as far as it goes */
			ck_assert_uint_eq(r.sense_len, 18);
			ck_assert_uint_eq(r.status, 2);
			ck_assert_uint_eq(r.sense_copied,
					  len - 12 < 18 ? len - 12 : 18);
		} else {
			/* fields wholly present are kept */
			ck_assert_uint_eq(r.sense_copied, 0);
			ck_assert_uint_eq(r.sense_len, len >= 4 ? 18 : 0);
			ck_assert_uint_eq(r.status, len >= 11 ? 2 : 0);
			ck_assert_uint_eq(r.response, 0);
		}
	}
	check_splits(W_RESP, &c, resp_le96, sizeof(resp_le96));
	check_splits(W_RESP, &c, resp_le96, 20);
	c = cfg_make(0, 32, 8, 1);
	check_splits(W_RESP, &c, resp_le96, 30);
}
END_TEST

START_TEST(test_resp_build)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_cmd_resp r, back;
	uint8_t out[300];
	size_t i;

	resp_le96_init();
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, resp_le96, 108, &r),
			 VSCSI_OK);
	memset(out, 0xcc, sizeof(out));
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c, &r, out, sizeof(out)),
			 108);
	ck_assert_mem_eq(out, resp_le96, 108);
	ck_assert_uint_eq(out[108], 0xcc);
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c, &r, out, 107),
			 VSCSI_ERR_NOSPACE);

	/* sense cut to sense_size, sense_len set to what was written */
	memset(&r, 0, sizeof(r));
	r.sense_len = 200;
	for (i = 0; i < VSCSI_SENSE_MAX; i++)
		r.sense[i] = (uint8_t)(i + 1);
	r.status = 2;
	r.response = VSCSI_S_TARGET_FAILURE;
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c, &r, out, sizeof(out)),
			 108);
	ck_assert_uint_eq(out[0], 96);
	ck_assert_uint_eq(out[11], VSCSI_S_TARGET_FAILURE);
	ck_assert_int_eq(vscsi_vs_cmd_resp_parse(&c, out, 108, &back),
			 VSCSI_OK);
	ck_assert_uint_eq(back.sense_len, 96);
	ck_assert_uint_eq(back.sense_copied, 96);
	ck_assert_mem_eq(back.sense, r.sense, 96);
	/* short sense: the rest of the area is zero */
	r.sense_len = 4;
	memset(out, 0xcc, sizeof(out));
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c, &r, out, sizeof(out)),
			 108);
	ck_assert_uint_eq(out[12 + 3], 4);
	ck_assert_uint_eq(out[12 + 4], 0);
	ck_assert_uint_eq(out[107], 0);
}
END_TEST

START_TEST(test_resp_round_trip)
{
	static const uint32_t senses[] = { 0, 1, 18, 96, 252, 256 };
	size_t s, be, sl;

	for (s = 0; s < ARRAY_LEN(senses); s++)
		for (be = 0; be < 2; be++)
			for (sl = 0; sl < 300; sl += 37) {
				vscsi_vs_cfg c = cfg_make(be ? 0 : V1, 32,
							  senses[s], (int)be);
				vscsi_cmd_resp r, back;
				uint8_t out[12 + 256];
				size_t i;
				int n;

				memset(&r, 0, sizeof(r));
				r.sense_len = (uint32_t)sl;
				r.resid = 0x80000001u;
				r.status_qualifier = 0xbeef;
				r.status = 0x18;
				r.response = (uint8_t)(s + be);
				for (i = 0; i < VSCSI_SENSE_MAX; i++)
					r.sense[i] = (uint8_t)(i ^ 0x5a);
				n = vscsi_vs_cmd_resp_build(&c, &r, out,
							    sizeof(out));
				ck_assert_int_eq(n, (int)(12 + senses[s]));
				ck_assert_int_eq(vscsi_vs_cmd_resp_parse(
					&c, out, (size_t)n, &back), VSCSI_OK);
				ck_assert_uint_eq(back.sense_len,
						  sl < senses[s] ? sl : senses[s]);
				ck_assert_uint_eq(back.sense_copied,
						  back.sense_len);
				ck_assert_mem_eq(back.sense, r.sense,
						 back.sense_copied);
				ck_assert_uint_eq(back.resid, r.resid);
				ck_assert_uint_eq(back.status_qualifier, 0xbeef);
				ck_assert_uint_eq(back.status, 0x18);
				ck_assert_uint_eq(back.response, r.response);
			}
}
END_TEST

/* --------------------------------------------------------- control queue */

START_TEST(test_ctrl_tmf)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_ctrl_req r;
	uint8_t b[24];
	unsigned st;
	size_t len;

	ck_assert_uint_eq(vscsi_vs_ctrl_req_size(VSCSI_T_TMF), 24);
	ck_assert_uint_eq(vscsi_vs_ctrl_resp_size(VSCSI_T_TMF), 1);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, tmf_le, sizeof(tmf_le),
						 &r), VSCSI_OK);
	ck_assert_uint_eq(r.type, VSCSI_T_TMF);
	ck_assert_uint_eq(r.subtype, VSCSI_TMF_ABORT_TASK);
	ck_assert_uint_eq(r.lun.kind, VSCSI_LUN_NORMAL);
	ck_assert_uint_eq(r.lun.target, 1);
	ck_assert_uint_eq(r.lun.lun, 2);
	ck_assert_uint_eq(r.tag, 0x0102030405060708ull);
	ck_assert_uint_eq(r.hdr_len, 24);
	ck_assert_uint_eq(r.event_requested, 0);

	/* every subtype, and unknown ones, parse */
	memcpy(b, tmf_le, sizeof(b));
	for (st = 0; st < 10; st++) {
		b[4] = (uint8_t)st;
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b, sizeof(b), &r),
				 VSCSI_OK);
		ck_assert_uint_eq(r.subtype, st);
	}
	b[4] = 0xff; b[5] = 0xff; b[6] = 0xff; b[7] = 0xff;
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.subtype, 0xffffffffu);
	ck_assert_ptr_null(vscsi_tmf_name(r.subtype));

	/* truncation at every offset */
	for (len = 0; len < 24; len++) {
		int rc = vscsi_vs_ctrl_req_parse(&c, tmf_le, len, &r);

		ck_assert_int_eq(rc, VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(r.tag, 0);
		if (len >= 4)
			ck_assert_uint_eq(r.hdr_len, 24);
	}
	check_splits(W_CTRL, &c, tmf_le, sizeof(tmf_le));
	check_splits(W_CTRL, &c, tmf_le, 13);

	/* legacy big-endian I_T NEXUS RESET */
	{
		static const uint8_t be[24] = {
			0, 0, 0, 0, 0, 0, 0, 4,
			1, 3, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 1, 0,
		};

		c = cfg_make(0, 32, 96, 1);
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, be, 24, &r),
				 VSCSI_OK);
		ck_assert_uint_eq(r.subtype, VSCSI_TMF_I_T_NEXUS_RESET);
		ck_assert_uint_eq(r.lun.target, 3);
		ck_assert_uint_eq(r.lun.kind, VSCSI_LUN_NORMAL);
		ck_assert_uint_eq(r.tag, 256);
	}
}
END_TEST

START_TEST(test_ctrl_an)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	vscsi_ctrl_req r;
	uint8_t b[16];
	size_t len;

	ck_assert_uint_eq(vscsi_vs_ctrl_req_size(VSCSI_T_AN_QUERY), 16);
	ck_assert_uint_eq(vscsi_vs_ctrl_req_size(VSCSI_T_AN_SUBSCRIBE), 16);
	ck_assert_uint_eq(vscsi_vs_ctrl_resp_size(VSCSI_T_AN_QUERY), 5);
	ck_assert_uint_eq(vscsi_vs_ctrl_resp_size(VSCSI_T_AN_SUBSCRIBE), 5);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, an_le, sizeof(an_le), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.type, VSCSI_T_AN_SUBSCRIBE);
	ck_assert_uint_eq(r.event_requested, VSCSI_EVT_ASYNC_MEDIA_CHANGE |
						 VSCSI_EVT_ASYNC_DEVICE_BUSY);
	ck_assert_uint_eq(r.lun.kind, VSCSI_LUN_NORMAL);
	ck_assert_uint_eq(r.lun.target, 0);
	ck_assert_uint_eq(r.subtype, 0);
	ck_assert_uint_eq(r.tag, 0);
	ck_assert_uint_eq(r.hdr_len, 16);

	memcpy(b, an_le, sizeof(b));
	b[0] = VSCSI_T_AN_QUERY;
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b, sizeof(b), &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.type, VSCSI_T_AN_QUERY);
	ck_assert_uint_eq(r.event_requested, 0x50);

	for (len = 0; len < 16; len++) {
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, an_le, len, &r),
				 VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(r.event_requested, 0);
		ck_assert_uint_eq(r.type, len >= 4 ? VSCSI_T_AN_SUBSCRIBE : 0);
	}
	/* extra bytes after the AN request are ignored */
	{
		uint8_t big[24];

		memset(big, 0xff, sizeof(big));
		memcpy(big, an_le, 16);
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, big, 24, &r),
				 VSCSI_OK);
		ck_assert_uint_eq(r.event_requested, 0x50);
	}
	check_splits(W_CTRL, &c, an_le, sizeof(an_le));
	check_splits(W_CTRL, &c, an_le, 9);
}
END_TEST

START_TEST(test_ctrl_unknown_type)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	static const uint8_t b[24] = { 3, 0, 0, 0 };
	static const uint8_t b2[4] = { 0xff, 0xff, 0xff, 0x7f };
	vscsi_ctrl_req r;
	vscsi_ctrl_resp resp;
	uint8_t out[32];

	ck_assert_uint_eq(vscsi_vs_ctrl_req_size(3), 0);
	ck_assert_uint_eq(vscsi_vs_ctrl_resp_size(3), 0);
	ck_assert_uint_eq(vscsi_vs_ctrl_req_size(~0u), 0);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b, sizeof(b), &r),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(r.type, 3);
	ck_assert_uint_eq(r.hdr_len, 4);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b2, sizeof(b2), &r),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(r.type, 0x7fffffffu);
	check_splits(W_CTRL, &c, b, sizeof(b));
	check_splits(W_CTRL, &c, b2, 3);

	memset(out, 0, sizeof(out));
	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, 3, out, 5, &resp),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(resp.type, 3);
	memset(&r, 0, sizeof(r));
	r.type = 3;
	ck_assert_int_eq(vscsi_vs_ctrl_req_build(&c, &r, out, sizeof(out)),
			 VSCSI_ERR_ARG);
	memset(&resp, 0, sizeof(resp));
	resp.type = 99;
	ck_assert_int_eq(vscsi_vs_ctrl_resp_build(&c, &resp, out, sizeof(out)),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(NULL, b, 24, &r),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, b, 24, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_ctrl_req_parse_iov(&c, NULL, 1, &r),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, 0, NULL, 1, &resp),
			 VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_ctrl_resp)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	/* 5.6.6.2 TMF response: u8 response; AN: le32 event_actual, u8 */
	static const uint8_t tmf[1] = { VSCSI_S_FUNCTION_SUCCEEDED };
	static const uint8_t an[5] = { 0x10, 0, 0, 0, VSCSI_S_OK };
	static const uint8_t an_be[5] = { 0, 0, 0, 0x10, VSCSI_S_BAD_TARGET };
	vscsi_ctrl_resp r;
	uint8_t out[8];
	size_t len;
	unsigned code;

	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, VSCSI_T_TMF, tmf, 1, &r),
			 VSCSI_OK);
	ck_assert_uint_eq(r.type, VSCSI_T_TMF);
	ck_assert_uint_eq(r.response, VSCSI_S_FUNCTION_SUCCEEDED);
	ck_assert_uint_eq(r.hdr_len, 1);
	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, VSCSI_T_TMF, tmf, 0, &r),
			 VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, VSCSI_T_AN_QUERY, an, 5,
						  &r), VSCSI_OK);
	ck_assert_uint_eq(r.event_actual, VSCSI_EVT_ASYNC_MEDIA_CHANGE);
	ck_assert_uint_eq(r.response, VSCSI_S_OK);
	ck_assert_uint_eq(r.hdr_len, 5);
	for (len = 0; len < 5; len++)
		ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(
			&c, VSCSI_T_AN_SUBSCRIBE, an, len, &r),
			VSCSI_ERR_TRUNCATED);
	c = cfg_make(0, 32, 96, 1);
	ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, VSCSI_T_AN_SUBSCRIBE,
						  an_be, 5, &r), VSCSI_OK);
	ck_assert_uint_eq(r.event_actual, 0x10);
	ck_assert_uint_eq(r.response, VSCSI_S_BAD_TARGET);

	/* build: every response code for TMF, both AN types */
	c = cfg_make(V1, 32, 96, 0);
	for (code = 0; code <= VSCSI_S_INCORRECT_LUN; code++) {
		vscsi_ctrl_resp in, back;

		memset(&in, 0, sizeof(in));
		in.type = VSCSI_T_TMF;
		in.response = (uint8_t)code;
		memset(out, 0xcc, sizeof(out));
		ck_assert_int_eq(vscsi_vs_ctrl_resp_build(&c, &in, out, 1), 1);
		ck_assert_uint_eq(out[0], code);
		ck_assert_uint_eq(out[1], 0xcc);
		ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, VSCSI_T_TMF, out,
							  1, &back), VSCSI_OK);
		ck_assert_uint_eq(back.response, code);
		ck_assert_ptr_nonnull(vscsi_vs_response_name(code, 1));

		in.type = code & 1 ? VSCSI_T_AN_QUERY : VSCSI_T_AN_SUBSCRIBE;
		in.event_actual = 0x7eu << code;
		ck_assert_int_eq(vscsi_vs_ctrl_resp_build(&c, &in, out, 5), 5);
		ck_assert_int_eq(vscsi_vs_ctrl_resp_parse(&c, in.type, out, 5,
							  &back), VSCSI_OK);
		ck_assert_uint_eq(back.event_actual, in.event_actual);
		ck_assert_uint_eq(back.response, code);
		ck_assert_uint_eq(back.type, in.type);
		ck_assert_int_eq(vscsi_vs_ctrl_resp_build(&c, &in, out, 4),
				 VSCSI_ERR_NOSPACE);
	}
	{
		vscsi_ctrl_resp in;

		memset(&in, 0, sizeof(in));
		ck_assert_int_eq(vscsi_vs_ctrl_resp_build(&c, &in, out, 0),
				 VSCSI_ERR_NOSPACE);
	}
}
END_TEST

START_TEST(test_ctrl_req_round_trip)
{
	static const uint32_t types[] = {
		VSCSI_T_TMF, VSCSI_T_AN_QUERY, VSCSI_T_AN_SUBSCRIBE,
	};
	size_t t, be, st;

	for (t = 0; t < ARRAY_LEN(types); t++)
		for (be = 0; be < 2; be++)
			for (st = 0; st <= VSCSI_TMF_QUERY_TASK_SET; st++) {
				vscsi_vs_cfg c = cfg_make(be ? 0 : V1, 32, 96,
							  (int)be);
				vscsi_ctrl_req r, back;
				uint8_t out[32];
				int n;

				memset(&r, 0, sizeof(r));
				r.type = types[t];
				vscsi_lun_encode(r.lun.raw, (uint8_t)st,
						 (uint16_t)(st * 1000), 1);
				vscsi_lun_decode(r.lun.raw, &r.lun);
				if (types[t] == VSCSI_T_TMF) {
					r.subtype = (uint32_t)st;
					r.tag = 0xfedcba9876543210ull + st;
				} else {
					r.event_requested = (uint32_t)(2u << st);
				}
				r.hdr_len = vscsi_vs_ctrl_req_size(types[t]);
				n = vscsi_vs_ctrl_req_build(&c, &r, out,
							    sizeof(out));
				ck_assert_int_eq(n, (int)r.hdr_len);
				ck_assert_int_eq(vscsi_vs_ctrl_req_build(
					&c, &r, out, (size_t)n - 1),
					VSCSI_ERR_NOSPACE);
				ck_assert_int_eq(vscsi_vs_ctrl_req_parse(
					&c, out, (size_t)n, &back), VSCSI_OK);
				ctrl_eq(&r, &back);
			}
	{
		vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
		vscsi_ctrl_req r;
		uint8_t out[24];

		/* the TMF vector back from its fields */
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, tmf_le, 24, &r),
				 VSCSI_OK);
		ck_assert_int_eq(vscsi_vs_ctrl_req_build(&c, &r, out, 24), 24);
		ck_assert_mem_eq(out, tmf_le, 24);
		ck_assert_int_eq(vscsi_vs_ctrl_req_parse(&c, an_le, 16, &r),
				 VSCSI_OK);
		ck_assert_int_eq(vscsi_vs_ctrl_req_build(&c, &r, out, 24), 16);
		ck_assert_mem_eq(out, an_le, 16);
	}
}
END_TEST

/* ------------------------------------------------------------- events */

START_TEST(test_events)
{
	vscsi_vs_cfg c = cfg_make(V1, 32, 96, 0);
	/* 5.6.6.3: le32 event, u8 lun[8], le32 reason */
	static const struct {
		uint8_t b[16];
		uint32_t event, reason;
		uint8_t kind, target;
		uint16_t lun;
	} tab[] = {
		/* QEMU's NO_EVENT with EVENTS_MISSED: all-zero LUN */
		{ { 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		  VSCSI_EVT_EVENTS_MISSED | VSCSI_EVT_NO_EVENT, 0,
		  VSCSI_LUN_MALFORMED, 0, 0 },
		/* hot-plug: TRANSPORT_RESET / RESCAN on target 1 LUN 0
		 * (QEMU peripheral form for LUN < 256) */
		{ { 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },
		  VSCSI_EVT_TRANSPORT_RESET, VSCSI_EVT_RESET_RESCAN,
		  VSCSI_LUN_NORMAL, 1, 0 },
		/* hot-unplug: REMOVED, LUN 300 (flat form), events missed */
		{ { 1, 0, 0, 0x80, 1, 2, 0x41, 0x2c, 0, 0, 0, 0, 2, 0, 0, 0 },
		  VSCSI_EVT_EVENTS_MISSED | VSCSI_EVT_TRANSPORT_RESET,
		  VSCSI_EVT_RESET_REMOVED, VSCSI_LUN_NORMAL, 2, 300 },
		{ { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		  VSCSI_EVT_TRANSPORT_RESET, VSCSI_EVT_RESET_HARD,
		  VSCSI_LUN_NORMAL, 0, 0 },
		/* ASYNC_NOTIFY, MEDIA_CHANGE on a CD-ROM */
		{ { 2, 0, 0, 0, 1, 0, 0, 3, 0, 0, 0, 0, 0x10, 0, 0, 0 },
		  VSCSI_EVT_ASYNC_NOTIFY, VSCSI_EVT_ASYNC_MEDIA_CHANGE,
		  VSCSI_LUN_NORMAL, 0, 3 },
		/* PARAM_CHANGE: CAPACITY DATA HAS CHANGED, asc 0x2A ascq 0x09:
		 * reason = asc | ascq << 8 (spec 5.6.6.3, QEMU
		 * virtio_scsi_change) */
		{ { 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0x09, 0, 0 },
		  VSCSI_EVT_PARAM_CHANGE, 0x092a, VSCSI_LUN_NORMAL, 0, 0 },
		/* an unknown event value still parses */
		{ { 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff },
		  9, 0xffffffffu, VSCSI_LUN_NORMAL, 0, 0 },
	};
	size_t i, len;

	for (i = 0; i < ARRAY_LEN(tab); i++) {
		vscsi_event e;
		uint8_t out[20];

		ck_assert_int_eq(vscsi_vs_event_parse(&c, tab[i].b, 16, &e),
				 VSCSI_OK);
		ck_assert_uint_eq(e.event, tab[i].event);
		ck_assert_uint_eq(e.reason, tab[i].reason);
		ck_assert_uint_eq(e.lun.kind, tab[i].kind);
		ck_assert_uint_eq(e.lun.target, tab[i].target);
		ck_assert_uint_eq(e.lun.lun, tab[i].lun);
		/* longer buffers (event_info_size) are fine */
		memset(out, 0xee, sizeof(out));
		memcpy(out, tab[i].b, 16);
		ck_assert_int_eq(vscsi_vs_event_parse(&c, out, 20, &e),
				 VSCSI_OK);
		ck_assert_uint_eq(e.event, tab[i].event);
		/* build back to the same bytes */
		memset(out, 0xcc, sizeof(out));
		ck_assert_int_eq(vscsi_vs_event_build(&c, &e, out, sizeof(out)),
				 16);
		ck_assert_mem_eq(out, tab[i].b, 16);
		ck_assert_uint_eq(out[16], 0xcc);
		ck_assert_int_eq(vscsi_vs_event_build(&c, &e, out, 15),
				 VSCSI_ERR_NOSPACE);
		for (len = 0; len < 16; len++) {
			ck_assert_int_eq(vscsi_vs_event_parse(&c, tab[i].b,
							      len, &e),
					 VSCSI_ERR_TRUNCATED);
			ck_assert_uint_eq(e.reason, 0);
			ck_assert_uint_eq(e.event,
					  len >= 4 ? tab[i].event : 0);
		}
	}
	/* PARAM_CHANGE names: asc in bits 0-7, ascq in 8-15 */
	{
		vscsi_event e;

		ck_assert_int_eq(vscsi_vs_event_parse(&c, tab[5].b, 16, &e),
				 VSCSI_OK);
		ck_assert_uint_eq(e.reason & 0xff, 0x2a);
		ck_assert_uint_eq((e.reason >> 8) & 0xff, 0x09);
		ck_assert_str_eq(vscsi_event_name(e.event), "PARAM_CHANGE");
	}
	/* legacy big-endian */
	{
		static const uint8_t be[16] = {
			0x80, 0, 0, 1, 1, 4, 0x40, 7, 0, 0, 0, 0, 0, 0, 0, 2,
		};
		vscsi_event e;
		uint8_t out[16];

		c = cfg_make(0, 32, 96, 1);
		ck_assert_int_eq(vscsi_vs_event_parse(&c, be, 16, &e),
				 VSCSI_OK);
		ck_assert_uint_eq(e.event, VSCSI_EVT_EVENTS_MISSED |
					   VSCSI_EVT_TRANSPORT_RESET);
		ck_assert_uint_eq(e.reason, VSCSI_EVT_RESET_REMOVED);
		ck_assert_uint_eq(e.lun.target, 4);
		ck_assert_uint_eq(e.lun.lun, 7);
		ck_assert_int_eq(vscsi_vs_event_build(&c, &e, out, 16), 16);
		ck_assert_mem_eq(out, be, 16);
	}
	{
		vscsi_event e;

		ck_assert_int_eq(vscsi_vs_event_parse(NULL, tab[0].b, 16, &e),
				 VSCSI_ERR_ARG);
		ck_assert_int_eq(vscsi_vs_event_parse(&c, NULL, 16, &e),
				 VSCSI_ERR_ARG);
		ck_assert_int_eq(vscsi_vs_event_build(&c, NULL, e.lun.raw, 16),
				 VSCSI_ERR_ARG);
	}
}
END_TEST

/* ------------------------------------------------------------- config */

/* 5.6.4 virtio_scsi_config as QEMU fills it: 1 queue, seg_max 126,
 * max_sectors 0xFFFF, cmd_per_lun 128, event_info_size 16, sense 96,
 * cdb 32, max_channel 0, max_target 255, max_lun 16383. */
static const uint8_t config_le[36] = {
	0x01, 0, 0, 0, 0x7e, 0, 0, 0, 0xff, 0xff, 0, 0, 0x80, 0, 0, 0,
	0x10, 0, 0, 0, 0x60, 0, 0, 0, 0x20, 0, 0, 0,
	0x00, 0x00, 0xff, 0x00, 0xff, 0x3f, 0, 0,
};
static const uint8_t config_be[36] = {
	0, 0, 0, 0x01, 0, 0, 0, 0x7e, 0, 0, 0xff, 0xff, 0, 0, 0, 0x80,
	0, 0, 0, 0x10, 0, 0, 0, 0x60, 0, 0, 0, 0x20,
	0x00, 0x00, 0x00, 0xff, 0, 0, 0x3f, 0xff,
};

static void config_check(const vscsi_config *c)
{
	ck_assert_uint_eq(c->num_queues, 1);
	ck_assert_uint_eq(c->seg_max, 126);
	ck_assert_uint_eq(c->max_sectors, 0xffff);
	ck_assert_uint_eq(c->cmd_per_lun, 128);
	ck_assert_uint_eq(c->event_info_size, 16);
	ck_assert_uint_eq(c->sense_size, 96);
	ck_assert_uint_eq(c->cdb_size, 32);
	ck_assert_uint_eq(c->max_channel, 0);
	ck_assert_uint_eq(c->max_target, 255);
	ck_assert_uint_eq(c->max_lun, 16383);
}

START_TEST(test_config)
{
	vscsi_config c, back;
	uint8_t out[40];
	size_t len;

	ck_assert_int_eq(vscsi_vs_config_parse(config_le, 36, &c), VSCSI_OK);
	config_check(&c);
	memset(out, 0xcc, sizeof(out));
	ck_assert_int_eq(vscsi_vs_config_build(&c, out, sizeof(out)), 36);
	ck_assert_mem_eq(out, config_le, 36);
	ck_assert_uint_eq(out[36], 0xcc);
	ck_assert_int_eq(vscsi_vs_config_build(&c, out, 35), VSCSI_ERR_NOSPACE);

	ck_assert_int_eq(vscsi_vs_config_parse_endian(config_be, 36, 1, &c),
			 VSCSI_OK);
	config_check(&c);
	ck_assert_int_eq(vscsi_vs_config_build_endian(&c, 1, out, 36), 36);
	ck_assert_mem_eq(out, config_be, 36);
	ck_assert_int_eq(vscsi_vs_config_parse_endian(config_le, 36, 0, &back),
			 VSCSI_OK);
	config_check(&back);

	for (len = 0; len < 36; len++) {
		ck_assert_int_eq(vscsi_vs_config_parse(config_le, len, &c),
				 VSCSI_ERR_TRUNCATED);
		ck_assert_uint_eq(c.max_lun, 0);
		ck_assert_uint_eq(c.num_queues, len >= 4 ? 1 : 0);
		ck_assert_uint_eq(c.cdb_size, len >= 28 ? 32 : 0);
	}

	/* round trip with every byte distinct */
	memset(&c, 0, sizeof(c));
	c.num_queues = 0x01020304; c.seg_max = 0x05060708;
	c.max_sectors = 0x090a0b0c; c.cmd_per_lun = 0x0d0e0f10;
	c.event_info_size = 0x11121314; c.sense_size = 0x15161718;
	c.cdb_size = 0x191a1b1c; c.max_channel = 0x1d1e;
	c.max_target = 0x1f20; c.max_lun = 0x21222324;
	for (len = 0; len < 2; len++) {
		ck_assert_int_eq(vscsi_vs_config_build_endian(&c, (int)len, out,
							      36), 36);
		ck_assert_int_eq(vscsi_vs_config_parse_endian(out, 36, (int)len,
							      &back), VSCSI_OK);
		ck_assert_mem_eq(&back, &c, sizeof(c));
	}
	ck_assert_int_eq(vscsi_vs_config_parse(NULL, 36, &c), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_config_parse(config_le, 36, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vs_config_build(NULL, out, 36), VSCSI_ERR_ARG);
}
END_TEST

/* ------------------------------------------------------------ iov helpers */

START_TEST(test_iov_helpers)
{
	uint8_t a[5] = { 1, 2, 3, 4, 5 }, b[3] = { 6, 7, 8 }, c[2] = { 9, 10 };
	uint8_t dst[16];
	struct iovec iov[4] = {
		{ a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) }, { c, sizeof(c) },
	};
	static const uint8_t all[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	size_t off;

	ck_assert_uint_eq(vscsi_iov_len(iov, 4), 10);
	ck_assert_uint_eq(vscsi_iov_len(iov, 0), 0);
	ck_assert_uint_eq(vscsi_iov_len(NULL, 4), 0);

	/* gather from every offset */
	for (off = 0; off <= 12; off++) {
		size_t want = off < 10 ? 10 - off : 0;

		memset(dst, 0, sizeof(dst));
		ck_assert_uint_eq(vscsi_iov_gather(iov, 4, off, dst,
						   sizeof(dst)), want);
		ck_assert_mem_eq(dst, all + (off < 10 ? off : 10), want);
		ck_assert_uint_eq(dst[want], 0);
	}
	/* bounded by dst_len */
	memset(dst, 0, sizeof(dst));
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 3, dst, 4), 4);
	ck_assert_mem_eq(dst, all + 3, 4);
	ck_assert_uint_eq(dst[4], 0);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 0, dst, 0), 0);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 0, 0, dst, 16), 0);
	ck_assert_uint_eq(vscsi_iov_gather(NULL, 3, 0, dst, 16), 0);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 0, NULL, 16), 0);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, SIZE_MAX, dst, 16), 0);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 2, 0, dst, 16), 5);

	/* scatter: from every offset, then read back */
	for (off = 0; off <= 12; off++) {
		static const uint8_t src[10] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
						 0xa5, 0xa6, 0xa7, 0xa8, 0xa9 };
		size_t want = off < 10 ? 10 - off : 0;
		uint8_t back[10];

		memcpy(a, all, 5); memcpy(b, all + 5, 3); memcpy(c, all + 8, 2);
		ck_assert_uint_eq(vscsi_iov_scatter(iov, 4, off, src, 10), want);
		ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 0, back, 10), 10);
		ck_assert_mem_eq(back, all, off < 10 ? off : 10);
		ck_assert_mem_eq(back + (off < 10 ? off : 10), src, want);
	}
	ck_assert_uint_eq(vscsi_iov_scatter(iov, 4, 2, all, 3), 3);
	ck_assert_uint_eq(a[2], 1);
	ck_assert_uint_eq(a[4], 3);
	ck_assert_uint_eq(vscsi_iov_scatter(NULL, 4, 0, all, 3), 0);
	ck_assert_uint_eq(vscsi_iov_scatter(iov, 4, 0, NULL, 3), 0);

	/* a NULL base with a length ends the copy */
	iov[1].iov_len = 4;
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 0, dst, 16), 5);
	ck_assert_uint_eq(vscsi_iov_gather(iov, 4, 9, dst, 16), 5);
	iov[1].iov_len = 0;

	/* saturating length */
	{
		struct iovec big[3] = {
			{ a, SIZE_MAX }, { a, SIZE_MAX }, { a, 5 },
		};

		ck_assert_uint_eq(vscsi_iov_len(big, 1), (uint64_t)SIZE_MAX);
		ck_assert_uint_eq(vscsi_iov_len(big, 3), UINT64_MAX);
		/* only the bytes asked for are read from a huge iovec */
		ck_assert_uint_eq(vscsi_iov_gather(big, 1, 0, dst, 5), 5);
		ck_assert_mem_eq(dst, a, 5);
	}
}
END_TEST

/* ---------------------------------------------------------------- suite */

static Suite *virtio_scsi_suite(void)
{
	Suite *s = suite_create("virtio_scsi");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_feature_names);
	tcase_add_test(tc, test_lun_decode_vectors);
	tcase_add_test(tc, test_lun_every_byte2);
	tcase_add_test(tc, test_lun_encode);
	tcase_add_test(tc, test_lun_round_trip);
	tcase_add_test(tc, test_cfg);
	tcase_add_test(tc, test_req_vector_le);
	tcase_add_test(tc, test_req_vector_be);
	tcase_add_test(tc, test_req_vector_pi);
	tcase_add_test(tc, test_req_cdb_sizes);
	tcase_add_test(tc, test_req_truncation);
	tcase_add_test(tc, test_req_splits);
	tcase_add_test(tc, test_req_iov_data_out);
	tcase_add_test(tc, test_check_dir);
	tcase_add_test(tc, test_req_build);
	tcase_add_test(tc, test_req_round_trip);
	tcase_add_test(tc, test_resp_vector);
	tcase_add_test(tc, test_resp_sense_len);
	tcase_add_test(tc, test_resp_truncation);
	tcase_add_test(tc, test_resp_build);
	tcase_add_test(tc, test_resp_round_trip);
	tcase_add_test(tc, test_ctrl_tmf);
	tcase_add_test(tc, test_ctrl_an);
	tcase_add_test(tc, test_ctrl_unknown_type);
	tcase_add_test(tc, test_ctrl_resp);
	tcase_add_test(tc, test_ctrl_req_round_trip);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_iov_helpers);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(virtio_scsi_suite)
