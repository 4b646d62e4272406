/*
 * emu block commands (SBC-4): every command, its data and its errors, over
 * temporary files; durability through a second descriptor; holes.
 */
#include <signal.h>
#include <sys/resource.h>

#include "check_emu.h"

#define CAP_BLOCKS 2048u	/* 1 MiB of 512-byte blocks */

/* ------------------------------------------------------------ capacity */

START_TEST(test_read_capacity)
{
	uint8_t b[64], rc10[10] = {0x25};
	uint8_t rc16[16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, rc10, 10, NULL, 0, b, 8);
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(b), CAP_BLOCKS - 1);
	ck_assert_uint_eq(t_be32(b + 4), 512);
	t_cdb16(rc16, 0x9e, 0x10, 0, 32);
	r = t_exec(0, rc16, 16, NULL, 0, b, 64);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 32);
	ck_assert_uint_eq(r.resid, 32);
	ck_assert_uint_eq(t_be64(b), CAP_BLOCKS - 1);
	ck_assert_uint_eq(t_be32(b + 8), 512);
	/* tmpfs blocks are 4096: 8 logical blocks per physical block */
	ck_assert_uint_eq(b[13] & 0x0f, 3);
	ck_assert_uint_eq(b[14] & 0xc0, 0xc0);	/* LBPME, LBPRZ */
	/* allocation length cuts without error (SPC-5 4.2.5.6) */
	t_cdb16(rc16, 0x9e, 0x10, 0, 12);
	r = t_exec(0, rc16, 16, NULL, 0, b, 64);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 12);
	ck_assert_uint_eq(r.resid, 52);
	/* PMI is accepted, reserved bits are not */
	rc10[8] = 0x01;
	r = t_exec(0, rc10, 10, NULL, 0, b, 8);
	T_GOOD(r);
	rc10[8] = 0x02;
	r = t_exec(0, rc10, 10, NULL, 0, b, 8);
	t_bad_field(&r, 8, 1);
	t_teardown();
}
END_TEST

START_TEST(test_read_capacity_4k)
{
	uint8_t b[32], rc16[16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, ",bs=4096");
	t_cdb16(rc16, 0x9e, 0x10, 0, 32);
	r = t_exec(0, rc16, 16, NULL, 0, b, 32);
	T_GOOD(r);
	ck_assert_uint_eq(t_be64(b), 255);
	ck_assert_uint_eq(t_be32(b + 8), 4096);
	ck_assert_uint_eq(b[13] & 0x0f, 0);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ READ/WRITE */

/* One write and one read through each CDB size; the file holds what was
 * written, the read returns it. */
START_TEST(test_rw_sizes)
{
	static const uint8_t wr[4] = {0x0a, 0x2a, 0xaa, 0x8a};
	static const uint8_t rd[4] = {0x08, 0x28, 0xa8, 0x88};
	uint8_t c[16], data[1024], back[1024], file[1024];
	emu_result r;
	unsigned k, i;

	t_setup("/dev/shm", 1 << 20, "");
	for (k = 0; k < 4; k++) {
		uint32_t lba = 100 + k * 10;

		for (i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 13 + k);
		memset(c, 0, sizeof(c));
		c[0] = wr[k];
		switch (k) {
		case 0:
			c[2] = (uint8_t)(lba >> 8);
			c[3] = (uint8_t)lba;
			c[4] = 2;
			break;
		case 1:
			t_cdb10(c, wr[k], 0, lba, 2);
			break;
		case 2:
			c[5] = (uint8_t)lba;
			c[4] = (uint8_t)(lba >> 8);
			c[9] = 2;
			break;
		default:
			t_cdb16(c, wr[k], 0, lba, 2);
			break;
		}
		r = t_exec(0, c, 16, data, sizeof(data), NULL, 0);
		T_GOOD(r);
		ck_assert_uint_eq(r.resid, 0);
		ck_assert_int_eq(pread(E.fd, file, 1024, lba * 512), 1024);
		ck_assert_int_eq(memcmp(file, data, 1024), 0);
		c[0] = rd[k];
		memset(back, 0, sizeof(back));
		r = t_exec(0, c, 16, NULL, 0, back, sizeof(back));
		T_GOOD(r);
		ck_assert_uint_eq(r.data_in_len, 1024);
		ck_assert_int_eq(memcmp(back, data, 1024), 0);
	}
	t_teardown();
}
END_TEST

START_TEST(test_rw_edges)
{
	uint8_t c[16], *buf = calloc(1, 256 * 512 + 4096);
	emu_result r;

	ck_assert_ptr_nonnull(buf);
	t_setup("/dev/shm", 1 << 20, "");
	/* READ(6) with length 0 transfers 256 blocks (SBC-4 5.14) */
	memset(c, 0, 6);
	c[0] = 0x08;
	c[3] = 10;
	r = t_exec(0, c, 6, NULL, 0, buf, 256 * 512);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 256 * 512);
	ck_assert_uint_eq(buf[255 * 512 + 3], t_pat((10 + 255) * 512 + 3));
	/* READ(10) of 0 blocks: nothing, GOOD */
	t_cdb10(c, 0x28, 0, 5, 0);
	r = t_exec(0, c, 10, NULL, 0, buf, 512);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 0);
	ck_assert_uint_eq(r.resid, 512);
	/* a bigger buffer than the transfer: exact residual */
	t_cdb10(c, 0x28, 0, 5, 2);
	r = t_exec(0, c, 10, NULL, 0, buf, 4096);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 1024);
	ck_assert_uint_eq(r.resid, 4096 - 1024);
	/* the last block reads, one past it is out of range (21/00) */
	t_cdb10(c, 0x28, 0, CAP_BLOCKS - 1, 1);
	r = t_exec(0, c, 10, NULL, 0, buf, 512);
	T_GOOD(r);
	t_cdb10(c, 0x28, 0, CAP_BLOCKS - 1, 2);
	r = t_exec(0, c, 10, NULL, 0, buf, 1024);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb16(c, 0x88, 0, UINT64_MAX, 1);
	r = t_exec(0, c, 16, NULL, 0, buf, 512);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb16(c, 0x8a, 0, CAP_BLOCKS + 1, 0); /* past the end, 0 blocks */
	r = t_exec(0, c, 16, buf, 512, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	/* longer than MAXIMUM TRANSFER LENGTH: the length field */
	t_cdb16(c, 0x88, 0, 0, 16385);
	r = t_exec(0, c, 16, NULL, 0, buf, 512);
	t_bad_field(&r, 10, 7);
	t_cdb10(c, 0x28, 0, 0, 16385);
	r = t_exec(0, c, 10, NULL, 0, buf, 512);
	t_bad_field(&r, 7, 7);
	/* buffer smaller than the transfer: virtio OVERRUN, no status */
	t_cdb10(c, 0x28, 0, 0, 2);
	r = t_exec(0, c, 10, NULL, 0, buf, 1000);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	ck_assert_uint_eq(r.data_in_len, 0);
	t_cdb10(c, 0x2a, 0, 0, 2);
	r = t_exec(0, c, 10, buf, 1000, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	ck_assert_uint_eq(r.resid, 1000);
	/* WRPROTECT is not supported */
	t_cdb10(c, 0x2a, 0x40, 0, 1);
	r = t_exec(0, c, 10, buf, 512, NULL, 0);
	t_bad_field(&r, 1, 6);
	free(buf);
	t_teardown();
}
END_TEST

/* Durability: after a FUA write, or a write and SYNCHRONIZE CACHE,
 * completes, another descriptor reads the data (an O_DIRECT one on a disk
 * file system, past the page cache of ours). */
START_TEST(test_durability)
{
	static const char *const dirs[] = {"/tmp", "/dev/shm"};
	unsigned d;

	for (d = 0; d < 2; d++) {
		uint8_t c[16], *data = aligned_alloc(4096, 8192);
		uint8_t *chk = aligned_alloc(4096, 8192);
		emu_result r;
		int dfd;

		ck_assert_ptr_nonnull(data);
		ck_assert_ptr_nonnull(chk);
		t_setup(dirs[d], 1 << 20, "");
		dfd = open(E.path, O_RDONLY | (d == 0 ? O_DIRECT : 0));
		ck_assert_int_ge(dfd, 0);
		memset(data, 0xa5, 4096);
		t_cdb10(c, 0x2a, 0x08, 16, 8);	/* FUA */
		r = t_exec(0, c, 10, data, 4096, NULL, 0);
		T_GOOD(r);
		ck_assert_int_eq(pread(dfd, chk, 4096, 16 * 512), 4096);
		ck_assert_int_eq(memcmp(chk, data, 4096), 0);
		memset(data, 0x3c, 4096);
		t_cdb16(c, 0x8a, 0x08, 32, 8);	/* FUA, WRITE(16) */
		r = t_exec(0, c, 16, data, 4096, NULL, 0);
		T_GOOD(r);
		ck_assert_int_eq(pread(dfd, chk, 4096, 32 * 512), 4096);
		ck_assert_int_eq(memcmp(chk, data, 4096), 0);
		memset(data, 0x77, 4096);
		t_cdb10(c, 0x2a, 0, 64, 8);
		r = t_exec(0, c, 10, data, 4096, NULL, 0);
		T_GOOD(r);
		t_cdb10(c, 0x35, 0, 0, 0);
		r = t_exec(0, c, 10, NULL, 0, NULL, 0);
		T_GOOD(r);
		t_cdb16(c, 0x91, 0, 64, 8);
		r = t_exec(0, c, 16, NULL, 0, NULL, 0);
		T_GOOD(r);
		ck_assert_int_eq(pread(dfd, chk, 4096, 64 * 512), 4096);
		ck_assert_int_eq(memcmp(chk, data, 4096), 0);
		close(dfd);
		t_teardown();
		free(data);
		free(chk);
	}
}
END_TEST

START_TEST(test_sync_cache_errors)
{
	uint8_t c[16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, ",io=uring");
	t_cdb10(c, 0x35, 0x02, 0, 0);	/* IMMED accepted */
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	T_GOOD(r);
	t_cdb10(c, 0x35, 0, CAP_BLOCKS - 1, 2);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb16(c, 0x91, 0, CAP_BLOCKS + 1, 0);
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb10(c, 0x35, 0x04, 0, 0);	/* obsolete SYNC_NV */
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	t_bad_field(&r, 1, 2);
	t_teardown();
}
END_TEST

/* With the write cache disabled (MODE SELECT, caching page WCE 0) writes
 * are durable without FUA; MODE SENSE reports it. */
START_TEST(test_wce)
{
	uint8_t ms[6] = {0x1a, 0x08, 0x08, 0, 64, 0};
	uint8_t sel[6] = {0x15, 0x10, 0, 0, 24, 0};
	uint8_t b[64], c[10], data[512];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	r = t_exec(0, ms, 6, NULL, 0, b, 64);
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 24);
	ck_assert_uint_eq(b[4], 0x08);
	ck_assert_uint_eq(b[6] & 0x04, 0x04);	/* WCE on by default */
	memset(b, 0, 4);
	b[6] &= (uint8_t)~0x04;
	r = t_exec(0, sel, 6, b, 24, NULL, 0);
	T_GOOD(r);
	r = t_exec(0, ms, 6, NULL, 0, b, 64);
	T_GOOD(r);
	ck_assert_uint_eq(b[6] & 0x04, 0);
	memset(data, 0x42, sizeof(data));
	t_cdb10(c, 0x2a, 0, 7, 1);
	r = t_exec(0, c, 10, data, 512, NULL, 0);
	T_GOOD(r);
	ck_assert_int_eq(pread(E.fd, b, 64, 7 * 512), 64);
	ck_assert_uint_eq(b[0], 0x42);
	t_teardown();
}
END_TEST

START_TEST(test_read_only)
{
	static const uint8_t ops[] = {0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0x8e,
				      0x41, 0x93, 0x42, 0x89};
	uint8_t c[16], data[1024];
	emu_result r;
	unsigned i;

	t_setup("/dev/shm", 1 << 20, ",ro");
	memset(data, 0, sizeof(data));
	for (i = 0; i < sizeof(ops); i++) {
		memset(c, 0, sizeof(c));
		c[0] = ops[i];
		c[8] = 1;
		r = t_exec(0, c, 16, data, sizeof(data), NULL, 0);
		t_sense(&r, 7, 0x27, 0x00);
	}
	/* reads still work; LBPME is off: no unmapping on a ro LUN */
	t_cdb10(c, 0x28, 0, 1, 1);
	r = t_exec(0, c, 10, NULL, 0, data, 512);
	T_GOOD(r);
	ck_assert_uint_eq(data[9], t_pat(512 + 9));
	t_cdb16(c, 0x9e, 0x10, 0, 32);
	r = t_exec(0, c, 16, NULL, 0, data, 32);
	T_GOOD(r);
	ck_assert_uint_eq(data[14] & 0x80, 0);
	t_teardown();
}
END_TEST

/* I/O failures become MEDIUM ERROR: a read past the end of a file that
 * shrank (11/00), a write over RLIMIT_FSIZE (0C/00). */
START_TEST(test_medium_errors)
{
	uint8_t c[16], data[4096];
	emu_result r;
	struct rlimit rl = {64 * 1024, 64 * 1024};
	vscsi_sense_info si;

	t_setup("/dev/shm", 1 << 20, "");
	ck_assert_int_eq(truncate(E.path, 8192), 0);
	t_cdb10(c, 0x28, 0, 100, 1);
	r = t_exec(0, c, 10, NULL, 0, data, 512);
	si = t_sense(&r, 3, 0x11, 0x00);
	ck_assert_uint_eq(si.has_info, 1);
	ck_assert_uint_eq(si.information, 100);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	t_cdb10(c, 0x2a, 0, 1000, 8);
	r = t_exec(0, c, 10, data, 4096, NULL, 0);
	t_sense(&r, 3, 0x0c, 0x00);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ VERIFY */

START_TEST(test_verify)
{
	uint8_t c[16], data[2048];
	emu_result r;
	vscsi_sense_info si;
	unsigned i;

	t_setup("/dev/shm", 1 << 20, "");
	/* BYTCHK 0: the medium only */
	t_cdb10(c, 0x2f, 0, 10, 4);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	T_GOOD(r);
	t_cdb16(c, 0x8f, 0, 10, 4);
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* BYTCHK 1: compare with data-out */
	for (i = 0; i < 2048; i++)
		data[i] = t_pat(10 * 512 + i);
	t_cdb10(c, 0x2f, 0x02, 10, 4);
	r = t_exec(0, c, 10, data, 2048, NULL, 0);
	T_GOOD(r);
	ck_assert_uint_eq(r.resid, 0);
	/* a difference at byte 1234: MISCOMPARE, INFORMATION = offset
	 * (SBC-4 5.36) */
	data[1234] ^= 1;
	t_cdb16(c, 0x8f, 0x02, 10, 4);
	r = t_exec(0, c, 16, data, 2048, NULL, 0);
	si = t_sense(&r, 0xe, 0x1d, 0x00);
	ck_assert_uint_eq(si.has_info, 1);
	ck_assert_uint_eq(si.information, 1234);
	/* BYTCHK 11b: one block against each */
	t_cdb10(c, 0x2a, 0, 40, 3);
	memset(data, 0x5e, 1536);
	r = t_exec(0, c, 10, data, 1536, NULL, 0);
	T_GOOD(r);
	t_cdb10(c, 0x2f, 0x06, 40, 3);
	r = t_exec(0, c, 10, data, 512, NULL, 0);
	T_GOOD(r);
	data[7] = 0;
	r = t_exec(0, c, 10, data, 512, NULL, 0);
	si = t_sense(&r, 0xe, 0x1d, 0x00);
	ck_assert_uint_eq(si.information, 7);
	/* BYTCHK 10b is reserved: field pointer to its high bit */
	t_cdb10(c, 0x2f, 0x04, 40, 3);
	r = t_exec(0, c, 10, data, 512, NULL, 0);
	t_bad_field(&r, 1, 2);
	/* range and buffer */
	t_cdb10(c, 0x2f, 0, CAP_BLOCKS, 1);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb10(c, 0x2f, 0x02, 0, 4);
	r = t_exec(0, c, 10, data, 512, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	/* VRPROTECT */
	t_cdb10(c, 0x2f, 0x20, 0, 1);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	t_bad_field(&r, 1, 5);
	t_teardown();
}
END_TEST

START_TEST(test_write_and_verify)
{
	uint8_t c[16], data[1024], chk[1024];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, ",io=uring");
	memset(data, 0x99, sizeof(data));
	t_cdb10(c, 0x2e, 0x02, 20, 2);
	r = t_exec(0, c, 10, data, 1024, NULL, 0);
	T_GOOD(r);
	ck_assert_int_eq(pread(E.fd, chk, 1024, 20 * 512), 1024);
	ck_assert_int_eq(memcmp(chk, data, 1024), 0);
	memset(data, 0x98, sizeof(data));
	t_cdb16(c, 0x8e, 0, 22, 2);
	r = t_exec(0, c, 16, data, 1024, NULL, 0);
	T_GOOD(r);
	ck_assert_int_eq(pread(E.fd, chk, 1024, 22 * 512), 1024);
	ck_assert_int_eq(memcmp(chk, data, 1024), 0);
	t_cdb10(c, 0x2e, 0x04, 20, 2);
	r = t_exec(0, c, 10, data, 1024, NULL, 0);
	t_bad_field(&r, 1, 2);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ holes */

static long long blocks_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (long long)st.st_blocks;
}

/* UNMAP punches holes: a sparse file stays sparse, the range reads zero
 * (LBPRZ), GET LBA STATUS says deallocated. */
START_TEST(test_unmap)
{
	uint8_t c[16], pl[8 + 3 * 16], data[4096], status[256];
	emu_result r;
	long long before, after;
	unsigned i;

	t_setup("/dev/shm", 4 << 20, "");
	before = blocks_of(E.path);
	memset(pl, 0, sizeof(pl));
	pl[1] = 8 + 3 * 16 - 2;
	pl[3] = 3 * 16;
	/* LBA 0, 2048 blocks (1 MiB); LBA 4096, 8 blocks; LBA 10, 0 */
	pl[8 + 10] = 0x08;
	pl[24 + 6] = 0x10;
	pl[24 + 11] = 8;
	pl[40 + 7] = 10;
	memset(c, 0, 10);
	c[0] = 0x42;
	c[8] = sizeof(pl);
	r = t_exec(0, c, 10, pl, sizeof(pl), NULL, 0);
	T_GOOD(r);
	ck_assert_uint_eq(r.resid, 0);
	after = blocks_of(E.path);
	ck_assert_int_le(after, before - (1 << 20) / 512);
	t_cdb10(c, 0x28, 0, 2040, 8);
	r = t_exec(0, c, 10, NULL, 0, data, 4096);
	T_GOOD(r);
	for (i = 0; i < 4096; i++)
		ck_assert_uint_eq(data[i], 0);
	t_cdb10(c, 0x28, 0, 2048, 1);
	r = t_exec(0, c, 10, NULL, 0, data, 512);
	T_GOOD(r);
	ck_assert_uint_eq(data[1], t_pat(2048 * 512 + 1));
	/* GET LBA STATUS from 0: deallocated 0-2047, mapped 2048-4095,
	 * deallocated 4096-4103, mapped to the end */
	t_cdb16(c, 0x9e, 0x12, 0, 256);
	r = t_exec(0, c, 16, NULL, 0, status, sizeof(status));
	T_GOOD(r);
	ck_assert_uint_eq(t_be32(status), 4 + 4 * 16);
	ck_assert_uint_eq(t_be64(status + 8), 0);
	ck_assert_uint_eq(t_be32(status + 16), 2048);
	ck_assert_uint_eq(status[20], 1);
	ck_assert_uint_eq(t_be64(status + 24), 2048);
	ck_assert_uint_eq(t_be32(status + 32), 2048);
	ck_assert_uint_eq(status[36], 0);
	ck_assert_uint_eq(t_be64(status + 40), 4096);
	ck_assert_uint_eq(t_be32(status + 48), 8);
	ck_assert_uint_eq(status[52], 1);
	ck_assert_uint_eq(t_be64(status + 56), 4104);
	ck_assert_uint_eq(t_be32(status + 64), 8192 - 4104);
	ck_assert_uint_eq(status[68], 0);
	/* from inside a hole; allocation length for one descriptor */
	t_cdb16(c, 0x9e, 0x12, 100, 24);
	r = t_exec(0, c, 16, NULL, 0, status, sizeof(status));
	T_GOOD(r);
	ck_assert_uint_eq(r.data_in_len, 24);
	ck_assert_uint_eq(t_be64(status + 8), 100);
	ck_assert_uint_eq(t_be32(status + 16), 2048 - 100);
	ck_assert_uint_eq(status[20], 1);
	t_cdb16(c, 0x9e, 0x12, 8192, 24);
	r = t_exec(0, c, 16, NULL, 0, status, sizeof(status));
	t_sense(&r, 5, 0x21, 0x00);
	t_teardown();
}
END_TEST

START_TEST(test_unmap_errors)
{
	uint8_t c[10], pl[8 + 257 * 16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, ",io=uring");
	memset(c, 0, 10);
	c[0] = 0x42;
	/* no parameter list: nothing to do */
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	T_GOOD(r);
	memset(pl, 0, sizeof(pl));
	/* 1..7 bytes: PARAMETER LIST LENGTH ERROR (SBC-4 5.32.1) */
	c[8] = 6;
	r = t_exec(0, c, 10, pl, 6, NULL, 0);
	t_sense(&r, 5, 0x1a, 0x00);
	/* descriptors past the parameter list */
	c[8] = 24;
	pl[3] = 32;
	r = t_exec(0, c, 10, pl, 24, NULL, 0);
	t_sense(&r, 5, 0x1a, 0x00);
	/* more descriptors than the block limits allow */
	c[7] = (uint8_t)((8 + 257 * 16) >> 8);
	c[8] = (uint8_t)(8 + 257 * 16);
	pl[2] = (uint8_t)((257 * 16) >> 8);
	pl[3] = (uint8_t)(257 * 16);
	r = t_exec(0, c, 10, pl, sizeof(pl), NULL, 0);
	t_bad_param(&r, 2, -1);
	/* an LBA out of range: nothing unmapped */
	c[7] = 0;
	c[8] = 24;
	pl[2] = 0;
	pl[3] = 16;
	pl[8 + 6] = 0x08;	/* LBA 2048 */
	pl[8 + 11] = 1;
	r = t_exec(0, c, 10, pl, 24, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	/* parameter list longer than data-out */
	r = t_exec(0, c, 10, pl, 20, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	/* ANCHOR not supported */
	c[1] = 0x01;
	r = t_exec(0, c, 10, pl, 24, NULL, 0);
	t_bad_field(&r, 1, 0);
	t_teardown();
}
END_TEST

START_TEST(test_write_same)
{
	uint8_t c[16], blk[512], data[4096];
	emu_result r;
	long long before;
	unsigned i;

	t_setup("/dev/shm", 4 << 20, "");
	/* a pattern over 3000 blocks (several chunks) */
	for (i = 0; i < 512; i++)
		blk[i] = (uint8_t)(i ^ 0xc3);
	t_cdb10(c, 0x41, 0, 1000, 3000);
	r = t_exec(0, c, 10, blk, 512, NULL, 0);
	T_GOOD(r);
	ck_assert_uint_eq(r.resid, 0);
	for (i = 1000; i < 4000; i += 999) {
		ck_assert_int_eq(pread(E.fd, data, 512, i * 512), 512);
		ck_assert_int_eq(memcmp(data, blk, 512), 0);
	}
	ck_assert_int_eq(pread(E.fd, data, 512, 4000 * 512), 512);
	ck_assert_uint_eq(data[0], t_pat(4000 * 512));
	/* UNMAP with a zero block: a hole */
	before = blocks_of(E.path);
	memset(blk, 0, 512);
	t_cdb16(c, 0x93, 0x08, 4096, 2048);
	r = t_exec(0, c, 16, blk, 512, NULL, 0);
	T_GOOD(r);
	ck_assert_int_le(blocks_of(E.path), before - 2048);
	/* NDOB and UNMAP: no data-out, a hole */
	before = blocks_of(E.path);
	t_cdb16(c, 0x93, 0x09, 6144, 1024);
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	T_GOOD(r);
	ck_assert_int_le(blocks_of(E.path), before - 1024);
	ck_assert_int_eq(pread(E.fd, data, 512, 6144 * 512), 512);
	ck_assert_uint_eq(data[100], 0);
	/* UNMAP with non-zero data: written, not unmapped */
	memset(blk, 0x11, 512);
	t_cdb10(c, 0x41, 0x08, 10, 2);
	r = t_exec(0, c, 10, blk, 512, NULL, 0);
	T_GOOD(r);
	ck_assert_int_eq(pread(E.fd, data, 1024, 10 * 512), 1024);
	ck_assert_uint_eq(data[1023], 0x11);
	/* NDOB without UNMAP: zeros written */
	t_cdb16(c, 0x93, 0x01, 10, 1);
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	T_GOOD(r);
	ck_assert_int_eq(pread(E.fd, data, 512, 10 * 512), 512);
	ck_assert_uint_eq(data[0], 0);
	/* zero blocks with WSNZ: invalid */
	t_cdb10(c, 0x41, 0, 0, 0);
	r = t_exec(0, c, 10, blk, 512, NULL, 0);
	t_bad_field(&r, 7, 7);
	t_cdb16(c, 0x93, 0, 0, 0);
	r = t_exec(0, c, 16, blk, 512, NULL, 0);
	t_bad_field(&r, 10, 7);
	/* range, buffer, ANCHOR */
	t_cdb16(c, 0x93, 0, 8191, 2);
	r = t_exec(0, c, 16, blk, 512, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_cdb16(c, 0x93, 0, 0, 2);
	r = t_exec(0, c, 16, blk, 100, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	t_cdb16(c, 0x93, 0x10, 0, 2);
	r = t_exec(0, c, 16, blk, 512, NULL, 0);
	t_bad_field(&r, 1, 4);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ CAW */

START_TEST(test_compare_and_write)
{
	uint8_t c[16], buf[2048], chk[1024];
	emu_result r;
	vscsi_sense_info si;
	unsigned i;

	t_setup("/dev/shm", 1 << 20, ",io=uring");
	for (i = 0; i < 1024; i++)
		buf[i] = t_pat(50 * 512 + i);
	memset(buf + 1024, 0xcd, 1024);
	t_cdb16(c, 0x89, 0x08, 50, 0);
	c[10] = c[11] = c[12] = 0;
	c[13] = 2;
	r = t_exec(0, c, 16, buf, 2048, NULL, 0);
	T_GOOD(r);
	ck_assert_uint_eq(r.resid, 0);
	ck_assert_int_eq(pread(E.fd, chk, 1024, 50 * 512), 1024);
	ck_assert_int_eq(memcmp(chk, buf + 1024, 1024), 0);
	/* again with the old data: the medium changed, MISCOMPARE at 0, the
	 * blocks stay as they were */
	memset(buf + 1024, 0xee, 1024);
	r = t_exec(0, c, 16, buf, 2048, NULL, 0);
	si = t_sense(&r, 0xe, 0x1d, 0x00);
	ck_assert_uint_eq(si.information, 0);
	ck_assert_int_eq(pread(E.fd, chk, 1024, 50 * 512), 1024);
	ck_assert_uint_eq(chk[0], 0xcd);
	/* NUMBER OF LOGICAL BLOCKS 0: nothing */
	c[13] = 0;
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	T_GOOD(r);
	/* more than MAXIMUM COMPARE AND WRITE LENGTH */
	c[13] = 129;
	r = t_exec(0, c, 16, buf, 2048, NULL, 0);
	t_bad_field(&r, 13, 7);
	c[13] = 2;
	r = t_exec(0, c, 16, buf, 1024, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OVERRUN);
	t_cdb16(c, 0x89, 0, CAP_BLOCKS - 1, 0);
	c[13] = 2;
	r = t_exec(0, c, 16, buf, 2048, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_teardown();
}
END_TEST

/* Two COMPARE AND WRITEs racing on one block: exactly one wins (the range
 * lock makes compare-then-write atomic). */
START_TEST(test_caw_atomic)
{
	uint8_t c[16], a[1024], b[1024], chk[512];
	struct iovec va = {a, 1024}, vb = {b, 1024};
	unsigned i, good = 0;

	t_setup("/tmp", 1 << 20, ",io=uring");
	for (i = 0; i < 512; i++)
		a[i] = b[i] = t_pat(9 * 512 + i);
	memset(a + 512, 0xaa, 512);
	memset(b + 512, 0xbb, 512);
	t_cdb16(c, 0x89, 0, 9, 0);
	c[13] = 1;
	t_submit(0, 0, 1, 0, c, 16, &va, 1, NULL, 0, 1);
	t_submit(0, 0, 2, 0, c, 16, &vb, 1, NULL, 0, 2);
	ck_assert_int_eq(emu_drain(E.dev), VSCSI_OK);
	ck_assert_uint_eq(E.nlog, 2);
	for (i = 0; i < 2; i++)
		if (E.log[i].res.status == EMU_GOOD)
			good++;
	ck_assert_uint_eq(good, 1);
	/* arrival order decides: the first wins */
	ck_assert_int_eq(pread(E.fd, chk, 512, 9 * 512), 512);
	ck_assert_uint_eq(chk[0], 0xaa);
	t_teardown();
}
END_TEST

/* ------------------------------------------------------------ PRE-FETCH */

START_TEST(test_prefetch)
{
	uint8_t c[16];
	emu_result r;

	t_setup("/dev/shm", 1 << 20, "");
	t_cdb10(c, 0x34, 0, 0, 100);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OK);
	ck_assert_uint_eq(r.status, EMU_CONDITION_MET);
	t_cdb16(c, 0x90, 0x02, 10, 0);
	r = t_exec(0, c, 16, NULL, 0, NULL, 0);
	ck_assert_uint_eq(r.status, EMU_CONDITION_MET);
	t_cdb10(c, 0x34, 0, CAP_BLOCKS, 1);
	r = t_exec(0, c, 10, NULL, 0, NULL, 0);
	t_sense(&r, 5, 0x21, 0x00);
	t_teardown();
}
END_TEST

static Suite *emu_sbc_suite(void)
{
	Suite *s = suite_create("emu_sbc");
	TCase *tc = tcase_create("sbc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_read_capacity);
	tcase_add_test(tc, test_read_capacity_4k);
	tcase_add_test(tc, test_rw_sizes);
	tcase_add_test(tc, test_rw_edges);
	tcase_add_test(tc, test_durability);
	tcase_add_test(tc, test_sync_cache_errors);
	tcase_add_test(tc, test_wce);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_medium_errors);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_write_and_verify);
	tcase_add_test(tc, test_unmap);
	tcase_add_test(tc, test_unmap_errors);
	tcase_add_test(tc, test_write_same);
	tcase_add_test(tc, test_compare_and_write);
	tcase_add_test(tc, test_caw_atomic);
	tcase_add_test(tc, test_prefetch);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(emu_sbc_suite)
