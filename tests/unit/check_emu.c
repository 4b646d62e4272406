/*
 * emu core: LUN specifications, addressing (virtio-scsi 5.6.6.1, SPC-5
 * 5.11), unit attentions, the common command checks, task attributes
 * (SAM-5 8.6), range ordering, run-time LUN changes and events, the event
 * loop contract and the I/O modes.
 */
#include <sys/mman.h>

#include "check_emu.h"

/* ------------------------------------------------------------ parsing */

START_TEST(test_parse_ok)
{
	emu_lun_cfg c;
	char err[128];

	ck_assert_int_eq(emu_lun_parse("0:0=/tmp/x", &c, err, sizeof(err)),
			 VSCSI_OK);
	ck_assert_uint_eq(c.target, 0);
	ck_assert_uint_eq(c.lun, 0);
	ck_assert_str_eq(c.path, "/tmp/x");
	ck_assert_uint_eq(c.flags, 0);
	ck_assert_uint_eq(c.block_size, 0);
	ck_assert_uint_eq(c.io_mode, EMU_IO_AUTO);

	ck_assert_int_eq(emu_lun_parse("255:16383=/a/b,ro,bs=4096,serial=AB-1"
				       ",direct,io=uring",
				       &c, err, sizeof(err)),
			 VSCSI_OK);
	ck_assert_uint_eq(c.target, 255);
	ck_assert_uint_eq(c.lun, 16383);
	ck_assert_str_eq(c.path, "/a/b");
	ck_assert_uint_eq(c.flags, EMU_LUN_RO | EMU_LUN_DIRECT);
	ck_assert_uint_eq(c.block_size, 4096);
	ck_assert_str_eq(c.serial, "AB-1");
	ck_assert_uint_eq(c.io_mode, EMU_IO_URING);

	ck_assert_int_eq(emu_lun_parse("1:2=/iso,cdrom,io=inline", &c, err,
				       sizeof(err)),
			 VSCSI_OK);
	ck_assert_uint_eq(c.flags, EMU_LUN_CDROM | EMU_LUN_RO);
	ck_assert_uint_eq(c.io_mode, EMU_IO_INLINE);
	ck_assert_int_eq(emu_lun_parse("1:2=/iso,cdrom,bs=2048,io=auto", &c,
				       err, sizeof(err)),
			 VSCSI_OK);
	ck_assert_uint_eq(c.block_size, 2048);
}
END_TEST

static const char *const bad_specs[] = {
	"", "0", "0:0", "0:0=", "256:0=/x", "0:16384=/x", "a:0=/x", "0:b=/x",
	"0:0=/x,bs=1024", "0:0=/x,bs=", "0:0=/x,bs=2048",
	"0:0=/x,cdrom,bs=512", "0:0=/x,serial=", "0:0=/x,serial=a b",
	"0:0=/x,serial=123456789012345678901234567890123", "0:0=/x,rw",
	"0:0=/x,io=fast", "0:0=/x,", "-1:0=/x", "0;0=/x",
};

START_TEST(test_parse_bad)
{
	emu_lun_cfg c;
	char err[128];

	err[0] = 0;
	ck_assert_int_eq(emu_lun_parse(bad_specs[_i], &c, err, sizeof(err)),
			 VSCSI_ERR_SYNTAX);
	ck_assert_msg(err[0] != 0, "no message for '%s'", bad_specs[_i]);
	ck_assert_int_eq(emu_lun_parse(NULL, &c, err, sizeof(err)),
			 VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_add_errors)
{
	emu_lun_cfg c;
	char err[256], path[128];

	t_dev();
	ck_assert_int_eq(emu_lun_parse("0:0=/nonexistent/emu", &c, NULL, 0),
			 VSCSI_OK);
	ck_assert_int_eq(emu_lun_add(E.dev, &c, 0, err, sizeof(err)),
			 VSCSI_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	/* a directory */
	ck_assert_int_eq(emu_lun_parse("0:0=/tmp", &c, NULL, 0), VSCSI_OK);
	ck_assert_int_eq(emu_lun_add(E.dev, &c, 0, err, sizeof(err)),
			 VSCSI_ERR_IO);
	/* smaller than one block */
	t_mkfile(path, sizeof(path), "/dev/shm", 511, 0);
	snprintf(err, sizeof(err), "0:0=%s", path);
	ck_assert_int_eq(emu_lun_parse(err, &c, NULL, 0), VSCSI_OK);
	ck_assert_int_eq(emu_lun_add(E.dev, &c, 0, err, sizeof(err)),
			 VSCSI_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "smaller than one"));
	ck_assert_int_eq(truncate(path, 4096 + 100), 0);
	ck_assert_int_eq(emu_lun_add(E.dev, &c, 0, err, sizeof(err)),
			 VSCSI_OK);
	/* the same address twice */
	ck_assert_int_eq(emu_lun_add(E.dev, &c, 0, err, sizeof(err)),
			 VSCSI_ERR_ARG);
	{
		uint64_t blocks;
		uint32_t bs;

		/* capacity rounds down to whole blocks */
		ck_assert_int_eq(emu_lun_capacity(E.dev, 0, 0, &blocks, &bs),
				 VSCSI_OK);
		ck_assert_uint_eq(blocks, 8);
		ck_assert_uint_eq(bs, 512);
		ck_assert_int_eq(emu_lun_capacity(E.dev, 0, 1, &blocks, &bs),
				 VSCSI_ERR_ARG);
	}
	emu_destroy(E.dev);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------ addressing */

START_TEST(test_bad_target)
{
	emu_result r;
	emu_request rq;
	uint8_t buf[96];
	uint8_t raw[8] = {1, 0, 0x80, 0, 0, 0, 0, 0}; /* bad address method */
	static const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec_attr(1, 0, VSCSI_TASK_SIMPLE, inq, 6, NULL, 0, buf, 96);
	ck_assert_uint_eq(r.response, VSCSI_S_BAD_TARGET);
	ck_assert_uint_eq(r.data_in_len, 0);
	ck_assert_uint_eq(r.resid, 96);

	memset(&rq, 0, sizeof(rq));
	vscsi_lun_decode(raw, &rq.lun);
	ck_assert_uint_eq(rq.lun.kind, VSCSI_LUN_MALFORMED);
	rq.cdb = inq;
	rq.cdb_len = 6;
	ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
	ck_assert_uint_eq(r.response, VSCSI_S_BAD_TARGET);
	t_teardown();
}
END_TEST

START_TEST(test_missing_lun)
{
	emu_result r;
	uint8_t buf[256];
	static const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
	static const uint8_t inq_vpd[6] = {0x12, 1, 0x80, 0, 96, 0};
	static const uint8_t rs[6] = {0x03, 0, 0, 0, 18, 0};
	static const uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	vscsi_sense_info si;

	t_setup("/dev/shm", 1 << 20, "");
	/* INQUIRY: peripheral qualifier 3, type 1Fh (SPC-5 6.6.2) */
	r = t_exec(5, inq, 6, NULL, 0, buf, 96);
	T_GOOD(r);
	ck_assert_uint_eq(buf[0], 0x7f);
	ck_assert_uint_eq(r.data_in_len, 96);
	/* VPD of a missing LUN */
	r = t_exec(5, inq_vpd, 6, NULL, 0, buf, 96);
	t_sense(&r, 5, 0x25, 0x00);
	/* TEST UNIT READY: LOGICAL UNIT NOT SUPPORTED */
	r = t_exec(5, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x25, 0x00);
	/* REQUEST SENSE returns it as data with GOOD */
	r = t_exec(5, rs, 6, NULL, 0, buf, 18);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 18);
	ck_assert_int_eq(vscsi_sense_decode(buf, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, 5);
	ck_assert_uint_eq(si.asc, 0x25);
	/* REPORT LUNS through a missing LUN lists the target's LUNs */
	r = t_exec(5, rl, 12, NULL, 0, buf, 256);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(buf), 8);
	ck_assert_uint_eq(r.data_in_len, 16);
	ck_assert_uint_eq(r.resid, 256 - 16);
	t_teardown();
}
END_TEST

START_TEST(test_wlun)
{
	emu_result r;
	emu_request rq;
	uint8_t buf[256], raw[8] = {1, 0, 0xc1, 0x01, 0, 0, 0, 0};
	static const uint8_t rl[12] = {0xa0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	static const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
	uint8_t rd[10];

	t_setup("/dev/shm", 1 << 20, "");
	memset(&rq, 0, sizeof(rq));
	vscsi_lun_decode(raw, &rq.lun);
	ck_assert_uint_eq(rq.lun.kind, VSCSI_LUN_REPORT_LUNS);
	rq.cdb = rl;
	rq.cdb_len = 12;
	{
		struct iovec v = {buf, sizeof(buf)};

		rq.din = &v;
		rq.din_cnt = 1;
		ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
		T_GOOD(r);
		/* SELECT REPORT 2: LUN 0 and the well-known LU */
		ck_assert_uint_eq(t_be32(buf), 16);
		ck_assert_uint_eq(buf[8 + 1], 0);
		ck_assert_uint_eq(buf[16], 0xc1);
		ck_assert_uint_eq(buf[17], 0x01);
		rq.cdb = inq;
		rq.cdb_len = 6;
		ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
		T_GOOD(r);
		ck_assert_uint_eq(buf[0], 0x1e);	/* well known LU */
		t_cdb10(rd, 0x28, 0, 0, 1);
		rq.cdb = rd;
		rq.cdb_len = 10;
		ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
		t_sense(&r, 5, 0x20, 0x00);
	}
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ UA, checks */

START_TEST(test_power_on_ua)
{
	emu_result r;
	uint8_t buf[96];
	static const uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0};
	static const uint8_t rs[6] = {0x03, 0, 0, 0, 18, 0};
	vscsi_sense_info si;

	t_dev();
	t_mkfile(E.path, sizeof(E.path), "/dev/shm", 1 << 20, 0);
	t_add(0, 0, E.path, "", 0);
	t_add(0, 1, E.path, "", 0);
	/* INQUIRY neither reports nor clears it (SPC-5 5.14) */
	r = t_exec(0, inq, 6, NULL, 0, buf, 96);
	T_GOOD(r);
	/* the first other command gets it */
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x29, 0x00);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* REQUEST SENSE returns and clears it */
	r = t_exec(1, rs, 6, NULL, 0, buf, 18);
	T_GOOD(r);
	ck_assert_int_eq(vscsi_sense_decode(buf, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, 6);
	ck_assert_uint_eq(si.asc, 0x29);
	r = t_exec(1, t_tur, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* and then NO SENSE */
	r = t_exec(1, rs, 6, NULL, 0, buf, 18);
	T_GOOD(r);
	ck_assert_int_eq(vscsi_sense_decode(buf, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, 0);
	ck_assert_uint_eq(si.asc, 0);
	t_teardown();
}
END_TEST

START_TEST(test_ua_before_opcode)
{
	emu_result r;
	static const uint8_t bad[6] = {0x02, 0, 0, 0, 0, 0};

	t_dev();
	t_mkfile(E.path, sizeof(E.path), "/dev/shm", 1 << 20, 0);
	t_add(0, 0, E.path, "", 0);
	/* a unit attention goes before even an unknown opcode */
	r = t_exec(0, bad, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x29, 0x00);
	r = t_exec(0, bad, 6, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x20, 0x00);
	t_teardown();
}
END_TEST

START_TEST(test_common_checks)
{
	emu_result r;
	uint8_t c[16], buf[512];
	static const uint8_t naca[6] = {0x00, 0, 0, 0, 0, 0x04};
	static const uint8_t link[6] = {0x00, 0, 0, 0, 0, 0x01};
	static const uint8_t resv[6] = {0x00, 0x80, 0, 0, 0, 0};

	t_setup("/dev/shm", 1 << 20, "");
	/* unknown opcodes: 20/00 (SPC-5 4.5) */
	c[0] = 0xc0;
	r = t_exec(0, c, 1, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x20, 0x00);
	/* NACA and LINK in the CONTROL byte (SAM-5 5.2) */
	r = t_exec(0, naca, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 5, 2);
	r = t_exec(0, link, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 5, 0);
	/* reserved bits */
	r = t_exec(0, resv, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 1, 7);
	/* an unknown service action of SERVICE ACTION IN(16) */
	t_cdb16(c, 0x9e, 0x1f, 0, 0);
	r = t_exec(0, c, 16, NULL, 0, buf, 32);
	t_bad_field(&r, 1, 4);
	/* RDPROTECT is not supported: READ(10) byte 1 bit 7 */
	t_cdb10(c, 0x28, 0x20, 0, 1);
	r = t_exec(0, c, 10, NULL, 0, buf, 512);
	t_bad_field(&r, 1, 5);
	/* ACA task attribute with no ACA condition (SAM-5 8.6.1) */
	r = t_exec_attr(0, 0, VSCSI_TASK_ACA, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x49, 0x00);
	/* CDB shorter than the command */
	{
		emu_request rq;
		uint8_t rd[10];

		t_cdb10(rd, 0x28, 0, 0, 1);
		memset(&rq, 0, sizeof(rq));
		rq.lun = t_lun(0, 0);
		rq.cdb = rd;
		rq.cdb_len = 6;
		ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
		t_sense(&r, 5, 0x24, 0x00);
		/* no CDB at all is the caller's mistake */
		rq.cdb_len = 0;
		ck_assert_int_eq(emu_submit(E.dev, &rq, NULL), VSCSI_ERR_ARG);
		ck_assert_int_eq(emu_submit(E.dev, NULL, NULL), VSCSI_ERR_ARG);
	}
	t_teardown();
}
END_TEST

/* D_SENSE in the control page switches to descriptor format (SPC-5
 * 7.5.11): the same errors read the same through both formats. */
START_TEST(test_descriptor_sense)
{
	emu_result r;
	uint8_t ms[10] = {0x5a, 0x08, 0x0a, 0, 0, 0, 0, 0, 64, 0};
	uint8_t sel[10] = {0x55, 0x10, 0, 0, 0, 0, 0, 0, 20, 0};
	uint8_t buf[64], c[10];
	vscsi_sense_info si;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, ms, 10, NULL, 0, buf, 64);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 20);
	ck_assert_uint_eq(buf[8], 0x0a);
	ck_assert_uint_eq(buf[10] & 0x04, 0);
	memset(buf, 0, 8);
	buf[10] |= 0x04;	/* D_SENSE */
	r = t_exec(0, sel, 10, buf, 20, NULL, 0);
	T_GOOD(r);
	c[0] = 0xc0;
	r = t_exec(0, c, 1, NULL, 0, NULL, 0);
	si = t_sense(&r, 5, 0x20, 0x00);
	ck_assert_uint_eq(r.sense[0], 0x72);
	ck_assert_uint_eq(si.descriptor, 1);
	/* field pointer in a sense key specific descriptor */
	t_cdb10(c, 0x28, 0x80, 0, 1);
	r = t_exec(0, c, 10, NULL, 0, buf, 64);
	t_bad_field(&r, 1, 7);
	ck_assert_uint_eq(r.sense[0], 0x72);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ loop */

START_TEST(test_fd_and_process)
{
	uint8_t buf[512], c[10];
	struct iovec v = {buf, sizeof(buf)};
	struct pollfd p;

	t_setup("/dev/shm", 1 << 20, "");
	p.fd = emu_fd(E.dev);
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	t_cdb10(c, 0x28, 0, 3, 1);
	t_submit(0, 0, 1, VSCSI_TASK_SIMPLE, c, 10, NULL, 0, &v, 1, 77);
	/* never called back from inside emu_submit */
	ck_assert_uint_eq(E.nlog, 0);
	ck_assert_uint_eq(emu_inflight(E.dev), 1);
	/* the fd says there is work */
	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert_int_eq(emu_process(E.dev), 1);
	ck_assert_uint_eq(E.nlog, 1);
	ck_assert_uint_eq(E.log[0].id, 77);
	T_GOOD(E.log[0].res);
	ck_assert_uint_eq(E.log[0].res.data_in_len, 512);
	ck_assert_uint_eq(buf[0], t_pat(3 * 512));
	ck_assert_uint_eq(emu_inflight(E.dev), 0);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(emu_process(E.dev), 0);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ ordering */

static unsigned pos_of(uintptr_t id)
{
	unsigned i;

	for (i = 0; i < E.nlog; i++)
		if (E.log[i].id == id)
			return i;
	ck_abort_msg("id %lu never completed", (unsigned long)id);
	return 0;
}

/* SIMPLE commands run at once; an ORDERED one waits for all older and
 * holds all younger; HEAD OF QUEUE is enabled on arrival (SAM-5 8.6.3). */
START_TEST(test_task_attributes)
{
	uint8_t b[6][512], rd[6][10];
	struct iovec v[6];
	int i;

	t_setup("/dev/shm", 1 << 20, "");
	for (i = 0; i < 6; i++) {
		v[i].iov_base = b[i];
		v[i].iov_len = 512;
		t_cdb10(rd[i], 0x28, 0, (uint32_t)i, 1);
	}
	emu_freeze(E.dev, 1);
	t_submit(0, 0, 1, VSCSI_TASK_SIMPLE, rd[0], 10, NULL, 0, &v[0], 1, 1);
	t_submit(0, 0, 2, VSCSI_TASK_SIMPLE, rd[1], 10, NULL, 0, &v[1], 1, 2);
	t_submit(0, 0, 3, VSCSI_TASK_ORDERED, rd[2], 10, NULL, 0, &v[2], 1, 3);
	t_submit(0, 0, 4, VSCSI_TASK_SIMPLE, rd[3], 10, NULL, 0, &v[3], 1, 4);
	t_submit(0, 0, 5, VSCSI_TASK_HEAD, rd[4], 10, NULL, 0, &v[4], 1, 5);
	t_submit(0, 0, 6, VSCSI_TASK_SIMPLE, rd[5], 10, NULL, 0, &v[5], 1, 6);
	ck_assert_uint_eq(emu_inflight(E.dev), 6);
	/* frozen: nothing ran; drain refuses to wait forever */
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_ERR_ARG);
	ck_assert_uint_eq(E.nlog, 0);
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, 6);
	/* enabled at arrival: 1, 2, 5 (in that order) */
	ck_assert_uint_eq(E.log[0].id, 1);
	ck_assert_uint_eq(E.log[1].id, 2);
	ck_assert_uint_eq(E.log[2].id, 5);
	/* then the ORDERED one, then the SIMPLE ones behind it */
	ck_assert_uint_eq(E.log[3].id, 3);
	ck_assert_uint_eq(E.log[4].id, 4);
	ck_assert_uint_eq(E.log[5].id, 6);
	for (i = 0; i < 6; i++) {
		T_GOOD(E.log[i].res);
		ck_assert_uint_eq(b[i][1], t_pat((uint64_t)i * 512 + 1));
	}
	t_teardown();
}
END_TEST

/* An ORDERED command arriving behind a HEAD OF QUEUE one waits for it;
 * a SIMPLE one too. */
START_TEST(test_head_of_queue_holds_younger)
{
	uint8_t c[10];

	t_setup("/dev/shm", 1 << 20, "");
	t_cdb10(c, 0x35, 0, 0, 0);	/* SYNCHRONIZE CACHE */
	emu_freeze(E.dev, 1);
	t_submit(0, 0, 1, VSCSI_TASK_HEAD, c, 10, NULL, 0, NULL, 0, 1);
	t_submit(0, 0, 2, VSCSI_TASK_SIMPLE, c, 10, NULL, 0, NULL, 0, 2);
	t_submit(0, 0, 3, VSCSI_TASK_ORDERED, c, 10, NULL, 0, NULL, 0, 3);
	t_submit(0, 0, 4, VSCSI_TASK_HEAD, c, 10, NULL, 0, NULL, 0, 4);
	emu_freeze(E.dev, 0);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, 4);
	ck_assert_uint_lt(pos_of(1), pos_of(2));
	ck_assert_uint_lt(pos_of(4), pos_of(2));
	ck_assert_uint_lt(pos_of(2), pos_of(3));
	t_teardown();
}
END_TEST

/* Overlapping commands run in arrival order whatever the engine does:
 * a read after a write sees the write; a write after a read does not
 * change what the read returns (the range lock). */
START_TEST(test_range_order)
{
	uint8_t w1[4096], w2[4096], r1[4096], r2[4096], c[4][10];
	struct iovec vw1 = {w1, 4096}, vw2 = {w2, 4096}, vr1 = {r1, 4096},
		     vr2 = {r2, 4096};
	const char *modes[] = {",io=inline", ",io=uring"};
	int m;

	for (m = 0; m < 2; m++) {
		E.nlog = 0;
		t_setup("/dev/shm", 1 << 20, modes[m]);
		memset(w1, 0x11, sizeof(w1));
		memset(w2, 0x22, sizeof(w2));
		t_cdb10(c[0], 0x2a, 0, 0, 8);
		t_cdb10(c[1], 0x28, 0, 4, 8);	/* overlaps both writes */
		t_cdb10(c[2], 0x2a, 0, 6, 8);
		t_cdb10(c[3], 0x28, 0, 0, 8);
		emu_freeze(E.dev, 1);
		t_submit(0, 0, 1, 0, c[0], 10, &vw1, 1, NULL, 0, 1);
		t_submit(0, 0, 2, 0, c[1], 10, NULL, 0, &vr1, 1, 2);
		t_submit(0, 0, 3, 0, c[2], 10, &vw2, 1, NULL, 0, 3);
		t_submit(0, 0, 4, 0, c[3], 10, NULL, 0, &vr2, 1, 4);
		emu_freeze(E.dev, 0);
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		ck_assert_uint_eq(E.nlog, 4);
		/* r1 = blocks 4..11: 4-7 from w1, 8-11 original */
		ck_assert_uint_eq(r1[0], 0x11);
		ck_assert_uint_eq(r1[4 * 512 - 1], 0x11);
		ck_assert_uint_eq(r1[4 * 512], t_pat(8 * 512));
		/* r2 = blocks 0..7: 0-5 from w1, 6-7 from w2 */
		ck_assert_uint_eq(r2[0], 0x11);
		ck_assert_uint_eq(r2[6 * 512 - 1], 0x11);
		ck_assert_uint_eq(r2[6 * 512], 0x22);
		t_teardown();
	}
}
END_TEST

/* ------------------------------------------------------------ hotplug */

START_TEST(test_hotplug)
{
	emu_result r;
	char path2[128];
	uint8_t buf[64], rc[10] = {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t rl[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0};

	t_setup("/dev/shm", 1 << 20, "");
	t_mkfile(path2, sizeof(path2), "/dev/shm", 1 << 20, 0);
	/* start-up additions raise no event */
	ck_assert_uint_eq(E.nev, 0);
	t_add(0, 300, path2, "", EMU_HOTPLUG);
	ck_assert_uint_eq(E.nev, 1);
	ck_assert_uint_eq(E.ev[0].event, VSCSI_EVT_TRANSPORT_RESET);
	ck_assert_uint_eq(E.ev[0].reason, VSCSI_EVT_RESET_RESCAN);
	ck_assert_uint_eq(E.ev[0].lun.raw[0], 1);
	ck_assert_uint_eq(E.ev[0].lun.raw[1], 0);
	ck_assert_uint_eq(E.ev[0].lun.raw[2], 0x41);	/* 300 = 0x12c */
	ck_assert_uint_eq(E.ev[0].lun.raw[3], 0x2c);
	/* the other LUN of the target: REPORTED LUNS DATA HAS CHANGED */
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x3f, 0x0e);
	r = t_exec(0, rl, 12, NULL, 0, buf, 64);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(buf), 16);
	ck_assert_uint_eq(buf[16], 0x41);	/* flat space, LUN 300 */
	ck_assert_uint_eq(buf[17], 0x2c);
	/* the new LUN starts with its power-on UA */
	t_clear_ua(0, 300);

	/* resize: CAPACITY DATA HAS CHANGED and PARAM_CHANGE 2A/09 */
	ck_assert_int_eq(emu_lun_resize(E.dev, 0, 300, 2 << 20), VSCSI_OK);
	ck_assert_uint_eq(E.nev, 2);
	ck_assert_uint_eq(E.ev[1].event, VSCSI_EVT_PARAM_CHANGE);
	ck_assert_uint_eq(E.ev[1].reason, 0x2a | 0x09 << 8);
	r = t_exec(300, rc, 10, NULL, 0, buf, 8);
	t_sense(&r, 6, 0x2a, 0x09);
	r = t_exec(300, rc, 10, NULL, 0, buf, 8);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(buf), (2 << 20) / 512 - 1);
	/* the same size again: nothing */
	ck_assert_int_eq(emu_lun_resize(E.dev, 0, 300, 0), VSCSI_OK);
	ck_assert_uint_eq(E.nev, 2);
	/* grown outside, then noticed */
	ck_assert_int_eq(truncate(path2, 3 << 20), 0);
	ck_assert_int_eq(emu_lun_resize(E.dev, 0, 300, 0), VSCSI_OK);
	ck_assert_uint_eq(E.nev, 3);
	r = t_exec(300, rc, 10, NULL, 0, buf, 8);
	t_sense(&r, 6, 0x2a, 0x09);

	/* remove: event, UA on the rest, then LOGICAL UNIT NOT SUPPORTED */
	ck_assert_int_eq(emu_lun_remove(E.dev, 0, 300), VSCSI_OK);
	ck_assert_uint_eq(E.nev, 4);
	ck_assert_uint_eq(E.ev[3].event, VSCSI_EVT_TRANSPORT_RESET);
	ck_assert_uint_eq(E.ev[3].reason, VSCSI_EVT_RESET_REMOVED);
	r = t_exec(300, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x25, 0x00);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x3f, 0x0e);
	ck_assert_int_eq(emu_lun_remove(E.dev, 0, 300), VSCSI_ERR_ARG);
	ck_assert_int_eq(emu_lun_resize(E.dev, 0, 300, 0), VSCSI_ERR_ARG);
	/* the last LUN of a target gone: the target is gone */
	ck_assert_int_eq(emu_lun_remove(E.dev, 0, 0), VSCSI_OK);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_BAD_TARGET);
	t_teardown();
	unlink(path2);
}
END_TEST

/* A LUN removed with a command in flight: the command completes, the
 * file closes after it. */
START_TEST(test_remove_inflight)
{
	uint8_t buf[512], c[10];
	struct iovec v = {buf, sizeof(buf)};

	t_setup("/dev/shm", 1 << 20, ",io=uring");
	t_cdb10(c, 0x28, 0, 1, 1);
	t_submit(0, 0, 1, 0, c, 10, NULL, 0, &v, 1, 9);
	ck_assert_int_eq(emu_lun_remove(E.dev, 0, 0), VSCSI_OK);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, 1);
	T_GOOD(E.log[0].res);
	ck_assert_uint_eq(buf[0], t_pat(512));
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ engine */

/* The same reads and writes through every I/O mode, with scattered
 * buffers: the data lands where it should, the file holds it. */
START_TEST(test_io_modes)
{
	static const char *const opts[] = {
		"", ",io=inline", ",io=uring", ",io=auto",
		",direct,io=uring", ",direct,io=inline", ",bs=4096",
	};
	static const char *const dirs[] = {"/dev/shm", "/tmp"};
	unsigned d, o;

	for (d = 0; d < 2; d++) {
		for (o = 0; o < ARRAY_LEN(opts); o++) {
			uint8_t *mem = aligned_alloc(4096, 5 * 4096);
			uint8_t c[16], chk[8192];
			struct iovec v[3];
			emu_result r;
			uint32_t bs = strstr(opts[o], "4096") ? 4096 : 512;
			int k;

			ck_assert_ptr_nonnull(mem);
			t_setup(dirs[d], 4 << 20, opts[o]);
			/* three pieces, the middle one misaligned for
			 * O_DIRECT (bounce) */
			v[0].iov_base = mem;
			v[0].iov_len = 4096;
			v[1].iov_base = mem + 4096 + 8;
			v[1].iov_len = 2048;
			v[2].iov_base = mem + 3 * 4096;
			v[2].iov_len = 2048;
			for (k = 0; k < 4096; k++)
				mem[k] = (uint8_t)(k * 3);
			for (k = 0; k < 2048; k++)
				mem[4096 + 8 + k] = (uint8_t)(k + 1);
			for (k = 0; k < 2048; k++)
				mem[3 * 4096 + k] = (uint8_t)(k ^ 0x5a);
			t_cdb16(c, 0x8a, 0, 8192 / bs, 8192 / bs);
			E.nlog = 0;
			t_submit(0, 0, 1, 0, c, 16, v, 3, NULL, 0, 1);
			ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
			ck_assert_uint_eq(E.nlog, 1);
			T_GOOD(E.log[0].res);
			ck_assert_uint_eq(E.log[0].res.resid, 0);
			ck_assert_int_eq(pread(E.fd, chk, 8192, 8192), 8192);
			ck_assert_int_eq(memcmp(chk, mem, 4096), 0);
			ck_assert_int_eq(memcmp(chk + 4096, mem + 4096 + 8,
						2048), 0);
			ck_assert_int_eq(memcmp(chk + 6144, mem + 3 * 4096,
						2048), 0);
			/* and back through scattered data-in */
			memset(mem, 0, 5 * 4096);
			t_cdb16(c, 0x88, 0, 8192 / bs, 8192 / bs);
			t_submit(0, 0, 2, 0, c, 16, NULL, 0, v, 3, 2);
			ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
			ck_assert_uint_eq(E.nlog, 2);
			T_GOOD(E.log[1].res);
			ck_assert_uint_eq(E.log[1].res.data_in_len, 8192);
			ck_assert_int_eq(memcmp(chk, mem, 4096), 0);
			ck_assert_int_eq(memcmp(chk + 4096, mem + 4096 + 8,
						2048), 0);
			ck_assert_int_eq(memcmp(chk + 6144, mem + 3 * 4096,
						2048), 0);
			/* data the test wrote before is still right */
			r = t_exec(0, c, 16, NULL, 0, NULL, 0);
			ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
			t_teardown();
			free(mem);
		}
	}
}
END_TEST

/* Drop [off, off + len) of fd's file from the page cache, and see that it
 * is gone (mincore): DONTNEED leaves pages still under writeback, which a
 * loaded machine can take a while over. */
static void t_evict(int fd, off_t off, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	off_t start = off / pg * pg;
	size_t span = (size_t)(off - start) + len;
	unsigned char vec[64];
	int try, resident = 1;

	ck_assert_uint_le((span + (size_t)pg - 1) / (size_t)pg, sizeof(vec));
	for (try = 0; try < 50 && resident; try++) {
		void *m;
		size_t i;

		ck_assert_int_eq(fdatasync(fd), 0);
		ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED),
				 0);
		m = mmap(NULL, span, PROT_READ, MAP_SHARED, fd, start);
		ck_assert_ptr_ne(m, MAP_FAILED);
		ck_assert_int_eq(mincore(m, span, vec), 0);
		munmap(m, span);
		resident = 0;
		for (i = 0; i < (span + (size_t)pg - 1) / (size_t)pg; i++)
			resident |= vec[i] & 1;
		if (resident)
			usleep(20000);
	}
	ck_assert_msg(!resident, "the page cache kept the file's pages");
}

/* The engine's choices: tmpfs inline; a disk file system reads from the
 * page cache inline and sends a cache miss (RWF_NOWAIT would block) to
 * io_uring; O_DIRECT with a misaligned buffer bounces. */
START_TEST(test_engine_paths)
{
	uint8_t *buf = aligned_alloc(4096, 65536 + 4096), c[10];
	emu_stats st;
	emu_result r;
	unsigned i;

	ck_assert_ptr_nonnull(buf);
	t_setup("/dev/shm", 1 << 20, "");
	t_cdb10(c, 0x28, 0, 0, 8);
	r = t_exec(0, c, 10, NULL, 0, buf, 4096);
	T_GOOD(r);
	emu_get_stats(E.dev, &st);
	ck_assert_uint_ge(st.io_inline, 1);
	ck_assert_uint_eq(st.io_uring, 0);
	ck_assert_uint_eq(st.cmds, 3);	/* two TURs before */
	t_teardown();

	t_setup("/tmp", 4 << 20, "");
	t_cdb10(c, 0x28, 0, 1000, 128);
	/* the kernel may start readahead for the NOWAIT read and finish it
	 * before looking again (a fast disk, a busy CPU): then the read is
	 * served inline, which is right too; a few tries see a miss */
	for (i = 0; i < 5; i++) {
		t_evict(E.fd, 1000 * 512, 65536);
		r = t_exec(0, c, 10, NULL, 0, buf, 65536);
		T_GOOD(r);
		emu_get_stats(E.dev, &st);
		if (st.nowait_miss)
			break;
	}
	for (i = 0; i < 65536; i += 4099)
		ck_assert_uint_eq(buf[i], t_pat(1000 * 512 + i));
	ck_assert_uint_ge(st.nowait_miss, 1);
	ck_assert_uint_ge(st.io_uring, 1);
	/* now cached: inline */
	st.io_uring = 0;
	{
		emu_stats st2;

		r = t_exec(0, c, 10, NULL, 0, buf, 65536);
		T_GOOD(r);
		emu_get_stats(E.dev, &st2);
		ck_assert_uint_eq(st2.nowait_miss, st.nowait_miss);
		ck_assert_uint_gt(st2.io_inline, st.io_inline);
	}
	t_teardown();

	t_setup("/tmp", 1 << 20, ",direct");
	t_cdb10(c, 0x28, 0, 8, 8);
	r = t_exec(0, c, 10, NULL, 0, buf, 4096);
	T_GOOD(r);
	emu_get_stats(E.dev, &st);
	ck_assert_uint_eq(st.bounced, 0);
	r = t_exec(0, c, 10, NULL, 0, buf + 1, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(buf[1], t_pat(8 * 512));
	emu_get_stats(E.dev, &st);
	ck_assert_uint_eq(st.bounced, 1);
	ck_assert_uint_ge(st.io_uring, 2);
	t_teardown();
	free(buf);
}
END_TEST

/* Many reads and writes in flight at once through io_uring. */
START_TEST(test_uring_many)
{
	enum { N = 300 };
	static uint8_t bufs[N][512];
	static uint8_t cdbs[N][10];
	struct iovec v[N];
	unsigned i;

	t_setup("/tmp", 1 << 20, ",io=uring");
	for (i = 0; i < N; i++) {
		v[i].iov_base = bufs[i];
		v[i].iov_len = 512;
		t_cdb10(cdbs[i], 0x28, 0, i % 2048, 1);
		t_submit(0, 0, i, 0, cdbs[i], 10, NULL, 0, &v[i], 1, i);
	}
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, N);
	for (i = 0; i < N; i++) {
		T_GOOD(E.log[i].res);
		ck_assert_uint_eq(bufs[i][5], t_pat((uint64_t)i * 512 + 5));
	}
	t_teardown();
}
END_TEST

/* Scattered buffers with many segments (more than the inline arrays):
 * WRITE, READ and COMPARE AND WRITE, inline and through io_uring. */
START_TEST(test_many_iovecs)
{
	static const char *const opts[] = {",io=inline", ",io=uring"};
	enum { SEG = 256, NSEG = 40 };
	static uint8_t mem[NSEG][SEG + 16], chk[NSEG * SEG];
	struct iovec v[NSEG];
	uint8_t c[16];
	unsigned o, i, k;

	for (o = 0; o < 2; o++) {
		t_setup("/dev/shm", 1 << 20, opts[o]);
		E.nlog = 0;
		for (i = 0; i < NSEG; i++) {
			v[i].iov_base = mem[i] + (i % 3);
			v[i].iov_len = SEG;
			for (k = 0; k < SEG; k++)
				mem[i][(i % 3) + k] = (uint8_t)(i * 5 + k);
		}
		t_cdb10(c, 0x2a, 0, 30, NSEG * SEG / 512);
		t_submit(0, 0, 1, 0, c, 10, v, NSEG, NULL, 0, 1);
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		T_GOOD(E.log[0].res);
		ck_assert_int_eq(pread(E.fd, chk, sizeof(chk), 30 * 512),
				 (ssize_t)sizeof(chk));
		for (i = 0; i < NSEG; i++)
			ck_assert_int_eq(memcmp(chk + i * SEG,
						mem[i] + (i % 3), SEG), 0);
		for (i = 0; i < NSEG; i++)
			memset(mem[i], 0, sizeof(mem[i]));
		t_cdb10(c, 0x28, 0, 30, NSEG * SEG / 512);
		t_submit(0, 0, 2, 0, c, 10, NULL, 0, v, NSEG, 2);
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		T_GOOD(E.log[1].res);
		ck_assert_uint_eq(E.log[1].res.data_in_len, NSEG * SEG);
		for (i = 0; i < NSEG; i++)
			ck_assert_int_eq(memcmp(chk + i * SEG,
						mem[i] + (i % 3), SEG), 0);
		/* COMPARE AND WRITE: the first half (what is there), then
		 * the new data, in 256-byte pieces */
		for (i = NSEG / 2; i < NSEG; i++)
			memset(mem[i] + (i % 3), 0x6b, SEG);
		t_cdb16(c, 0x89, 0, 30, 0);
		c[13] = NSEG * SEG / 2 / 512;
		t_submit(0, 0, 3, 0, c, 16, v, NSEG, NULL, 0, 3);
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		T_GOOD(E.log[2].res);
		ck_assert_int_eq(pread(E.fd, chk, SEG, 30 * 512), SEG);
		ck_assert_uint_eq(chk[0], 0x6b);
		t_teardown();
	}
}
END_TEST

/* ------------------------------------------------------------ robustness */

static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33);
}

/* Opcodes the emulation knows, plus neighbours, for the random CDBs. */
static const uint8_t some_ops[] = {
	0x00, 0x03, 0x08, 0x0a, 0x12, 0x15, 0x1a, 0x1b, 0x1e, 0x25, 0x28,
	0x2a, 0x2e, 0x2f, 0x34, 0x35, 0x41, 0x42, 0x43, 0x46, 0x4a, 0x55,
	0x5a, 0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x90, 0x91, 0x93, 0x9e, 0xa0,
	0xa3, 0xa8, 0xaa, 0x7f, 0xff,
};

static unsigned n_checked;

static void check_log(uint8_t *digest)
{
	unsigned i;

	for (i = 0; i < E.nlog; i++) {
		const t_log_entry *e = &E.log[i];
		vscsi_sense_info si;
		unsigned j = n_checked++ % 32;

		if (e->is_tmf) {
			digest[j] ^= e->tmf_resp;
			continue;
		}
		ck_assert(e->res.response == VSCSI_S_OK ||
			  e->res.response == VSCSI_S_OVERRUN ||
			  e->res.response == VSCSI_S_ABORTED ||
			  e->res.response == VSCSI_S_RESET);
		ck_assert_uint_le(e->res.data_in_len, 70000);
		ck_assert_uint_le(e->res.sense_len, EMU_SENSE_MAX);
		if (e->res.status == EMU_CHECK_CONDITION)
			ck_assert_int_eq(vscsi_sense_decode(e->res.sense,
							    e->res.sense_len,
							    &si), VSCSI_OK);
		else
			ck_assert_uint_eq(e->res.sense_len, 0);
		digest[j] = (uint8_t)((uint32_t)digest[j] * 31u + e->res.status +
				      e->res.response + e->res.data_in_len +
				      e->res.resid + e->res.sense_len +
				      (e->res.sense_len ? e->res.sense[12] : 0u));
	}
	E.nlog = 0;
}

/* One run of random requests (random CDB bytes on known opcodes, small
 * LBAs half the time, random buffers and task attributes, sometimes a
 * TMF) against a disk and a cdrom LUN. Every result is well formed; the
 * log of results and the file contents are returned for comparison. */
static void random_run(uint64_t seed, const char *disk, const char *cd,
		       uint8_t *digest_out, size_t n_ops)
{
	static uint8_t dout[70000], din[70000];
	size_t i;

	rnd_state = seed;
	n_checked = 0;
	t_dev();
	t_add(0, 0, disk, ",io=uring", 0);
	t_add(0, 1, cd, ",cdrom", 0);
	memset(digest_out, 0, 32);
	for (i = 0; i < n_ops; i++) {
		uint8_t cdb[16];
		struct iovec o, in;
		size_t k, lo = rnd() % 3 ? rnd() % 4096 : rnd() % 70000;
		size_t li = rnd() % 3 ? rnd() % 4096 : rnd() % 70000;
		unsigned lun = rnd() % 8 == 0 ? 1 : 0;

		for (k = 0; k < 16; k++)
			cdb[k] = (uint8_t)rnd();
		cdb[0] = some_ops[rnd() % ARRAY_LEN(some_ops)];
		if (rnd() % 2) {	/* plausible: small fields */
			for (k = 1; k < 16; k++)
				if (rnd() % 4)
					cdb[k] = 0;
			if (cdb[0] == 0x9e || cdb[0] == 0xa3)
				cdb[1] = (uint8_t)(rnd() % 2 ? 0x10 : 0x0c);
		}
		for (k = 0; k < lo && k < 64; k++)
			dout[k] = (uint8_t)rnd();
		o.iov_base = dout;
		o.iov_len = lo;
		in.iov_base = din;
		in.iov_len = li;
		t_submit(0, (uint16_t)lun, i, (uint8_t)(rnd() % 5), cdb, 16,
			 lo ? &o : NULL, lo ? 1 : 0, li ? &in : NULL,
			 li ? 1 : 0, i);
		if (rnd() % 50 == 0) {
			vscsi_lun l = t_lun(0, (uint16_t)lun);

			ck_assert_int_eq(emu_tmf(E.dev, &l, rnd() % 9,
						 i - rnd() % 4, (void *)0),
					 VSCSI_OK);
		}
		/* one at a time: buffers are shared */
		ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
		check_log(digest_out);
	}
	emu_destroy(E.dev);
	E.dev = NULL;
}

START_TEST(test_random_requests)
{
	char disk[128], cd[128];
	uint8_t d1[32], d2[32];
	uint8_t *f1 = malloc(1 << 20), *f2 = malloc(1 << 20);
	int fd;

	ck_assert_ptr_nonnull(f1);
	ck_assert_ptr_nonnull(f2);
	t_mkfile(disk, sizeof(disk), "/dev/shm", 1 << 20, 1);
	t_mkfile(cd, sizeof(cd), "/dev/shm", 64 * 2048, 1);
	random_run(12345, disk, cd, d1, 3000);
	fd = open(disk, O_RDONLY);
	ck_assert_int_eq(pread(fd, f1, 1 << 20, 0), 1 << 20);
	close(fd);
	/* the same requests on the same start: the same results and file
	 * (deterministic whatever io_uring does) */
	t_mkfile(E.path, sizeof(E.path), "/dev/shm", 1 << 20, 1);
	unlink(disk);
	ck_assert_int_eq(rename(E.path, disk), 0);
	random_run(12345, disk, cd, d2, 3000);
	fd = open(disk, O_RDONLY);
	ck_assert_int_eq(pread(fd, f2, 1 << 20, 0), 1 << 20);
	close(fd);
	ck_assert_int_eq(memcmp(d1, d2, 32), 0);
	ck_assert_int_eq(memcmp(f1, f2, 1 << 20), 0);
	unlink(disk);
	unlink(cd);
	free(f1);
	free(f2);
}
END_TEST

static Suite *emu_suite(void)
{
	Suite *s = suite_create("emu");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_ok);
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)ARRAY_LEN(bad_specs));
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_bad_target);
	tcase_add_test(tc, test_missing_lun);
	tcase_add_test(tc, test_wlun);
	tcase_add_test(tc, test_power_on_ua);
	tcase_add_test(tc, test_ua_before_opcode);
	tcase_add_test(tc, test_common_checks);
	tcase_add_test(tc, test_descriptor_sense);
	tcase_add_test(tc, test_fd_and_process);
	tcase_add_test(tc, test_task_attributes);
	tcase_add_test(tc, test_head_of_queue_holds_younger);
	tcase_add_test(tc, test_range_order);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_remove_inflight);
	tcase_add_test(tc, test_io_modes);
	tcase_add_test(tc, test_uring_many);
	tcase_add_test(tc, test_engine_paths);
	tcase_add_test(tc, test_many_iovecs);
	tcase_add_test(tc, test_random_requests);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(emu_suite)
