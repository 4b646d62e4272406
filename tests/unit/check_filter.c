/*
 * Filter expressions: every field with every operator on events made by the
 * vscsi_io_from_* fill functions, names and numbers, units, precedence,
 * missing-field semantics, every syntax error with its column and message,
 * the limits, and describe() round trips.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/cdb.h"
#include "vscsi/filter.h"
#include "vscsi/io.h"
#include "vscsi/sense.h"

/* ------------------------------------------------------------ events */

enum {
	E_READ_REQ,	/* READ(10) lba 2048 len 8, 0:1, c3 q2 h7 tag 0x1234 */
	E_READ_DONE,	/* its completion: OK GOOD, 4096 bytes in, 1.5ms */
	E_WRITE_ERR,	/* WRITE(10) lba 4096 len 1 to 1:5, 512 out, ordered,
			 * CHECK CONDITION MEDIUM ERROR 0c/02, 20ms, c0 q3 */
	E_INQ,		/* INQUIRY to 0:0 (no lba, no len) */
	E_RC16,		/* READ CAPACITY(16): 9e/10 */
	E_RLUNS,	/* REPORT LUNS to the well-known LU of target 0 */
	E_TMF,		/* ABORT_TASK of 0x1234 on 0:1, q0 */
	E_TMF_DONE,	/* its completion: FUNCTION REJECTED after 50us */
	E_EVENT,	/* TRANSPORT_RESET of 0:3, q1 */
	E_BADLUN,	/* completion of a request with a malformed LUN:
			 * BAD_TARGET */
	E_VU,		/* a vhost-user message (filled by hand) */
	E_SYNC,		/* SYNCHRONIZE CACHE(10): class flush */
	E_UNMAP,	/* UNMAP with 24 bytes out: class unmap */
	E_UNPAIRED,	/* a completion whose request is not known */
	E_WS16,		/* WRITE SAME(16) */
	E_OTHER,	/* type other (filled by hand) */
	E_COUNT,
};

static vscsi_io ev[E_COUNT];

static const uint8_t cdb_read10[] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 8, 0 };
static const uint8_t cdb_write10[] = { 0x2a, 0, 0, 0, 0x10, 0, 0, 0, 1, 0 };
static const uint8_t cdb_inquiry[] = { 0x12, 0, 0, 0, 0x60, 0 };
static const uint8_t cdb_rc16[] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0x20, 0, 0 };
static const uint8_t cdb_rluns[] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0,
				     0, 0 };
static const uint8_t cdb_sync10[] = { 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t cdb_unmap[] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
static const uint8_t cdb_ws16[] = { 0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0, 0, 0, 8, 0, 0 };

static void mk_req(vscsi_cmd_req *r, uint8_t target, uint16_t lun,
		   uint64_t tag, uint8_t attr, const uint8_t *cdb, size_t n,
		   uint64_t data_out)
{
	uint8_t raw[8];

	memset(r, 0, sizeof(*r));
	vscsi_lun_encode(raw, target, lun, 1);
	vscsi_lun_decode(raw, &r->lun);
	r->tag = tag;
	r->task_attr = attr;
	r->cdb_size = VSCSI_CDB_DEFAULT;
	memcpy(r->cdb, cdb, n);
	r->hdr_len = 19 + VSCSI_CDB_DEFAULT;
	r->data_out_len = data_out;
}

/* A response; key < 0 for no sense. */
static void mk_resp(vscsi_cmd_resp *p, uint8_t response, uint8_t status,
		    int key, uint8_t asc, uint8_t ascq)
{
	memset(p, 0, sizeof(*p));
	p->response = response;
	p->status = status;
	p->hdr_len = 12 + VSCSI_SENSE_DEFAULT;
	if (key >= 0) {
		int n = vscsi_sense_build_simple(p->sense, sizeof(p->sense), 0,
						 (uint8_t)key, asc, ascq);

		ck_assert_int_gt(n, 0);
		p->sense_len = (uint32_t)n;
		p->sense_copied = (uint16_t)n;
	}
}

static void setup(void)
{
	vscsi_cmd_req req;
	vscsi_cmd_resp resp;
	vscsi_ctrl_req creq;
	vscsi_ctrl_resp cresp;
	vscsi_event e;
	uint8_t raw[8];

	mk_req(&req, 0, 1, 0x1234, VSCSI_TASK_SIMPLE, cdb_read10,
	       sizeof(cdb_read10), 0);
	vscsi_io_from_request(&ev[E_READ_REQ], 3, 2, 7, 1000000, &req);
	mk_resp(&resp, VSCSI_S_OK, VSCSI_STATUS_GOOD, -1, 0, 0);
	vscsi_io_from_completion(&ev[E_READ_DONE], 3, 2, 7, 2500000, &req,
				 1000000, &resp, resp.hdr_len + 4096);

	mk_req(&req, 1, 5, 0x99, VSCSI_TASK_ORDERED, cdb_write10,
	       sizeof(cdb_write10), 512);
	mk_resp(&resp, VSCSI_S_OK, VSCSI_STATUS_CHECK_CONDITION,
		VSCSI_SK_MEDIUM_ERROR, 0x0c, 0x02);
	vscsi_io_from_completion(&ev[E_WRITE_ERR], 0, 3, 1, 30000000, &req,
				 10000000, &resp, resp.hdr_len);

	mk_req(&req, 0, 0, 0x10, VSCSI_TASK_SIMPLE, cdb_inquiry,
	       sizeof(cdb_inquiry), 0);
	vscsi_io_from_request(&ev[E_INQ], 0, 2, 8, 5000, &req);

	mk_req(&req, 0, 1, 0x11, VSCSI_TASK_SIMPLE, cdb_rc16,
	       sizeof(cdb_rc16), 0);
	vscsi_io_from_request(&ev[E_RC16], 0, 2, 9, 5000, &req);

	mk_req(&req, 0, 0, 0x12, VSCSI_TASK_SIMPLE, cdb_rluns,
	       sizeof(cdb_rluns), 0);
	vscsi_lun_encode_report_luns(raw, 0);
	vscsi_lun_decode(raw, &req.lun);
	vscsi_io_from_request(&ev[E_RLUNS], 0, 2, 10, 5000, &req);

	memset(&creq, 0, sizeof(creq));
	creq.type = VSCSI_T_TMF;
	creq.subtype = VSCSI_TMF_ABORT_TASK;
	vscsi_lun_encode(raw, 0, 1, 1);
	vscsi_lun_decode(raw, &creq.lun);
	creq.tag = 0x1234;
	creq.hdr_len = 24;
	vscsi_io_from_ctrl(&ev[E_TMF], 0, 0, 4, 100000, &creq);
	memset(&cresp, 0, sizeof(cresp));
	cresp.type = VSCSI_T_TMF;
	cresp.response = VSCSI_S_FUNCTION_REJECTED;
	cresp.hdr_len = 1;
	vscsi_io_from_ctrl_done(&ev[E_TMF_DONE], 0, 0, 4, 150000, &creq,
				100000, &cresp);

	memset(&e, 0, sizeof(e));
	e.event = VSCSI_EVT_TRANSPORT_RESET;
	vscsi_lun_encode(raw, 0, 3, 0);
	vscsi_lun_decode(raw, &e.lun);
	e.reason = VSCSI_EVT_RESET_RESCAN;
	vscsi_io_from_event(&ev[E_EVENT], 0, 1, 0, 7000, &e);

	mk_req(&req, 0, 1, 0x13, VSCSI_TASK_SIMPLE, cdb_read10,
	       sizeof(cdb_read10), 0);
	req.lun.raw[0] = 2;
	vscsi_lun_decode(req.lun.raw, &req.lun);
	ck_assert_uint_eq(req.lun.kind, VSCSI_LUN_MALFORMED);
	mk_resp(&resp, VSCSI_S_BAD_TARGET, 0, -1, 0, 0);
	vscsi_io_from_completion(&ev[E_BADLUN], 0, 2, 11, 9000, &req, 8000,
				 &resp, resp.hdr_len);

	memset(&ev[E_VU], 0, sizeof(ev[E_VU]));
	ev[E_VU].type = VSCSI_IO_VHOST_USER;
	ev[E_VU].vu_request = 5;
	ev[E_VU].conn = 1;

	mk_req(&req, 0, 1, 0x14, VSCSI_TASK_SIMPLE, cdb_sync10,
	       sizeof(cdb_sync10), 0);
	vscsi_io_from_request(&ev[E_SYNC], 0, 2, 12, 5000, &req);
	mk_req(&req, 0, 1, 0x15, VSCSI_TASK_SIMPLE, cdb_unmap,
	       sizeof(cdb_unmap), 24);
	vscsi_io_from_request(&ev[E_UNMAP], 0, 2, 13, 5000, &req);

	mk_resp(&resp, VSCSI_S_OK, VSCSI_STATUS_GOOD, -1, 0, 0);
	vscsi_io_from_completion(&ev[E_UNPAIRED], 0, 2, 14, 5000, NULL, 0,
				 &resp, resp.hdr_len);

	mk_req(&req, 0, 1, 0x16, VSCSI_TASK_HEAD, cdb_ws16, sizeof(cdb_ws16),
	       512);
	vscsi_io_from_request(&ev[E_WS16], 0, 2, 15, 5000, &req);

	memset(&ev[E_OTHER], 0, sizeof(ev[E_OTHER]));
	ev[E_OTHER].type = VSCSI_IO_OTHER;
}

/* The events are what the rows below assume. */
START_TEST(test_events)
{
	ck_assert_uint_eq(ev[E_READ_DONE].latency_ns, 1500000);
	ck_assert_uint_eq(ev[E_READ_DONE].bytes_in, 4096);
	ck_assert(ev[E_WRITE_ERR].has & VSCSI_IO_HAS_SENSE);
	ck_assert_uint_eq(ev[E_WRITE_ERR].sense_key, VSCSI_SK_MEDIUM_ERROR);
	ck_assert_uint_eq(ev[E_WRITE_ERR].ascq, 2);
	ck_assert(!(ev[E_INQ].has & (VSCSI_IO_HAS_LBA | VSCSI_IO_HAS_LEN)));
	ck_assert(ev[E_RC16].has_sa);
	ck_assert_uint_eq(ev[E_RC16].sa, 0x10);
	ck_assert_uint_eq(ev[E_RLUNS].lun_kind, VSCSI_LUN_REPORT_LUNS);
	ck_assert_uint_eq(ev[E_EVENT].lun, 3);
	ck_assert_uint_eq(ev[E_BADLUN].lun_kind, VSCSI_LUN_MALFORMED);
	ck_assert_uint_eq(ev[E_SYNC].op_class, VSCSI_OPC_FLUSH);
	ck_assert_uint_eq(ev[E_UNMAP].op_class, VSCSI_OPC_UNMAP);
	ck_assert_uint_eq(ev[E_WS16].op_class, VSCSI_OPC_WRITE);
	ck_assert(!(ev[E_UNPAIRED].has & VSCSI_IO_HAS_CDB));
	ck_assert_uint_eq(ev[E_TMF_DONE].latency_ns, 50000);
}
END_TEST

/* ------------------------------------------------------------ helpers */

static vscsi_filter *compile_ok(const char *expr)
{
	vscsi_filter *f = NULL;
	char err[256];
	size_t col = 99;
	int rc;

	rc = vscsi_filter_compile(expr, &f, err, sizeof(err), &col);
	ck_assert_msg(rc == VSCSI_OK, "'%s' did not compile: %s", expr, err);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(col, 0);
	ck_assert_str_eq(err, "");
	return f;
}

static int m(const char *expr, int e)
{
	vscsi_filter *f = compile_ok(expr);
	int r = vscsi_filter_match(f, &ev[e]);

	vscsi_filter_free(f);
	return r;
}

static void syntax(const char *expr, size_t col, const char *msg)
{
	vscsi_filter *f = (vscsi_filter *)&f;	/* must be reset to NULL */
	char err[256], want[256];
	size_t c = 0;
	int rc;

	rc = vscsi_filter_compile(expr, &f, err, sizeof(err), &c);
	ck_assert_msg(rc == VSCSI_ERR_SYNTAX, "'%.60s' compiled (rc %d)", expr,
		      rc);
	ck_assert_ptr_null(f);
	snprintf(want, sizeof(want), "column %zu: %s", col, msg);
	ck_assert_msg(strcmp(err, want) == 0,
		      "'%.60s': got \"%s\", want \"%s\"", expr, err, want);
	ck_assert_uint_eq(c, col);
}

/* ------------------------------------------------------------ the table */

typedef struct row {
	const char *expr;
	int ev;
	int want;
} row;

static const row rows[] = {
	/* lun: N, T:N, wlun; missing on vhost-user and a malformed LUN */
	{ "lun == 1", E_READ_REQ, 1 },
	{ "lun == 1", E_WRITE_ERR, 0 },
	{ "lun != 1", E_WRITE_ERR, 1 },
	{ "lun != 1", E_READ_REQ, 0 },
	{ "lun < 5", E_READ_REQ, 1 },
	{ "lun < 5", E_WRITE_ERR, 0 },
	{ "lun <= 5", E_WRITE_ERR, 1 },
	{ "lun <= 4", E_WRITE_ERR, 0 },
	{ "lun > 1", E_WRITE_ERR, 1 },
	{ "lun > 1", E_READ_REQ, 0 },
	{ "lun >= 1", E_READ_REQ, 1 },
	{ "lun >= 6", E_WRITE_ERR, 0 },
	{ "lun", E_READ_REQ, 1 },
	{ "lun", E_VU, 0 },
	{ "lun", E_BADLUN, 0 },
	{ "lun != 1", E_BADLUN, 0 },
	{ "lun == 0:1", E_READ_REQ, 1 },
	{ "lun == 1:1", E_READ_REQ, 0 },
	{ "lun == 1:5", E_WRITE_ERR, 1 },
	{ "lun == 0:5", E_WRITE_ERR, 0 },
	{ "lun != 0:1", E_READ_REQ, 0 },
	{ "lun != 0:1", E_WRITE_ERR, 1 },
	{ "lun != 0:1", E_VU, 0 },
	{ "lun == 0x0:0x1", E_READ_REQ, 1 },
	{ "lun == wlun", E_RLUNS, 1 },
	{ "lun == WLUN", E_RLUNS, 1 },
	{ "lun == wlun", E_READ_REQ, 0 },
	{ "lun == 0:wlun", E_RLUNS, 1 },
	{ "lun == 1:wlun", E_RLUNS, 0 },
	{ "lun != wlun", E_READ_REQ, 1 },
	{ "lun != wlun", E_RLUNS, 0 },
	{ "lun != wlun", E_VU, 0 },
	{ "lun == 0", E_RLUNS, 0 },
	{ "lun != 0", E_RLUNS, 1 },
	{ "lun < 1", E_RLUNS, 0 },
	{ "lun >= 0", E_RLUNS, 0 },
	{ "lun", E_RLUNS, 1 },
	{ "lun == 0:0", E_RLUNS, 0 },
	{ "lun == 3", E_EVENT, 1 },
	{ "lun == 0", E_INQ, 1 },
	{ "lun == 1", E_TMF, 1 },

	/* target */
	{ "target == 1", E_WRITE_ERR, 1 },
	{ "target == 1", E_READ_REQ, 0 },
	{ "target != 0", E_WRITE_ERR, 1 },
	{ "target != 0", E_READ_REQ, 0 },
	{ "target < 1", E_READ_REQ, 1 },
	{ "target < 1", E_WRITE_ERR, 0 },
	{ "target <= 0", E_READ_REQ, 1 },
	{ "target > 0", E_WRITE_ERR, 1 },
	{ "target >= 2", E_WRITE_ERR, 0 },
	{ "target", E_VU, 0 },
	{ "target", E_READ_REQ, 1 },
	{ "target == 0", E_BADLUN, 0 },
	{ "target != 1", E_BADLUN, 0 },
	{ "target == 0", E_RLUNS, 1 },

	/* queue and its alias vq */
	{ "queue == 2", E_READ_REQ, 1 },
	{ "vq == 3", E_WRITE_ERR, 1 },
	{ "VQ == 0", E_TMF, 1 },
	{ "queue != 2", E_READ_REQ, 0 },
	{ "queue != 2", E_WRITE_ERR, 1 },
	{ "queue < 2", E_TMF, 1 },
	{ "queue < 2", E_READ_REQ, 0 },
	{ "queue <= 1", E_EVENT, 1 },
	{ "queue > 2", E_WRITE_ERR, 1 },
	{ "queue >= 3", E_READ_REQ, 0 },
	{ "queue", E_VU, 1 },

	/* conn */
	{ "conn == 3", E_READ_REQ, 1 },
	{ "conn != 3", E_READ_REQ, 0 },
	{ "conn < 3", E_WRITE_ERR, 1 },
	{ "conn <= 2", E_READ_REQ, 0 },
	{ "conn > 0", E_READ_REQ, 1 },
	{ "conn >= 4", E_READ_REQ, 0 },
	{ "conn", E_OTHER, 1 },

	/* head */
	{ "head == 7", E_READ_REQ, 1 },
	{ "head != 7", E_READ_DONE, 0 },
	{ "head < 7", E_WRITE_ERR, 1 },
	{ "head <= 6", E_READ_REQ, 0 },
	{ "head > 6", E_READ_REQ, 1 },
	{ "head >= 8", E_READ_REQ, 0 },
	{ "head", E_EVENT, 1 },

	/* tag: on commands whose request is known and on TMFs */
	{ "tag == 0x1234", E_READ_REQ, 1 },
	{ "tag == 4660", E_READ_DONE, 1 },
	{ "tag != 0x1234", E_WRITE_ERR, 1 },
	{ "tag != 0x1234", E_READ_REQ, 0 },
	{ "tag < 0x100", E_WRITE_ERR, 1 },
	{ "tag <= 0x98", E_WRITE_ERR, 0 },
	{ "tag > 0x99", E_READ_REQ, 1 },
	{ "tag >= 0x1235", E_READ_REQ, 0 },
	{ "tag", E_TMF, 1 },
	{ "tag == 0x1234", E_TMF, 1 },
	{ "tag", E_EVENT, 0 },
	{ "tag", E_UNPAIRED, 0 },
	{ "tag != 1", E_EVENT, 0 },

	/* op: names (vscsi_cdb_lookup) and numbers */
	{ "op == read10", E_READ_REQ, 1 },
	{ "op == READ(10)", E_READ_REQ, 1 },
	{ "op == read(10)", E_READ_REQ, 1 },
	{ "op == \"READ(10)\"", E_READ_REQ, 1 },
	{ "op == 'read 10'", E_READ_REQ, 1 },
	{ "op == 0x28", E_READ_REQ, 1 },
	{ "op == 40", E_READ_REQ, 1 },
	{ "op == read10", E_WRITE_ERR, 0 },
	{ "op != read10", E_WRITE_ERR, 1 },
	{ "op != read10", E_READ_REQ, 0 },
	{ "op < 0x2a", E_READ_REQ, 1 },
	{ "op < 0x28", E_READ_REQ, 0 },
	{ "op <= 0x28", E_READ_REQ, 1 },
	{ "op > 0x28", E_WRITE_ERR, 1 },
	{ "op > write10", E_WRITE_ERR, 0 },
	{ "op >= write10", E_WRITE_ERR, 1 },
	{ "op == write10", E_WRITE_ERR, 1 },
	{ "op == read_capacity16", E_RC16, 1 },
	{ "op == read_capacity16", E_READ_REQ, 0 },
	{ "op == 0x9e", E_RC16, 1 },
	{ "op == 0x9e/0x10", E_RC16, 1 },
	{ "op == 0x9e/0x11", E_RC16, 0 },
	{ "op != read_capacity16", E_RC16, 0 },
	{ "op != read_capacity16", E_READ_REQ, 1 },
	{ "op != read_capacity16", E_TMF, 0 },
	{ "op == service_action_in16", E_RC16, 1 },
	{ "op", E_TMF, 0 },
	{ "op", E_READ_DONE, 1 },
	{ "op != read10", E_TMF, 0 },
	{ "op", E_UNPAIRED, 0 },
	{ "op == inquiry", E_INQ, 1 },
	{ "op == write_same16", E_WS16, 1 },
	{ "op == \"WRITE SAME(16)\"", E_WS16, 1 },
	{ "op == report_luns", E_RLUNS, 1 },

	/* class */
	{ "class == read", E_READ_REQ, 1 },
	{ "class == read", E_READ_DONE, 1 },
	{ "class == write", E_WRITE_ERR, 1 },
	{ "class == write", E_WS16, 1 },
	{ "class == flush", E_SYNC, 1 },
	{ "class == unmap", E_UNMAP, 1 },
	{ "class == other", E_INQ, 1 },
	{ "class == other", E_READ_REQ, 0 },
	{ "CLASS == READ", E_READ_REQ, 1 },
	{ "class == 1", E_READ_REQ, 1 },
	{ "class != read", E_WRITE_ERR, 1 },
	{ "class != read", E_READ_REQ, 0 },
	{ "class != read", E_TMF, 0 },
	{ "class < write", E_READ_REQ, 1 },
	{ "class < write", E_WRITE_ERR, 0 },
	{ "class <= 1", E_READ_REQ, 1 },
	{ "class > read", E_SYNC, 1 },
	{ "class > read", E_INQ, 0 },
	{ "class >= unmap", E_UNMAP, 1 },
	{ "class", E_TMF, 0 },
	{ "class", E_INQ, 1 },

	/* lba */
	{ "lba == 2048", E_READ_REQ, 1 },
	{ "lba == 0x800", E_READ_DONE, 1 },
	{ "lba != 2048", E_WRITE_ERR, 1 },
	{ "lba != 2048", E_READ_REQ, 0 },
	{ "lba < 4096", E_READ_REQ, 1 },
	{ "lba < 4096", E_WRITE_ERR, 0 },
	{ "lba <= 4096", E_WRITE_ERR, 1 },
	{ "lba > 2048", E_WRITE_ERR, 1 },
	{ "lba > 2048", E_READ_REQ, 0 },
	{ "lba >= 2049", E_READ_REQ, 0 },
	{ "lba", E_INQ, 0 },
	{ "lba != 0", E_INQ, 0 },
	{ "lba == 0", E_INQ, 0 },
	{ "lba", E_READ_REQ, 1 },

	/* len, in blocks */
	{ "len == 8", E_READ_REQ, 1 },
	{ "len != 8", E_WRITE_ERR, 1 },
	{ "len != 8", E_READ_REQ, 0 },
	{ "len < 8", E_WRITE_ERR, 1 },
	{ "len <= 1", E_WRITE_ERR, 1 },
	{ "len <= 7", E_READ_REQ, 0 },
	{ "len > 1", E_READ_REQ, 1 },
	{ "len >= 9", E_READ_REQ, 0 },
	{ "len", E_TMF, 0 },
	{ "len", E_INQ, 0 },

	/* bytes, out plus in, with 1024-based suffixes */
	{ "bytes == 4096", E_READ_DONE, 1 },
	{ "bytes == 4k", E_READ_DONE, 1 },
	{ "bytes == 4K", E_READ_DONE, 1 },
	{ "bytes == 0x1000", E_READ_DONE, 1 },
	{ "bytes == 0.00390625m", E_READ_DONE, 1 },
	{ "bytes != 4k", E_READ_DONE, 0 },
	{ "bytes != 4k", E_WRITE_ERR, 1 },
	{ "bytes < 4k", E_WRITE_ERR, 1 },
	{ "bytes < 4k", E_READ_DONE, 0 },
	{ "bytes <= 0.5k", E_WRITE_ERR, 1 },
	{ "bytes <= 511", E_WRITE_ERR, 0 },
	{ "bytes > 0", E_READ_REQ, 0 },
	{ "bytes > 0", E_UNMAP, 1 },
	{ "bytes >= 1m", E_READ_DONE, 0 },
	{ "bytes >= 4k", E_READ_DONE, 1 },
	{ "bytes == 0", E_READ_REQ, 1 },
	{ "bytes", E_READ_REQ, 1 },
	{ "bytes", E_UNPAIRED, 1 },
	{ "bytes", E_TMF, 0 },
	{ "bytes != 0", E_EVENT, 0 },
	{ "bytes < 1g", E_READ_DONE, 1 },
	{ "bytes < 1t", E_READ_DONE, 1 },
	{ "bytes > 1G", E_READ_DONE, 0 },

	/* lat, with units */
	{ "lat == 1.5ms", E_READ_DONE, 1 },
	{ "lat == 1500us", E_READ_DONE, 1 },
	{ "lat == 1500000ns", E_READ_DONE, 1 },
	{ "lat == 0.0015s", E_READ_DONE, 1 },
	{ "lat == 1ms", E_READ_DONE, 0 },
	{ "lat != 1.5ms", E_READ_DONE, 0 },
	{ "lat != 1.5ms", E_WRITE_ERR, 1 },
	{ "lat != 1.5ms", E_READ_REQ, 0 },
	{ "lat < 2ms", E_READ_DONE, 1 },
	{ "lat < 1.5ms", E_READ_DONE, 0 },
	{ "lat <= 1.5ms", E_READ_DONE, 1 },
	{ "lat > 1ms", E_READ_DONE, 1 },
	{ "lat > 1ms", E_READ_REQ, 0 },
	{ "lat > 1.5ms", E_READ_DONE, 0 },
	{ "lat >= 20ms", E_WRITE_ERR, 1 },
	{ "lat >= 20.000001ms", E_WRITE_ERR, 0 },
	{ "lat", E_READ_REQ, 0 },
	{ "lat", E_READ_DONE, 1 },
	{ "lat", E_UNPAIRED, 0 },
	{ "lat < 100us", E_TMF_DONE, 1 },
	{ "lat > 0", E_READ_DONE, 1 },
	{ "lat > 1s", E_READ_DONE, 0 },
	{ "not lat > 1ms", E_READ_REQ, 1 },
	{ "LAT > 1MS", E_READ_DONE, 1 },

	/* status: command completions only */
	{ "status == good", E_READ_DONE, 1 },
	{ "status == GOOD", E_READ_DONE, 1 },
	{ "status == good", E_WRITE_ERR, 0 },
	{ "status == check_condition", E_WRITE_ERR, 1 },
	{ "status == \"check condition\"", E_WRITE_ERR, 1 },
	{ "status == 'CHECK-CONDITION'", E_WRITE_ERR, 1 },
	{ "status == Check_Condition", E_WRITE_ERR, 1 },
	{ "status == 2", E_WRITE_ERR, 1 },
	{ "status == 0x02", E_WRITE_ERR, 1 },
	{ "status != good", E_WRITE_ERR, 1 },
	{ "status != good", E_READ_DONE, 0 },
	{ "status != good", E_READ_REQ, 0 },
	{ "status != good", E_TMF_DONE, 0 },
	{ "status < busy", E_WRITE_ERR, 1 },
	{ "status < check_condition", E_WRITE_ERR, 0 },
	{ "status <= 2", E_WRITE_ERR, 1 },
	{ "status > good", E_WRITE_ERR, 1 },
	{ "status > good", E_READ_DONE, 0 },
	{ "status >= busy", E_WRITE_ERR, 0 },
	{ "status >= task_set_full", E_WRITE_ERR, 0 },
	{ "status", E_READ_REQ, 0 },
	{ "status", E_TMF_DONE, 0 },
	{ "status", E_UNPAIRED, 1 },
	{ "status", E_BADLUN, 0 },		/* response not OK */
	{ "status == good", E_BADLUN, 0 },
	{ "status != check_condition", E_BADLUN, 0 },

	/* response, both spellings of 0 */
	{ "response == ok", E_READ_DONE, 1 },
	{ "response == function_complete", E_READ_DONE, 1 },
	{ "response == bad_target", E_BADLUN, 1 },
	{ "response == BAD_TARGET", E_READ_DONE, 0 },
	{ "response == 3", E_BADLUN, 1 },
	{ "response != ok", E_BADLUN, 1 },
	{ "response != ok", E_READ_DONE, 0 },
	{ "response != ok", E_READ_REQ, 0 },
	{ "response == function_rejected", E_TMF_DONE, 1 },
	{ "response < 3", E_READ_DONE, 1 },
	{ "response < 3", E_BADLUN, 0 },
	{ "response <= bad_target", E_BADLUN, 1 },
	{ "response > ok", E_BADLUN, 1 },
	{ "response >= 11", E_TMF_DONE, 1 },
	{ "response >= 12", E_TMF_DONE, 0 },
	{ "response", E_READ_REQ, 0 },
	{ "response", E_TMF_DONE, 1 },
	{ "response", E_TMF, 0 },

	/* sense.key and its alias sense_key */
	{ "sense.key == medium_error", E_WRITE_ERR, 1 },
	{ "sense.key == \"medium error\"", E_WRITE_ERR, 1 },
	{ "sense.key == 3", E_WRITE_ERR, 1 },
	{ "sense_key == MEDIUM_ERROR", E_WRITE_ERR, 1 },
	{ "sense.key == not_ready", E_WRITE_ERR, 0 },
	{ "sense.key != medium_error", E_WRITE_ERR, 0 },
	{ "sense.key != not_ready", E_WRITE_ERR, 1 },
	{ "sense.key != medium_error", E_READ_DONE, 0 },
	{ "sense.key < 4", E_WRITE_ERR, 1 },
	{ "sense.key < medium_error", E_WRITE_ERR, 0 },
	{ "sense.key <= 3", E_WRITE_ERR, 1 },
	{ "sense.key > not_ready", E_WRITE_ERR, 1 },
	{ "sense.key >= illegal_request", E_WRITE_ERR, 0 },
	{ "sense.key", E_WRITE_ERR, 1 },
	{ "sense.key", E_READ_DONE, 0 },
	{ "not sense.key", E_READ_DONE, 1 },

	/* asc, ascq */
	{ "asc == 0x0c", E_WRITE_ERR, 1 },
	{ "asc == 12", E_WRITE_ERR, 1 },
	{ "asc != 0x0c", E_WRITE_ERR, 0 },
	{ "asc != 0x0c", E_READ_DONE, 0 },
	{ "asc < 0x0d", E_WRITE_ERR, 1 },
	{ "asc <= 0x0b", E_WRITE_ERR, 0 },
	{ "asc > 0", E_WRITE_ERR, 1 },
	{ "asc >= 0x0d", E_WRITE_ERR, 0 },
	{ "asc", E_READ_DONE, 0 },
	{ "ascq == 2", E_WRITE_ERR, 1 },
	{ "ascq != 2", E_WRITE_ERR, 0 },
	{ "ascq < 3", E_WRITE_ERR, 1 },
	{ "ascq <= 1", E_WRITE_ERR, 0 },
	{ "ascq > 1", E_WRITE_ERR, 1 },
	{ "ascq >= 3", E_WRITE_ERR, 0 },
	{ "ascq", E_WRITE_ERR, 1 },
	{ "ascq == 0", E_READ_DONE, 0 },

	/* tmf */
	{ "tmf == abort_task", E_TMF, 1 },
	{ "tmf == ABORT_TASK", E_TMF_DONE, 1 },
	{ "tmf == 0", E_TMF, 1 },
	{ "tmf == abort_task_set", E_TMF, 0 },
	{ "tmf != abort_task", E_TMF, 0 },
	{ "tmf != i_t_nexus_reset", E_TMF, 1 },
	{ "tmf != abort_task", E_READ_REQ, 0 },
	{ "tmf < 1", E_TMF, 1 },
	{ "tmf <= abort_task_set", E_TMF, 1 },
	{ "tmf > 0", E_TMF, 0 },
	{ "tmf >= query_task", E_TMF, 0 },
	{ "tmf", E_READ_REQ, 0 },
	{ "tmf", E_TMF, 1 },

	/* type */
	{ "type == request", E_READ_REQ, 1 },
	{ "type == request", E_READ_DONE, 0 },
	{ "type == completion", E_READ_DONE, 1 },
	{ "type == ctrl", E_TMF, 1 },
	{ "type == ctrl_done", E_TMF_DONE, 1 },
	{ "type == event", E_EVENT, 1 },
	{ "type == vhost_user", E_VU, 1 },
	{ "type == \"vhost user\"", E_VU, 1 },
	{ "type == other", E_OTHER, 1 },
	{ "type == 1", E_READ_DONE, 1 },
	{ "type != request", E_READ_DONE, 1 },
	{ "type != request", E_READ_REQ, 0 },
	{ "type < completion", E_READ_REQ, 1 },
	{ "type < completion", E_READ_DONE, 0 },
	{ "type <= 1", E_READ_DONE, 1 },
	{ "type > ctrl", E_EVENT, 1 },
	{ "type > ctrl", E_TMF, 0 },
	{ "type >= event", E_TMF, 0 },
	{ "type >= event", E_VU, 1 },
	{ "type", E_VU, 1 },

	/* attr */
	{ "attr == simple", E_READ_REQ, 1 },
	{ "attr == ordered", E_WRITE_ERR, 1 },
	{ "attr == ordered", E_READ_REQ, 0 },
	{ "attr == 1", E_WRITE_ERR, 1 },
	{ "attr == head", E_WS16, 1 },
	{ "attr != simple", E_WRITE_ERR, 1 },
	{ "attr != simple", E_READ_REQ, 0 },
	{ "attr != simple", E_TMF, 0 },
	{ "attr < ordered", E_READ_REQ, 1 },
	{ "attr < ordered", E_WRITE_ERR, 0 },
	{ "attr <= 0", E_READ_REQ, 1 },
	{ "attr > simple", E_WRITE_ERR, 1 },
	{ "attr >= head", E_WRITE_ERR, 0 },
	{ "attr >= head", E_WS16, 1 },
	{ "attr", E_TMF, 0 },
	{ "attr", E_UNPAIRED, 0 },

	/* error: vscsi_io_is_error() */
	{ "error", E_WRITE_ERR, 1 },
	{ "error", E_READ_DONE, 0 },
	{ "error", E_BADLUN, 1 },
	{ "error", E_TMF_DONE, 1 },
	{ "error", E_READ_REQ, 0 },
	{ "not error", E_READ_DONE, 1 },
	{ "not error", E_WRITE_ERR, 0 },
	{ "!error", E_WRITE_ERR, 0 },
	{ "ERROR", E_WRITE_ERR, 1 },

	/* precedence: comparison, not, and, or */
	{ "type == request or type == completion and lba == 4096",
	  E_READ_REQ, 1 },
	{ "type == request or type == completion and lba == 4096",
	  E_READ_DONE, 0 },
	{ "type == request or type == completion and lba == 4096",
	  E_WRITE_ERR, 1 },
	{ "(type == request or type == completion) and lba == 4096",
	  E_READ_REQ, 0 },
	{ "(type == request or type == completion) and lba == 4096",
	  E_WRITE_ERR, 1 },
	{ "lba == 4096 and type == completion or type == request",
	  E_READ_REQ, 1 },
	{ "lba == 4096 and (type == completion or type == request)",
	  E_READ_REQ, 0 },
	{ "not lba == 2048 and type == request", E_WRITE_ERR, 0 },
	{ "not (lba == 2048 and type == request)", E_WRITE_ERR, 1 },
	{ "not error or lat > 10ms", E_WRITE_ERR, 1 },
	{ "not (error or lat > 10ms)", E_WRITE_ERR, 0 },
	{ "not (lun == 1 or lun == 5)", E_READ_REQ, 0 },
	{ "not (lun == 1 or lun == 5)", E_INQ, 1 },
	{ "not not error", E_WRITE_ERR, 1 },
	{ "!!error", E_WRITE_ERR, 1 },
	{ "! ! ! error", E_WRITE_ERR, 0 },
	{ "not (not (not error))", E_READ_DONE, 1 },
	{ "lun == 1 && lba == 2048", E_READ_REQ, 1 },
	{ "lun == 5 || lun == 1", E_READ_REQ, 1 },
	{ "lun == 5 || lun == 2 && lba == 2048", E_READ_REQ, 0 },
	{ "type==request&&lba==2048", E_READ_REQ, 1 },
	{ "(lun==1)||(lun==2)", E_READ_REQ, 1 },
	{ "((((error))))", E_WRITE_ERR, 1 },
	{ "error or error and not error", E_WRITE_ERR, 1 },
	{ "lun = 1", E_READ_REQ, 1 },
	{ "lun==1 and not(error)", E_READ_REQ, 1 },
	{ "\tlun\n==\r1 ", E_READ_REQ, 1 },

	/* keywords and names ignore case */
	{ "LUN == 1 AND LBA == 2048", E_READ_REQ, 1 },
	{ "Op == Read10 Or Not Error", E_WRITE_ERR, 0 },
	{ "NOT error", E_READ_DONE, 1 },
	{ "Type == Request", E_READ_REQ, 1 },
	{ "SENSE.KEY == Medium_Error", E_WRITE_ERR, 1 },
};

START_TEST(test_rows)
{
	const row *r = &rows[_i];

	ck_assert_msg(m(r->expr, r->ev) == r->want, "'%s' on event %d: want %d",
		      r->expr, r->ev, r->want);
}
END_TEST

/* describe() of every row compiles to a filter that agrees on every event,
 * and describing that gives the same text again. */
START_TEST(test_rows_round_trip)
{
	const row *r = &rows[_i];
	vscsi_filter *f = compile_ok(r->expr), *g;
	char d1[512], d2[512];
	size_t n;
	int e;

	n = vscsi_filter_describe(f, d1, sizeof(d1));
	ck_assert_uint_lt(n, sizeof(d1));
	ck_assert_uint_eq(n, strlen(d1));
	g = compile_ok(d1);
	vscsi_filter_describe(g, d2, sizeof(d2));
	ck_assert_str_eq(d1, d2);
	for (e = 0; e < E_COUNT; e++)
		ck_assert_msg(vscsi_filter_match(f, &ev[e]) ==
				      vscsi_filter_match(g, &ev[e]),
			      "'%s' and '%s' differ on event %d", r->expr, d1,
			      e);
	vscsi_filter_free(f);
	vscsi_filter_free(g);
}
END_TEST

/* ------------------------------------------------------------ empty */

START_TEST(test_empty)
{
	static const char *const empty[] = { "", " ", " \t\n\r\f\v " };
	size_t i;
	int e;

	for (i = 0; i < ARRAY_LEN(empty); i++) {
		vscsi_filter *f = compile_ok(empty[i]);
		char d[8] = "x";

		for (e = 0; e < E_COUNT; e++)
			ck_assert_int_eq(vscsi_filter_match(f, &ev[e]), 1);
		ck_assert_uint_eq(vscsi_filter_describe(f, d, sizeof(d)), 0);
		ck_assert_str_eq(d, "");
		vscsi_filter_free(f);
	}
	/* NULL filter matches all, NULL event nothing */
	ck_assert_int_eq(vscsi_filter_match(NULL, &ev[0]), 1);
	{
		vscsi_filter *f = compile_ok("");

		ck_assert_int_eq(vscsi_filter_match(f, NULL), 0);
		vscsi_filter_free(f);
	}
	vscsi_filter_free(NULL);
	ck_assert_uint_eq(vscsi_filter_describe(NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_args)
{
	vscsi_filter *f = (vscsi_filter *)&f;
	char err[32] = "x";
	size_t col = 5;

	ck_assert_int_eq(vscsi_filter_compile(NULL, &f, err, sizeof(err), &col),
			 VSCSI_ERR_ARG);
	ck_assert_ptr_null(f);
	ck_assert_uint_eq(col, 0);
	ck_assert_int_eq(vscsi_filter_compile("error", NULL, NULL, 0, NULL),
			 VSCSI_ERR_ARG);
	/* errbuf and err_col are optional */
	ck_assert_int_eq(vscsi_filter_compile("lbx", &f, NULL, 0, NULL),
			 VSCSI_ERR_SYNTAX);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(vscsi_filter_compile("error", &f, NULL, 0, NULL),
			 VSCSI_OK);
	vscsi_filter_free(f);
	/* a short errbuf is cut and terminated */
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(vscsi_filter_compile("lbx", &f, err, 10, &col),
			 VSCSI_ERR_SYNTAX);
	ck_assert_str_eq(err, "column 1:");
	ck_assert_uint_eq(col, 1);
	ck_assert_int_eq(err[10], 'x');
}
END_TEST

/* ------------------------------------------------------------ errors */

typedef struct bad {
	const char *expr;
	size_t col;
	const char *msg;
} bad;

static const bad bads[] = {
	{ "lbx == 1", 1, "unknown field 'lbx'" },
	{ "sense.kex", 1, "unknown field 'sense.kex'" },
	{ "lun == 1 and lbx", 14, "unknown field 'lbx'" },
	{ "lat > ", 7, "expected a value after '>'" },
	{ "bytes > ", 9, "expected a value after '>'" },
	{ "lun == @", 8, "expected a value after '=='" },
	{ "lun === 1", 7, "expected a value after '=='" },
	{ "lun <= )", 8, "expected a value after '<='" },
	{ "lun == 1 and op == raed10", 20, "unknown opcode 'raed10'" },
	{ "op == \"READ(11)\"", 7, "unknown opcode 'READ(11)'" },
	{ "op == read(10", 7, "unknown opcode 'read'" },
	{ "lba > 5 lun", 9, "expected 'and', 'or' or the end after '5'" },
	{ "lun ! = 1", 5, "expected 'and', 'or' or the end after 'lun'" },
	{ "(lun == 1", 10,
	  "expected 'and', 'or' or ')' after '1' (to close the '(' at "
	  "column 1)" },
	{ "error and ((lun == 1) or lba", 29,
	  "expected 'and', 'or' or ')' after 'lba' (to close the '(' at "
	  "column 11)" },
	{ "lun == 1)", 9, "unmatched ')'" },
	{ ")", 1, "expected a field name" },
	{ "and lun", 1, "expected a field name" },
	{ "@", 1, "expected a field name" },
	{ "lun == 1 and", 13, "expected a field name after 'and'" },
	{ "lun == 1 or or lba", 13, "expected a field name after 'or'" },
	{ "lun == 1 && || lba", 13, "expected a field name after '&&'" },
	{ "not", 4, "expected a field name after 'not'" },
	{ "!", 2, "expected a field name after '!'" },
	{ "!= 1", 1, "expected a field name" },
	{ "()", 2, "expected a field name after '('" },
	{ "lun == 1 & lba", 10, "'&' alone: write '&&' or 'and'" },
	{ "lun == 1 | lba", 10, "'|' alone: write '||' or 'or'" },
	{ "lat > 5", 7, "'lat' needs a time unit: ns, us, ms or s" },
	{ "lat > 5xs", 7, "unknown time unit 'xs' (ns, us, ms, s)" },
	{ "lat > 5m", 7, "unknown time unit 'm' (ns, us, ms, s)" },
	{ "lat > 1.5ns", 7, "not a whole number of nanoseconds" },
	{ "lat > 1.0000000001s", 7,
	  "too many digits after the point in '1.0000000001s'" },
	{ "lat > 18446744073709551615s", 7, "number too large" },
	{ "lat > fast", 7, "'lat' takes a number, not 'fast'" },
	{ "bytes > 4q", 9, "unknown size suffix 'q' (k, m, g, t)" },
	{ "bytes > 4kb", 9, "unknown size suffix 'kb' (k, m, g, t)" },
	{ "bytes > 0.3", 9, "not a whole number of bytes" },
	{ "bytes > 16777216t", 9, "number too large" },
	{ "lba > 5k", 7, "'lba' takes a whole number, not '5k'" },
	{ "lba > 1.5", 7, "'lba' takes a whole number, not '1.5'" },
	{ "lba == foo", 8, "'lba' takes a number, not 'foo'" },
	{ "lba == \"1\"", 8, "'lba' takes a number, not '1'" },
	{ "lba == 99999999999999999999", 8,
	  "number too large: '99999999999999999999'" },
	{ "lba == 0x10000000000000000", 8,
	  "number too large: '0x10000000000000000'" },
	{ "lba == 0x", 8, "invalid number '0x'" },
	{ "lba == 1.x", 8, "invalid number '1.x'" },
	{ "lba == 12:3", 8, "invalid number '12:3'" },
	{ "lba == 1.2.3", 8, "invalid number '1.2.3'" },
	{ "lba == 0x1g", 8, "'lba' takes a whole number, not '0x1g'" },
	{ "status == bogus", 11, "unknown status 'bogus'" },
	{ "status == \"check  condition\"", 11,
	  "unknown status 'check  condition'" },
	{ "status == 1.5", 11, "'status' takes a whole number, not '1.5'" },
	{ "response == nope", 13, "unknown response 'nope'" },
	{ "sense.key == nope", 14, "unknown sense key 'nope'" },
	{ "tmf == nope", 8, "unknown TMF 'nope'" },
	{ "type == nope", 9, "unknown type 'nope'" },
	{ "attr == nope", 9, "unknown task attribute 'nope'" },
	{ "class == nope", 10, "unknown class 'nope'" },
	{ "op == 0x100", 7, "opcode out of range (0..255): '0x100'" },
	{ "op > read_capacity16", 6,
	  "'read_capacity16' has a service action: compare it only with == "
	  "and !=" },
	{ "op == 0x9e/0x10000", 7, "unknown opcode '0x9e/0x10000'" },
	{ "lun < 0:1", 7, "'0:1' compares only with == and !=" },
	{ "lun > wlun", 7, "'wlun' compares only with == and !=" },
	{ "lun == 256:1", 8, "invalid target in '256:1' (0..255)" },
	{ "lun == 0:x", 8, "invalid LUN '0:x' (N, T:N, wlun or T:wlun)" },
	{ "lun == 0:", 8, "invalid LUN '0:' (N, T:N, wlun or T:wlun)" },
	{ "lun == 0:1k", 8, "invalid LUN '0:1k'" },
	{ "lun == foo", 8, "'lun' takes a number, not 'foo'" },
	{ "error == 1", 7,
	  "'error' takes no comparison: write 'error' or 'not error'" },
	{ "status == \"good", 11, "unterminated string" },
	{ "op == 'read10", 7, "unterminated string" },
	{ "lun == 1 and \x01", 14, "expected a field name after 'and'" },
	{ "status == \"\x01\"", 11, "unknown status '?'" },
	{ "lbxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1,
	  "unknown field 'lbxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" },
};

START_TEST(test_syntax_errors)
{
	syntax(bads[_i].expr, bads[_i].col, bads[_i].msg);
}
END_TEST

/* ------------------------------------------------------------ limits */

static char *repeat(const char *head, const char *unit, size_t n,
		    const char *mid, const char *tail_unit, const char *tail)
{
	size_t len = strlen(head) + n * strlen(unit) + strlen(mid) +
		     n * strlen(tail_unit) + strlen(tail) + 1;
	char *s = malloc(len), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	p += sprintf(p, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", unit);
	p += sprintf(p, "%s", mid);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", tail_unit);
	sprintf(p, "%s", tail);
	return s;
}

START_TEST(test_depth)
{
	char *s;
	vscsi_filter *f;

	/* 64 parentheses: fine */
	s = repeat("", "(", VSCSI_FILTER_MAX_DEPTH, "error", ")", "");
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_WRITE_ERR]), 1);
	vscsi_filter_free(f);
	free(s);
	/* 65: the 65th '(' is refused */
	s = repeat("", "(", VSCSI_FILTER_MAX_DEPTH + 1, "error", ")", "");
	syntax(s, VSCSI_FILTER_MAX_DEPTH + 1, "nested deeper than 64");
	free(s);
	/* 64 nots; the 65th at column 64 * 4 + 1 */
	s = repeat("", "not ", VSCSI_FILTER_MAX_DEPTH, "error", "", "");
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_WRITE_ERR]), 1);
	vscsi_filter_free(f);
	free(s);
	s = repeat("", "not ", VSCSI_FILTER_MAX_DEPTH + 1, "error", "", "");
	syntax(s, VSCSI_FILTER_MAX_DEPTH * 4 + 1, "nested deeper than 64");
	free(s);
	/* both kinds count together: 32 "(!" then one more "(" */
	s = repeat("", "(!", VSCSI_FILTER_MAX_DEPTH / 2, "(error)", ")", "");
	syntax(s, VSCSI_FILTER_MAX_DEPTH + 1, "nested deeper than 64");
	free(s);
	/* depth is per nesting, not a total: many groups side by side */
	s = repeat("error", " or (((not error)))", 1000, "", "", "");
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_READ_DONE]), 1);
	vscsi_filter_free(f);
	free(s);
	/* hostile: a very deep text is refused quickly, without recursion
	 * beyond the limit */
	s = repeat("", "(", 60000, "", "", "");
	syntax(s, VSCSI_FILTER_MAX_DEPTH + 1, "nested deeper than 64");
	free(s);
	s = repeat("", "!", 60000, "", "", "");
	syntax(s, VSCSI_FILTER_MAX_DEPTH + 1, "nested deeper than 64");
	free(s);
}
END_TEST

START_TEST(test_long)
{
	char *s, *d;
	size_t i, n, len;
	vscsi_filter *f, *g;
	int e;

	/* "lun == 0 or lun == 1 or ..." over nearly the whole limit; the last
	 * term is the one that matches */
	s = malloc(VSCSI_FILTER_MAX_LEN + 64);
	ck_assert_ptr_nonnull(s);
	len = 0;
	for (i = 100; len < VSCSI_FILTER_MAX_LEN - 40; i++)
		len += (size_t)sprintf(s + len, "lun == %zu or ", i);
	sprintf(s + len, "lun == 5");
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_WRITE_ERR]), 1);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_READ_REQ]), 0);
	/* describe gives the same text here (already normal) */
	n = vscsi_filter_describe(f, NULL, 0);
	ck_assert_uint_eq(n, strlen(s));
	d = malloc(n + 1);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(vscsi_filter_describe(f, d, n + 1), n);
	ck_assert_str_eq(d, s);
	g = compile_ok(d);
	for (e = 0; e < E_COUNT; e++)
		ck_assert_int_eq(vscsi_filter_match(f, &ev[e]),
				 vscsi_filter_match(g, &ev[e]));
	vscsi_filter_free(f);
	vscsi_filter_free(g);
	free(d);

	/* a long and-chain of true terms, one false at the end */
	len = 0;
	while (len < VSCSI_FILTER_MAX_LEN - 40)
		len += (size_t)sprintf(s + len, "lun == 1 && ");
	sprintf(s + len, "lba == 2048");
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_READ_REQ]), 1);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_READ_DONE]), 1);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_WRITE_ERR]), 0);
	vscsi_filter_free(f);

	/* exactly the limit compiles; one byte more does not */
	memset(s, ' ', VSCSI_FILTER_MAX_LEN);
	memcpy(s, "error", 5);
	s[VSCSI_FILTER_MAX_LEN] = '\0';
	f = compile_ok(s);
	ck_assert_int_eq(vscsi_filter_match(f, &ev[E_WRITE_ERR]), 1);
	vscsi_filter_free(f);
	s[VSCSI_FILTER_MAX_LEN] = ' ';
	s[VSCSI_FILTER_MAX_LEN + 1] = '\0';
	syntax(s, VSCSI_FILTER_MAX_LEN + 1,
	       "expression longer than 65536 bytes");
	free(s);
}
END_TEST

/* ------------------------------------------------------------ describe */

typedef struct norm {
	const char *in;
	const char *out;
} norm;

static const norm norms[] = {
	{ "LUN==1&&LBA>0x800", "lun == 1 and lba > 2048" },
	{ "vq=2", "queue == 2" },
	{ "sense_key", "sense.key" },
	{ "!(error || lat>1s)", "not (error or lat > 1s)" },
	{ "(lun == 1 or lun == 2) and (error)",
	  "(lun == 1 or lun == 2) and error" },
	{ "((error))", "error" },
	{ "(error and lun == 1) and lba == 3", "error and lun == 1 and lba == 3" },
	{ "error or (lun == 1 or lba == 3)", "error or lun == 1 or lba == 3" },
	{ "error or (lun == 1 and lba == 3)", "error or lun == 1 and lba == 3" },
	{ "not not error", "not not error" },
	{ "not (not error)", "not not error" },
	{ "lat > 1500us", "lat > 1500us" },
	{ "lat > 1.5ms", "lat > 1500us" },
	{ "lat > 1000ms", "lat > 1s" },
	{ "lat > 0.000001s", "lat > 1us" },
	{ "lat > 0", "lat > 0ns" },
	{ "lat > 7ns", "lat > 7ns" },
	{ "bytes >= 4096", "bytes >= 4k" },
	{ "bytes > 1536", "bytes > 1536" },
	{ "bytes > 1.5k", "bytes > 1536" },
	{ "bytes == 2048m", "bytes == 2g" },
	{ "bytes == 1024g", "bytes == 1t" },
	{ "bytes > 0", "bytes > 0" },
	{ "status == 2", "status == check_condition" },
	{ "status == \"Task Set Full\"", "status == task_set_full" },
	{ "status == 0x99", "status == 153" },
	{ "response == function_complete", "response == ok" },
	{ "response == 99", "response == 99" },
	{ "sense.key == 3", "sense.key == medium_error" },
	{ "tmf == 4", "tmf == i_t_nexus_reset" },
	{ "type == \"vhost user\"", "type == vhost_user" },
	{ "attr == 2", "attr == head" },
	{ "class == 3", "class == flush" },
	{ "class == 9", "class == 9" },
	{ "op == READ(10)", "op == read(10)" },
	{ "op == Read10", "op == read10" },
	{ "op == 0x28", "op == 0x28" },
	{ "op == 40", "op == 0x28" },
	{ "op == \"WRITE SAME(16)\"", "op == \"write same(16)\"" },
	{ "op == 'Read-10'", "op == \"read-10\"" },
	{ "op == 0x9e/0x10", "op == 0x9e/0x10" },
	{ "lun == 0:wlun", "lun == 0:wlun" },
	{ "lun == wlun", "lun == wlun" },
	{ "lun != 0x1:0x2", "lun != 1:2" },
	{ "tag == 4660", "tag == 0x1234" },
	{ "asc == 12", "asc == 0xc" },
	{ "head >= 1 and conn <= 2 and target < 3 and len > 4",
	  "head >= 1 and conn <= 2 and target < 3 and len > 4" },
	{ "error", "error" },
	{ "  error  ", "error" },
};

START_TEST(test_describe)
{
	vscsi_filter *f = compile_ok(norms[_i].in);
	char d[256];
	size_t n;

	n = vscsi_filter_describe(f, d, sizeof(d));
	ck_assert_str_eq(d, norms[_i].out);
	ck_assert_uint_eq(n, strlen(norms[_i].out));
	vscsi_filter_free(f);
}
END_TEST

START_TEST(test_describe_snprintf)
{
	vscsi_filter *f = compile_ok("lun == 1 and lba > 2048");
	const char *full = "lun == 1 and lba > 2048";
	char d[32];
	size_t len;

	ck_assert_uint_eq(vscsi_filter_describe(f, NULL, 0), strlen(full));
	for (len = 1; len <= strlen(full) + 1; len++) {
		memset(d, 'x', sizeof(d));
		ck_assert_uint_eq(vscsi_filter_describe(f, d, len),
				  strlen(full));
		ck_assert_uint_eq(strlen(d), len - 1);
		ck_assert(strncmp(d, full, len - 1) == 0);
		ck_assert_int_eq(d[len], 'x');
	}
	vscsi_filter_free(f);
}
END_TEST

/*
 * Every value of every named field: "field == N" describes as a name or a
 * number that compiles back to N (a name that resolved to another value
 * would show here).
 */
static void named_round_trip(const char *field, size_t off, int e)
{
	unsigned v;

	for (v = 0; v < 256; v++) {
		char expr[64], d[128];
		vscsi_filter *f, *g;
		vscsi_io io = ev[e];

		snprintf(expr, sizeof(expr), "%s == %u", field, v);
		f = compile_ok(expr);
		vscsi_filter_describe(f, d, sizeof(d));
		g = compile_ok(d);
		((uint8_t *)&io)[off] = (uint8_t)v;
		ck_assert_msg(vscsi_filter_match(g, &io) == 1,
			      "'%s' -> '%s' misses %u", expr, d, v);
		((uint8_t *)&io)[off] = (uint8_t)(v + 1);
		ck_assert_msg(vscsi_filter_match(g, &io) == 0,
			      "'%s' -> '%s' matches %u", expr, d, v + 1);
		vscsi_filter_free(f);
		vscsi_filter_free(g);
	}
}

START_TEST(test_named_round_trip)
{
	named_round_trip("status", offsetof(vscsi_io, status), E_WRITE_ERR);
	named_round_trip("response", offsetof(vscsi_io, response),
			 E_WRITE_ERR);
	named_round_trip("sense.key", offsetof(vscsi_io, sense_key),
			 E_WRITE_ERR);
	named_round_trip("type", offsetof(vscsi_io, type), E_WRITE_ERR);
	named_round_trip("attr", offsetof(vscsi_io, task_attr), E_WRITE_ERR);
	named_round_trip("class", offsetof(vscsi_io, op_class), E_WRITE_ERR);
	named_round_trip("asc", offsetof(vscsi_io, asc), E_WRITE_ERR);
	named_round_trip("op", offsetof(vscsi_io, opcode), E_WRITE_ERR);
}
END_TEST

/* Every name a name function gives is accepted and means its value. */
START_TEST(test_all_names)
{
	unsigned v;
	char expr[128];
	vscsi_filter *f;
	vscsi_io io = ev[E_WRITE_ERR];

	for (v = 0; v < 256; v++) {
		const char *n = vscsi_status_name((uint8_t)v);

		if (!n)
			continue;
		snprintf(expr, sizeof(expr), "status == \"%s\"", n);
		f = compile_ok(expr);
		io.status = (uint8_t)v;
		ck_assert_int_eq(vscsi_filter_match(f, &io), 1);
		io.status = (uint8_t)(v + 1);
		ck_assert_int_eq(vscsi_filter_match(f, &io), 0);
		vscsi_filter_free(f);
	}
	for (v = 0; v < 16; v++) {
		snprintf(expr, sizeof(expr), "sense.key == \"%s\"",
			 vscsi_sense_key_name(v));
		f = compile_ok(expr);
		io = ev[E_WRITE_ERR];
		io.sense_key = (uint8_t)v;
		ck_assert_int_eq(vscsi_filter_match(f, &io), 1);
		vscsi_filter_free(f);
	}
	for (v = 0; vscsi_tmf_name(v); v++) {
		snprintf(expr, sizeof(expr), "tmf == %s", vscsi_tmf_name(v));
		f = compile_ok(expr);
		io = ev[E_TMF];
		io.tmf = v;
		ck_assert_int_eq(vscsi_filter_match(f, &io), 1);
		io.tmf = v + 1;
		ck_assert_int_eq(vscsi_filter_match(f, &io), 0);
		vscsi_filter_free(f);
	}
	ck_assert_uint_eq(v, 8);
	for (v = 0; vscsi_vs_response_name(v, 0); v++) {
		snprintf(expr, sizeof(expr), "response == %s",
			 vscsi_vs_response_name(v, 0));
		f = compile_ok(expr);
		io = ev[E_WRITE_ERR];
		io.response = (uint8_t)v;
		ck_assert_int_eq(vscsi_filter_match(f, &io), 1);
		vscsi_filter_free(f);
	}
	ck_assert_uint_eq(v, 13);
}
END_TEST

/* ------------------------------------------------------------ field help */

START_TEST(test_field_help)
{
	static const char *const want[] = {
		"lun", "target", "queue", "conn", "head", "tag", "op",
		"class", "lba", "len", "bytes", "lat", "status", "response",
		"sense.key", "asc", "ascq", "tmf", "type", "attr", "error",
	};
	const char *name = NULL, *help;
	unsigned i;

	for (i = 0; (help = vscsi_filter_field_help(i, &name)); i++) {
		vscsi_filter *f;

		ck_assert_uint_lt(i, ARRAY_LEN(want));
		ck_assert_str_eq(name, want[i]);
		ck_assert_uint_gt(strlen(help), 10);
		ck_assert_ptr_null(strchr(help, '\n'));
		/* every field is a truth test */
		f = compile_ok(name);
		vscsi_filter_free(f);
		ck_assert_ptr_nonnull(vscsi_filter_field_help(i, NULL));
	}
	ck_assert_uint_eq(i, ARRAY_LEN(want));
	name = "untouched";
	ck_assert_ptr_null(vscsi_filter_field_help(i, &name));
	ck_assert_str_eq(name, "untouched");
	ck_assert_ptr_null(vscsi_filter_field_help(~0u, &name));
}
END_TEST

/* ------------------------------------------------------------ threads */

static vscsi_filter *shared_f;

static void *match_thread(void *arg)
{
	long hits = 0;
	int i;

	(void)arg;
	for (i = 0; i < 200000; i++)
		hits += vscsi_filter_match(shared_f, &ev[i % E_COUNT]);
	return (void *)hits;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	void *r;
	long want = 0;
	int i;

	shared_f = compile_ok("(class == read or class == write) and lat > 1ms "
			      "or error");
	for (i = 0; i < 200000; i++)
		want += vscsi_filter_match(shared_f, &ev[i % E_COUNT]);
	ck_assert_int_gt(want, 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, match_thread,
						NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_int_eq((long)r, want);
	}
	vscsi_filter_free(shared_f);
}
END_TEST

static Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_events);
	tcase_add_loop_test(tc, test_rows, 0, (int)ARRAY_LEN(rows));
	tcase_add_loop_test(tc, test_rows_round_trip, 0, (int)ARRAY_LEN(rows));
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_args);
	tcase_add_loop_test(tc, test_syntax_errors, 0, (int)ARRAY_LEN(bads));
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_long);
	tcase_add_loop_test(tc, test_describe, 0, (int)ARRAY_LEN(norms));
	tcase_add_test(tc, test_describe_snprintf);
	tcase_add_test(tc, test_named_round_trip);
	tcase_add_test(tc, test_all_names);
	tcase_add_test(tc, test_field_help);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(filter_suite)
