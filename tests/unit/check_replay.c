/*
 * vscsi-replay's replay: the fill, the write classifier, LUN addresses and
 * --map, the block map, the image digest, the capture loader (pairing,
 * happens-before bounds, racy and cut requests, the selection), the
 * verification of completions, the engine's ordering against a scripted
 * target, and the flock(2) lock the emulation takes on LUN files.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include "testutil.h"

/* one translation unit can hold xxhash inline once per instruction set:
 * the AVX-512 copy (replay_hash512.c) stays out */
#define RP_HASH_HAVE_AVX512 0
#include "../../tools/vscsi-replay/replay.c"
#include "../../tools/vscsi-replay/replay_emu.c"
#include "../../tools/vscsi-replay/replay_fill.c"
#include "../../tools/vscsi-replay/replay_hash.c"
#include "../../tools/vscsi-replay/replay_lanes.c"
#include "../../tools/vscsi-replay/replay_load.c"
#include "../../tools/vscsi-replay/replay_rec.c"
#include "../../tools/vscsi-replay/replay_vfe.c"
#include "../../tools/vscsi-replay/report.c"
#include "../../tools/vscsi-replay/verify.c"

static char t_dir[64];

static void t_setup(void)
{
	snprintf(t_dir, sizeof(t_dir), "/tmp/check_replay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t_dir));
}

static void t_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void t_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", t_dir, name);
}

/* ------------------------------------------------------------ fill */

/* The definition in vscsi-replay(1), FILL, written out again. */
static uint8_t t_fill_byte(uint64_t seed, uint64_t i)
{
	uint64_t line = i / 64, k = (i % 64) / 8, x = seed + k, w;

	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	w = x ^ (x >> 31);
	if (k == 0)
		w ^= line;
	return (uint8_t)(w >> (8 * (i % 8)));
}

START_TEST(fill_definition)
{
	uint8_t buf[1000];
	uint64_t seed = 0x0123456789abcdefull;
	size_t i;

	rp_fill(seed, buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], t_fill_byte(seed, i));
	/* from an odd offset, a length under a line */
	rp_fill(seed, buf, 131, 7);
	for (i = 0; i < 7; i++)
		ck_assert_uint_eq(buf[i], t_fill_byte(seed, 131 + i));
	/* lines differ (the line number in the first word) */
	rp_fill(seed, buf, 0, 128);
	ck_assert_int_ne(memcmp(buf, buf + 64, 8), 0);
	ck_assert_int_eq(memcmp(buf + 8, buf + 72, 56), 0);
}
END_TEST

START_TEST(fill_pieces_join)
{
	uint8_t a[4096], b[4096];
	uint64_t seed = 42;
	size_t cut;

	rp_fill(seed, a, 0, sizeof(a));
	for (cut = 0; cut <= sizeof(b); cut += 37) {
		memset(b, 0, sizeof(b));
		rp_fill(seed, b, 0, cut);
		rp_fill(seed, b + cut, cut, sizeof(b) - cut);
		ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
	}
}
END_TEST

START_TEST(fill_seed)
{
	uint8_t lun[8] = { 1, 0, 0x40, 0, 0, 0, 0, 0 }, cdb[32], in[40];

	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x2a;
	memcpy(in, lun, 8);
	memcpy(in + 8, cdb, 32);
	ck_assert_uint_eq(rp_fill_seed(lun, cdb, 32), XXH3_64bits(in, 40));
	/* over the CDB field as recorded: the length matters */
	ck_assert_uint_ne(rp_fill_seed(lun, cdb, 32), rp_fill_seed(lun, cdb, 10));
	/* and the LUN */
	lun[3] = 1;
	ck_assert_uint_ne(rp_fill_seed(lun, cdb, 32), XXH3_64bits(in, 40));
}
END_TEST

/* The AVX2 path and the library give the same digests. */
START_TEST(hash_paths)
{
	static uint8_t b[70000];
	size_t i, n;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 2654435761u >> 13);
	for (n = 0; n < sizeof(b); n = n * 3 + 1)
		ck_assert_uint_eq(rp_hash(b, n), XXH3_64bits(b, n));
	ck_assert_uint_eq(rp_hash(b + 1, 4096), XXH3_64bits(b + 1, 4096));
	ck_assert_uint_eq(rp_hash(b, 0), XXH3_64bits(b, 0));
}
END_TEST

/* ------------------------------------------------------------ writes */

START_TEST(changes_medium)
{
	static const struct {
		uint8_t op;
		int w;
	} t[] = {
		{ 0x00, 0 }, { 0x03, 0 }, { 0x08, 0 }, { 0x12, 0 }, { 0x1a, 0 },
		{ 0x25, 0 }, { 0x28, 0 }, { 0x35, 0 }, { 0x5a, 0 }, { 0x88, 0 },
		{ 0x9e, 0 }, { 0xa0, 0 }, { 0xa3, 0 }, { 0xa8, 0 },
		{ 0x0a, 1 }, { 0x2a, 1 }, { 0x8a, 1 }, { 0xaa, 1 }, /* WRITE */
		{ 0x41, 1 }, { 0x93, 1 }, { 0x42, 1 }, { 0x89, 1 }, /* WS, UNMAP, CAW */
		{ 0x15, 1 }, { 0x55, 1 }, { 0x04, 1 }, { 0x3b, 1 }, /* MODE SELECT, FORMAT, WRITE BUFFER */
		{ 0x85, 1 }, { 0xa1, 1 }, { 0xc0, 1 }, { 0x48, 1 }, /* ATA, vendor, SANITIZE */
		{ 0x1b, 1 },	/* START STOP UNIT: may eject */
	};
	uint8_t cdb[32];
	size_t i;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = t[i].op;
		ck_assert_msg(rp_changes_medium(cdb, 16) == t[i].w,
			      "opcode %#x", t[i].op);
	}
	ck_assert_int_eq(rp_changes_medium(cdb, 0), 1);
	/* variable length: READ(32) and VERIFY(32) only (SBC-4 5.16, 5.35) */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x7f;
	cdb[9] = 0x09;
	ck_assert_int_eq(rp_changes_medium(cdb, 32), 0);
	cdb[9] = 0x0a;
	ck_assert_int_eq(rp_changes_medium(cdb, 32), 0);
	cdb[9] = 0x0b;	/* WRITE(32) */
	ck_assert_int_eq(rp_changes_medium(cdb, 32), 1);
	ck_assert_int_eq(rp_changes_medium(cdb, 9), 1);
}
END_TEST

/* ------------------------------------------------------------ LUNs */

START_TEST(addr_and_map)
{
	uint8_t t;
	uint16_t l;
	rp_map m;
	uint8_t in[8], out[8];

	ck_assert_int_eq(rp_parse_addr("0:0", &t, &l), 0);
	ck_assert_int_eq(rp_parse_addr("255:16383", &t, &l), 0);
	ck_assert_uint_eq(t, 255);
	ck_assert_uint_eq(l, 16383);
	ck_assert_int_eq(rp_parse_addr("256:0", &t, &l), -1);
	ck_assert_int_eq(rp_parse_addr("0:16384", &t, &l), -1);
	ck_assert_int_eq(rp_parse_addr("0:1x", &t, &l), -1);
	ck_assert_int_eq(rp_parse_addr(":1", &t, &l), -1);
	ck_assert_int_eq(rp_parse_addr("", &t, &l), -1);
	ck_assert_int_eq(rp_parse_map("0:1=2:300", &m), 0);
	ck_assert_uint_eq(m.from_t, 0);
	ck_assert_uint_eq(m.from_l, 1);
	ck_assert_uint_eq(m.to_t, 2);
	ck_assert_uint_eq(m.to_l, 300);
	/* a bad one leaves the map as it was */
	ck_assert_int_eq(rp_parse_map("0:1=", &m), -1);
	ck_assert_int_eq(rp_parse_map("0:1", &m), -1);
	ck_assert_int_eq(rp_parse_map("5:5=0:0x", &m), -1);
	ck_assert_uint_eq(m.from_l, 1);
	ck_assert_uint_eq(m.to_l, 300);

	/* flat form in, flat form out (Linux's) */
	vscsi_lun_encode(in, 0, 1, 1);
	rp_map_lun(&m, 1, in, out);
	ck_assert_uint_eq(rp_lun_addr(out), 2u << 16 | 300);
	ck_assert_uint_eq(out[2] & 0xc0, 0x40);
	/* an unmapped LUN passes as it is */
	vscsi_lun_encode(in, 0, 2, 1);
	rp_map_lun(&m, 1, in, out);
	ck_assert_int_eq(memcmp(in, out, 8), 0);
	/* the REPORT LUNS well-known LU and malformed fields have no address */
	vscsi_lun_encode_report_luns(in, 0);
	ck_assert_uint_eq(rp_lun_addr(in), RP_LUN_NONE);
	rp_map_lun(&m, 1, in, out);
	ck_assert_int_eq(memcmp(in, out, 8), 0);
	memcpy(in, "\x02\x00\x40\x01\x00\x00\x00\x00", 8);
	ck_assert_uint_eq(rp_lun_addr(in), RP_LUN_NONE);
}
END_TEST

/* ------------------------------------------------------------ block map */

typedef struct t_scan {
	uint32_t w[4096];
	unsigned n;
} t_scan;

static int t_scan_fn(void *arg, uint32_t w)
{
	t_scan *s = arg;

	ck_assert_uint_lt(s->n, ARRAY_LEN(s->w));
	s->w[s->n++] = w;
	return 0;
}

START_TEST(vmap)
{
	rp_vmap *m = rp_vmap_new();
	t_scan s;
	unsigned i;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(rp_vmap_set(m, 0, 5, 10, 3), 0);	/* 5..14 */
	ck_assert_int_eq(rp_vmap_set(m, 0, 12, 4, 2), 0);	/* older */
	ck_assert_int_eq(rp_vmap_set(m, 0, 14, 2, 7), 0);	/* newer */
	ck_assert_int_eq(rp_vmap_set(m, 1, 5, 1, 9), 0);	/* other LUN */
	memset(&s, 0, sizeof(s));
	rp_vmap_scan(m, 0, 3, 15, t_scan_fn, &s);
	ck_assert_uint_eq(s.n, 15);
	ck_assert_uint_eq(s.w[0], 0);		/* 3 */
	ck_assert_uint_eq(s.w[1], 0);		/* 4 */
	for (i = 2; i <= 10; i++)		/* 5..13 */
		ck_assert_uint_eq(s.w[i], 3);
	ck_assert_uint_eq(s.w[11], 7);		/* 14 */
	ck_assert_uint_eq(s.w[12], 7);		/* 15 */
	ck_assert_uint_eq(s.w[13], 0);		/* 16 */
	/* a range too long for the table goes to the range list */
	ck_assert_int_eq(rp_vmap_set(m, 0, 1000, 1u << 20, 11), 0);
	ck_assert_int_eq(rp_vmap_set(m, 0, 2000, 8, 12), 0);
	memset(&s, 0, sizeof(s));
	rp_vmap_scan(m, 0, 998, 4, t_scan_fn, &s);
	ck_assert_uint_eq(s.w[0], 0);
	ck_assert_uint_eq(s.w[1], 0);
	ck_assert_uint_eq(s.w[2], 11);
	memset(&s, 0, sizeof(s));
	rp_vmap_scan(m, 0, 1999, 2, t_scan_fn, &s);
	ck_assert_uint_eq(s.w[0], 11);
	ck_assert_uint_eq(s.w[1], 12);
	/* many entries: the table grows and keeps them */
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(rp_vmap_set(m, 2, (uint64_t)i * 64, 8, i + 1),
				 0);
	for (i = 0; i < 20000; i += 997) {
		memset(&s, 0, sizeof(s));
		rp_vmap_scan(m, 2, (uint64_t)i * 64 + 7, 2, t_scan_fn, &s);
		ck_assert_uint_eq(s.w[0], i + 1);
		ck_assert_uint_eq(s.w[1], 0);
	}
	rp_vmap_free(m);
}
END_TEST

/* ------------------------------------------------------------ digest */

static void t_write_at(const char *path, uint64_t off, const void *p,
		       size_t n)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static uint64_t t_digest(const char *path)
{
	uint64_t d = 0;
	char err[256];

	ck_assert_int_eq(rp_image_digest(path, &d, err, sizeof(err)),
			 VSCSI_OK);
	return d;
}

START_TEST(image_digest)
{
	char a[128], b[128];
	static uint8_t zero[65536];
	uint8_t one = 1;
	uint64_t da, db;
	char err[256];
	FILE *f;

	t_path(a, sizeof(a), "a.img");
	t_path(b, sizeof(b), "b.img");
	/* a hole and written zeros digest the same */
	ck_assert_int_eq(truncate(a, 0), -1);
	f = fopen(a, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(truncate(a, 1 << 20), 0);
	f = fopen(b, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(truncate(b, 1 << 20), 0);
	t_write_at(b, 65536, zero, sizeof(zero));
	da = t_digest(a);
	ck_assert_uint_eq(da, t_digest(b));
	/* the empty image: XXH3 of the size alone */
	{
		uint8_t sz[8];

		vscsi_put_le64(sz, 1 << 20);
		ck_assert_uint_eq(da, XXH3_64bits(sz, 8));
	}
	/* one byte set: a different digest, the same wherever it is
	 * written from */
	t_write_at(a, 300000, &one, 1);
	db = t_digest(a);
	ck_assert_uint_ne(da, db);
	t_write_at(b, 300000, &one, 1);
	ck_assert_uint_eq(db, t_digest(b));
	/* its place matters: the block number is hashed */
	t_write_at(b, 300000, zero, 1);
	t_write_at(b, 300000 + 4096, &one, 1);
	ck_assert_uint_ne(db, t_digest(b));
	/* the size matters */
	ck_assert_int_eq(truncate(a, (1 << 20) + 4096), 0);
	ck_assert_uint_ne(db, t_digest(a));
	/* a short last block hashes zero-padded: set its last byte */
	ck_assert_int_eq(truncate(a, (1 << 20) + 100), 0);
	t_write_at(a, (1 << 20) + 99, &one, 1);
	ck_assert_uint_ne(t_digest(a), db);
	ck_assert_int_eq(rp_image_digest("/nonexistent/x", &da, err,
					 sizeof(err)), VSCSI_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x"));
}
END_TEST

/* ------------------------------------------------------------ captures */

#define T_HDR 51u
#define T_RESP 108u

typedef struct t_cap {
	vscsi_cap_writer *w;
	vscsi_vs_cfg cfg;
	uint64_t ts;
} t_cap;

static void t_cap_open(t_cap *c, const char *path, uint32_t snaplen)
{
	vscsi_cap_wopts o;
	vscsi_cap_session s;
	static const uint16_t qs[4] = { 128, 128, 128, 128 };
	int err = 0;

	memset(&o, 0, sizeof(o));
	o.snaplen = snaplen;
	o.flags = VSCSI_CAP_W_OVERWRITE;
	c->w = vscsi_cap_writer_open(path, &o, &err);
	ck_assert_ptr_nonnull(c->w);
	vscsi_vs_cfg_default(&c->cfg);
	c->ts = 1000000000;
	memset(&s, 0, sizeof(s));
	s.features = c->cfg.features;
	s.cdb_size = 32;
	s.sense_size = 96;
	s.snaplen = snaplen;
	s.num_queues = 4;
	s.queue_sizes = qs;
	s.tool = "check_replay";
	s.tool_version = "1";
	ck_assert_int_eq(vscsi_cap_write_session(c->w, 0, &s, c->ts), 0);
}

static void t_chain(vscsi_cap_chain *ch, uint16_t vq, uint32_t head,
		    uint32_t out, uint32_t in)
{
	memset(ch, 0, sizeof(*ch));
	ch->vq = vq;
	ch->head = head;
	ch->n_readable = 1;
	ch->n_writable = 1;
	ch->readable_bytes = T_HDR + out;
	ch->writable_bytes = T_RESP + in;
}

/* A command: op with lba/blocks (READ(10)/WRITE(10) of 512-byte blocks). */
static void t_req(t_cap *c, uint16_t vq, uint32_t head, uint8_t op,
		  uint32_t lba, uint16_t blocks, uint64_t dts)
{
	uint8_t hdr[T_HDR], data[8192];
	vscsi_cmd_req r;
	vscsi_cap_chain ch;
	struct iovec iov[2];
	uint32_t out = op == 0x2a ? blocks * 512u : 0;
	uint32_t in = op == 0x28 ? blocks * 512u : 0;

	memset(&r, 0, sizeof(r));
	vscsi_lun_encode(r.lun.raw, 0, 0, 1);
	r.tag = 0x100 + head;
	r.cdb_size = 10;
	r.cdb[0] = op;
	vscsi_put_be32(r.cdb + 2, lba);
	vscsi_put_be16(r.cdb + 7, blocks);
	ck_assert_int_eq(vscsi_vs_cmd_req_build(&c->cfg, &r, hdr, sizeof(hdr)),
			 T_HDR);
	t_chain(&ch, vq, head, out, in);
	iov[0].iov_base = hdr;
	iov[0].iov_len = T_HDR;
	memset(data, 0xa5, sizeof(data));
	iov[1].iov_base = data;
	iov[1].iov_len = out;
	c->ts += dts;
	ck_assert_int_eq(vscsi_cap_write_request(c->w, &ch, iov, out ? 2 : 1,
						 T_HDR, c->ts), 0);
}

static void t_done(t_cap *c, uint16_t vq, uint32_t head, uint8_t status,
		   uint32_t din, uint64_t dts)
{
	uint8_t resp[T_RESP], data[8192];
	vscsi_cmd_resp r;
	vscsi_cap_chain ch;
	struct iovec iov[2];

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (status) {
		int n = vscsi_sense_build_simple(r.sense, sizeof(r.sense), 0,
						 VSCSI_SK_ILLEGAL_REQUEST, 0x21,
						 0);
		r.sense_len = (uint32_t)n;
	}
	ck_assert_int_eq(vscsi_vs_cmd_resp_build(&c->cfg, &r, resp,
						 sizeof(resp)), T_RESP);
	t_chain(&ch, vq, head, 0, din);
	iov[0].iov_base = resp;
	iov[0].iov_len = T_RESP;
	memset(data, 0, sizeof(data));
	iov[1].iov_base = data;
	iov[1].iov_len = din;
	c->ts += dts;
	ck_assert_int_eq(vscsi_cap_write_completion(c->w, &ch, T_RESP + din,
						    iov, din ? 2 : 1, T_RESP,
						    c->ts), 0);
}

static void t_tmf(t_cap *c, uint32_t head, uint64_t tag, int done,
		  uint64_t dts)
{
	vscsi_ctrl_req q;
	vscsi_ctrl_resp p;
	vscsi_cap_chain ch;
	uint8_t b[32];
	struct iovec iov;
	int n;

	memset(&ch, 0, sizeof(ch));
	ch.vq = 0;
	ch.head = head;
	ch.n_readable = 1;
	ch.n_writable = 1;
	ch.readable_bytes = 24;
	ch.writable_bytes = 1;
	c->ts += dts;
	if (!done) {
		memset(&q, 0, sizeof(q));
		q.type = VSCSI_T_TMF;
		q.subtype = VSCSI_TMF_ABORT_TASK;
		vscsi_lun_encode(q.lun.raw, 0, 0, 1);
		q.tag = tag;
		n = vscsi_vs_ctrl_req_build(&c->cfg, &q, b, sizeof(b));
		iov.iov_base = b;
		iov.iov_len = (size_t)n;
		ck_assert_int_eq(vscsi_cap_write_request(c->w, &ch, &iov, 1,
							 (size_t)n, c->ts), 0);
	} else {
		memset(&p, 0, sizeof(p));
		p.type = VSCSI_T_TMF;
		n = vscsi_vs_ctrl_resp_build(&c->cfg, &p, b, sizeof(b));
		iov.iov_base = b;
		iov.iov_len = (size_t)n;
		ck_assert_int_eq(vscsi_cap_write_completion(c->w, &ch,
				 (uint32_t)n, &iov, 1, (size_t)n, c->ts), 0);
	}
}

/*
 * The test capture, snap length 100 (a write's data is cut after 49
 * bytes), times in microseconds from the session:
 *   op0  READ(10) 0 x8    q2 h0   at +1, done +2
 *   op1  WRITE(10) 64 x8  q3 h0   at +3
 *   op2  READ(10) 64 x8   q2 h0   at +4
 *   op3  ABORT TASK op1   q0 h0   at +5  (op1, op2 in flight: racy)
 *        op2 done +6 (ILLEGAL REQUEST), op3 done +7, op1 done +8
 *   loss note
 *   op4  READ(10) 8 x8    q2 h1   at +9  (after the loss), never done
 */
static void t_make_capture(const char *path)
{
	t_cap c;

	t_cap_open(&c, path, 100);
	t_req(&c, 2, 0, 0x28, 0, 8, 1000);
	t_done(&c, 2, 0, 0, 4096, 1000);
	t_req(&c, 3, 0, 0x2a, 64, 8, 1000);
	t_req(&c, 2, 0, 0x28, 64, 8, 1000);
	t_tmf(&c, 0, 0x100, 0, 1000);
	t_done(&c, 2, 0, VSCSI_STATUS_CHECK_CONDITION, 0, 1000);
	t_tmf(&c, 0, 0, 1, 1000);
	t_done(&c, 3, 0, 0, 0, 1000);
	ck_assert_int_eq(vscsi_cap_write_loss(c.w, 0, 3, VSCSI_LOSS_QUEUE_FULL,
					      c.ts, NULL, c.ts), 0);
	t_req(&c, 2, 1, 0x28, 8, 8, 1000);
	ck_assert_int_eq(vscsi_cap_writer_close(c.w), 0);
}

START_TEST(load_plan)
{
	char path[128], err[256] = "";
	rp_plan p;
	rp_sel sel;
	const rp_op *o;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	ck_assert_int_eq(rp_load(path, &sel, &p, err, sizeof(err)), VSCSI_OK);
	ck_assert_uint_eq(p.nops, 5);
	ck_assert_uint_eq(p.cmds, 4);
	ck_assert_uint_eq(p.tmfs, 1);
	ck_assert_uint_eq(p.ncompl, 4);
	ck_assert_uint_eq(p.lost, 3);
	ck_assert_uint_eq(p.no_completion, 1);
	o = p.ops;
	/* happens-before: the completions recorded before each request */
	ck_assert_uint_eq(o[0].dep, 0);
	ck_assert_uint_eq(o[1].dep, 1);
	ck_assert_uint_eq(o[2].dep, 1);
	ck_assert_uint_eq(o[3].dep, 1);
	ck_assert_uint_eq(o[4].dep, 4);
	/* completion indices in file order: op0, op2, op3, op1 */
	ck_assert_uint_eq(o[0].cidx, 1);
	ck_assert_uint_eq(o[2].cidx, 2);
	ck_assert_uint_eq(o[3].cidx, 3);
	ck_assert_uint_eq(o[1].cidx, 4);
	ck_assert_uint_eq(o[4].cidx, 0);
	ck_assert_uint_eq(p.cidx_op[4], 1);
	/* in flight with the TMF */
	ck_assert(!(o[0].flags & RP_OPF_RACY));
	ck_assert(o[1].flags & RP_OPF_RACY);
	ck_assert(o[2].flags & RP_OPF_RACY);
	ck_assert(!(o[4].flags & RP_OPF_RACY));
	ck_assert(o[4].flags & RP_OPF_LOSS);
	ck_assert(!(o[2].flags & RP_OPF_LOSS));
	/* the write: cut, its digest over the whole data */
	ck_assert(o[1].flags & RP_OPF_WRITE);
	ck_assert(o[1].flags & RP_OPF_CUT);
	ck_assert_uint_eq(o[1].dout_len, 4096);
	ck_assert_uint_eq(o[1].dout_kept, 100 - T_HDR);
	{
		uint8_t d[4096];

		memset(d, 0xa5, sizeof(d));
		ck_assert_uint_eq(o[1].dout_digest, XXH3_64bits(d, 4096));
		ck_assert_int_eq(memcmp(rp_op_dout(&p, &o[1]), d, 49), 0);
	}
	ck_assert_uint_eq(o[1].lba, 64);
	ck_assert_uint_eq(o[1].nblk, 8);
	/* the recorded answers */
	ck_assert(o[0].flags & RP_OPF_STATUS);
	ck_assert_uint_eq(o[0].r_din_len, 4096);
	ck_assert(o[2].flags & RP_OPF_SENSE);
	ck_assert_uint_eq(o[2].r_status, VSCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(o[2].r_key, VSCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(o[2].r_asc, 0x21);
	ck_assert(o[0].flags & RP_OPF_NOSENSE);
	ck_assert_uint_eq(o[3].kind, RP_TMF);
	ck_assert_uint_eq(o[3].tag, 0x100);
	ck_assert_uint_eq(p.writes, 1);
	ck_assert_str_eq(rp_op_name(&o[3]), "TMF ABORT_TASK");
	ck_assert_str_eq(rp_op_name(&o[1]), "WRITE(10)");
	rp_plan_free(&p);
}
END_TEST

START_TEST(load_selection)
{
	char path[128], err[256] = "";
	vscsi_filter *f = NULL;
	rp_plan p;
	rp_sel sel;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	/* a filter on the outcome: only the read that failed */
	ck_assert_int_eq(vscsi_filter_compile("status == check_condition", &f,
					      err, sizeof(err), NULL), 0);
	sel.filter = f;
	ck_assert_int_eq(rp_load(path, &sel, &p, err, sizeof(err)), VSCSI_OK);
	ck_assert_uint_eq(p.ops[0].skip, RP_SKIP_FILTER);
	ck_assert_uint_eq(p.ops[1].skip, RP_SKIP_FILTER);
	ck_assert_uint_eq(p.ops[2].skip, RP_ISSUE);
	ck_assert_uint_eq(p.ops[4].skip, RP_SKIP_FILTER);
	ck_assert_uint_eq(p.skipped[RP_ISSUE], 1);
	rp_plan_free(&p);
	vscsi_filter_free(f);
	/* a window: from 2.5 us to 4.5 us after the first record */
	memset(&sel, 0, sizeof(sel));
	sel.has_start = sel.has_end = 1;
	sel.start_ns = 2500;
	sel.end_ns = 4500;
	ck_assert_int_eq(rp_load(path, &sel, &p, err, sizeof(err)), VSCSI_OK);
	ck_assert_uint_eq(p.ops[0].skip, RP_SKIP_WINDOW);
	ck_assert_uint_eq(p.ops[1].skip, RP_ISSUE);
	ck_assert_uint_eq(p.ops[2].skip, RP_ISSUE);
	ck_assert_uint_eq(p.ops[3].skip, RP_SKIP_WINDOW);
	rp_plan_free(&p);
	/* --skip-writes */
	memset(&sel, 0, sizeof(sel));
	sel.skip_writes = 1;
	ck_assert_int_eq(rp_load(path, &sel, &p, err, sizeof(err)), VSCSI_OK);
	ck_assert_uint_eq(p.ops[1].skip, RP_SKIP_WRITE);
	ck_assert_uint_eq(p.writes_skipped, 1);
	ck_assert_uint_eq(p.writes, 0);
	rp_plan_free(&p);
	/* not a capture */
	ck_assert_int_lt(rp_load("/nonexistent.pcap", &sel, &p, err,
				 sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent.pcap"));
}
END_TEST

/* ------------------------------------------------------------ engine */

/* A scripted target: it takes what it is given, answers GOOD with
 * zero-filled data-in when the test says, and logs the order. */
typedef struct t_tgt {
	rp_target base;
	rp_slot *fl[64];
	unsigned nfl;
	uint32_t order[64];
	unsigned norder;
	unsigned max_inflight;
	unsigned cap;		/* NOSPACE above this many in flight */
	int complete_lifo;	/* answer the newest first */
} t_tgt;

static int t_take(rp_target *bt, const rp_op *op, rp_slot *s)
{
	t_tgt *t = (t_tgt *)bt;

	(void)op;
	if (t->nfl >= t->cap)
		return VSCSI_ERR_NOSPACE;
	t->fl[t->nfl++] = s;
	t->order[t->norder++] = s->op;
	if (t->nfl > t->max_inflight)
		t->max_inflight = t->nfl;
	return VSCSI_OK;
}

static int t_wait(rp_target *bt, int64_t timeout_ns)
{
	t_tgt *t = (t_tgt *)bt;
	rp_slot *s;
	rp_res res;

	(void)timeout_ns;
	if (!t->nfl)
		return 0;
	if (t->complete_lifo) {
		s = t->fl[--t->nfl];
	} else {
		s = t->fl[0];
		memmove(t->fl, t->fl + 1, --t->nfl * sizeof(t->fl[0]));
	}
	memset(&res, 0, sizeof(res));
	res.din_len = t->base.r->plan.ops[s->op].r_din_len;
	if (res.din_len)
		res.din_digest = t->base.r->plan.ops[s->op].r_din_digest;
	if (t->base.r->plan.ops[s->op].flags & RP_OPF_SENSE) {
		res.status = VSCSI_STATUS_CHECK_CONDITION;
		res.has_sense = 1;
		res.key = VSCSI_SK_ILLEGAL_REQUEST;
		res.asc = 0x21;
	}
	rp_complete(t->base.r, s, &res);
	return 1;
}

static int64_t t_gran(const rp_target *t)
{
	(void)t;
	return 0;
}

static void t_close(rp_target *t)
{
	(void)t;
}

static const rp_target_vt t_vt = {
	.name = "test", .cmd = t_take, .tmf = t_take, .an = t_take,
	.wait = t_wait, .granularity = t_gran, .close = t_close,
};

static void t_engine(replay *r, replay_opts *o, t_tgt *t, const char *path,
		     const rp_sel *sel)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	memset(o, 0, sizeof(*o));
	memset(t, 0, sizeof(*t));
	o->write = 1;
	r->o = o;
	r->scale = 1.0;
	vscsi_hist_init(&r->issue_err);
	ck_assert_int_eq(rp_load(path, sel, &r->plan, err, sizeof(err)), 0);
	r->done = calloc(r->plan.ncompl + 1, 1);
	r->oflags = calloc(r->plan.nops, 1);
	r->vmap = rp_vmap_new();
	t->base.vt = &t_vt;
	t->base.r = r;
	t->cap = 64;
	r->t = &t->base;
}

START_TEST(engine_order)
{
	char path[128];
	replay_opts o;
	replay r;
	rp_sel sel;
	t_tgt t;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	t_engine(&r, &o, &t, path, &sel);
	t.complete_lifo = 1;
	ck_assert_int_eq(rp_run(&r), VSCSI_OK);
	/* every op in file order; op1..op3 waited for op0 only; op4 for all:
	 * never more in flight than the recording had */
	ck_assert_uint_eq(t.norder, 5);
	ck_assert_uint_eq(t.order[0], 0);
	ck_assert_uint_eq(t.order[1], 1);
	ck_assert_uint_eq(t.order[2], 2);
	ck_assert_uint_eq(t.order[3], 3);
	ck_assert_uint_eq(t.order[4], 4);
	ck_assert_uint_eq(t.max_inflight, 3);
	ck_assert_uint_eq(r.issued, 5);
	ck_assert_uint_eq(r.completed, 5);
	ck_assert_uint_eq(r.inflight, 0);
	ck_assert_uint_eq(r.watermark, 4);
	/* the write: cut, the fill does not match the 0xa5 data */
	ck_assert_uint_eq(r.dout_writes, 1);
	ck_assert_uint_eq(r.dout_inexact, 1);
	/* op4 has no recorded completion */
	ck_assert_uint_eq(r.unver[RP_U_NO_COMPLETION], 1);
	ck_assert_uint_eq(r.differ, 0);
	rp_free(&r);
}
END_TEST

START_TEST(engine_nospace_and_skips)
{
	char path[128];
	replay_opts o;
	replay r;
	rp_sel sel;
	t_tgt t;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	sel.skip_writes = 1;
	t_engine(&r, &o, &t, path, &sel);
	t.cap = 1;	/* one at a time: NOSPACE until the last answers */
	ck_assert_int_eq(rp_run(&r), VSCSI_OK);
	ck_assert_uint_eq(t.norder, 4);
	ck_assert_uint_eq(t.max_inflight, 1);
	ck_assert_uint_eq(t.order[1], 2);	/* the write was skipped */
	ck_assert(r.oflags[1] & RP_OPF_SKIPPED);
	ck_assert_uint_eq(r.issued, 4);
	ck_assert_uint_eq(r.watermark, 4);	/* the skipped one counts */
	rp_free(&r);
}
END_TEST

/* ------------------------------------------------------------ verify */

START_TEST(verify_kinds)
{
	char path[128];
	replay_opts o;
	replay r;
	rp_sel sel;
	t_tgt t;
	rp_res res;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	t_engine(&r, &o, &t, path, &sel);
	/* op0 as recorded */
	memset(&res, 0, sizeof(res));
	res.din_len = 4096;
	res.din_digest = r.plan.ops[0].r_din_digest;
	rp_verify(&r, 0, &res);
	ck_assert_uint_eq(r.matched, 1);
	/* other data: a data-in difference, the data older than the capture */
	res.din_digest ^= 1;
	rp_verify(&r, 0, &res);
	ck_assert_uint_eq(r.differ, 1);
	ck_assert_uint_eq(r.by_kind[RP_D_DIN], 1);
	ck_assert_uint_eq(r.diffs[0].note, RP_NOTE_PREDATES);
	/* a status: CHECK CONDITION where GOOD was recorded */
	memset(&res, 0, sizeof(res));
	res.status = VSCSI_STATUS_CHECK_CONDITION;
	res.has_sense = 1;
	res.key = 6;
	res.asc = 0x29;
	res.resid = 4096;
	rp_verify(&r, 0, &res);
	ck_assert_uint_eq(r.by_kind[RP_D_STATUS], 1);
	ck_assert_uint_eq(r.by_kind[RP_D_RESID], 1);
	ck_assert_uint_eq(r.by_kind[RP_D_DIN_LEN], 1);
	/* op2 recorded ILLEGAL REQUEST 21/00: other sense */
	memset(&res, 0, sizeof(res));
	res.status = VSCSI_STATUS_CHECK_CONDITION;
	res.has_sense = 1;
	res.key = VSCSI_SK_ILLEGAL_REQUEST;
	res.asc = 0x24;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.by_kind[RP_D_SENSE], 1);
	ck_assert_uint_eq(r.differ, 3);
	/* op2 aborted in the replay: it was racy, timing decided */
	memset(&res, 0, sizeof(res));
	res.response = VSCSI_S_ABORTED;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.unver[RP_U_TIMING], 1);
	ck_assert_uint_eq(r.differ, 3);
	/* op0 (not racy) aborted: a response difference */
	rp_verify(&r, 0, &res);
	ck_assert_uint_eq(r.by_kind[RP_D_RESPONSE], 1);
	/* a TMF answered otherwise */
	memset(&res, 0, sizeof(res));
	res.response = VSCSI_S_FUNCTION_REJECTED;
	rp_verify(&r, 3, &res);
	ck_assert_uint_eq(r.by_kind[RP_D_TMF], 1);
	/* the transport failed */
	memset(&res, 0, sizeof(res));
	res.err = VSCSI_ERR_CLOSED;
	rp_verify(&r, 0, &res);
	ck_assert_uint_eq(r.by_kind[RP_D_ERROR], 1);
	ck_assert_uint_eq(r.differ, 6);
	ck_assert_uint_eq(r.ndiffs, 6);
	rp_free(&r);
}
END_TEST

START_TEST(verify_written_blocks)
{
	char path[128];
	replay_opts o;
	replay r;
	rp_sel sel;
	t_tgt t;
	rp_res res;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	t_engine(&r, &o, &t, path, &sel);
	/* the write (op1) lands with data the fill could not reproduce */
	memset(&res, 0, sizeof(res));
	rp_verify(&r, 1, &res);
	/* a later read of its blocks that differs is not the device's */
	{
		rp_op *rd = &r.plan.ops[2];

		rd->flags &= ~(RP_OPF_SENSE | RP_OPF_RACY);
		rd->r_status = 0;
		rd->r_din_len = 4096;
		rd->r_din_digest = 1;
	}
	memset(&res, 0, sizeof(res));
	res.din_len = 4096;
	res.din_digest = 2;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.unver[RP_U_UNREPRODUCED], 1);
	ck_assert_uint_eq(r.differ, 0);
	/* once the write's data is exact, the read is verified exactly */
	r.oflags[1] |= RP_OPF_DOUT_EXACT;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.differ, 1);
	ck_assert_uint_eq(r.diffs[0].note, RP_NOTE_NONE);
	res.din_digest = 1;
	{
		uint64_t m = r.matched;

		rp_verify(&r, 2, &res);
		ck_assert_uint_eq(r.matched, m + 1);
	}
	/* a writer that differed is named */
	r.oflags[1] |= RP_OPF_DIVERGED;
	res.din_digest = 2;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.diffs[1].note, RP_NOTE_DIVERGED);
	ck_assert_uint_eq(r.diffs[1].note_op, 1);
	/* a skipped writer: not verified */
	r.oflags[1] = RP_OPF_SKIPPED;
	rp_verify(&r, 2, &res);
	ck_assert_uint_eq(r.unver[RP_U_SKIPPED_WRITE], 1);
	/* after a loss note: not verified */
	r.oflags[1] = 0;
	r.plan.ops[4].r_din_len = 4096;
	r.plan.ops[4].flags |= RP_OPF_DONE;
	rp_verify(&r, 4, &res);
	ck_assert_uint_eq(r.unver[RP_U_AFTER_LOSS], 1);
	rp_free(&r);
}
END_TEST

/* ------------------------------------------------------------ reports */

START_TEST(reports)
{
	char path[128], json[128], junit[128], err[256];
	replay_opts o;
	replay r;
	rp_sel sel;
	t_tgt t;
	rp_res res;
	FILE *f;
	char buf[65536];
	size_t n;

	t_path(path, sizeof(path), "t.pcap.zst");
	t_path(json, sizeof(json), "r.json");
	t_path(junit, sizeof(junit), "j.xml");
	t_make_capture(path);
	memset(&sel, 0, sizeof(sel));
	t_engine(&r, &o, &t, path, &sel);
	memset(&res, 0, sizeof(res));
	res.status = 8;
	rp_verify(&r, 0, &res);
	ck_assert_int_eq(rp_exit_status(&r), 1);
	ck_assert_int_eq(rp_report_json(&r, json, err, sizeof(err)), 0);
	f = fopen(json, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\"differ\":1,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"kinds\":[\"status\","
				       "\"data-in length\"]"));
	ck_assert_ptr_nonnull(strstr(buf, "\"exit\":1}"));
	ck_assert_int_eq(rp_report_junit(&r, junit, err, sizeof(err)), 0);
	f = fopen(junit, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "name=\"READ(10)\""));
	ck_assert_ptr_nonnull(strstr(buf, "<failure type=\"divergence\" "
				       "message=\"1 of 1 compared differ\">"));
	ck_assert_ptr_nonnull(strstr(buf, "failures=\"1\""));
	ck_assert_int_ne(rp_report_json(&r, "/nonexistent/r.json", err,
					 sizeof(err)), 0);
	rp_free(&r);
}
END_TEST


/*
 * --jobs: how requests are dealt out to lanes (replay_lanes.c). Requests
 * on one 2048-block range of a LUN go to one lane, whatever their kind;
 * the next range to the next lane; a request across a range boundary or
 * with no range is a barrier (every lane); a TMF makes the replay serial,
 * with a reason; a skipped request that writes nothing only needs marking
 * done (lane 0).
 */
START_TEST(lanes_route)
{
	replay r;
	rp_op op;
	const char *why = NULL;
	int a, b;

	memset(&r, 0, sizeof(r));
	memset(&op, 0, sizeof(op));
	op.kind = RP_CMD;
	op.lun[0] = 1;			/* target 0, LUN 0 (virtio 5.6.6) */
	op.lun[2] = 0x40;
	op.cdb[0] = 0x28;
	op.cdb_len = 10;
	op.lba = 2 * 2048;
	op.nblk = 8;
	a = rl_owner(&r, &op, 2, &why);
	ck_assert_int_ge(a, 0);
	ck_assert_int_lt(a, 2);
	op.lba = 2 * 2048 + 2040;	/* the range's last 8 blocks */
	op.flags = RP_OPF_WRITE;
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), a);
	op.lba = 3 * 2048;		/* the next range */
	b = rl_owner(&r, &op, 2, &why);
	ck_assert_int_eq(b, 1 - a);
	op.lun[3] = 1;			/* LUN 1: its own dealing */
	ck_assert_int_ge(rl_owner(&r, &op, 3, &why), 0);
	op.lun[3] = 0;
	op.lba = 3 * 2048 - 4;		/* across the boundary */
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), (int)RP_LANE_BARRIER);
	op.flags = 0;
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), (int)RP_LANE_BARRIER);
	op.nblk = 0;			/* INQUIRY and the like */
	op.cdb[0] = 0x12;
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), (int)RP_LANE_BARRIER);
	ck_assert_ptr_null(why);
	op.kind = RP_TMF;
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), -1);
	ck_assert_ptr_nonnull(why);
	op.kind = RP_CMD;
	op.skip = RP_SKIP_FILTER;
	ck_assert_int_eq(rl_owner(&r, &op, 2, &why), 0);
}
END_TEST

/* ------------------------------------------------------------ the lock */

START_TEST(emu_lun_lock)
{
	char path[128], err[256];
	emu_lun_cfg cfg;
	emu_dev *a, *b;
	emu_ops ops;
	int fd;

	t_path(path, sizeof(path), "lun.img");
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	memset(&ops, 0, sizeof(ops));
	ops.cmd_done = (void (*)(void *, void *, const emu_result *))abort;
	ops.tmf_done = (void (*)(void *, void *, uint8_t))abort;
	ck_assert_int_eq(emu_create(&ops, &a), 0);
	ck_assert_int_eq(emu_create(&ops, &b), 0);
	ck_assert_int_eq(emu_lun_parse("0:0=x", &cfg, NULL, 0), 0);
	snprintf(cfg.path, sizeof(cfg.path), "%s", path);
	/* two servers share a file */
	ck_assert_int_eq(emu_lun_add(a, &cfg, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(emu_lun_add(b, &cfg, 0, err, sizeof(err)), 0);
	/* a replay's exclusive lock is refused while they hold it */
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	emu_destroy(a);
	emu_destroy(b);
	/* once they closed it, the replay gets it, and a server is refused */
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(emu_create(&ops, &a), 0);
	ck_assert_int_eq(emu_lun_add(a, &cfg, 0, err, sizeof(err)),
			 VSCSI_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	/* the replay's own emulation opens it unlocked */
	ck_assert_int_eq(emu_lun_add(a, &cfg, EMU_NO_LOCK, err, sizeof(err)),
			 0);
	emu_destroy(a);
	close(fd);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");

	tcase_add_checked_fixture(tc, t_setup, t_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fill_definition);
	tcase_add_test(tc, fill_pieces_join);
	tcase_add_test(tc, fill_seed);
	tcase_add_test(tc, hash_paths);
	tcase_add_test(tc, changes_medium);
	tcase_add_test(tc, addr_and_map);
	tcase_add_test(tc, vmap);
	tcase_add_test(tc, image_digest);
	tcase_add_test(tc, load_plan);
	tcase_add_test(tc, load_selection);
	tcase_add_test(tc, engine_order);
	tcase_add_test(tc, engine_nospace_and_skips);
	tcase_add_test(tc, verify_kinds);
	tcase_add_test(tc, verify_written_blocks);
	tcase_add_test(tc, reports);
	tcase_add_test(tc, emu_lun_lock);
	tcase_add_test(tc, lanes_route);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(replay_suite)
