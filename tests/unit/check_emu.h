/*
 * Shared helpers for the emu suites (check_emu*.c): a device over a
 * temporary file, synchronous execution of one CDB, a log of callbacks and
 * events, and sense assertions decoded with vscsi_sense_decode().
 */
#ifndef CHECK_EMU_H
#define CHECK_EMU_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"
#include "testutil.h"
#include "vscsi.h"
#include "vscsi/sense.h"

#define T_LOG_MAX 512

typedef struct t_log_entry {
	uintptr_t id;		/* the opaque pointer as a number */
	int is_tmf;
	uint8_t tmf_resp;
	emu_result res;
} t_log_entry;

typedef struct t_env {
	emu_dev *dev;
	char path[128];		/* the LUN 0:0 file */
	int fd;			/* a second descriptor on it */
	t_log_entry log[T_LOG_MAX];
	unsigned nlog;
	vscsi_event ev[32];
	unsigned nev;
} t_env;

static t_env E;

static inline void t_cmd_done(void *arg, void *opaque, const emu_result *r)
{
	(void)arg;
	ck_assert_uint_lt(E.nlog, T_LOG_MAX);
	E.log[E.nlog].id = (uintptr_t)opaque;
	E.log[E.nlog].is_tmf = 0;
	E.log[E.nlog].res = *r;
	E.nlog++;
}

static inline void t_tmf_done(void *arg, void *opaque, uint8_t resp)
{
	(void)arg;
	ck_assert_uint_lt(E.nlog, T_LOG_MAX);
	E.log[E.nlog].id = (uintptr_t)opaque;
	E.log[E.nlog].is_tmf = 1;
	E.log[E.nlog].tmf_resp = resp;
	E.nlog++;
}

static inline void t_event(void *arg, const vscsi_event *ev)
{
	(void)arg;
	if (E.nev < 32)
		E.ev[E.nev++] = *ev;
}

static inline vscsi_lun t_lun(uint8_t target, uint16_t lun)
{
	vscsi_lun l;
	uint8_t raw[8];

	vscsi_lun_encode(raw, target, lun, 0);
	vscsi_lun_decode(raw, &l);
	return l;
}

/* A temporary file of size bytes in dir (filled with a pattern when fill
 * is set: byte i of block b is (b * 7 + i) & 0xff). */
static inline void t_mkfile(char *path, size_t plen, const char *dir,
			    uint64_t size, int fill)
{
	int fd;

	snprintf(path, plen, "%s/emu-test-XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	if (fill) {
		uint8_t *b = malloc(65536);
		uint64_t off;

		ck_assert_ptr_nonnull(b);
		for (off = 0; off < size; off += 65536) {
			size_t i, n = size - off < 65536 ? (size_t)(size - off)
							 : 65536;

			for (i = 0; i < n; i++)
				b[i] = (uint8_t)(((off + i) / 512) * 7 +
						 (off + i) % 512);
			ck_assert_int_eq(pwrite(fd, b, n, (off_t)off),
					 (ssize_t)n);
		}
		free(b);
	}
	close(fd);
}

static inline void t_dev(void)
{
	emu_ops ops = {t_cmd_done, t_tmf_done, t_event, NULL};

	memset(&E, 0, sizeof(E));
	E.fd = -1;
	ck_assert_int_eq(emu_create(&ops, &E.dev), VSCSI_OK);
}

/* Add LUN spec "T:L=path<opts>" and check it worked. */
static inline void t_add(uint8_t t, uint16_t l, const char *path,
			 const char *opts, unsigned flags)
{
	char spec[512], err[256];
	emu_lun_cfg cfg;
	int rc;

	snprintf(spec, sizeof(spec), "%u:%u=%s%s", t, l, path, opts);
	ck_assert_int_eq(emu_lun_parse(spec, &cfg, err, sizeof(err)),
			 VSCSI_OK);
	rc = emu_lun_add(E.dev, &cfg, flags, err, sizeof(err));
	ck_assert_msg(rc == VSCSI_OK, "emu_lun_add %s: %s", spec, err);
}

/* Run one CDB on target:lun. */
static inline emu_result t_exec_attr(uint8_t target, uint16_t lun,
				     uint8_t attr, const uint8_t *cdb,
				     size_t cdb_len, const void *dout,
				     size_t dout_len, void *din,
				     size_t din_len)
{
	emu_request rq;
	struct iovec o, i;
	emu_result r;
	uint8_t full[32];

	memset(full, 0, sizeof(full));
	memcpy(full, cdb, cdb_len);
	memset(&rq, 0, sizeof(rq));
	rq.lun = t_lun(target, lun);
	rq.tag = 0x1000;
	rq.task_attr = attr;
	rq.cdb = full;
	rq.cdb_len = 32;	/* as the Linux guest sends it */
	o.iov_base = (void *)(uintptr_t)dout;
	o.iov_len = dout_len;
	i.iov_base = din;
	i.iov_len = din_len;
	if (dout_len) {
		rq.dout = &o;
		rq.dout_cnt = 1;
	}
	if (din_len) {
		rq.din = &i;
		rq.din_cnt = 1;
	}
	memset(&r, 0xee, sizeof(r));
	ck_assert_int_eq(emu_exec_sync(E.dev, &rq, &r), VSCSI_OK);
	return r;
}

static inline emu_result t_exec(uint16_t lun, const uint8_t *cdb,
				size_t cdb_len, const void *dout,
				size_t dout_len, void *din, size_t din_len)
{
	return t_exec_attr(0, lun, VSCSI_TASK_SIMPLE, cdb, cdb_len, dout,
			   dout_len, din, din_len);
}

#define T_GOOD(r)                                                         \
	do {                                                              \
		ck_assert_uint_eq((r).response, VSCSI_S_OK);              \
		ck_assert_msg((r).status == EMU_GOOD,                     \
			      "status %02x sense %02x %02x/%02x",         \
			      (r).status, (r).sense[2] & 0x0f,            \
			      (r).sense[12], (r).sense[13]);              \
		ck_assert_uint_eq((r).sense_len, 0);                      \
	} while (0)

/* CHECK CONDITION with key/asc/ascq (either sense format). */
static inline vscsi_sense_info t_sense(const emu_result *r, uint8_t key,
				       uint8_t asc, uint8_t ascq)
{
	vscsi_sense_info si;

	ck_assert_uint_eq(r->response, VSCSI_S_OK);
	ck_assert_uint_eq(r->status, EMU_CHECK_CONDITION);
	ck_assert_uint_gt(r->sense_len, 0);
	ck_assert_int_eq(vscsi_sense_decode(r->sense, r->sense_len, &si),
			 VSCSI_OK);
	ck_assert_msg(si.key == key && si.asc == asc && si.ascq == ascq,
		      "sense %x %02x/%02x, wanted %x %02x/%02x", si.key,
		      si.asc, si.ascq, key, asc, ascq);
	return si;
}

/* INVALID FIELD IN CDB (24/00) pointing at byte/bit (bit < 0: none). */
static inline void t_bad_field(const emu_result *r, unsigned byte, int bit)
{
	vscsi_sense_info si = t_sense(r, 5, 0x24, 0x00);

	ck_assert_uint_eq(si.sks_valid, 1);
	ck_assert_uint_eq(si.fp_cd, 1);
	ck_assert_uint_eq(si.fp_field, byte);
	if (bit < 0) {
		ck_assert_uint_eq(si.fp_bpv, 0);
	} else {
		ck_assert_uint_eq(si.fp_bpv, 1);
		ck_assert_uint_eq(si.fp_bit, (unsigned)bit);
	}
}

/* INVALID FIELD IN PARAMETER LIST (26/00) at byte/bit. */
static inline void t_bad_param(const emu_result *r, unsigned byte, int bit)
{
	vscsi_sense_info si = t_sense(r, 5, 0x26, 0x00);

	ck_assert_uint_eq(si.sks_valid, 1);
	ck_assert_uint_eq(si.fp_cd, 0);
	ck_assert_uint_eq(si.fp_field, byte);
	if (bit < 0) {
		ck_assert_uint_eq(si.fp_bpv, 0);
	} else {
		ck_assert_uint_eq(si.fp_bpv, 1);
		ck_assert_uint_eq(si.fp_bit, (unsigned)bit);
	}
}

static const uint8_t t_tur[6] = {0x00, 0, 0, 0, 0, 0};

/* Consume the power-on unit attention of target:lun. */
static inline void t_clear_ua(uint8_t target, uint16_t lun)
{
	emu_result r = t_exec_attr(target, lun, VSCSI_TASK_SIMPLE, t_tur, 6,
				   NULL, 0, NULL, 0);

	t_sense(&r, 6, 0x29, 0x00);
	r = t_exec_attr(target, lun, VSCSI_TASK_SIMPLE, t_tur, 6, NULL, 0,
			NULL, 0);
	T_GOOD(r);
}

/* A device with LUN 0:0 over a fresh file (dir, size, pattern), UA gone. */
static inline void t_setup(const char *dir, uint64_t size, const char *opts)
{
	t_dev();
	t_mkfile(E.path, sizeof(E.path), dir, size, 1);
	t_add(0, 0, E.path, opts, 0);
	E.fd = open(E.path, O_RDONLY);
	ck_assert_int_ge(E.fd, 0);
	t_clear_ua(0, 0);
}

static inline void t_teardown(void)
{
	emu_destroy(E.dev);
	E.dev = NULL;
	if (E.fd >= 0)
		close(E.fd);
	if (E.path[0])
		unlink(E.path);
	E.path[0] = 0;
}

/* CDB builders: 10- and 16-byte LBA/length layouts (SBC-4) */
static inline void t_cdb10(uint8_t *c, uint8_t op, uint8_t b1, uint32_t lba,
			   uint16_t n)
{
	memset(c, 0, 10);
	c[0] = op;
	c[1] = b1;
	c[2] = (uint8_t)(lba >> 24);
	c[3] = (uint8_t)(lba >> 16);
	c[4] = (uint8_t)(lba >> 8);
	c[5] = (uint8_t)lba;
	c[7] = (uint8_t)(n >> 8);
	c[8] = (uint8_t)n;
}

static inline void t_cdb16(uint8_t *c, uint8_t op, uint8_t b1, uint64_t lba,
			   uint32_t n)
{
	int i;

	memset(c, 0, 16);
	c[0] = op;
	c[1] = b1;
	for (i = 0; i < 8; i++)
		c[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
	c[10] = (uint8_t)(n >> 24);
	c[11] = (uint8_t)(n >> 16);
	c[12] = (uint8_t)(n >> 8);
	c[13] = (uint8_t)n;
}

/* The pattern byte t_mkfile wrote at file offset off. */
static inline uint8_t t_pat(uint64_t off)
{
	return (uint8_t)((off / 512) * 7 + off % 512);
}

static inline uint32_t t_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t t_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t t_be64(const uint8_t *p)
{
	return (uint64_t)t_be32(p) << 32 | t_be32(p + 4);
}

/* Submit without waiting (for ordering and TMF tests). */
static inline void t_submit(uint8_t target, uint16_t lun, uint64_t tag,
			    uint8_t attr, const uint8_t *cdb, size_t cdb_len,
			    const struct iovec *dout, unsigned nout,
			    const struct iovec *din, unsigned nin, uintptr_t id)
{
	emu_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.lun = t_lun(target, lun);
	rq.tag = tag;
	rq.task_attr = attr;
	rq.cdb = cdb;
	rq.cdb_len = cdb_len;
	rq.dout = dout;
	rq.dout_cnt = nout;
	rq.din = din;
	rq.din_cnt = nin;
	ck_assert_int_eq(emu_submit(E.dev, &rq, (void *)id), VSCSI_OK);
}

#endif
