/*
 * emu task management (SAM-5 7, virtio 5.6.6.2): every TMF, the commands
 * it aborts or resets completing before it, and the unit attentions after.
 */
#include "check_emu.h"

static uint8_t rdc[8][10];
static uint8_t bufs[8][512];
static struct iovec iv[8];

/* n reads of block i held in the task set (frozen), ids 1..n, tags
 * 100+i. */
static void queue_reads(uint16_t lun, unsigned n, uint8_t attr)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		iv[i].iov_base = bufs[i];
		iv[i].iov_len = 512;
		t_cdb10(rdc[i], 0x28, 0, i, 1);
		t_submit(0, lun, 100 + i, attr, rdc[i], 10, NULL, 0, &iv[i], 1,
			 1 + i);
	}
}

static void tmf(uint8_t target, uint16_t lun, uint32_t sub, uint64_t tag,
		uintptr_t id)
{
	vscsi_lun l = t_lun(target, lun);

	ck_assert_int_eq(emu_tmf(E.dev, &l, sub, tag, (void *)id), VSCSI_OK);
}

static const t_log_entry *find(uintptr_t id, unsigned *pos)
{
	unsigned i;

	for (i = 0; i < E.nlog; i++) {
		if (E.log[i].id == id) {
			if (pos)
				*pos = i;
			return &E.log[i];
		}
	}
	ck_abort_msg("no completion for %lu", (unsigned long)id);
	return NULL;
}

START_TEST(test_abort_task)
{
	const t_log_entry *e;
	unsigned pa, pt;

	t_setup("/dev/shm", 1 << 20, "");
	emu_freeze(E.dev, 1);
	queue_reads(0, 3, VSCSI_TASK_SIMPLE);
	tmf(0, 0, VSCSI_TMF_ABORT_TASK, 101, 50);
	/* the aborted command and the TMF complete at once, in order */
	emu_process(E.dev);
	ck_assert_uint_eq(E.nlog, 2);
	e = find(2, &pa);
	ck_assert_uint_eq(e->res.response, VSCSI_S_ABORTED);
	ck_assert_uint_eq(e->res.data_in_len, 0);
	ck_assert_uint_eq(e->res.resid, 512);
	e = find(50, &pt);
	ck_assert(e->is_tmf);
	ck_assert_uint_eq(e->tmf_resp, VSCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_lt(pa, pt);
	/* an unknown tag: FUNCTION COMPLETE, nothing aborted */
	tmf(0, 0, VSCSI_TMF_ABORT_TASK, 999, 51);
	emu_process(E.dev);
	ck_assert_uint_eq(E.nlog, 3);
	ck_assert_uint_eq(find(51, NULL)->tmf_resp,
			  VSCSI_S_FUNCTION_COMPLETE);
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, 5);
	T_GOOD(find(1, NULL)->res);
	T_GOOD(find(3, NULL)->res);
	t_teardown();
}
END_TEST

START_TEST(test_abort_task_set)
{
	unsigned i, p, pt;
	uint32_t subs[2] = {VSCSI_TMF_ABORT_TASK_SET, VSCSI_TMF_CLEAR_TASK_SET};
	unsigned k;

	for (k = 0; k < 2; k++) {
		t_setup("/dev/shm", 1 << 20, "");
		t_add(0, 1, E.path, "", 0);
		t_clear_ua(0, 1);
		emu_freeze(E.dev, 1);
		queue_reads(0, 3, VSCSI_TASK_SIMPLE);
		t_submit(0, 1, 7, 0, t_tur, 6, NULL, 0, NULL, 0, 77);
		tmf(0, 0, subs[k], 0, 60);
		emu_process(E.dev);
		ck_assert_uint_eq(E.nlog, 4);
		find(60, &pt);
		ck_assert_uint_eq(E.log[pt].tmf_resp,
				  VSCSI_S_FUNCTION_COMPLETE);
		for (i = 1; i <= 3; i++) {
			const t_log_entry *e = find(i, &p);

			ck_assert_uint_eq(e->res.response, VSCSI_S_ABORTED);
			ck_assert_uint_lt(p, pt);
		}
		/* the other LUN's command is untouched; no UA for us */
		emu_freeze(E.dev, 0);
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		T_GOOD(find(77, NULL)->res);
		{
			emu_result r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);

			T_GOOD(r);
		}
		t_teardown();
	}
}
END_TEST

/* LOGICAL UNIT RESET: the set gets RESET, the LU BUS DEVICE RESET
 * FUNCTION OCCURRED (29/03), mode pages return to defaults. */
START_TEST(test_lu_reset)
{
	uint8_t ms[10] = {0x5a, 0x08, 0x08, 0, 0, 0, 0, 0, 64, 0};
	uint8_t sel[10] = {0x55, 0x10, 0, 0, 0, 0, 0, 0, 28, 0};
	uint8_t p[64];
	emu_result r;
	unsigned i, pt, pc;

	t_setup("/dev/shm", 1 << 20, "");
	t_add(0, 1, E.path, "", 0);
	t_clear_ua(0, 1);
	/* WCE off first */
	r = t_exec(0, ms, 10, NULL, 0, p, sizeof(p));
	T_GOOD(r);
	memset(p, 0, 2);
	p[8 + 2] = 0;
	r = t_exec(0, sel, 10, p, 28, NULL, 0);
	T_GOOD(r);
	emu_freeze(E.dev, 1);
	queue_reads(0, 4, VSCSI_TASK_SIMPLE);
	t_submit(0, 1, 7, 0, t_tur, 6, NULL, 0, NULL, 0, 77);
	tmf(0, 0, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 70);
	emu_process(E.dev);
	find(70, &pt);
	ck_assert_uint_eq(E.log[pt].tmf_resp, VSCSI_S_FUNCTION_COMPLETE);
	for (i = 1; i <= 4; i++) {
		ck_assert_uint_eq(find(i, &pc)->res.response, VSCSI_S_RESET);
		ck_assert_uint_lt(pc, pt);
	}
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	T_GOOD(find(77, NULL)->res);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x29, 0x03);
	r = t_exec(1, t_tur, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, ms, 10, NULL, 0, p, sizeof(p));
	T_GOOD(r);
	ck_assert_uint_eq(p[8 + 2] & 0x04, 0x04);
	t_teardown();
}
END_TEST

/* I_T NEXUS RESET: every LUN of the target (SAM-5 7.6), 29/07 on each;
 * another target is untouched. */
START_TEST(test_it_nexus_reset)
{
	emu_result r;
	unsigned pt, p;

	t_setup("/dev/shm", 1 << 20, "");
	t_add(0, 1, E.path, "", 0);
	t_add(1, 0, E.path, "", 0);
	t_clear_ua(0, 1);
	t_clear_ua(1, 0);
	emu_freeze(E.dev, 1);
	queue_reads(0, 2, VSCSI_TASK_ORDERED);
	t_submit(0, 1, 7, 0, t_tur, 6, NULL, 0, NULL, 0, 77);
	t_submit(1, 0, 8, 0, t_tur, 6, NULL, 0, NULL, 0, 88);
	/* addressed through a LUN that does not exist: still the target */
	tmf(0, 5, VSCSI_TMF_I_T_NEXUS_RESET, 0, 80);
	emu_process(E.dev);
	find(80, &pt);
	ck_assert_uint_eq(E.log[pt].tmf_resp, VSCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(find(1, &p)->res.response, VSCSI_S_RESET);
	ck_assert_uint_lt(p, pt);
	ck_assert_uint_eq(find(2, &p)->res.response, VSCSI_S_RESET);
	ck_assert_uint_eq(find(77, &p)->res.response, VSCSI_S_RESET);
	ck_assert_uint_lt(p, pt);
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	T_GOOD(find(88, NULL)->res);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x29, 0x07);
	r = t_exec(1, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x29, 0x07);
	r = t_exec_attr(1, 0, 0, t_tur, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	t_teardown();
}
END_TEST

START_TEST(test_query)
{
	t_setup("/dev/shm", 1 << 20, "");
	tmf(0, 0, VSCSI_TMF_QUERY_TASK_SET, 0, 90);
	emu_process(E.dev);
	ck_assert_uint_eq(find(90, NULL)->tmf_resp,
			  VSCSI_S_FUNCTION_COMPLETE);
	emu_freeze(E.dev, 1);
	queue_reads(0, 2, VSCSI_TASK_SIMPLE);
	tmf(0, 0, VSCSI_TMF_QUERY_TASK, 101, 91);
	tmf(0, 0, VSCSI_TMF_QUERY_TASK, 555, 92);
	tmf(0, 0, VSCSI_TMF_QUERY_TASK_SET, 0, 93);
	emu_process(E.dev);
	ck_assert_uint_eq(find(91, NULL)->tmf_resp,
			  VSCSI_S_FUNCTION_SUCCEEDED);
	ck_assert_uint_eq(find(92, NULL)->tmf_resp,
			  VSCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(find(93, NULL)->tmf_resp,
			  VSCSI_S_FUNCTION_SUCCEEDED);
	/* queries abort nothing */
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	T_GOOD(find(1, NULL)->res);
	T_GOOD(find(2, NULL)->res);
	t_teardown();
}
END_TEST

START_TEST(test_tmf_addressing)
{
	uint8_t raw[8] = {1, 0, 0x80, 0, 0, 0, 0, 0};
	vscsi_lun bad;

	t_setup("/dev/shm", 1 << 20, "");
	tmf(0, 0, VSCSI_TMF_CLEAR_ACA, 0, 1);
	tmf(0, 3, VSCSI_TMF_ABORT_TASK_SET, 0, 2);
	tmf(0, 3, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 3);
	tmf(4, 0, VSCSI_TMF_ABORT_TASK, 1, 4);
	tmf(0, 0, 8, 0, 5);
	tmf(0, 0, 0xffffffffu, 0, 6);
	vscsi_lun_decode(raw, &bad);
	ck_assert_int_eq(emu_tmf(E.dev, &bad, VSCSI_TMF_ABORT_TASK, 0,
				 (void *)7), VSCSI_OK);
	ck_assert_int_eq(emu_tmf(E.dev, NULL, 0, 0, NULL), VSCSI_ERR_ARG);
	emu_process(E.dev);
	ck_assert_uint_eq(E.nlog, 7);
	ck_assert_uint_eq(find(1, NULL)->tmf_resp, VSCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(find(2, NULL)->tmf_resp, VSCSI_S_INCORRECT_LUN);
	ck_assert_uint_eq(find(3, NULL)->tmf_resp, VSCSI_S_INCORRECT_LUN);
	ck_assert_uint_eq(find(4, NULL)->tmf_resp, VSCSI_S_BAD_TARGET);
	ck_assert_uint_eq(find(5, NULL)->tmf_resp, VSCSI_S_FUNCTION_REJECTED);
	ck_assert_uint_eq(find(6, NULL)->tmf_resp, VSCSI_S_FUNCTION_REJECTED);
	ck_assert_uint_eq(find(7, NULL)->tmf_resp, VSCSI_S_BAD_TARGET);
	t_teardown();
}
END_TEST

/* Commands whose I/O is in the kernel (io_uring) are waited for: the TMF
 * completes only after they do, and they report RESET even when their
 * read finished. */
START_TEST(test_tmf_waits_for_kernel)
{
	enum { N = 32 };
	static uint8_t cb[N][10], bb[N][4096];
	struct iovec v[N];
	unsigned i, pt, p, killed = 0;

	t_setup("/tmp", 4 << 20, ",io=uring");
	for (i = 0; i < N; i++) {
		v[i].iov_base = bb[i];
		v[i].iov_len = 4096;
		t_cdb10(cb[i], 0x28, 0, i * 8, 8);
		t_submit(0, 0, i, 0, cb[i], 10, NULL, 0, &v[i], 1, 1 + i);
	}
	ck_assert_uint_eq(E.nlog, 0);
	tmf(0, 0, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, 500);
	tmf(0, 0, VSCSI_TMF_ABORT_TASK_SET, 0, 501);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, N + 2);
	find(500, &pt);
	for (i = 0; i < N; i++) {
		const t_log_entry *e = find(1 + i, &p);

		ck_assert_uint_lt(p, pt);
		if (e->res.response == VSCSI_S_RESET)
			killed++;
	}
	ck_assert_uint_eq(killed, N);
	ck_assert_uint_lt(pt, (find(501, &p), p));
	t_teardown();
}
END_TEST

static Suite *emu_tmf_suite(void)
{
	Suite *s = suite_create("emu_tmf");
	TCase *tc = tcase_create("tmf");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_abort_task);
	tcase_add_test(tc, test_abort_task_set);
	tcase_add_test(tc, test_lu_reset);
	tcase_add_test(tc, test_it_nexus_reset);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_tmf_addressing);
	tcase_add_test(tc, test_tmf_waits_for_kernel);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(emu_tmf_suite)
