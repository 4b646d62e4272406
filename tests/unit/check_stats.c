/* Histograms, request tracking and statistics. */
#include <string.h>

#include "testutil.h"
#include "vscsi.h"
#include "vscsi/io.h"
#include "vscsi/stats.h"

/* ------------------------------------------------------------ histogram */

START_TEST(test_hist_geometry)
{
	uint64_t v, lo, hi;
	unsigned i, prev = 0;

	/* every bucket's range holds exactly the values that map to it */
	for (i = 0; i < VSCSI_HIST_BUCKETS; i++) {
		vscsi_hist_bucket_range(i, &lo, &hi);
		ck_assert_uint_le(lo, hi);
		ck_assert_uint_eq(vscsi_hist_bucket(lo), i);
		ck_assert_uint_eq(vscsi_hist_bucket(hi), i);
		if (i + 1 < VSCSI_HIST_BUCKETS) {
			uint64_t lo2, hi2;

			vscsi_hist_bucket_range(i + 1, &lo2, &hi2);
			ck_assert_uint_eq(lo2, hi + 1);
		}
		/* relative width at most 1/32 above the exact range */
		if (lo >= VSCSI_HIST_SUB)
			ck_assert_uint_le((hi - lo + 1) * VSCSI_HIST_SUB, lo);
	}
	vscsi_hist_bucket_range(VSCSI_HIST_BUCKETS - 1, &lo, &hi);
	ck_assert_uint_eq(hi, UINT64_MAX);
	/* monotone */
	for (v = 1; v < 100000; v = v * 3 / 2 + 1) {
		unsigned b = vscsi_hist_bucket(v);

		ck_assert_uint_ge(b, prev);
		prev = b;
	}
}
END_TEST

START_TEST(test_hist_quantiles)
{
	vscsi_hist h;
	uint64_t v, p50, p99;

	vscsi_hist_init(&h);
	ck_assert_uint_eq(vscsi_hist_quantile(&h, 0.5), 0);
	for (v = 1; v <= 10000; v++)
		vscsi_hist_add(&h, v * 1000);	/* 1us .. 10ms */
	ck_assert_uint_eq(h.count, 10000);
	ck_assert_uint_eq(h.min, 1000);
	ck_assert_uint_eq(h.max, 10000000);
	ck_assert_uint_eq(vscsi_hist_mean(&h), 5000500);
	p50 = vscsi_hist_quantile(&h, 0.5);
	p99 = vscsi_hist_quantile(&h, 0.99);
	/* within the 1/32 bucket error */
	ck_assert_uint_ge(p50, 5000000 - 5000000 / 32);
	ck_assert_uint_le(p50, 5000000 + 5000000 / 32);
	ck_assert_uint_ge(p99, 9900000 - 9900000 / 32);
	ck_assert_uint_le(p99, 9900000 + 9900000 / 32);
	ck_assert_uint_eq(vscsi_hist_quantile(&h, 1.0), 10000000);
	ck_assert_uint_eq(vscsi_hist_quantile(&h, 0.0), 1000);
}
END_TEST

START_TEST(test_hist_merge)
{
	static vscsi_hist a, b, all;
	uint64_t v;

	vscsi_hist_init(&a);
	vscsi_hist_init(&b);
	vscsi_hist_init(&all);
	for (v = 0; v < 5000; v++) {
		vscsi_hist_add(v % 2 ? &a : &b, v * 37);
		vscsi_hist_add(&all, v * 37);
	}
	vscsi_hist_merge(&a, &b);
	ck_assert_mem_eq(&a, &all, sizeof(a));
	/* saturating sum */
	vscsi_hist_init(&a);
	vscsi_hist_add(&a, UINT64_MAX);
	vscsi_hist_add(&a, 5);
	ck_assert_uint_eq(a.sum, UINT64_MAX);
}
END_TEST

/* ------------------------------------------------------------ tracker */

static vscsi_cmd_req make_read10(uint64_t tag, uint32_t lba, uint16_t blocks)
{
	vscsi_cmd_req r;

	memset(&r, 0, sizeof(r));
	vscsi_lun_encode(r.lun.raw, 0, 1, 0);
	vscsi_lun_decode(r.lun.raw, &r.lun);
	r.tag = tag;
	r.cdb_size = 32;
	r.cdb[0] = 0x28;
	vscsi_put_be32(&r.cdb[2], lba);
	vscsi_put_be16(&r.cdb[7], blocks);
	r.hdr_len = 51;
	return r;
}

START_TEST(test_tracker_pairs)
{
	vscsi_tracker *t = vscsi_tracker_new(0);
	vscsi_tracker_counts c;
	vscsi_inflight e;
	vscsi_cmd_req r;
	unsigned i;

	ck_assert_ptr_nonnull(t);
	/* many heads on two queues and two connections, completed out of order */
	for (i = 0; i < 3000; i++) {
		vscsi_track_key k = { i % 2, (uint16_t)(2 + i % 3), (uint16_t)i };

		r = make_read10(i, i * 8, 8);
		ck_assert_int_eq(vscsi_tracker_submit_cmd(t, k, 1000 + i, &r),
				 VSCSI_OK);
	}
	ck_assert_uint_eq(vscsi_tracker_count(t), 3000);
	for (i = 0; i < 3000; i += 2) {
		vscsi_track_key k = { i % 2, (uint16_t)(2 + i % 3), (uint16_t)i };

		ck_assert_int_eq(vscsi_tracker_complete(t, k, &e), 1);
		ck_assert_uint_eq(e.req.cmd.tag, i);
		ck_assert_uint_eq(e.ts_ns, 1000 + i);
		/* completing twice: unmatched */
		ck_assert_int_eq(vscsi_tracker_complete(t, k, &e), 0);
	}
	for (i = 1; i < 3000; i += 2) {
		vscsi_track_key k = { i % 2, (uint16_t)(2 + i % 3), (uint16_t)i };

		ck_assert_int_eq(vscsi_tracker_complete(t, k, &e), 1);
		ck_assert_uint_eq(e.req.cmd.tag, i);
	}
	ck_assert_uint_eq(vscsi_tracker_count(t), 0);
	vscsi_tracker_counters(t, &c);
	ck_assert_uint_eq(c.submitted, 3000);
	ck_assert_uint_eq(c.completed, 3000);
	ck_assert_uint_eq(c.unmatched, 1500);
	ck_assert_uint_eq(c.reused, 0);
	vscsi_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_reuse_overflow_drop_oldest)
{
	vscsi_tracker *t = vscsi_tracker_new(4);
	vscsi_tracker_counts c;
	const vscsi_inflight *old[8];
	vscsi_cmd_req r = make_read10(1, 0, 1);
	vscsi_track_key k = { 0, 2, 7 };
	unsigned i;

	ck_assert_int_eq(vscsi_tracker_submit_cmd(t, k, 10, &r), VSCSI_OK);
	r.tag = 2;
	ck_assert_int_eq(vscsi_tracker_submit_cmd(t, k, 20, &r), 1);
	vscsi_tracker_counters(t, &c);
	ck_assert_uint_eq(c.reused, 1);
	ck_assert_uint_eq(vscsi_tracker_count(t), 1);
	for (i = 0; i < 3; i++) {
		vscsi_track_key k2 = { 1, 2, (uint16_t)i };

		ck_assert_int_eq(vscsi_tracker_submit_cmd(t, k2, 30 + i, &r),
				 VSCSI_OK);
	}
	{
		vscsi_track_key k3 = { 1, 2, 99 };

		ck_assert_int_eq(vscsi_tracker_submit_cmd(t, k3, 50, &r),
				 VSCSI_ERR_NOSPACE);
	}
	vscsi_tracker_counters(t, &c);
	ck_assert_uint_eq(c.overflow, 1);
	/* oldest first: the reused head got a new sequence, so it is first
	 * by submission order (it was resubmitted before the others) */
	ck_assert_uint_eq(vscsi_tracker_oldest(t, old, 8), 4);
	ck_assert_uint_eq(old[0]->key.head, 7);
	ck_assert_uint_eq(old[0]->req.cmd.tag, 2);
	ck_assert_uint_eq(old[1]->key.head, 0);
	ck_assert_uint_eq(old[3]->key.head, 2);
	ck_assert_uint_eq(vscsi_tracker_oldest(t, old, 2), 2);
	ck_assert_uint_eq(vscsi_tracker_drop(t, 1), 3);
	ck_assert_uint_eq(vscsi_tracker_count(t), 1);
	ck_assert_uint_eq(vscsi_tracker_drop(t, UINT32_MAX), 1);
	ck_assert_uint_eq(vscsi_tracker_count(t), 0);
	vscsi_tracker_free(t);
}
END_TEST

/* Random submit/complete against a simple model. */
START_TEST(test_tracker_model)
{
	enum { HEADS = 512 };
	static int live[HEADS];
	vscsi_tracker *t = vscsi_tracker_new(0);
	vscsi_cmd_req r = make_read10(0, 0, 1);
	uint32_t x = 12345;
	size_t n = 0;
	unsigned i;

	memset(live, 0, sizeof(live));
	for (i = 0; i < 200000; i++) {
		vscsi_track_key k;
		unsigned h;

		x = x * 1103515245u + 12345u;
		h = (x >> 8) % HEADS;
		k.conn = h % 3;
		k.vq = (uint16_t)(h % 5);
		k.head = (uint16_t)h;
		if (x & 0x80000000u) {
			int rc = vscsi_tracker_submit_cmd(t, k, i, &r);

			ck_assert_int_eq(rc, live[h] ? 1 : 0);
			if (!live[h])
				n++;
			live[h] = 1;
		} else {
			ck_assert_int_eq(vscsi_tracker_complete(t, k, NULL),
					 live[h]);
			if (live[h])
				n--;
			live[h] = 0;
		}
		ck_assert_uint_eq(vscsi_tracker_count(t), n);
	}
	vscsi_tracker_free(t);
}
END_TEST

/* ------------------------------------------------------------ stats */

static vscsi_cmd_resp make_resp(uint8_t status, uint8_t key, uint8_t asc)
{
	vscsi_cmd_resp p;

	memset(&p, 0, sizeof(p));
	p.status = status;
	p.hdr_len = 108;
	if (status == 2) {
		p.sense_copied = 18;
		p.sense_len = 18;
		p.sense[0] = 0x70;
		p.sense[2] = key;
		p.sense[7] = 10;
		p.sense[12] = asc;
	}
	return p;
}

START_TEST(test_stats_groups)
{
	vscsi_stats *s = vscsi_stats_new();
	const vscsi_stats_row *rows;
	const vscsi_stats_err *errs;
	vscsi_io io;
	vscsi_cmd_req r;
	vscsi_cmd_resp p;
	size_t n;
	unsigned i;

	/* 10 sequential reads of 8 blocks on LUN 0:1, each 100us, one at a
	 * time; then 2 reads far away, the second failing with MEDIUM ERROR */
	for (i = 0; i < 12; i++) {
		uint32_t lba = i < 10 ? i * 8 : 100000 + i * 1000;
		uint64_t t0 = 1000000 + i * 200000;

		r = make_read10(i, lba, 8);
		vscsi_io_from_request(&io, 0, 2, (uint16_t)i, t0, &r);
		ck_assert_int_eq(vscsi_stats_add(s, &io), VSCSI_OK);
		p = i == 11 ? make_resp(2, 3, 0x11) : make_resp(0, 0, 0);
		vscsi_io_from_completion(&io, 0, 2, (uint16_t)i, t0 + 100000,
					 &r, t0, &p, i == 11 ? 108 : 108 + 4096);
		ck_assert_int_eq(vscsi_stats_add(s, &io), VSCSI_OK);
	}
	n = vscsi_stats_rows(s, VSCSI_GROUP_TOTAL, &rows);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(rows[0].ios, 12);
	ck_assert_uint_eq(rows[0].reads, 12);
	ck_assert_uint_eq(rows[0].bytes_read, 11 * 4096);
	ck_assert_uint_eq(rows[0].errors, 1);
	ck_assert_uint_eq(rows[0].qd_max, 1);
	ck_assert_uint_eq(rows[0].lat.count, 12);
	ck_assert_uint_eq(rows[0].lat.min, 100000);
	ck_assert_uint_eq(rows[0].lat.max, 100000);
	/* first read at LBA 0 continues from 0: sequential; 9 more; 2 random */
	ck_assert_uint_eq(rows[0].seq, 10);
	ck_assert_uint_eq(rows[0].random, 2);
	/* busy half the time: 12 x 100us in flight */
	ck_assert_uint_eq(rows[0].busy_ns, 12 * 100000);
	ck_assert_uint_eq(rows[0].qd_area, 12 * 100000);

	n = vscsi_stats_rows(s, VSCSI_GROUP_LUN, &rows);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(rows[0].key, 1);
	n = vscsi_stats_rows(s, VSCSI_GROUP_OPCODE, &rows);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(rows[0].key, (uint64_t)0x28 << 16 | 0xffff);
	n = vscsi_stats_rows(s, VSCSI_GROUP_CLASS, &rows);
	ck_assert_uint_eq(rows[0].key, VSCSI_OPC_READ);
	n = vscsi_stats_errors(s, &errs);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(errs[0].status, 2);
	ck_assert_uint_eq(errs[0].sense_key, 3);
	ck_assert_uint_eq(errs[0].asc, 0x11);
	ck_assert_uint_eq(errs[0].count, 1);

	vscsi_stats_reset(s, 5000000);
	n = vscsi_stats_rows(s, VSCSI_GROUP_TOTAL, &rows);
	ck_assert_uint_eq(rows[0].ios, 0);
	ck_assert_uint_eq(vscsi_stats_errors(s, &errs), 0);
	vscsi_stats_free(s);
}
END_TEST

START_TEST(test_stats_queue_depth)
{
	vscsi_stats *s = vscsi_stats_new();
	const vscsi_stats_row *rows;
	vscsi_io io;
	vscsi_cmd_req r = make_read10(0, 0, 1);
	vscsi_cmd_resp p = make_resp(0, 0, 0);
	unsigned i;

	/* 4 requests at t=0, completing at 100, 200, 300, 400:
	 * area = 4*100 + 3*100 + 2*100 + 1*100 = 1000 */
	for (i = 0; i < 4; i++) {
		vscsi_io_from_request(&io, 0, 2, (uint16_t)i, 1000, &r);
		vscsi_stats_add(s, &io);
	}
	for (i = 0; i < 4; i++) {
		vscsi_io_from_completion(&io, 0, 2, (uint16_t)i,
					 1000 + 100 * (i + 1), &r, 1000, &p,
					 108);
		vscsi_stats_add(s, &io);
	}
	vscsi_stats_rows(s, VSCSI_GROUP_QUEUE, &rows);
	ck_assert_uint_eq(rows[0].qd_max, 4);
	ck_assert_uint_eq(rows[0].qd_now, 0);
	ck_assert_uint_eq(rows[0].qd_area, 1000);
	ck_assert_uint_eq(rows[0].busy_ns, 400);
	/* a completion with no known request does not go below zero */
	vscsi_io_from_completion(&io, 0, 2, 9, 2000, NULL, 0, &p, 108);
	vscsi_stats_add(s, &io);
	vscsi_stats_rows(s, VSCSI_GROUP_QUEUE, &rows);
	ck_assert_uint_eq(rows[0].qd_now, 0);
	ck_assert_uint_eq(rows[0].ios, 5);
	vscsi_stats_free(s);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hist_geometry);
	tcase_add_test(tc, test_hist_quantiles);
	tcase_add_test(tc, test_hist_merge);
	tcase_add_test(tc, test_tracker_pairs);
	tcase_add_test(tc, test_tracker_reuse_overflow_drop_oldest);
	tcase_add_test(tc, test_tracker_model);
	tcase_add_test(tc, test_stats_groups);
	tcase_add_test(tc, test_stats_queue_depth);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(stats_suite)
