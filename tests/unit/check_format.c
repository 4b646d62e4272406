/* Text and JSON lines for every kind of event (format.h). */
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/format.h"

static const vscsi_fmt_where where = { 1500000123ull, 0, 2, 7 };

static vscsi_cmd_req req_read10(void)
{
	static const uint8_t cdb[10] = { 0x28, 0x08, 0, 0, 0x08, 0, 0, 0,
					 0x08, 0 };
	vscsi_cmd_req r;

	memset(&r, 0, sizeof(r));
	vscsi_lun_encode(r.lun.raw, 0, 1, 1);
	vscsi_lun_decode(r.lun.raw, &r.lun);
	r.tag = 0x1a;
	r.cdb_size = 32;
	memcpy(r.cdb, cdb, sizeof(cdb));
	r.hdr_len = 51;
	return r;
}

START_TEST(test_request_line)
{
	vscsi_cmd_req r = req_read10();
	char buf[512];
	size_t n;

	n = vscsi_fmt_cmd_req(buf, sizeof(buf), &where, &r, 0);
	ck_assert_str_eq(buf, "1.500000123 q2 0:1 tag=0x1a > "
			      "READ(10) lba=2048 len=8 fua");
	ck_assert_uint_eq(n, strlen(buf));
	r.task_attr = VSCSI_TASK_ORDERED;
	r.data_out_len = 4096;
	vscsi_fmt_cmd_req(buf, sizeof(buf), &where, &r, VSCSI_FMT_NO_TIME);
	ck_assert_str_eq(buf, "q2 0:1 tag=0x1a > READ(10) lba=2048 len=8 fua "
			      "ORDERED out=4096");
	vscsi_fmt_cmd_req(buf, sizeof(buf), &where, &r, VSCSI_FMT_VERBOSE);
	ck_assert_str_eq(buf, "1.500000123 c0 q2 h7 0:1 tag=0x1a > "
			      "READ(10) lba=2048 len=8 fua "
			      "cdb=28080000080000000800 ORDERED out=4096 "
			      "prio=0 crn=0");
}
END_TEST

START_TEST(test_completion_lines)
{
	vscsi_cmd_req r = req_read10();
	vscsi_cmd_resp p;
	char buf[512];

	memset(&p, 0, sizeof(p));
	p.hdr_len = 108;
	vscsi_fmt_cmd_resp(buf, sizeof(buf), &where, &r, &p, 108 + 4096, 15200,
			   0);
	ck_assert_str_eq(buf, "1.500000123 q2 0:1 tag=0x1a < READ(10) OK GOOD "
			      "in=4096 lat=15.2us");
	/* CHECK CONDITION with fixed sense MEDIUM ERROR 11/00 */
	p.status = 2;
	p.sense_copied = 18;
	p.sense_len = 18;
	p.sense[0] = 0x70;
	p.sense[2] = 0x03;
	p.sense[7] = 10;
	p.sense[12] = 0x11;
	vscsi_fmt_cmd_resp(buf, sizeof(buf), &where, &r, &p, 108, 1250000,
			   VSCSI_FMT_NO_TIME);
	ck_assert_ptr_nonnull(strstr(buf, "q2 0:1 tag=0x1a < READ(10) OK "
					  "CHECK CONDITION MEDIUM ERROR 11/00"));
	ck_assert_ptr_nonnull(strstr(buf, " lat=1.25ms"));
	/* unknown request, bad target */
	memset(&p, 0, sizeof(p));
	p.hdr_len = 108;
	p.response = VSCSI_S_BAD_TARGET;
	vscsi_fmt_cmd_resp(buf, sizeof(buf), &where, NULL, &p, 108,
			   VSCSI_FMT_NO_LATENCY, 0);
	ck_assert_str_eq(buf, "1.500000123 q2 < BAD_TARGET");
}
END_TEST

START_TEST(test_ctrl_and_events)
{
	vscsi_ctrl_req c;
	vscsi_ctrl_resp cr;
	vscsi_event ev;
	char buf[512];

	memset(&c, 0, sizeof(c));
	vscsi_lun_encode(c.lun.raw, 0, 0, 0);
	vscsi_lun_decode(c.lun.raw, &c.lun);
	c.type = VSCSI_T_TMF;
	c.subtype = VSCSI_TMF_ABORT_TASK;
	c.tag = 0x5;
	vscsi_fmt_ctrl_req(buf, sizeof(buf), &where, &c, VSCSI_FMT_NO_TIME);
	ck_assert_str_eq(buf, "q2 0:0 > TMF ABORT_TASK tag=0x5");
	memset(&cr, 0, sizeof(cr));
	cr.type = VSCSI_T_TMF;
	cr.response = VSCSI_S_FUNCTION_COMPLETE;
	vscsi_fmt_ctrl_resp(buf, sizeof(buf), &where, &c, &cr, 900,
			    VSCSI_FMT_NO_TIME);
	ck_assert_str_eq(buf, "q2 0:0 < TMF ABORT_TASK tag=0x5 "
			      "FUNCTION_COMPLETE lat=900ns");
	c.type = VSCSI_T_AN_SUBSCRIBE;
	c.event_requested = VSCSI_EVT_ASYNC_MEDIA_CHANGE |
			    VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE;
	vscsi_fmt_ctrl_req(buf, sizeof(buf), &where, &c, VSCSI_FMT_NO_TIME);
	ck_assert_str_eq(buf, "q2 0:0 > AN_SUBSCRIBE "
			      "classes=OPERATIONAL_CHANGE|MEDIA_CHANGE");

	memset(&ev, 0, sizeof(ev));
	vscsi_lun_encode(ev.lun.raw, 0, 3, 0);
	vscsi_lun_decode(ev.lun.raw, &ev.lun);
	ev.event = VSCSI_EVT_TRANSPORT_RESET;
	ev.reason = VSCSI_EVT_RESET_RESCAN;
	vscsi_fmt_event(buf, sizeof(buf), &where, &ev, VSCSI_FMT_NO_TIME);
	ck_assert_str_eq(buf, "q2 0:3 EVENT TRANSPORT_RESET RESCAN");
	ev.event = VSCSI_EVT_PARAM_CHANGE | VSCSI_EVT_EVENTS_MISSED;
	ev.reason = 0x2a | 0x09 << 8;
	vscsi_fmt_event(buf, sizeof(buf), &where, &ev, VSCSI_FMT_NO_TIME);
	ck_assert_ptr_nonnull(strstr(buf, "q2 0:3 EVENT PARAM_CHANGE 2a/09 "));
	ck_assert_ptr_nonnull(strstr(buf, " EVENTS_MISSED"));
}
END_TEST

START_TEST(test_json)
{
	vscsi_cmd_req r = req_read10();
	vscsi_cmd_resp p;
	char buf[2048];

	vscsi_fmt_cmd_req_json(buf, sizeof(buf), &where, &r);
	ck_assert_ptr_nonnull(strstr(buf, "{\"type\":\"request\",\"ts_ns\":"
					  "1500000123,\"conn\":0,\"vq\":2,"
					  "\"head\":7,\"lun\":{\"target\":0,"
					  "\"lun\":1,\"raw\":\"0100400100000000\"}"
					  ",\"tag\":26,\"task_attr\":\"SIMPLE\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"lba\":2048"));
	ck_assert_ptr_nonnull(strstr(buf, "\"cdb\":\"28080000080000000800\""));
	ck_assert_int_eq(buf[strlen(buf) - 1], '}');
	memset(&p, 0, sizeof(p));
	p.hdr_len = 108;
	p.status = 2;
	p.sense_copied = 18;
	p.sense[0] = 0x70;
	p.sense[2] = 0x03;
	p.sense[7] = 10;
	p.sense[12] = 0x11;
	vscsi_fmt_cmd_resp_json(buf, sizeof(buf), &where, &r, &p, 108, 5);
	ck_assert_ptr_nonnull(strstr(buf, "\"status\":\"CHECK CONDITION\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"sense\":{"));
	ck_assert_ptr_nonnull(strstr(buf, "\"latency_ns\":5}"));
}
END_TEST

/* snprintf semantics at every buffer size. */
START_TEST(test_truncation)
{
	vscsi_cmd_req r = req_read10();
	char full[512], buf[512];
	size_t n, len;

	n = vscsi_fmt_cmd_req_json(full, sizeof(full), &where, &r);
	ck_assert_uint_lt(n, sizeof(full));
	ck_assert_uint_eq(vscsi_fmt_cmd_req_json(NULL, 0, &where, &r), n);
	for (len = 1; len <= n + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		ck_assert_uint_eq(vscsi_fmt_cmd_req_json(buf, len, &where, &r),
				  n);
		ck_assert_uint_eq(strlen(buf), len - 1 < n ? len - 1 : n);
		ck_assert_int_eq(strncmp(buf, full, len - 1), 0);
		ck_assert_int_eq(buf[len], 'x');
	}
}
END_TEST

START_TEST(test_small_pieces)
{
	char buf[256];
	vscsi_lun l;
	uint8_t raw[8] = { 1, 0, 0xc1, 0x01, 0, 0, 0, 0 };
	uint8_t bad[8] = { 2, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t data[20] = "0123456789abcdefghi";

	vscsi_lun_decode(raw, &l);
	vscsi_fmt_lun(buf, sizeof(buf), &l);
	ck_assert_str_eq(buf, "0:wlun");
	vscsi_lun_decode(bad, &l);
	vscsi_fmt_lun(buf, sizeof(buf), &l);
	ck_assert_str_eq(buf, "lun=0200000000000000");
	vscsi_fmt_duration(buf, sizeof(buf), 850);
	ck_assert_str_eq(buf, "850ns");
	vscsi_fmt_duration(buf, sizeof(buf), 2500000000ull);
	ck_assert_str_eq(buf, "2.500s");
	vscsi_fmt_hexdump(buf, sizeof(buf), data, 20, 0, 2);
	ck_assert_str_eq(buf, "  0x0000:  30 31 32 33 34 35 36 37 38 39 61 62 "
			      "63 64 65 66  0123456789abcdef\n"
			      "  0x0010:  67 68 69 00"
			      "                                    "
			      "  ghi.\n");
	vscsi_fmt_hexdump(buf, sizeof(buf), data, 20, 4, 0);
	ck_assert_str_eq(buf, "0x0000:  30 31 32 33"
			      "                                    "
			      "  0123\n... 16 more bytes\n");
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_request_line);
	tcase_add_test(tc, test_completion_lines);
	tcase_add_test(tc, test_ctrl_and_events);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_small_pieces);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(format_suite)
