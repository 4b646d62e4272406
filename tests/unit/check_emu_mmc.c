/*
 * emu CD-ROM LUN (MMC-6) over an ISO-like file: identification, READ
 * CAPACITY and READ, READ TOC, GET CONFIGURATION, GET EVENT STATUS
 * NOTIFICATION, the capabilities mode page, medium removal and eject.
 */
#include "check_emu.h"

#define ISO_SECTORS 300u

/* A file shaped like an ISO 9660 image: a primary volume descriptor
 * ("\x01CD001") at sector 16 (ECMA-119 8.4). */
static void iso_setup(void)
{
	int fd;

	t_dev();
	t_mkfile(E.path, sizeof(E.path), "/dev/shm", ISO_SECTORS * 2048, 1);
	fd = open(E.path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x01" "CD001\x01", 7, 16 * 2048), 7);
	close(fd);
	t_add(0, 0, E.path, ",cdrom", 0);
	E.fd = open(E.path, O_RDONLY);
	t_clear_ua(0, 0);
}

START_TEST(test_cd_identity)
{
	uint8_t inq[6] = {0x12, 0, 0, 0, 96, 0}, b[256];
	uint8_t rc[10] = {0x25}, c[16];
	emu_result r;

	iso_setup();
	r = t_exec(0, inq, 6, NULL, 0, b, 96);
	T_GOOD(r);
	ck_assert_uint_eq(b[0], 0x05);		/* CD/DVD device */
	ck_assert_uint_eq(b[1], 0x80);		/* RMB */
	ck_assert_int_eq(memcmp(b + 16, "vscsi-trace cd  ", 16), 0);
	ck_assert_uint_eq(t_be16(b + 62), 0x04e0);	/* MMC-6 */
	r = t_exec(0, rc, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), ISO_SECTORS - 1);
	ck_assert_uint_eq(t_be32(b + 4), 2048);
	/* the volume descriptor through READ(10) and READ(12) */
	t_cdb10(c, 0x28, 0, 16, 1);
	r = t_exec(0, c, 10, NULL, 0, b, 256);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	{
		uint8_t *s = malloc(2048);

		ck_assert_ptr_nonnull(s);
		r = t_exec(0, c, 10, NULL, 0, s, 2048);
		T_GOOD(r);
		ck_assert_int_eq(memcmp(s, "\x01" "CD001", 6), 0);
		memset(c, 0, 12);
		c[0] = 0xa8;
		c[5] = 16;
		c[9] = 1;
		r = t_exec(0, c, 12, NULL, 0, s, 2048);
		T_GOOD(r);
		ck_assert_int_eq(memcmp(s, "\x01" "CD001", 6), 0);
		free(s);
	}
	/* read-only, and not a disk: writes are unknown opcodes, so is
	 * READ(16); VPD has no block pages */
	t_cdb10(c, 0x2a, 0, 0, 1);
	r = t_exec(0, c, 10, b, 256, NULL, 0);
	t_sense(&r, 5, 0x20, 0x00);
	t_cdb16(c, 0x88, 0, 0, 1);
	r = t_exec(0, c, 16, NULL, 0, b, 256);
	t_sense(&r, 5, 0x20, 0x00);
	inq[1] = 1;
	inq[2] = 0xb0;
	r = t_exec(0, inq, 6, NULL, 0, b, 96);
	t_bad_field(&r, 2, 7);
	inq[2] = 0;
	r = t_exec(0, inq, 6, NULL, 0, b, 96);
	T_GOOD(r);
	ck_assert_uint_eq(b[3], 3);
	t_teardown();
}
END_TEST

/* READ TOC/PMA/ATIP (MMC-6 6.33) */
START_TEST(test_read_toc)
{
	uint8_t c[10] = {0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0}, b[100];
	emu_result r;

	iso_setup();
	/* format 0, LBA: track 1 at 0, lead-out at the capacity */
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 20);
	ck_assert_uint_eq(t_be16(b + 0), 18);
	ck_assert_uint_eq(b[2], 1);
	ck_assert_uint_eq(b[3], 1);
	ck_assert_uint_eq(b[5], 0x14);
	ck_assert_uint_eq(b[6], 1);
	ck_assert_uint_eq(t_be32(b + 8), 0);
	ck_assert_uint_eq(b[14], 0xaa);
	ck_assert_uint_eq(t_be32(b + 16), ISO_SECTORS);
	/* MSF: 300 + 150 frames = 00:06:00 */
	c[1] = 0x02;
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	T_GOOD(r);
	ck_assert_uint_eq(b[8 + 1], 0);
	ck_assert_uint_eq(b[8 + 2], 2);
	ck_assert_uint_eq(b[8 + 3], 0);
	ck_assert_uint_eq(b[16 + 1], 0);
	ck_assert_uint_eq(b[16 + 2], 6);
	ck_assert_uint_eq(b[16 + 3], 0);
	/* from the lead-out only */
	c[1] = 0;
	c[6] = 0xaa;
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 12);
	/* a track that does not exist */
	c[6] = 2;
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	t_bad_field(&r, 6, 7);
	/* format 1: session information */
	c[6] = 0;
	c[2] = 1;
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 12);
	ck_assert_uint_eq(b[1], 10);
	ck_assert_uint_eq(b[6], 1);
	/* format 2 (raw TOC) is not supported */
	c[2] = 2;
	r = t_exec(0, c, 10, NULL, 0, b, 100);
	t_bad_field(&r, 2, 3);
	t_teardown();
}
END_TEST

/* GET CONFIGURATION (MMC-6 6.6) */
START_TEST(test_get_configuration)
{
	uint8_t c[10] = {0x46, 0, 0, 0, 0, 0, 0, 0, 128, 0}, b[128];
	emu_result r;
	uint32_t n, off;
	int saw_core = 0, saw_random = 0;

	iso_setup();
	r = t_exec(0, c, 10, NULL, 0, b, 128);
	T_GOOD(r);
	n = t_be32(b) + 4;
	ck_assert_uint_eq(r.data_in_len, n);
	ck_assert_uint_eq(t_be16(b + 6), 0x0008);	/* CD-ROM */
	for (off = 8; off < n; off += 4u + b[off + 3]) {
		uint16_t code = (uint16_t)(t_be16(b + off));

		if (code == 0x0001)
			saw_core = 1;
		if (code == 0x0010) {
			saw_random = 1;
			ck_assert_uint_eq(t_be32(b + off + 4), 2048);
		}
	}
	ck_assert(saw_core && saw_random);
	/* RT 2: one feature */
	c[1] = 2;
	c[3] = 0x10;
	r = t_exec(0, c, 10, NULL, 0, b, 128);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 8 + 12);
	ck_assert_uint_eq(b[9], 0x10);
	c[1] = 3;
	r = t_exec(0, c, 10, NULL, 0, b, 128);
	t_bad_field(&r, 1, 1);
	t_teardown();
}
END_TEST

/* Medium removal: PREVENT blocks eject (53/02); eject gives NOT READY,
 * MEDIUM NOT PRESENT; GESN reports the media events; loading gives the
 * NOT READY TO READY UA (28/00). */
START_TEST(test_eject_load)
{
	uint8_t ssu[6] = {0x1b, 0, 0, 0, 0x02, 0};
	uint8_t pam[6] = {0x1e, 0, 0, 0, 1, 0};
	uint8_t gesn[10] = {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0};
	uint8_t ms[10] = {0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 64, 0};
	uint8_t b[64], rd[10];
	emu_result r;

	iso_setup();
	/* GESN: medium present, no event */
	r = t_exec(0, gesn, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(b[2], 0x04);
	ck_assert_uint_eq(b[3], 0x10);
	ck_assert_uint_eq(b[4], 0);
	ck_assert_uint_eq(b[5], 0x02);
	/* locked: eject refused */
	r = t_exec(0, pam, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, ms, 10, NULL, 0, b, 64);
	T_GOOD(r);
	ck_assert_uint_eq(b[8], 0x2a);
	ck_assert_uint_eq(b[8 + 6] & 0x02, 0x02);	/* lock state */
	r = t_exec(0, ssu, 6, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x53, 0x02);
	pam[4] = 0;
	r = t_exec(0, pam, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, ssu, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 2, 0x3a, 0x00);
	t_cdb10(rd, 0x28, 0, 0, 1);
	r = t_exec(0, rd, 10, NULL, 0, b, 64);
	t_sense(&r, 2, 0x3a, 0x00);
	r = t_exec(0, gesn, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(b[4], 3);	/* MediaRemoval */
	ck_assert_uint_eq(b[5], 0);
	/* GET CONFIGURATION: no current profile without a medium */
	{
		uint8_t gc[10] = {0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0};

		r = t_exec(0, gc, 10, NULL, 0, b, 8);
		T_GOOD(r);
		ck_assert_uint_eq(t_be16(b + 6), 0);
	}
	/* load */
	ssu[4] = 0x03;
	r = t_exec(0, ssu, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* GESN is not held by the unit attention (MMC-6 4.1.6.1) */
	r = t_exec(0, gesn, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(b[4], 2);	/* NewMedia */
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	t_sense(&r, 6, 0x28, 0x00);
	r = t_exec(0, t_tur, 6, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* asynchronous GESN is not supported; other classes get NEA */
	gesn[1] = 0;
	r = t_exec(0, gesn, 10, NULL, 0, b, 8);
	t_bad_field(&r, 1, 0);
	gesn[1] = 1;
	gesn[4] = 0x02;
	r = t_exec(0, gesn, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(b[2], 0x80);
	ck_assert_uint_eq(r.data_in_len, 4);
	t_teardown();
}
END_TEST

START_TEST(test_cd_bad_spec)
{
	emu_lun_cfg cfg;

	ck_assert_int_eq(emu_lun_parse("0:0=/x,cdrom,bs=4096", &cfg, NULL, 0),
			 VSCSI_ERR_SYNTAX);
}
END_TEST

static Suite *emu_mmc_suite(void)
{
	Suite *s = suite_create("emu_mmc");
	TCase *tc = tcase_create("mmc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cd_identity);
	tcase_add_test(tc, test_read_toc);
	tcase_add_test(tc, test_get_configuration);
	tcase_add_test(tc, test_eject_load);
	tcase_add_test(tc, test_cd_bad_spec);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(emu_mmc_suite)
