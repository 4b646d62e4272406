/*
 * Wire tests: the toolkit's front-end driver (vfe) against a live
 * `vscsi-replay --serve` over real unix sockets, no guest. tests/wire/run.sh
 * builds this, starts the back-end on temporary file-backed LUNs, and runs
 *
 *   wire --sock S --lun0 F0 --lun1 F1 [--ctl C --replay BIN] [--pid P] TEST...
 *
 * LUN 0:0 is F0 with 512-byte blocks, LUN 0:1 is F1 with 4096-byte blocks.
 * Each test prints "ok NAME" or "FAIL NAME: why"; the exit status is the
 * number of failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "vfe.h"
#include "vu.h"
#include "vscsi.h"

#define F(b) (1ull << (b))
#define TMO 5000

struct ctx {
	const char *sock, *lun0, *lun1, *ctl, *replay;
	pid_t pid;
};

static struct ctx C;
static const char *cur;		/* the running test */
static char why[512];

/* On failure: "line N: " + what a helper said + this check's words. */
#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fail_line(__LINE__);                             \
			fail_msg(__VA_ARGS__);                           \
			goto out;                                        \
		}                                                        \
	} while (0)

static void fail_line(int line)
{
	char pre[32];
	size_t n = (size_t)snprintf(pre, sizeof(pre), "line %d: ", line);
	size_t have = strlen(why);

	if (have + n >= sizeof(why))
		have = sizeof(why) - n - 1;
	memmove(why + n, why, have);
	memcpy(why, pre, n);
	why[n + have] = 0;
}

static void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail_msg(const char *fmt, ...)
{
	size_t n = strlen(why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - n, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_rand(uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t x = rnd();

		memcpy(b + i, &x, 8);
	}
	for (; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* ------------------------------------------------------------ SCSI */

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static vfe *open_v(const vfe_opts *o)
{
	char err[256];
	vfe *v = NULL;
	int r = vfe_open(C.sock, o, &v, err, sizeof(err));

	if (r)
		fail_msg("vfe_open: %s (%s)", err, vscsi_errname(r));
	return v;
}

static vfe *open_q(unsigned nq, unsigned flags)
{
	vfe_opts o;

	vfe_opts_init(&o);
	o.num_queues = nq;
	o.flags = flags;
	return open_v(&o);
}

/* One command; din copied to din (cap dinlen). 0, or -1 with why set. */
static int scsi(vfe *v, unsigned rq, uint8_t t, uint16_t l, const uint8_t *cdb,
		uint16_t cdb_len, const void *dout, uint32_t dout_len, void *din,
		uint32_t din_len, vfe_result *r)
{
	vfe_cmd c;
	int e;

	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, t, l);
	c.cdb = cdb;
	c.cdb_len = cdb_len;
	c.dout = dout;
	c.dout_len = dout_len;
	c.din_len = din_len;
	e = vfe_exec(v, rq, &c, r, din, din_len, TMO);
	if (e) {
		fail_msg("exec opcode 0x%02x: %s (%s)", cdb[0], vscsi_errname(e),
			 vfe_last_error(v));
		return -1;
	}
	if (r->err) {
		fail_msg("opcode 0x%02x: result %s", cdb[0], vscsi_errname(r->err));
		return -1;
	}
	return 0;
}

static int good(const vfe_result *r)
{
	return r->response == VSCSI_S_OK && r->status == 0;
}

static unsigned sense_key(const vfe_result *r)
{
	return r->sense_copied > 2 ? r->sense[2] & 0xf : 0xff;
}

static unsigned sense_asc(const vfe_result *r)
{
	return r->sense_copied > 12 ? r->sense[12] : 0xff;
}

/* TEST UNIT READY until GOOD: clears the unit attentions a new initiator
 * (POWER ON) or a change (REPORTED LUNS DATA HAS CHANGED) left. */
static int clear_ua(vfe *v, unsigned rq, uint8_t t, uint16_t l)
{
	static const uint8_t tur[6];
	vfe_result r;
	int k;

	for (k = 0; k < 8; k++) {
		if (scsi(v, rq, t, l, tur, 6, NULL, 0, NULL, 0, &r))
			return -1;
		if (good(&r))
			return 0;
		if (r.status != 2 || sense_key(&r) != 6) {
			fail_msg("TEST UNIT READY %u:%u: status 0x%x key %u asc "
				 "0x%x", t, l, r.status, sense_key(&r),
				 sense_asc(&r));
			return -1;
		}
	}
	fail_msg("unit attentions do not clear");
	return -1;
}

static void cdb_rw16(uint8_t *cdb, int wr, uint64_t lba, uint32_t n)
{
	memset(cdb, 0, 16);
	cdb[0] = wr ? 0x8a : 0x88;
	put_be(cdb + 2, lba, 8);
	put_be(cdb + 10, n, 4);
}

static int file_size(const char *path, uint64_t *sz)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	*sz = (uint64_t)st.st_size;
	return 0;
}

/* ------------------------------------------------------------ tests */

static int t_inquiry(void)
{
	uint8_t cdb[6] = {0x12, 0, 0, 0, 96, 0}, buf[256];
	vfe_result r;
	vfe *v = open_q(1, 0);
	int rc = -1, i, has83 = 0, has00 = 0;

	CHECK(v, " ");
	memset(buf, 0, sizeof(buf));
	CHECK(!scsi(v, 0, 0, 0, cdb, 6, NULL, 0, buf, 96, &r), " ");
	CHECK(good(&r), "INQUIRY status 0x%x", r.status);
	CHECK(r.din_len >= 36, "INQUIRY returned %u bytes", r.din_len);
	CHECK((buf[0] & 0x1f) == 0, "peripheral type %u, want 0 (disk)",
	      buf[0] & 0x1f);
	CHECK((buf[0] >> 5) == 0, "qualifier %u on an existing LUN", buf[0] >> 5);
	CHECK(buf[4] + 5 >= 36, "additional length %u", buf[4]);
	for (i = 8; i < 32; i++)
		CHECK(buf[i] >= 0x20 && buf[i] < 0x7f,
		      "vendor/product byte %d is 0x%02x", i, buf[i]);
	/* VPD page 0x00: the supported pages list names 0x83 (SPC-5 7.7.1) */
	cdb[1] = 1;
	cdb[2] = 0;
	CHECK(!scsi(v, 0, 0, 1, cdb, 6, NULL, 0, buf, 96, &r), " ");
	CHECK(good(&r), "VPD 0x00 status 0x%x", r.status);
	CHECK(buf[1] == 0, "VPD page code %u", buf[1]);
	for (i = 0; i < buf[3] && 4 + i < (int)r.din_len; i++) {
		has00 |= buf[4 + i] == 0x00;
		has83 |= buf[4 + i] == 0x83;
	}
	CHECK(has00 && has83, "VPD 0x00 lists %u pages without 0x00/0x83",
	      buf[3]);
	/* a LUN that does not exist on target 0: qualifier 3 (SPC-5 6.6.2)
	 * or LOGICAL UNIT NOT SUPPORTED */
	cdb[1] = 0;
	memset(buf, 0, sizeof(buf));
	CHECK(!scsi(v, 0, 0, 7, cdb, 6, NULL, 0, buf, 96, &r), " ");
	CHECK((r.status == 0 && buf[0] == 0x7f) ||
		      (r.status == 2 && sense_asc(&r) == 0x25),
	      "absent LUN: status 0x%x byte0 0x%02x asc 0x%x", r.status, buf[0],
	      sense_asc(&r));
	/* a target that does not exist: BAD_TARGET (virtio 5.6.6.1) */
	CHECK(!scsi(v, 0, 9, 0, cdb, 6, NULL, 0, buf, 96, &r), " ");
	CHECK(r.response == VSCSI_S_BAD_TARGET, "absent target: response %s",
	      vscsi_vs_response_name(r.response, 0));
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

static int t_readcap(void)
{
	uint8_t cdb[16], buf[32];
	uint64_t s0, s1;
	vfe_result r;
	vfe *v = open_q(1, 0);
	int rc = -1;

	CHECK(v, " ");
	CHECK(!file_size(C.lun0, &s0) && !file_size(C.lun1, &s1), "stat");
	CHECK(!clear_ua(v, 0, 0, 0) && !clear_ua(v, 0, 0, 1), " ");
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x25;	/* READ CAPACITY (10), SBC-4 5.20 */
	CHECK(!scsi(v, 0, 0, 0, cdb, 10, NULL, 0, buf, 8, &r), " ");
	CHECK(good(&r) && r.din_len == 8, "READ CAPACITY(10) status 0x%x len %u",
	      r.status, r.din_len);
	CHECK(get_be(buf, 4) == s0 / 512 - 1, "last LBA %llu, want %llu",
	      (unsigned long long)get_be(buf, 4),
	      (unsigned long long)(s0 / 512 - 1));
	CHECK(get_be(buf + 4, 4) == 512, "block length %llu",
	      (unsigned long long)get_be(buf + 4, 4));
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x9e;	/* SERVICE ACTION IN (16) / READ CAPACITY (16), 5.21 */
	cdb[1] = 0x10;
	cdb[13] = 32;
	CHECK(!scsi(v, 0, 0, 1, cdb, 16, NULL, 0, buf, 32, &r), " ");
	CHECK(good(&r) && r.din_len == 32, "READ CAPACITY(16) status 0x%x len %u",
	      r.status, r.din_len);
	CHECK(get_be(buf, 8) == s1 / 4096 - 1, "last LBA %llu, want %llu",
	      (unsigned long long)get_be(buf, 8),
	      (unsigned long long)(s1 / 4096 - 1));
	CHECK(get_be(buf + 8, 4) == 4096, "block length %llu",
	      (unsigned long long)get_be(buf + 8, 4));
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/* The LUNs REPORT LUNS lists on target 0 (SPC-5 6.33), as a bit mask of
 * LUNs 0..31; -1 on error. */
static long report_luns(vfe *v)
{
	uint8_t cdb[12], buf[1024];
	vfe_result r;
	uint32_t len, i;
	long mask = 0;

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0xa0;
	put_be(cdb + 6, sizeof(buf), 4);
	if (scsi(v, 0, 0, 0, cdb, 12, NULL, 0, buf, sizeof(buf), &r))
		return -1;
	if (!good(&r)) {
		fail_msg("REPORT LUNS status 0x%x asc 0x%x", r.status,
			 sense_asc(&r));
		return -1;
	}
	len = (uint32_t)get_be(buf, 4);
	if (len % 8 || len + 8 > r.din_len) {
		fail_msg("REPORT LUNS list length %u in %u bytes", len, r.din_len);
		return -1;
	}
	for (i = 0; i < len; i += 8) {
		const uint8_t *e = buf + 8 + i;
		unsigned lun = (unsigned)((e[0] & 0x3f) << 8 | e[1]);

		if (lun < 32)
			mask |= 1L << lun;
	}
	return mask;
}

static int t_report_luns(void)
{
	vfe *v = open_q(1, 0);
	long m;
	int rc = -1;

	CHECK(v, " ");
	m = report_luns(v);
	CHECK(m == 3, "REPORT LUNS mask 0x%lx, want LUNs 0 and 1", m);
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/*
 * Random writes of random sizes to a LUN, then reads checked by XXH64
 * against a shadow copy, then SYNCHRONIZE CACHE and the backing file read
 * back and compared. shape: the chain layout of every command.
 */
static int rw_lun(vfe *v, unsigned rq, uint16_t lun, const char *path,
		  uint32_t bs, const vfe_cmd *shape, unsigned nops, uint32_t maxlen)
{
	uint64_t size, blocks;
	uint8_t *shadow = NULL, *buf = NULL, cdb[16];
	vfe_result r;
	vfe_cmd c;
	unsigned k;
	int fd = -1, rc = -1;

	CHECK(!file_size(path, &size), "stat %s", path);
	blocks = size / bs;
	shadow = malloc(size);
	buf = malloc(maxlen);
	fd = open(path, O_RDONLY);
	CHECK(shadow && buf && fd >= 0, "setup");
	CHECK(pread(fd, shadow, size, 0) == (ssize_t)size, "read %s", path);
	CHECK(!clear_ua(v, rq, 0, lun), " ");
	for (k = 0; k < 2 * nops; k++) {
		int wr = k < nops;
		uint32_t n = 1 + (uint32_t)(rnd() % (maxlen / bs));
		uint64_t lba = rnd() % (blocks - n + 1);
		size_t off = (size_t)(lba * bs), len = (size_t)n * bs;

		c = *shape;
		vfe_lun(c.lun, 0, lun);
		cdb_rw16(cdb, wr, lba, n);
		c.cdb = cdb;
		c.cdb_len = 16;
		if (wr) {
			fill_rand(buf, len);
			c.dout = buf;
			c.dout_len = (uint32_t)len;
		} else {
			memset(buf, 0x5a, len);
			c.din_len = (uint32_t)len;
		}
		CHECK(vfe_exec(v, rq, &c, &r, buf, len, TMO) == 0,
		      "exec: %s", vfe_last_error(v));
		CHECK(r.err == 0 && good(&r),
		      "%s lba %llu x%u: err %d response %u status 0x%x asc 0x%x",
		      wr ? "write" : "read", (unsigned long long)lba, n, r.err,
		      r.response, r.status, sense_asc(&r));
		CHECK(r.resid == 0, "residual %u", r.resid);
		if (wr) {
			memcpy(shadow + off, buf, len);
		} else {
			CHECK(r.din_len == len, "read %u bytes of %zu", r.din_len, len);
			CHECK(XXH64(buf, len, 0) == XXH64(shadow + off, len, 0),
			      "read lba %llu x%u: checksum differs from what was "
			      "written", (unsigned long long)lba, n);
		}
	}
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x35;	/* SYNCHRONIZE CACHE (10) */
	CHECK(!scsi(v, rq, 0, lun, cdb, 10, NULL, 0, NULL, 0, &r), " ");
	CHECK(good(&r), "SYNCHRONIZE CACHE status 0x%x", r.status);
	{
		uint8_t *file = malloc(size);

		CHECK(file, "malloc");
		if (pread(fd, file, size, 0) != (ssize_t)size ||
		    memcmp(file, shadow, size)) {
			free(file);
			CHECK(0, "the backing file %s differs from what was written",
			      path);
		}
		free(file);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(shadow);
	free(buf);
	return rc;
}

static int rw_with(const vfe_opts *o, const vfe_cmd *shape, int want_cross)
{
	vfe *v = open_v(o);
	int rc = -1;

	CHECK(v, " ");
	if (want_cross) {
		/* slot 0 straddles regions 0 and 1: prove the back-end got
		 * one descriptor crossing them */
		uint8_t cdb[16], buf[4096];
		vfe_result r;
		vfe_cmd c;

		CHECK(!clear_ua(v, 0, 0, 0), " ");
		memset(&c, 0, sizeof(c));
		vfe_lun(c.lun, 0, 0);
		cdb_rw16(cdb, 0, 0, 8);
		c.cdb = cdb;
		c.cdb_len = 16;
		c.din_len = 4096;
		CHECK(vfe_exec(v, 0, &c, &r, buf, sizeof(buf), TMO) == 0, "exec");
		CHECK(r.crossed, "slot 0's buffer does not cross regions");
	}
	CHECK(!rw_lun(v, 0, 0, C.lun0, 512, shape, 150, 65536), " ");
	CHECK(!rw_lun(v, 0, 1, C.lun1, 4096, shape, 60, 65536), " ");
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

static int t_rw(void)
{
	vfe_opts o;
	vfe_cmd s;

	vfe_opts_init(&o);
	memset(&s, 0, sizeof(s));
	return rw_with(&o, &s, 0);
}

static int t_rw_packed(void)
{
	vfe_opts o;
	vfe_cmd s;

	vfe_opts_init(&o);
	o.flags = VFE_PACKED;
	memset(&s, 0, sizeof(s));
	s.flags = VFE_CMD_INDIRECT;
	return rw_with(&o, &s, 0) || rw_with(&o, &(vfe_cmd){.data_split = 4096}, 0);
}

/* Headers split across descriptors, data in 4 KiB descriptors, indirect,
 * without EVENT_IDX. */
static int t_rw_shapes(void)
{
	vfe_opts o;
	vfe_cmd s;

	vfe_opts_init(&o);
	o.flags = VFE_NO_EVENT_IDX;
	memset(&s, 0, sizeof(s));
	s.hdr_split = 8;
	s.resp_split = 11;
	s.data_split = 4096;
	if (rw_with(&o, &s, 0))
		return -1;
	s.flags = VFE_CMD_INDIRECT;
	s.hdr_split = 19;
	return rw_with(&o, &s, 0);
}

/* Four memory regions sent with ADD_MEM_REG at an fd offset; buffers cross
 * region boundaries. */
static int t_rw_regions(void)
{
	vfe_opts o;
	vfe_cmd s;

	vfe_opts_init(&o);
	o.flags = VFE_CROSS | VFE_ADD_MEM_REG;
	o.nregions = 4;
	o.fd_offset = 1u << 16;
	o.queue_size = 32;
	memset(&s, 0, sizeof(s));
	if (rw_with(&o, &s, 1))
		return -1;
	o.flags = VFE_CROSS;	/* SET_MEM_TABLE */
	return rw_with(&o, &s, 1);
}

/* ------------------------------------------------------------ async */

struct mq {
	uint8_t *shadow;
	uint32_t bs;
	unsigned done[64], bad;
	char err[256];
};

struct mq_op {
	struct mq *m;
	uint64_t off;
	uint32_t len;
	int rd;
	unsigned q;
};

static void mq_cb(void *arg, const vfe_result *r)
{
	struct mq_op *op = arg;
	struct mq *m = op->m;

	m->done[op->q]++;
	if (r->err || !good(r)) {
		if (!m->bad++)
			snprintf(m->err, sizeof(m->err),
				 "queue %u: err %d response %u status 0x%x", op->q,
				 r->err, r->response, r->status);
		return;
	}
	if (op->rd) {
		uint8_t tmp[65536];

		vscsi_iov_gather(r->din, r->din_cnt, 0, tmp, op->len);
		if (r->din_len != op->len || memcmp(tmp, m->shadow + op->off, op->len)) {
			if (!m->bad++)
				snprintf(m->err, sizeof(m->err),
					 "queue %u: read at %llu differs", op->q,
					 (unsigned long long)op->off);
		}
	}
}

/*
 * nconn connections x nq queues, QD 8 per queue, all at once: each queue
 * writes its own stripe of LUN 0:0, then reads it back, asynchronously.
 */
static int mq_run(unsigned nconn, unsigned nq, unsigned flags)
{
	enum { QD = 8, OPS = 96, LEN = 8192 };
	vfe *v[2] = {NULL, NULL};
	struct mq m;
	struct mq_op *ops = NULL;
	uint64_t size, stripe;
	uint8_t *data = NULL;
	unsigned ci, q, k, total = nconn * nq;
	unsigned sent[2][16];
	int rc = -1;
	uint64_t t0;

	memset(&m, 0, sizeof(m));
	memset(sent, 0, sizeof(sent));
	CHECK(!file_size(C.lun0, &size), "stat");
	stripe = size / total / LEN * LEN;
	m.shadow = calloc(1, size);
	data = malloc(size);
	ops = calloc(total * 2 * OPS, sizeof(*ops));
	CHECK(m.shadow && data && ops, "malloc");
	fill_rand(data, size);
	for (ci = 0; ci < nconn; ci++) {
		v[ci] = open_q(nq, flags);
		CHECK(v[ci], " ");
		for (q = 0; q < nq; q++)
			CHECK(!clear_ua(v[ci], q, 0, 0), " ");
	}
	/* the shadow is what each stripe will hold */
	for (k = 0; k < total; k++)
		memcpy(m.shadow + k * stripe, data + k * stripe,
		       OPS * LEN < stripe ? OPS * LEN : stripe);
	t0 = now_ms();
	for (;;) {
		int progress = 0, busy = 0;

		for (ci = 0; ci < nconn; ci++) {
			for (q = 0; q < nq; q++) {
				unsigned s = ci * nq + q, i = sent[ci][q];
				struct mq_op *op;
				uint8_t cdb[16];
				vfe_cmd c;
				int e;

				if (i >= 2 * OPS)
					continue;
				busy = 1;
				/* reads only after every write of the queue */
				if (i == OPS && m.done[s] < OPS)
					continue;
				if (vfe_inflight(v[ci], q) >= QD)
					continue;
				op = &ops[s * 2 * OPS + i];
				op->m = &m;
				op->q = s;
				op->rd = i >= OPS;
				op->len = LEN;
				op->off = s * stripe + (uint64_t)(i % OPS) * LEN;
				if (op->off + LEN > (s + 1) * stripe)
					op->off = s * stripe;
				memset(&c, 0, sizeof(c));
				vfe_lun(c.lun, 0, 0);
				cdb_rw16(cdb, !op->rd, op->off / 512, LEN / 512);
				c.cdb = cdb;
				c.cdb_len = 16;
				if (op->rd) {
					c.din_len = LEN;
				} else {
					c.dout = data + op->off;
					c.dout_len = LEN;
				}
				c.flags = VFE_CMD_NOKICK;
				e = vfe_submit(v[ci], q, &c, mq_cb, op, NULL);
				CHECK(e == 0 || e == VSCSI_ERR_NOSPACE, "submit: %s",
				      vscsi_errname(e));
				if (!e) {
					sent[ci][q]++;
					progress = 1;
				}
			}
		}
		if (!busy && !vfe_inflight(v[0], ~0u) &&
		    (nconn < 2 || !vfe_inflight(v[1], ~0u)))
			break;
		for (ci = 0; ci < nconn; ci++) {
			int p = vfe_poll(v[ci], progress ? 0 : 10);

			CHECK(p >= 0, "poll: %s", vfe_last_error(v[ci]));
		}
		CHECK(now_ms() - t0 < 20000, "no progress in 20 s");
	}
	CHECK(m.bad == 0, "%u bad completions; first: %s", m.bad, m.err);
	for (k = 0; k < total; k++)
		CHECK(m.done[k] == 2 * OPS, "queue %u completed %u of %u", k,
		      m.done[k], 2 * OPS);
	rc = 0;
out:
	vfe_close(v[0]);
	vfe_close(v[1]);
	free(m.shadow);
	free(data);
	free(ops);
	return rc;
}

static int t_mq2(void)
{
	return mq_run(1, 2, 0);
}

static int t_mq4(void)
{
	return mq_run(1, 4, 0);
}

static int t_mq4_packed(void)
{
	return mq_run(1, 4, VFE_PACKED);
}

static int t_two_conn(void)
{
	return mq_run(2, 2, 0);
}

/* ------------------------------------------------------------ control */

struct tmf_seen {
	unsigned n, bad;
};

static void tmf_read_cb(void *arg, const vfe_result *r)
{
	struct tmf_seen *s = arg;

	s->n++;
	if (r->err || (r->response != VSCSI_S_OK && r->response != VSCSI_S_ABORTED) ||
	    (r->response == VSCSI_S_OK && r->status != 0))
		s->bad++;
}

static int t_tmf(void)
{
	static const uint8_t tur[6];
	uint8_t lun[8], cdb[16];
	vfe_ctrl_result tr;
	vfe_result r;
	struct tmf_seen seen;
	uint64_t last = 0;
	unsigned k;
	vfe *v = open_q(1, 0);
	int rc = -1;

	CHECK(v, " ");
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	vfe_lun(lun, 0, 0);
	/* ABORT TASK naming no command: FUNCTION COMPLETE (SAM-5 7.2) */
	CHECK(vfe_tmf_exec(v, lun, VSCSI_TMF_ABORT_TASK, 0x123456, &tr, TMO) == 0,
	      "tmf: %s", vfe_last_error(v));
	CHECK(tr.err == 0 && tr.response == VSCSI_S_FUNCTION_COMPLETE,
	      "ABORT TASK: err %d response %s", tr.err,
	      vscsi_vs_response_name(tr.response, 1));
	/* 32 reads in flight, then ABORT TASK for the last one */
	memset(&seen, 0, sizeof(seen));
	for (k = 0; k < 32; k++) {
		vfe_cmd c;

		memset(&c, 0, sizeof(c));
		vfe_lun(c.lun, 0, 0);
		cdb_rw16(cdb, 0, k * 16, 16);
		c.cdb = cdb;
		c.cdb_len = 16;
		c.din_len = 8192;
		CHECK(vfe_submit(v, 0, &c, tmf_read_cb, &seen, &last) == 0, "submit");
	}
	CHECK(vfe_tmf_exec(v, lun, VSCSI_TMF_ABORT_TASK, last, &tr, TMO) == 0,
	      "tmf");
	CHECK(tr.response == VSCSI_S_FUNCTION_COMPLETE, "ABORT TASK in flight: %s",
	      vscsi_vs_response_name(tr.response, 1));
	while (seen.n < 32)
		CHECK(vfe_poll(v, TMO) > 0, "reads did not complete");
	CHECK(seen.bad == 0, "%u reads ended neither GOOD nor ABORTED", seen.bad);
	/* LOGICAL UNIT RESET, then a unit attention 29/xx (SAM-5 6.3.4) */
	CHECK(vfe_tmf_exec(v, lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, &tr, TMO) == 0,
	      "tmf");
	CHECK(tr.response == VSCSI_S_FUNCTION_COMPLETE, "LU RESET: %s",
	      vscsi_vs_response_name(tr.response, 1));
	CHECK(!scsi(v, 0, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(r.status == 2 && sense_key(&r) == 6 && sense_asc(&r) == 0x29,
	      "after LU RESET: status 0x%x key %u asc 0x%x", r.status,
	      sense_key(&r), sense_asc(&r));
	/* a missing LUN on target 0, and a missing target */
	vfe_lun(lun, 0, 7);
	CHECK(vfe_tmf_exec(v, lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, &tr, TMO) == 0,
	      "tmf");
	CHECK(tr.response == VSCSI_S_INCORRECT_LUN, "LU RESET of 0:7: %s",
	      vscsi_vs_response_name(tr.response, 1));
	vfe_lun(lun, 9, 0);
	CHECK(vfe_tmf_exec(v, lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0, &tr, TMO) == 0,
	      "tmf");
	CHECK(tr.response == VSCSI_S_BAD_TARGET, "LU RESET of 9:0: %s",
	      vscsi_vs_response_name(tr.response, 1));
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

struct an_seen {
	int done;
	vfe_ctrl_result r;
};

static void an_cb(void *arg, const vfe_ctrl_result *r)
{
	struct an_seen *s = arg;

	s->r = *r;
	s->done = 1;
}

static int t_an(void)
{
	uint8_t lun[8];
	struct an_seen s;
	unsigned type;
	vfe *v = open_q(1, 0);
	int rc = -1;

	CHECK(v, " ");
	vfe_lun(lun, 0, 0);
	for (type = VSCSI_T_AN_QUERY; type <= VSCSI_T_AN_SUBSCRIBE; type++) {
		memset(&s, 0, sizeof(s));
		CHECK(vfe_an(v, type, lun, VSCSI_EVT_ASYNC_MEDIA_CHANGE, an_cb, &s)
			      == 0, "an");
		while (!s.done)
			CHECK(vfe_poll(v, TMO) > 0, "AN not answered");
		CHECK(s.r.err == 0 && s.r.used_len == 5, "AN: err %d used %u",
		      s.r.err, s.r.used_len);
		CHECK(s.r.response == VSCSI_S_OK, "AN response %s",
		      vscsi_vs_response_name(s.r.response, 1));
		/* only classes asked for may be reported (5.6.6.2.2) */
		CHECK(!(s.r.event_actual & ~VSCSI_EVT_ASYNC_MEDIA_CHANGE),
		      "event_actual 0x%x", s.r.event_actual);
	}
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/* Both data directions without INOUT: FAILURE (virtio 5.6.6.1). */
static int t_no_inout(void)
{
	vfe_opts o;
	uint8_t cdb[16], out[512], in[512];
	vfe_result r;
	vfe *v;
	int rc = -1;

	vfe_opts_init(&o);
	o.features = F(VSCSI_F_VERSION_1) | F(VSCSI_F_RING_EVENT_IDX);
	v = open_v(&o);
	CHECK(v, " ");
	CHECK(!(vfe_features(v) & F(VSCSI_F_INOUT)), "INOUT negotiated");
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	cdb_rw16(cdb, 0, 0, 1);
	memset(out, 0, sizeof(out));
	CHECK(!scsi(v, 0, 0, 0, cdb, 16, out, 512, in, 512, &r), " ");
	CHECK(r.response == VSCSI_S_FAILURE, "response %s",
	      vscsi_vs_response_name(r.response, 0));
	/* and the queue goes on */
	CHECK(!scsi(v, 0, 0, 0, cdb, 16, NULL, 0, in, 512, &r), " ");
	CHECK(good(&r), "READ after FAILURE: status 0x%x", r.status);
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/* ------------------------------------------------------------ hostile */

enum bad_kind {
	BAD_LOOP, BAD_NEXT, BAD_INDIRECT_LEN, BAD_OUTSIDE, BAD_ORDER,
	BAD_SHORT_HDR, BAD_SHORT_RESP, BAD_INDIRECT_NEXT, BAD_GAP,
	BAD_CTRL_SHORT, BAD_PACKED_LONG, BAD_PACKED_ORDER,
};

/*
 * Post one malformed chain on a request queue (or the control queue) of a
 * 2-queue connection. The back-end must: never complete it, signal that
 * ring's error eventfd, keep serving the other request queue and a second
 * connection, and stay alive.
 */
static int bad_chain(enum bad_kind kind)
{
	static const uint8_t tur[6];
	const uint16_t N = VSCSI_VRING_DESC_F_NEXT, W = VSCSI_VRING_DESC_F_WRITE,
		       I = VSCSI_VRING_DESC_F_INDIRECT;
	vfe_opts o;
	vfe_raw_desc d[40];
	vscsi_cmd_req rq;
	vfe_result r;
	uint64_t hgpa, bgpa, tgpa;
	uint8_t *h, *tbl;
	unsigned n = 2, vq = VFE_VQ_REQ(0), other = 1, k;
	uint64_t t0;
	vfe *v = NULL, *v2 = NULL;
	int rc = -1, got;

	vfe_opts_init(&o);
	o.num_queues = 2;
	o.queue_size = 32;
	if (kind == BAD_PACKED_LONG || kind == BAD_PACKED_ORDER)
		o.flags = VFE_PACKED;
	if (kind == BAD_GAP) {
		o.nregions = 2;
		o.gpa_gap = 1u << 20;
	}
	v = open_v(&o);
	CHECK(v, " ");
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	h = vfe_alloc(v, 64, 16, &hgpa);
	CHECK(h && vfe_alloc(v, 4096, 64, &bgpa) && (tbl = vfe_alloc(v, 256, 16, &tgpa)),
	      "vfe_alloc");
	memset(&rq, 0, sizeof(rq));
	vfe_lun(rq.lun.raw, 0, 0);
	rq.cdb_size = 6;
	rq.tag = 99;
	CHECK(vscsi_vs_cmd_req_build(vfe_cfg(v), &rq, h, 64) == 51, "build");
	memset(d, 0, sizeof(d));
	/* a well-formed TUR is {0: header 51 R, 1: response 108 W}; each
	 * kind breaks one rule (virtio 1.2 2.7.5, 2.7.5.3, 2.8.6, 5.6.6) */
	d[0] = (vfe_raw_desc){0, hgpa, 51, N, 1};
	d[1] = (vfe_raw_desc){1, bgpa, 108, W, 0};
	switch (kind) {
	case BAD_LOOP:
		d[1].flags = W | N;
		d[1].next = 0;
		break;
	case BAD_NEXT:
		d[0].next = 1000;
		break;
	case BAD_INDIRECT_LEN:
		memset(tbl, 0, 64);
		d[0] = (vfe_raw_desc){0, tgpa, 33, I, 0};
		n = 1;
		break;
	case BAD_INDIRECT_NEXT:
		d[0] = (vfe_raw_desc){0, tgpa, 32, I | N, 1};
		break;
	case BAD_OUTSIDE:
		d[1].addr = vfe_mem_end(v) + (1u << 20);
		break;
	case BAD_GAP: {
		vscsi_gmem_region g0;

		vscsi_gmem_region_at(vfe_mem(v), 0, &g0);
		d[1].addr = g0.gpa + g0.size + 4096;	/* in the hole */
		break;
	}
	case BAD_ORDER:
		d[0] = (vfe_raw_desc){0, bgpa, 108, W | N, 1};
		d[1] = (vfe_raw_desc){1, hgpa, 51, 0, 0};
		break;
	case BAD_SHORT_HDR:
		d[0].len = 10;
		break;
	case BAD_SHORT_RESP:
		d[1].len = 20;
		break;
	case BAD_CTRL_SHORT: {
		/* a LOGICAL UNIT RESET cut to 6 of its 24 bytes on the
		 * control queue (an unknown type would be completed unwritten
		 * instead, as QEMU does) */
		vscsi_ctrl_req cr;

		memset(&cr, 0, sizeof(cr));
		cr.type = VSCSI_T_TMF;
		cr.subtype = VSCSI_TMF_LOGICAL_UNIT_RESET;
		vfe_lun(cr.lun.raw, 0, 0);
		CHECK(vscsi_vs_ctrl_req_build(vfe_cfg(v), &cr, h, 64) == 24,
		      "build");
		vq = VFE_VQ_CTRL;
		other = 0;
		d[0].len = 6;
		d[1].len = 1;
		break;
	}
	case BAD_PACKED_LONG:
		for (k = 0; k < 32; k++)
			d[k] = (vfe_raw_desc){0, bgpa, 16, N, 0};
		n = 32;
		break;
	case BAD_PACKED_ORDER:
		d[0] = (vfe_raw_desc){0, bgpa, 108, W | N, 3};
		d[1] = (vfe_raw_desc){0, hgpa, 51, 0, 3};
		break;
	}
	CHECK(vfe_post_raw(v, vq, d, n, 0) == 0, "post_raw");
	got = vfe_raw_used(v, vq, 300, NULL, NULL);
	CHECK(got == 0, "the malformed chain was completed (%d)", got);
	t0 = now_ms();
	while (vfe_vring_errors(v, vq) == 0 && now_ms() - t0 < 2000)
		usleep(5000);
	CHECK(vfe_vring_errors(v, vq) > 0, "the ring's error eventfd was not "
					   "signalled");
	/* the same connection's other request queue */
	CHECK(!scsi(v, other, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(good(&r), "TUR on queue %u: status 0x%x", other, r.status);
	/* a second connection */
	v2 = open_q(1, 0);
	CHECK(v2, " ");
	CHECK(!clear_ua(v2, 0, 0, 0), " ");
	/* the broken ring stays silent */
	CHECK(vfe_raw_used(v, vq, 0, NULL, NULL) == 0, "late completion");
	rc = 0;
out:
	vfe_close(v);
	vfe_close(v2);
	return rc;
}

/* A well-formed raw chain completes: the control case of the above. */
static int t_raw_good(void)
{
	vfe_opts o;
	vfe_raw_desc d[2];
	vscsi_cmd_req rq;
	uint64_t hgpa, rgpa;
	uint8_t *h, *rs;
	uint16_t id = 0;
	uint32_t len = 0;
	vfe *v;
	int rc = -1;

	vfe_opts_init(&o);
	v = open_v(&o);
	CHECK(v, " ");
	h = vfe_alloc(v, 64, 16, &hgpa);
	rs = vfe_alloc(v, 128, 16, &rgpa);
	CHECK(h && rs, "alloc");
	memset(&rq, 0, sizeof(rq));
	vfe_lun(rq.lun.raw, 0, 0);
	rq.cdb_size = 6;
	CHECK(vscsi_vs_cmd_req_build(vfe_cfg(v), &rq, h, 64) == 51, "build");
	memset(rs, 0xff, 128);
	d[0] = (vfe_raw_desc){5, hgpa, 51, VSCSI_VRING_DESC_F_NEXT, 9};
	d[1] = (vfe_raw_desc){9, rgpa, 108, VSCSI_VRING_DESC_F_WRITE, 0};
	CHECK(vfe_post_raw(v, VFE_VQ_REQ(0), d, 2, 5) == 0, "post");
	CHECK(vfe_raw_used(v, VFE_VQ_REQ(0), TMO, &id, &len) == 1, "no completion");
	CHECK(id == 5 && len == 108, "used id %u len %u", id, len);
	/* the first command of a new initiator: UNIT ATTENTION */
	CHECK(rs[11] == VSCSI_S_OK && rs[10] == 2, "response %u status 0x%x",
	      rs[11], rs[10]);
	CHECK(vfe_vring_errors(v, VFE_VQ_REQ(0)) == 0, "error fd signalled");
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

static int t_bad_loop(void) { return bad_chain(BAD_LOOP); }
static int t_bad_next(void) { return bad_chain(BAD_NEXT); }
static int t_bad_indirect_len(void) { return bad_chain(BAD_INDIRECT_LEN); }
static int t_bad_indirect_next(void) { return bad_chain(BAD_INDIRECT_NEXT); }
static int t_bad_outside(void) { return bad_chain(BAD_OUTSIDE); }
static int t_bad_gap(void) { return bad_chain(BAD_GAP); }
static int t_bad_order(void) { return bad_chain(BAD_ORDER); }
static int t_bad_short_hdr(void) { return bad_chain(BAD_SHORT_HDR); }
static int t_bad_short_resp(void) { return bad_chain(BAD_SHORT_RESP); }
static int t_bad_ctrl(void) { return bad_chain(BAD_CTRL_SHORT); }
static int t_bad_packed_long(void) { return bad_chain(BAD_PACKED_LONG); }
static int t_bad_packed_order(void) { return bad_chain(BAD_PACKED_ORDER); }

/* 1 when the peer closed fd within ms. */
static int closed_within(int fd, unsigned ms)
{
	uint64_t t0 = now_ms();
	char b[256];

	vu_set_timeout(fd, 100);
	while (now_ms() - t0 < ms) {
		ssize_t r = recv(fd, b, sizeof(b), 0);

		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 1;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return 1;
	}
	return 0;
}

/* A control client connected while a vhost-user connection starts: the
 * connection's thread copies the process's file table to have one of its
 * own, and must not keep the client's socket open in it, or the client
 * would never see the back-end close after its last command. */
static int t_ctl_across_connect(void)
{
	static const char cmd[] = "list\n";
	vfe *v = NULL;
	int fd = -1, rc = -1;

	CHECK(C.ctl, "no --ctl");
	fd = vu_connect(C.ctl);
	CHECK(fd >= 0, "connect %s: %s", C.ctl, strerror(errno));
	v = open_q(1, 0);
	CHECK(v, " ");
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	CHECK(send(fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) ==
		      (ssize_t)sizeof(cmd) - 1, "send: %s", strerror(errno));
	CHECK(shutdown(fd, SHUT_WR) == 0, "shutdown: %s", strerror(errno));
	CHECK(closed_within(fd, 3000), "the control socket stayed open");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	vfe_close(v);
	return rc;
}

static int send_hdr(int fd, uint32_t req, uint32_t flags, uint32_t size,
		    const void *payload, size_t plen)
{
	uint8_t b[64];

	memset(b, 0, sizeof(b));
	b[0] = (uint8_t)req;
	b[4] = (uint8_t)flags;
	b[8] = (uint8_t)size;
	b[9] = (uint8_t)(size >> 8);
	if (plen > sizeof(b) - 12)
		return -1;
	if (plen)
		memcpy(b + 12, payload, plen);
	return vu_send_raw(fd, b, 12 + plen, NULL, 0);
}

static int t_garbage(void)
{
	static const uint8_t tur[6];
	uint8_t junk[256], eight[8] = {0};
	vfe_result r;
	vfe *v = open_q(1, 0), *v2 = NULL, *v3 = NULL;
	int fd = -1, k, rc = -1;

	CHECK(v, " ");
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	for (k = 0; k < 6; k++) {
		const char *what = "";

		fd = vu_connect(C.sock);
		CHECK(fd >= 0, "connect: %s", strerror(errno));
		switch (k) {
		case 0:
			what = "random bytes";
			fill_rand(junk, sizeof(junk));
			junk[4] = 1;	/* version 1, so the size is what is bad */
			CHECK(!vu_send_raw(fd, junk, sizeof(junk), NULL, 0), "send");
			break;
		case 1:
			what = "GET_FEATURES with an 8-byte payload";
			CHECK(!send_hdr(fd, VSCSI_VU_GET_FEATURES, 1, 8, eight, 8), "send");
			break;
		case 2:
			what = "SET_FEATURES with a 4-byte payload";
			CHECK(!send_hdr(fd, VSCSI_VU_SET_FEATURES, 1, 4, eight, 4), "send");
			break;
		case 3:
			what = "a header with version 2";
			CHECK(!send_hdr(fd, VSCSI_VU_GET_FEATURES, 2, 0, NULL, 0), "send");
			break;
		case 4:
			what = "SET_VRING_KICK without its fd";
			CHECK(!send_hdr(fd, VSCSI_VU_SET_OWNER, 1, 0, NULL, 0) &&
				      !send_hdr(fd, VSCSI_VU_SET_VRING_KICK, 1, 8, eight, 8),
			      "send");
			break;
		default:
			what = "an oversized payload claim";
			CHECK(!send_hdr(fd, VSCSI_VU_SET_MEM_TABLE, 1, 60000, NULL, 0),
			      "send");
			break;
		}
		CHECK(closed_within(fd, 3000), "%s: the back-end kept the "
					       "connection", what);
		close(fd);
		fd = -1;
	}
	/* half a message, then silence and close: the back-end must not hang */
	fd = vu_connect(C.sock);
	CHECK(fd >= 0 && !send_hdr(fd, VSCSI_VU_SET_FEATURES, 1, 8, eight, 4),
	      "send");
	close(fd);
	fd = -1;
	/* the first connection was never disturbed */
	CHECK(!scsi(v, 0, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(good(&r), "TUR status 0x%x", r.status);
	/* garbage in the middle of a working session: the driver sees the
	 * back-end close, the other connections go on (v3's thread, started
	 * after v2's, must not hold v2's socket open) */
	v2 = open_q(1, 0);
	CHECK(v2, " ");
	CHECK(!clear_ua(v2, 0, 0, 0), " ");
	v3 = open_q(1, 0);
	CHECK(v3, " ");
	CHECK(!clear_ua(v3, 0, 0, 0), " ");
	fill_rand(junk, sizeof(junk));
	CHECK(!vu_send_raw(vfe_fd(v2), junk, 64, NULL, 0), "send");
	{
		uint64_t t0 = now_ms();
		int p = 0;

		while (now_ms() - t0 < 3000 && (p = vfe_poll(v2, 100)) >= 0)
			;
		CHECK(p == VSCSI_ERR_CLOSED, "driver: %s, want CLOSED",
		      vscsi_errname(p));
	}
	CHECK(!scsi(v, 0, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(good(&r), "TUR status 0x%x", r.status);
	CHECK(!scsi(v3, 0, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(good(&r), "TUR status 0x%x", r.status);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	vfe_close(v);
	vfe_close(v2);
	vfe_close(v3);
	return rc;
}

/* GET_VRING_BASE stops a ring and reports how far the back-end got. */
static int t_stop(void)
{
	static const uint8_t tur[6];
	uint32_t bases[4];
	vfe_result r;
	unsigned k;
	vfe *v = open_q(2, 0);
	int rc = -1;

	CHECK(v, " ");
	for (k = 0; k < 10; k++)
		CHECK(!scsi(v, 1, 0, 0, tur, 6, NULL, 0, NULL, 0, &r), " ");
	CHECK(vfe_stop(v, bases) == 0, "stop: %s", vfe_last_error(v));
	CHECK(bases[VFE_VQ_REQ(1)] == 10, "queue 1 base %u, want 10",
	      bases[VFE_VQ_REQ(1)]);
	CHECK(bases[VFE_VQ_REQ(0)] == 0 && bases[VFE_VQ_CTRL] == 0,
	      "idle rings: bases %u %u", bases[VFE_VQ_REQ(0)], bases[VFE_VQ_CTRL]);
	CHECK(vfe_submit(v, 0, &(vfe_cmd){.cdb = tur, .cdb_len = 6}, NULL, NULL,
			 NULL) == VSCSI_ERR_RING_BROKEN, "submit after stop");
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

static int t_inflight(void)
{
	vfe_opts o;
	vfe *v;
	int rc = -1;

	vfe_opts_init(&o);
	o.flags = VFE_INFLIGHT;
	v = open_v(&o);
	CHECK(v, " ");
	CHECK(vfe_inflight_fd(v) >= 0, "no inflight fd");
	CHECK(vfe_protocol_features(v) & F(VSCSI_VU_PF_INFLIGHT_SHMFD),
	      "INFLIGHT_SHMFD not negotiated");
	CHECK(!rw_lun(v, 0, 0, C.lun0, 512, &(vfe_cmd){0}, 20, 16384), " ");
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/* ------------------------------------------------------------ control socket */

static int run_ctl(const char *a, const char *b)
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0)
			dup2(nul, 1);
		execl(C.replay, C.replay, "--ctl", C.ctl, a, b, (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Wait for an event; 1 with *ev, 0 on timeout. */
static int wait_event(vfe *v, vscsi_event *ev, unsigned ms)
{
	uint64_t t0 = now_ms();

	while (now_ms() - t0 < ms) {
		if (vfe_event_get(v, ev))
			return 1;
		if (vfe_poll(v, 50) < 0)
			return 0;
	}
	return vfe_event_get(v, ev);
}

static int t_hotplug(void)
{
	char spec[4200];
	vscsi_event ev;
	vfe *v = open_q(1, 0), *v2 = NULL;
	vfe_opts o;
	long m;
	int rc = -1;

	CHECK(C.ctl && C.replay, "no --ctl");
	CHECK(v, " ");
	/* a second connection with no event buffers: its event is missed */
	vfe_opts_init(&o);
	o.event_bufs = VFE_NO_EVENT_BUFS;
	v2 = open_v(&o);
	CHECK(v2, " ");
	snprintf(spec, sizeof(spec), "0:2=%s", C.lun1);
	CHECK(run_ctl("add", spec) == 0, "ctl add failed");
	CHECK(wait_event(v, &ev, 3000), "no event after a LUN was added");
	CHECK(ev.event == VSCSI_EVT_TRANSPORT_RESET &&
		      ev.reason == VSCSI_EVT_RESET_RESCAN && ev.lun.target == 0 &&
		      ev.lun.lun == 2,
	      "event 0x%x reason %u lun %u:%u, want TRANSPORT_RESET RESCAN 0:2",
	      ev.event, ev.reason, ev.lun.target, ev.lun.lun);
	CHECK(!clear_ua(v, 0, 0, 0), " ");
	m = report_luns(v);
	CHECK(m == 7, "REPORT LUNS mask 0x%lx after add", m);
	CHECK(run_ctl("remove", "0:2") == 0, "ctl remove failed");
	CHECK(wait_event(v, &ev, 3000), "no event after a LUN was removed");
	CHECK(ev.event == VSCSI_EVT_TRANSPORT_RESET &&
		      ev.reason == VSCSI_EVT_RESET_REMOVED && ev.lun.lun == 2,
	      "event 0x%x reason %u lun %u", ev.event, ev.reason, ev.lun.lun);
	/* the connection without buffers: one now gets EVENTS_MISSED
	 * (virtio 5.6.6.3) */
	CHECK(vfe_event_post(v2, 1) == 1, "post");
	CHECK(wait_event(v2, &ev, 3000), "no event after a buffer was given");
	CHECK(ev.event & VSCSI_EVT_EVENTS_MISSED, "event 0x%x without "
						  "EVENTS_MISSED", ev.event);
	rc = 0;
out:
	if (rc)
		run_ctl("remove", "0:2");
	vfe_close(v);
	vfe_close(v2);
	return rc;
}

/* ------------------------------------------------------------ kill -9 */

struct k9 {
	unsigned done, closed, other;
};

static void k9_cb(void *arg, const vfe_result *r)
{
	struct k9 *k = arg;

	k->done++;
	if (r->err == VSCSI_ERR_CLOSED)
		k->closed++;
	else if (r->err || !good(r))
		k->other++;
}

static int t_kill9(void)
{
	struct k9 k;
	uint8_t cdb[16];
	uint64_t t0, killed = 0;
	unsigned sent = 0, inflight_at_death = 0;
	vfe *v = open_q(2, 0);
	int rc = -1, p = 0, e;

	memset(&k, 0, sizeof(k));
	CHECK(C.pid > 0, "no --pid");
	CHECK(v, " ");
	CHECK(!clear_ua(v, 0, 0, 0) && !clear_ua(v, 1, 0, 0), " ");
	t0 = now_ms();
	for (;;) {
		unsigned q;

		for (q = 0; q < 2; q++) {
			while (vfe_inflight(v, q) < 16) {
				vfe_cmd c;

				memset(&c, 0, sizeof(c));
				vfe_lun(c.lun, 0, 0);
				cdb_rw16(cdb, sent & 1, (sent * 8) % 4096, 8);
				c.cdb = cdb;
				c.cdb_len = 16;
				if (sent & 1)
					c.dout_len = 4096;	/* slot bytes */
				else
					c.din_len = 4096;
				e = vfe_submit(v, q, &c, k9_cb, &k, NULL);
				if (e)
					break;
				sent++;
			}
		}
		if (!killed && now_ms() - t0 >= 200) {
			inflight_at_death = vfe_inflight(v, ~0u);
			CHECK(kill(C.pid, SIGKILL) == 0, "kill: %s", strerror(errno));
			killed = now_ms();
		}
		p = vfe_poll(v, 100);
		if (p < 0)
			break;
		CHECK(!killed || now_ms() - killed < 3000,
		      "the driver did not notice the death in 3 s");
	}
	CHECK(killed, "the driver failed before the kill: %s", vfe_last_error(v));
	CHECK(p == VSCSI_ERR_CLOSED, "poll: %s, want CLOSED", vscsi_errname(p));
	CHECK(k.other == 0, "%u commands failed otherwise", k.other);
	CHECK(k.done == sent, "%u of %u commands were called back", k.done, sent);
	CHECK(k.closed >= 1 && inflight_at_death > 0,
	      "nothing was in flight at the kill (%u)", inflight_at_death);
	CHECK(vfe_inflight(v, ~0u) == 0, "commands left in flight");
	CHECK(vfe_submit(v, 0, &(vfe_cmd){.cdb = cdb, .cdb_len = 6}, k9_cb, &k,
			 NULL) == VSCSI_ERR_CLOSED, "submit after death");
	{
		uint64_t c0 = now_ms();

		vfe_close(v);
		v = NULL;
		CHECK(now_ms() - c0 < 1000, "close took %llu ms",
		      (unsigned long long)(now_ms() - c0));
	}
	{
		char err[128];

		CHECK(vfe_open(C.sock, NULL, &v, err, sizeof(err)) != 0,
		      "a dead back-end accepted a connection");
	}
	rc = 0;
out:
	vfe_close(v);
	return rc;
}

/* ------------------------------------------------------------ main */

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{"inquiry", t_inquiry},
	{"readcap", t_readcap},
	{"report_luns", t_report_luns},
	{"rw", t_rw},
	{"rw_packed", t_rw_packed},
	{"rw_shapes", t_rw_shapes},
	{"rw_regions", t_rw_regions},
	{"mq2", t_mq2},
	{"mq4", t_mq4},
	{"mq4_packed", t_mq4_packed},
	{"two_conn", t_two_conn},
	{"tmf", t_tmf},
	{"an", t_an},
	{"no_inout", t_no_inout},
	{"raw_good", t_raw_good},
	{"bad_loop", t_bad_loop},
	{"bad_next", t_bad_next},
	{"bad_indirect_len", t_bad_indirect_len},
	{"bad_indirect_next", t_bad_indirect_next},
	{"bad_outside", t_bad_outside},
	{"bad_gap", t_bad_gap},
	{"bad_order", t_bad_order},
	{"bad_short_hdr", t_bad_short_hdr},
	{"bad_short_resp", t_bad_short_resp},
	{"bad_ctrl", t_bad_ctrl},
	{"bad_packed_long", t_bad_packed_long},
	{"bad_packed_order", t_bad_packed_order},
	{"garbage", t_garbage},
	{"stop", t_stop},
	{"inflight", t_inflight},
	{"hotplug", t_hotplug},
	{"ctl_across_connect", t_ctl_across_connect},
	{"kill9", t_kill9},
};

int main(int argc, char **argv)
{
	int i, failed = 0;
	size_t k;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 < argc && !strcmp(a, "--sock"))
			C.sock = argv[++i];
		else if (i + 1 < argc && !strcmp(a, "--lun0"))
			C.lun0 = argv[++i];
		else if (i + 1 < argc && !strcmp(a, "--lun1"))
			C.lun1 = argv[++i];
		else if (i + 1 < argc && !strcmp(a, "--ctl"))
			C.ctl = argv[++i];
		else if (i + 1 < argc && !strcmp(a, "--replay"))
			C.replay = argv[++i];
		else if (i + 1 < argc && !strcmp(a, "--pid"))
			C.pid = (pid_t)atoi(argv[++i]);
		else if (!strcmp(a, "--list")) {
			for (k = 0; k < sizeof(tests) / sizeof(tests[0]); k++)
				printf("%s\n", tests[k].name);
			return 0;
		} else
			break;
	}
	if (!C.sock || !C.lun0 || !C.lun1) {
		fprintf(stderr, "usage: wire --sock S --lun0 F --lun1 F [--ctl C "
				"--replay BIN] [--pid P] TEST... | --list\n");
		return 2;
	}
	for (; i < argc; i++) {
		for (k = 0; k < sizeof(tests) / sizeof(tests[0]); k++)
			if (!strcmp(argv[i], tests[k].name))
				break;
		if (k == sizeof(tests) / sizeof(tests[0])) {
			printf("FAIL %s: no such test\n", argv[i]);
			failed++;
			continue;
		}
		cur = tests[k].name;
		why[0] = 0;
		rng = 0x853c49e6748fea9bull + k;
		if (tests[k].fn()) {
			printf("FAIL %s: %s\n", cur, why);
			failed++;
		} else {
			printf("ok %s\n", cur);
		}
		fflush(stdout);
	}
	return failed;
}
