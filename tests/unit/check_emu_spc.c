/*
 * emu primary commands (SPC-5): INQUIRY and VPD pages, REPORT LUNS,
 * REQUEST SENSE, MODE SENSE/SELECT, START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT FUNCTIONS.
 */
#include "check_emu.h"
#include "vscsi/cdb.h"

static emu_result inquiry(uint8_t evpd, uint8_t page, uint16_t alloc,
			  uint8_t *buf, size_t len)
{
	uint8_t c[6] = {0x12, evpd, page, (uint8_t)(alloc >> 8),
			(uint8_t)alloc, 0};

	return t_exec(0, c, 6, NULL, 0, buf, len);
}

/* Standard INQUIRY data (SPC-5 6.6.2 table 148). */
START_TEST(test_inquiry_std)
{
	uint8_t b[256];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = inquiry(0, 0, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 96);
	ck_assert_uint_eq(r.resid, 256 - 96);
	ck_assert_uint_eq(b[0], 0x00);		/* disk */
	ck_assert_uint_eq(b[1], 0x00);		/* not removable */
	ck_assert_uint_eq(b[2], 0x07);		/* SPC-5 */
	ck_assert_uint_eq(b[3] & 0x0f, 2);
	ck_assert_uint_eq(b[4], 91);
	ck_assert_uint_eq(b[7] & 0x02, 0x02);	/* CMDQUE */
	ck_assert_int_eq(memcmp(b + 8, "VSCSI   ", 8), 0);
	ck_assert_int_eq(memcmp(b + 16, "vscsi-trace disk", 16), 0);
	ck_assert_uint_eq(t_be16(b + 62), 0x0600);	/* SBC-4 */
	/* allocation length truncation: no error, exact residual */
	r = inquiry(0, 0, 5, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 5);
	ck_assert_uint_eq(r.resid, 251);
	/* page code without EVPD; CMDDT */
	r = inquiry(0, 0x80, 255, b, sizeof(b));
	t_bad_field(&r, 2, 7);
	r = inquiry(0x02, 0, 255, b, sizeof(b));
	t_bad_field(&r, 1, 1);
	t_teardown();
}
END_TEST

START_TEST(test_inquiry_vpd)
{
	uint8_t b[256], b2[256];
	emu_result r;
	char path2[128];

	t_setup("/dev/shm", 1 << 20, "");
	/* 00h: the list */
	r = inquiry(1, 0x00, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[1], 0x00);
	ck_assert_uint_eq(b[3], 6);
	ck_assert_int_eq(memcmp(b + 4, "\x00\x80\x83\xb0\xb1\xb2", 6), 0);
	/* 80h: a 16-hex-digit serial by default */
	r = inquiry(1, 0x80, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[3], 16);
	/* 83h: NAA (type 3) then T10 vendor ID, both for the LU */
	r = inquiry(1, 0x83, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[4] & 0x0f, 1);	/* binary */
	ck_assert_uint_eq(b[5], 0x03);		/* LU, NAA */
	ck_assert_uint_eq(b[7], 8);
	ck_assert_uint_eq(b[8] >> 4, 3);	/* NAA 3h: locally assigned */
	ck_assert_uint_eq(b[16 + 1] & 0x0f, 1);	/* T10 vendor ID */
	ck_assert_int_eq(memcmp(b + 20, "VSCSI   ", 8), 0);
	/* B0h: block limits (SBC-4 6.6.4) */
	r = inquiry(1, 0xb0, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[3], 0x3c);
	ck_assert_uint_eq(b[4] & 1, 1);		/* WSNZ */
	ck_assert_uint_eq(b[5], 128);
	ck_assert_uint_eq(t_be32(b + 8), 16384);
	ck_assert_uint_eq(t_be32(b + 24), 256);
	/* B1h: non-rotating */
	r = inquiry(1, 0xb1, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(t_be16(b + 4), 1);
	/* B2h: LBPU, LBPWS, LBPWS10, LBPRZ 001b, thin */
	r = inquiry(1, 0xb2, 255, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[5], 0xe4);
	ck_assert_uint_eq(b[6] & 0x07, 2);
	/* unsupported page: field pointer to the page code */
	r = inquiry(1, 0x89, 255, b, sizeof(b));
	t_bad_field(&r, 2, 7);

	/* the designator is stable: the same file and address in a second
	 * device give the same NAA; a serial gives its own */
	r = inquiry(1, 0x83, 255, b, sizeof(b));
	T_GOOD(r);
	{
		emu_dev *first = E.dev;
		char keep[128];
		int kfd = E.fd;

		memcpy(keep, E.path, sizeof(keep));
		t_dev();
		t_add(0, 0, keep, "", 0);
		r = inquiry(1, 0x83, 255, b2, sizeof(b2));
		T_GOOD(r);
		ck_assert_int_eq(memcmp(b + 8, b2 + 8, 8), 0);
		emu_destroy(E.dev);
		t_dev();
		t_mkfile(path2, sizeof(path2), "/dev/shm", 4096, 0);
		t_add(0, 0, path2, ",serial=disk-7", 0);
		r = inquiry(1, 0x83, 255, b2, sizeof(b2));
		T_GOOD(r);
		ck_assert_int_ne(memcmp(b + 8, b2 + 8, 8), 0);
		ck_assert_int_eq(memcmp(b2 + 28, "disk-7", 6), 0);
		r = inquiry(1, 0x80, 255, b2, sizeof(b2));
		T_GOOD(r);
		ck_assert_uint_eq(b2[3], 6);
		ck_assert_int_eq(memcmp(b2 + 4, "disk-7", 6), 0);
		emu_destroy(E.dev);
		unlink(path2);
		E.dev = first;
		E.fd = kfd;
		memcpy(E.path, keep, sizeof(keep));
	}
	t_teardown();
}
END_TEST

START_TEST(test_report_luns)
{
	uint8_t c[12] = {0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, b[256];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	t_add(0, 7, E.path, "", 0);
	t_add(0, 4000, E.path, "", 0);
	t_add(1, 3, E.path, "", 0);
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	/* target 0 only, in order; peripheral / flat addressing */
	ck_assert_uint_eq(t_be32(b), 24);
	ck_assert_uint_eq(b[9], 0);
	ck_assert_uint_eq(b[17], 7);
	ck_assert_uint_eq(b[24], 0x40 | (4000 >> 8));
	ck_assert_uint_eq(b[25], 4000 & 0xff);
	/* SELECT REPORT 1: the well-known LU only */
	c[2] = 1;
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), 8);
	ck_assert_uint_eq(b[8], 0xc1);
	c[2] = 2;
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), 32);
	c[2] = 3;
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	t_bad_field(&r, 2, 7);
	/* the list length is whole even when the allocation cuts it */
	c[2] = 0;
	c[8] = 0;
	c[9] = 12;
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 12);
	ck_assert_uint_eq(t_be32(b), 24);
	/* REPORT LUNS is not held by a unit attention */
	t_add(0, 9, E.path, "", EMU_HOTPLUG);
	r = t_exec(0, c, 12, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), 32);
	t_teardown();
}
END_TEST

START_TEST(test_request_sense_formats)
{
	uint8_t c[6] = {0x03, 0, 0, 0, 252, 0}, b[252];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, c, 6, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 18);
	ck_assert_uint_eq(b[0], 0x70);
	ck_assert_uint_eq(b[2], 0);
	c[1] = 1;	/* DESC */
	r = t_exec(0, c, 6, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 8);
	ck_assert_uint_eq(b[0], 0x72);
	c[1] = 2;
	r = t_exec(0, c, 6, NULL, 0, b, sizeof(b));
	t_bad_field(&r, 1, 1);
	/* allocation length 4 */
	c[1] = 0;
	c[4] = 4;
	r = t_exec(0, c, 6, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 4);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ MODE */

START_TEST(test_mode_sense)
{
	uint8_t c6[6] = {0x1a, 0, 0x3f, 0, 255, 0};
	uint8_t c10[10] = {0x5a, 0, 0x3f, 0, 0, 0, 0, 1, 0, 0};
	uint8_t b[256];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	/* all pages with a block descriptor (SPC-5 7.5.5, 7.5.6) */
	r = t_exec(0, c6, 6, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 4 + 8 + 20 + 12);
	ck_assert_uint_eq(b[0], 4 + 8 + 20 + 12 - 1);
	ck_assert_uint_eq(b[2], 0x10);			/* DPOFUA */
	ck_assert_uint_eq(b[3], 8);
	ck_assert_uint_eq(t_be32(b + 4), 2048);
	ck_assert_uint_eq(t_be32(b + 8) & 0xffffff, 512);
	ck_assert_uint_eq(b[12], 0x08);
	ck_assert_uint_eq(b[32], 0x0a);
	/* DBD */
	c6[1] = 0x08;
	r = t_exec(0, c6, 6, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[3], 0);
	ck_assert_uint_eq(b[4], 0x08);
	/* MODE SENSE(10) with LLBAA: a 16-byte descriptor */
	c10[1] = 0x10;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(t_be16(b + 0), 8 + 16 + 32 - 2);
	ck_assert_uint_eq(b[4] & 1, 1);		/* LONGLBA */
	ck_assert_uint_eq(b[7], 16);
	ck_assert_uint_eq(t_be64(b + 8), 2048);
	ck_assert_uint_eq(t_be32(b + 20), 512);
	/* changeable values: WCE and D_SENSE only */
	c10[1] = 0x08;
	c10[2] = 0x40 | 0x3f;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[8 + 2], 0x04);
	ck_assert_uint_eq(b[8 + 20 + 2], 0x04);
	ck_assert_uint_eq(b[8 + 20 + 3], 0);
	/* default values */
	c10[2] = 0x80 | 0x0a;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[8], 0x0a);
	ck_assert_uint_eq(b[8 + 3], 0x10);
	/* no saved values: SAVING PARAMETERS NOT SUPPORTED (SPC-5 6.13) */
	c10[2] = 0xc0 | 0x08;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	t_sense(&r, 5, 0x39, 0x00);
	/* an unknown page, a subpage */
	c10[2] = 0x1c;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	t_bad_field(&r, 2, 5);
	c10[2] = 0x08;
	c10[3] = 0x01;
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	t_bad_field(&r, 3, 7);
	c10[3] = 0xff;	/* all subpages of page 08h: the page */
	r = t_exec(0, c10, 10, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[8], 0x08);
	t_teardown();
}
END_TEST

START_TEST(test_mode_select)
{
	uint8_t sel[10] = {0x55, 0x10, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t ms[10] = {0x5a, 0, 0x08, 0, 0, 0, 0, 0, 64, 0};
	uint8_t p[64], b[64];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, ms, 10, NULL, 0, p, sizeof(p));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 8 + 8 + 20);
	memset(p, 0, 2);	/* mode data length is reserved here */
	/* unchanged page with the block descriptor: GOOD */
	sel[8] = 36;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	T_GOOD(r);
	/* a bit that is not changeable: 26/00 at that byte and bit */
	p[16 + 2] |= 0x01;	/* RCD */
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_param(&r, 18, 0);
	p[16 + 2] &= (uint8_t)~0x01;
	/* wrong page length */
	p[17] = 0x10;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_param(&r, 17, -1);
	p[17] = 0x12;
	/* block length other than ours */
	p[14] = 0x10;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_param(&r, 13, -1);
	p[14] = 0x02;
	/* an unknown page, subpage format */
	p[16] = 0x1c;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_param(&r, 16, 5);
	p[16] = 0x48;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_param(&r, 16, 6);
	p[16] = 0x08;
	/* a page cut by the parameter list length */
	sel[8] = 30;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_sense(&r, 5, 0x1a, 0x00);
	sel[8] = 5;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_sense(&r, 5, 0x1a, 0x00);
	/* more than data-out holds */
	sel[8] = 36;
	r = t_exec(0, sel, 10, p, 20, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	/* SP: no saved pages */
	sel[1] = 0x11;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	t_bad_field(&r, 1, 0);
	/* a change: WCE off, seen by MODE SENSE; LU reset restores it */
	sel[1] = 0x10;
	p[16 + 2] = 0;
	r = t_exec(0, sel, 10, p, 36, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, ms, 10, NULL, 0, b, sizeof(b));
	T_GOOD(r);
	ck_assert_uint_eq(b[16 + 2] & 0x04, 0);
	/* zero-length list: nothing */
	sel[8] = 0;
	r = t_exec(0, sel, 10, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* MODE SELECT(6) without block descriptor, control page */
	{
		uint8_t s6[6] = {0x15, 0x10, 0, 0, 16, 0};
		uint8_t p6[16];

		memset(p6, 0, sizeof(p6));
		p6[4] = 0x0a;
		p6[5] = 0x0a;
		p6[4 + 2] = 0x04;	/* D_SENSE */
		p6[4 + 3] = 0x10;
		p6[4 + 8] = 0xff;
		p6[4 + 9] = 0xff;
		r = t_exec(0, s6, 6, p6, 16, NULL, 0);
		T_GOOD(r);
		s6[0] = 0xc0;	/* an error now comes in descriptor format */
		r = t_exec(0, s6, 6, NULL, 0, NULL, 0);
		t_sense(&r, 5, 0x20, 0x00);
		ck_assert_uint_eq(r.sense[0], 0x72);
	}
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ START STOP */

START_TEST(test_start_stop)
{
	uint8_t c[6] = {0x1b, 0, 0, 0, 0, 0}, rd[10], b[512];
	uint8_t rs[6] = {0x03, 0, 0, 0, 18, 0};
	emu_result r;
	vscsi_sense_info si;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);	/* stop */
	T_GOOD(r);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 2, 0x04, 0x02);
	t_cdb10(rd, 0x28, 0, 0, 1);
	r = t_exec(0, rd, 10, NULL, 0, b, 512);
	t_sense(&r, 2, 0x04, 0x02);
	r = t_exec(0, rs, 6, NULL, 0, b, 18);
	T_GOOD(r);
	ck_assert_int_eq(vscsi_sense_decode(b, 18, &si), VSCSI_OK);
	ck_assert_uint_eq(si.key, 2);
	c[4] = 0x01;	/* start */
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, rd, 10, NULL, 0, b, 512);
	T_GOOD(r);
	/* a disk has no medium to eject; power conditions not supported */
	c[4] = 0x02;
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 4, 1);
	c[4] = 0x11;
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 4, 4);
	/* NO_FLUSH and IMMED */
	c[1] = 0x01;
	c[4] = 0x04;
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	t_teardown();
}
END_TEST

START_TEST(test_prevent_allow)
{
	uint8_t c[6] = {0x1e, 0, 0, 0, 1, 0};
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	c[4] = 0;
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	c[4] = 2;
	r = t_exec(0, c, 6, NULL, 0, NULL, 0);
	t_bad_field(&r, 4, 1);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ RSOC */

START_TEST(test_rsoc)
{
	uint8_t c[12] = {0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0};
	uint8_t *b = malloc(4096);
	emu_result r;
	uint32_t len, i;
	int saw_read16 = 0, saw_rc16 = 0;

	ck_assert_ptr_nonnull(b);
	t_setup("/dev/shm", 1 << 20, "");
	/* all commands (SPC-5 6.35.2) */
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	len = t_be32(b);
	ck_assert_uint_eq(len % 8, 0);
	ck_assert_uint_ge(len / 8, 30);
	for (i = 0; i < len / 8; i++) {
		const uint8_t *d = b + 4 + 8 * i;

		if (d[0] == 0x88) {
			saw_read16 = 1;
			ck_assert_uint_eq(d[5] & 1, 0);
			ck_assert_uint_eq(t_be16(d + 6), 16);
		}
		if (d[0] == 0x9e && (t_be16(d + 2)) == 0x10) {
			saw_rc16 = 1;
			ck_assert_uint_eq(d[5] & 1, 1);	/* SERVACTV */
		}
		if (i)	/* sorted */
			ck_assert_uint_le(d[-8], d[0]);
	}
	ck_assert(saw_read16 && saw_rc16);
	/* with timeouts descriptors: 20 bytes each */
	c[2] = 0x80;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), len / 8 * 20);
	ck_assert_uint_eq(b[4 + 5] & 0x02, 0x02);
	/* one command: READ(16) usage data */
	c[2] = 0x01;
	c[3] = 0x88;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(b[1] & 0x07, 3);
	ck_assert_uint_eq(t_be16(b + 2), 16);
	ck_assert_uint_eq(b[4], 0x88);
	ck_assert_uint_eq(b[5], 0x1c);
	ck_assert_uint_eq(b[19], 0x00);
	/* unsupported opcode: SUPPORT 001b */
	c[3] = 0xc5;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(b[1] & 0x07, 1);
	ck_assert_uint_eq(r.data_in_len, 4);
	/* option 1 on an opcode with service actions: invalid */
	c[3] = 0x9e;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	t_bad_field(&r, 3, 7);
	/* option 2: opcode and service action */
	c[2] = 0x02;
	c[5] = 0x10;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(b[1] & 0x07, 3);
	ck_assert_uint_eq(b[5], 0x10);
	c[5] = 0x11;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(b[1] & 0x07, 1);
	/* option 2 on an opcode without service actions: invalid */
	c[3] = 0x28;
	c[5] = 0;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	t_bad_field(&r, 3, 7);
	/* option 3: either */
	c[2] = 0x03;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(b[1] & 0x07, 3);
	/* reserved options */
	c[2] = 0x04;
	r = t_exec(0, c, 12, NULL, 0, b, 4096);
	t_bad_field(&r, 2, 2);
	free(b);
	t_teardown();
}
END_TEST

START_TEST(test_rstmf)
{
	uint8_t c[12] = {0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0}, b[16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, c, 12, NULL, 0, b, 16);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 4);
	ck_assert_uint_eq(b[0], 0xfc);
	ck_assert_uint_eq(b[1], 0x03);
	c[2] = 0x80;	/* REPD */
	r = t_exec(0, c, 12, NULL, 0, b, 16);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 16);
	ck_assert_uint_eq(b[3], 0x0c);
	t_teardown();
}
END_TEST

/* The usage data we report claims no bit the command table of
 * vscsi/cdb.h (the decoder's reading of SBC-4/SPC-5/MMC-6) does not know:
 * the device's accepted bits are a subset of the defined fields. */
static void usage_subset(const char *opts, unsigned ptype)
{
	uint8_t c[12] = {0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0};
	uint8_t *all = malloc(4096), one[64], theirs[32];
	emu_result r;
	uint32_t n, i, k;

	ck_assert_ptr_nonnull(all);
	t_dev();
	t_mkfile(E.path, sizeof(E.path), "/dev/shm", 1 << 20, 0);
	t_add(0, 0, E.path, opts, 0);
	t_clear_ua(0, 0);
	r = t_exec(0, c, 12, NULL, 0, all, 4096);
	T_GOOD(r);
	n = t_be32(all) / 8;
	for (i = 0; i < n; i++) {
		const uint8_t *d = all + 4 + 8 * i;
		int has_sa = d[5] & 1, row;
		uint16_t sa = (uint16_t)t_be16(d + 2);
		size_t len;

		c[2] = has_sa ? 2 : 1;
		c[3] = d[0];
		c[4] = (uint8_t)(sa >> 8);
		c[5] = (uint8_t)sa;
		r = t_exec(0, c, 12, NULL, 0, one, sizeof(one));
		T_GOOD(r);
		ck_assert_uint_eq(one[1] & 7, 3);
		row = vscsi_cdb_table_find(d[0], sa, has_sa, ptype);
		ck_assert_msg(row >= 0, "opcode %02x/%x not in cdb.h", d[0], sa);
		len = vscsi_cdb_table_usage((unsigned)row, theirs,
					    sizeof(theirs));
		ck_assert_uint_eq(len, t_be16(one + 2));
		ck_assert_uint_eq(one[4], theirs[0]);
		for (k = 1; k < len; k++)
			ck_assert_msg(!(one[4 + k] & ~theirs[k]),
				      "opcode %02x/%x byte %u: ours %02x, "
				      "table %02x", d[0], sa, k, one[4 + k],
				      theirs[k]);
	}
	free(all);
	t_teardown();
}

START_TEST(test_usage_matches_cdb_table)
{
	usage_subset("", 0x00);
}
END_TEST

static Suite *emu_spc_suite(void)
{
	Suite *s = suite_create("emu_spc");
	TCase *tc = tcase_create("spc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_inquiry_std);
	tcase_add_test(tc, test_inquiry_vpd);
	tcase_add_test(tc, test_report_luns);
	tcase_add_test(tc, test_request_sense_formats);
	tcase_add_test(tc, test_mode_sense);
	tcase_add_test(tc, test_mode_select);
	tcase_add_test(tc, test_start_stop);
	tcase_add_test(tc, test_prevent_allow);
	tcase_add_test(tc, test_rsoc);
	tcase_add_test(tc, test_rstmf);
	tcase_add_test(tc, test_usage_matches_cdb_table);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(emu_spc_suite)
