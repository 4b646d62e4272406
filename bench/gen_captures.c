/*
 * gen_captures: the sample captures in captures/, written with the library's
 * writer from a scripted guest session (until vscsi-capture records real
 * guests). Everything is deterministic: a fixed seed, fixed time stamps, and
 * zstd frames ended by capture time (the writer's clock is the simulated
 * one), so two runs write the same bytes.
 *
 * Usage:
 *   gen_captures DIR            write DIR/boot.pcap.zst, DIR/mixed.pcap.zst
 *                               and DIR/edge.pcap (see captures/README.md)
 *   gen_captures --slow FILE N MS
 *                               a file still being written: a session, then
 *                               N READ(10) request/completion pairs, a frame
 *                               each, MS milliseconds apart (for the
 *                               vscsi-dump --follow tests); prints "done"
 *
 * The simulated guest is a Linux virtio_scsi driver: one header descriptor,
 * data-out, one response descriptor, data-in, in an indirect table (one ring
 * descriptor per command; heads are reused last-freed first, as the split
 * ring's free list does), command tags that are the kernel address of the
 * scsi_cmnd, SIMPLE task attributes, 8 event buffers of 16 bytes.
 *
 * The device is the toolkit's SCSI emulation (tools/common/emu.h) over
 * sparse image files, one emulation per connection, as vscsi-replay --serve
 * runs it: every answer in the files is the emulation's, executed in
 * submission order, so vscsi-replay reproduces it. Written data is
 * vscsi-replay's deterministic fill (vscsi-replay(1), FILL), so a replay
 * rebuilds the bytes the snap length cut. DIR/images.list says how to
 * prepare the images and what they hold at the end (their digests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "vscsi.h"

/* tests/dump/run.sh builds this file against the library alone: without
 * the emulation only --slow works */
#if defined(__has_include)
#if __has_include("emu.h")
#define GEN_EMU 1
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"
#endif
#endif

#define T0 1763712000000000000ull	/* 2025-11-21 08:00:00 UTC */
#define US 1000ull
#define MS 1000000ull
#define RING 128u
#define NVQ 6u
#define MAXCMD 512u
#define BLOCK 512u
#define REQ_HDR 51u			/* cdb_size 32 */
#define RESP_HDR 108u			/* sense_size 96 */
#define DATA_MAX (256u * 1024u)
#define NEVER UINT64_MAX

/* ---------------------------------------------------------------- state */

typedef struct gcmd {
	int used;
	uint16_t vq;
	uint16_t head;
	int ctrl;			/* a TMF on the control queue */
	vscsi_cmd_req req;		/* or the TMF in tmf */
	vscsi_ctrl_req tmf;
	uint32_t out_len;		/* data-out bytes */
	uint32_t in_alloc;		/* data-in buffer bytes */
	uint64_t due;			/* completion time, NEVER: stays */
	/* the answer */
	uint8_t response, status;
	uint8_t sense[96];
	uint16_t sense_len;
	uint32_t in_len;		/* data-in produced */
	uint32_t resid;
	const uint8_t *in_data;		/* in_len bytes, or NULL: pattern */
	const uint8_t *out_data;	/* out_len bytes, or NULL: pattern */
	uint8_t *buf;			/* data-out and data-in (emulation) */
	uint64_t lba;			/* for the data pattern */
	unsigned tagidx;		/* blk-mq tag */
} gcmd;

/* An image file behind a LUN. */
typedef struct gimg {
	uint8_t target;
	uint16_t lun;
	uint64_t size;
	const char *serial;
	char path[160];
} gimg;

typedef struct gen {
	vscsi_cap_writer *w;
	const char *name;		/* the capture's file name */
#ifdef GEN_EMU
	emu_dev *emu;			/* the current connection's device */
	emu_dev *emus[4];
	unsigned nemu;
	char dir[64];
	gimg img[4];
	unsigned nimg;
#endif
	uint64_t now;
	uint32_t conn;
	uint64_t seq;			/* next sequence number of conn */
	uint64_t skip;			/* the next records are "lost" */
	vscsi_vs_cfg cfg;
	unsigned chain_flags;		/* VSCSI_RECF_PACKED or 0 */
	uint64_t rng;
	uint16_t free_head[NVQ][RING];
	unsigned nfree[NVQ];
	unsigned qd[NVQ];
	uint64_t tag_base[NVQ];
	uint8_t tag_used[NVQ][RING];	/* blk-mq tags in use */
	gcmd cmd[MAXCMD];
	uint64_t next_lba;		/* sequential reads */
	uint64_t capacity[4];		/* blocks per LUN (0: absent) */
	int fail;
} gen;

static uint8_t g_data[DATA_MAX];
/* images.list, written by main */
static char g_list[4096];
#ifdef GEN_EMU
static int gen_digest(const char *path, uint64_t *out);
#endif

static uint64_t gen_rand(gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

static unsigned gen_pick(gen *g, unsigned n)
{
	return (unsigned)(gen_rand(g) >> 33) % n;
}

static uint64_t gen_between(gen *g, uint64_t lo, uint64_t hi)
{
	return lo + (gen_rand(g) >> 11) % (hi - lo + 1);
}

static uint64_t gen_clock(void *arg)
{
	return ((gen *)arg)->now;
}

static void gen_check(gen *g, int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "gen_captures: %s: %s\n", what,
			vscsi_strerror(rc));
		g->fail = 1;
	}
}

static int gen_open(gen *g, const char *path, uint32_t snaplen)
{
	vscsi_cap_wopts o;
	int err = 0;
	unsigned q, i;

	memset(g, 0, sizeof(*g));
	memset(&o, 0, sizeof(o));
	o.snaplen = snaplen;
	o.flags = VSCSI_CAP_W_OVERWRITE | VSCSI_CAP_W_CALLER_SEQ;
	/* frames of 100 ms of capture time (the writer's bound is a second):
	 * these captures are short, and a truncated copy should keep most
	 * of its frames */
	o.frame_ns = 100 * MS;
	o.clock_ns = gen_clock;
	o.clock_arg = g;
	g->now = T0;
	g->rng = 0x9e3779b97f4a7c15ull;
	vscsi_vs_cfg_default(&g->cfg);
	for (q = 0; q < NVQ; q++) {
		for (i = 0; i < RING; i++)
			g->free_head[q][i] = (uint16_t)(RING - 1 - i);
		g->nfree[q] = RING;
		g->tag_base[q] = 0xffff888104a00000ull + (uint64_t)q * 0x40000;
	}
	g->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	g->w = vscsi_cap_writer_open(path, &o, &err);
	if (!g->w) {
		fprintf(stderr, "gen_captures: %s: %s\n", path,
			vscsi_strerror(err));
		return -1;
	}
	return 0;
}

static int gen_close(gen *g)
{
	gen_check(g, vscsi_cap_writer_close(g->w), "close");
	g->w = NULL;
#ifdef GEN_EMU
	{
		unsigned i;

		for (i = 0; i < g->nemu; i++)
			emu_destroy(g->emus[i]);
		g->nemu = 0;
		g->emu = NULL;
		/* what each image holds at the end: images.list */
		for (i = 0; i < g->nimg; i++) {
			const gimg *m = &g->img[i];
			size_t n = strlen(g_list);
			uint64_t d = 0;

			if (gen_digest(m->path, &d)) {
				perror("gen_captures: digest");
				g->fail = 1;
			}
			snprintf(g_list + n, sizeof(g_list) - n,
				 "%-18s %u:%u %llu serial=%s %016llx\n",
				 g->name, m->target, m->lun,
				 (unsigned long long)m->size, m->serial,
				 (unsigned long long)d);
			unlink(m->path);
		}
		if (g->nimg)
			rmdir(g->dir);
		g->nimg = 0;
	}
#endif
	return g->fail ? -1 : 0;
}

/* Every record goes through here: connection, sequence number, time, and
 * the simulated loss (a record "dropped by the recorder" keeps its
 * number, as the format says). */
static void gen_write(gen *g, vscsi_cap_rec *rec, const struct iovec *iov,
		      unsigned n)
{
	rec->conn = g->conn;
	rec->seq = g->seq++;
	rec->ts_ns = g->now;
	if (g->skip) {
		g->skip--;
		return;
	}
	gen_check(g, vscsi_cap_write(g->w, rec, iov, n), "write");
}

/* ---------------------------------------------------------------- vhost-user */

static void gen_vu(gen *g, unsigned dir, const vscsi_vu_msg *m,
		   unsigned nfds)
{
	uint8_t buf[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD];
	vscsi_cap_rec rec;
	struct iovec iov;
	int n = vscsi_vu_msg_build(m, buf, sizeof(buf));

	gen_check(g, n, "vhost-user build");
	if (n < 0)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_VHOST_USER;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.vu.dir = dir;
	rec.vu.channel = m->channel == VSCSI_VU_BACKEND ? VSCSI_VU_CHAN_BACKEND :
							 VSCSI_VU_CHAN_MAIN;
	rec.vu.nfds = nfds;
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	gen_write(g, &rec, &iov, 1);
	g->now += gen_between(g, 8 * US, 40 * US);
}

static void vu_init(vscsi_vu_msg *m, uint32_t req, unsigned kind, int reply)
{
	memset(m, 0, sizeof(*m));
	m->hdr.request = req;
	m->hdr.flags = VSCSI_VU_VERSION | (reply ? VSCSI_VU_FLAG_REPLY : 0);
	m->channel = VSCSI_VU_FRONTEND;
	m->payload_kind = kind;
}

static void vu_simple(gen *g, uint32_t req)
{
	vscsi_vu_msg m;

	vu_init(&m, req, VSCSI_VU_P_NONE, 0);
	gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 0);
}

static void vu_u64(gen *g, unsigned dir, uint32_t req, int reply,
		   uint64_t v, unsigned nfds)
{
	vscsi_vu_msg m;

	vu_init(&m, req, VSCSI_VU_P_U64, reply);
	m.u.u64 = v;
	gen_vu(g, dir, &m, nfds);
}

static void vu_state(gen *g, uint32_t req, uint32_t index, uint32_t num)
{
	vscsi_vu_msg m;

	vu_init(&m, req, VSCSI_VU_P_STATE, 0);
	m.u.state.index = index;
	m.u.state.num = num;
	gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 0);
}

#define DEV_FEATURES (1ull << VSCSI_F_HOTPLUG | 1ull << VSCSI_F_CHANGE | \
		      1ull << VSCSI_F_RING_INDIRECT_DESC | \
		      1ull << VSCSI_F_RING_EVENT_IDX | \
		      1ull << VSCSI_F_PROTOCOL_FEATURES | \
		      1ull << VSCSI_F_VERSION_1 | 1ull << VSCSI_F_INOUT)
#define ACKED_FEATURES (1ull << VSCSI_F_HOTPLUG | 1ull << VSCSI_F_CHANGE | \
			1ull << VSCSI_F_RING_INDIRECT_DESC | \
			1ull << VSCSI_F_RING_EVENT_IDX | \
			1ull << VSCSI_F_VERSION_1)
#define PROTO_OFFERED (1ull << VSCSI_VU_PF_MQ | 1ull << VSCSI_VU_PF_REPLY_ACK | \
		       1ull << VSCSI_VU_PF_INFLIGHT_SHMFD | \
		       1ull << VSCSI_VU_PF_RESET_DEVICE | \
		       1ull << VSCSI_VU_PF_CONFIGURE_MEM_SLOTS | \
		       1ull << VSCSI_VU_PF_STATUS)
#define PROTO_ACKED (1ull << VSCSI_VU_PF_MQ | 1ull << VSCSI_VU_PF_REPLY_ACK | \
		     1ull << VSCSI_VU_PF_INFLIGHT_SHMFD | \
		     1ull << VSCSI_VU_PF_RESET_DEVICE | \
		     1ull << VSCSI_VU_PF_CONFIGURE_MEM_SLOTS)
#define UVA_BASE 0x7f3a80000000ull

/*
 * The set-up QEMU 7.2 sends a vhost-user-scsi back-end with 2 request
 * queues and 512 MiB of guest RAM: the feature negotiation at start-up,
 * then, when the guest driver is ready, the features, the memory table
 * (asking for an ack) and each ring. vring_base is where the rings resume
 * (0 after boot; the last avail index after a reconnect).
 */
static void gen_vu_setup(gen *g, unsigned nvq, uint16_t vring_base)
{
	static const struct vscsi_vu_region regions[2] = {
		{ 0x0, 0xa0000, UVA_BASE, 0x0 },
		{ 0xc0000, 0x1ff40000, UVA_BASE + 0xc0000, 0xc0000 },
	};
	vscsi_vu_msg m;
	unsigned i;

	vu_simple(g, VSCSI_VU_GET_FEATURES);
	vu_u64(g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_FEATURES, 1, DEV_FEATURES,
	       0);
	vu_simple(g, VSCSI_VU_GET_PROTOCOL_FEATURES);
	vu_u64(g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_PROTOCOL_FEATURES, 1,
	       PROTO_OFFERED, 0);
	vu_u64(g, VSCSI_VU_TO_BACKEND, VSCSI_VU_SET_PROTOCOL_FEATURES, 0,
	       PROTO_ACKED, 0);
	vu_simple(g, VSCSI_VU_GET_QUEUE_NUM);
	vu_u64(g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_QUEUE_NUM, 1, nvq, 0);
	vu_simple(g, VSCSI_VU_GET_MAX_MEM_SLOTS);
	vu_u64(g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_MAX_MEM_SLOTS, 1, 32, 0);
	vu_simple(g, VSCSI_VU_SET_OWNER);
	for (i = 0; i < nvq; i++)
		vu_u64(g, VSCSI_VU_TO_BACKEND, VSCSI_VU_SET_VRING_CALL, 0, i, 1);

	/* the guest driver set DRIVER_OK: the device starts */
	g->now += 180 * MS;
	vu_init(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.num_queues = (uint16_t)nvq;
	m.u.inflight.queue_size = RING;
	gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 0);
	vu_init(&m, VSCSI_VU_GET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 1);
	m.u.inflight.mmap_size = 0x2000;
	m.u.inflight.num_queues = (uint16_t)nvq;
	m.u.inflight.queue_size = RING;
	gen_vu(g, VSCSI_VU_TO_FRONTEND, &m, 1);
	vu_init(&m, VSCSI_VU_SET_INFLIGHT_FD, VSCSI_VU_P_INFLIGHT, 0);
	m.u.inflight.mmap_size = 0x2000;
	m.u.inflight.num_queues = (uint16_t)nvq;
	m.u.inflight.queue_size = RING;
	gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 1);
	vu_u64(g, VSCSI_VU_TO_BACKEND, VSCSI_VU_SET_FEATURES, 0,
	       ACKED_FEATURES | 1ull << VSCSI_F_PROTOCOL_FEATURES, 0);
	vu_init(&m, VSCSI_VU_SET_MEM_TABLE, VSCSI_VU_P_MEM_TABLE, 0);
	m.hdr.flags |= VSCSI_VU_FLAG_NEED_REPLY;
	m.u.mem.nregions = 2;
	memcpy(m.u.mem.regions, regions, sizeof(regions));
	gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 2);
	vu_u64(g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_SET_MEM_TABLE, 1, 0, 0);
	for (i = 0; i < nvq; i++) {
		uint64_t gpa = 0x1f000000ull + (uint64_t)i * 0x4000;

		vu_state(g, VSCSI_VU_SET_VRING_NUM, i, RING);
		vu_state(g, VSCSI_VU_SET_VRING_BASE, i,
			 i == VSCSI_VQ_EVENT ? 0 : vring_base);
		vu_init(&m, VSCSI_VU_SET_VRING_ADDR, VSCSI_VU_P_ADDR, 0);
		m.u.addr.index = i;
		m.u.addr.desc = UVA_BASE + gpa;
		m.u.addr.avail = UVA_BASE + gpa + 16 * RING;
		m.u.addr.used = UVA_BASE + gpa + 0x1000;
		gen_vu(g, VSCSI_VU_TO_BACKEND, &m, 0);
		vu_u64(g, VSCSI_VU_TO_BACKEND, VSCSI_VU_SET_VRING_KICK, 0, i, 1);
		vu_u64(g, VSCSI_VU_TO_BACKEND, VSCSI_VU_SET_VRING_CALL, 0, i, 1);
	}
	for (i = 0; i < nvq; i++)
		vu_state(g, VSCSI_VU_SET_VRING_ENABLE, i, 1);
}

static void gen_session(gen *g, uint64_t features, uint64_t proto,
			unsigned nvq, uint32_t snaplen, unsigned flags)
{
	static const uint16_t sizes[NVQ] = { RING, RING, RING, RING, RING,
					     RING };
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_SESSION;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.session.features = features;
	rec.session.protocol_features = proto;
	rec.session.cdb_size = VSCSI_CDB_DEFAULT;
	rec.session.sense_size = VSCSI_SENSE_DEFAULT;
	rec.session.snaplen = snaplen;
	rec.session.num_queues = (uint16_t)nvq;
	rec.session.queue_sizes = sizes;
	rec.session.flags = flags;
	rec.session.tool = "gen_captures";
	rec.session.tool_version = "1";
	gen_write(g, &rec, NULL, 0);
	g->cfg.features = features;
	g->cfg.legacy_big_endian = (flags & VSCSI_SESSF_BIG_ENDIAN) != 0;
}

/* ---------------------------------------------------------------- chains */

static unsigned gen_segs(uint32_t len)
{
	return (len + 4095u) / 4096u;
}

static uint16_t gen_head(gen *g, unsigned vq)
{
	if (!g->nfree[vq]) {
		fprintf(stderr, "gen_captures: ring %u full\n", vq);
		exit(1);
	}
	return g->free_head[vq][--g->nfree[vq]];
}

static void gen_free_head(gen *g, unsigned vq, uint16_t head)
{
	g->free_head[vq][g->nfree[vq]++] = head;
}

/* Data for a command: a 512-byte sector pattern that names its LBA. */
static const uint8_t *gen_pattern(uint64_t lba, uint32_t len)
{
	uint32_t off;

	if (len > DATA_MAX)
		len = DATA_MAX;
	for (off = 0; off < len; off += BLOCK) {
		uint64_t b = lba + off / BLOCK;

		memset(g_data + off, (int)(0x20 + b % 0x5f), BLOCK);
		snprintf((char *)g_data + off, 32, "sector %llu ",
			 (unsigned long long)b);
	}
	return g_data;
}

/*
 * vscsi-replay's fill (vscsi-replay(1), FILL), the data of every write
 * here: 64-byte lines of eight little-endian words mix(seed + k), the first
 * XORed with the line number, seed = XXH3-64 of the LUN field and the CDB
 * field (cdb_size bytes).
 */
static uint64_t fill_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void gen_fill(const gcmd *c, uint8_t *buf, uint32_t len)
{
	uint8_t in[8 + VSCSI_CDB_DEFAULT], line[64];
	uint64_t seed;
	uint32_t off;
	unsigned k;

	memcpy(in, c->req.lun.raw, 8);
	memcpy(in + 8, c->req.cdb, VSCSI_CDB_DEFAULT);
	seed = XXH3_64bits(in, sizeof(in));
	for (k = 0; k < 8; k++)
		vscsi_put_le64(line + 8 * k, fill_mix(seed + k));
	for (off = 0; off < len; off += 64) {
		uint8_t l[64];

		memcpy(l, line, 64);
		vscsi_put_le64(l, fill_mix(seed) ^ (off / 64));
		memcpy(buf + off, l, len - off < 64 ? len - off : 64);
	}
}

#ifdef GEN_EMU
static void gen_tmf_done(void *arg, void *opaque, uint8_t response)
{
	(void)arg;
	((gcmd *)opaque)->response = response;
}

static void gen_cmd_done(void *arg, void *opaque, const emu_result *res)
{
	(void)arg;
	(void)opaque;
	(void)res;
}

/* The emulation answers c now (commands run in submission order). */
static void gen_exec(gen *g, gcmd *c)
{
	struct iovec dout, din;
	emu_request er;
	emu_result res;
	vscsi_lun lun;

	if (!g->emu)
		return;
	if (c->ctrl) {
		if (c->tmf.type != VSCSI_T_TMF) {
			/* AN: no event class, as --serve answers */
			c->response = VSCSI_S_OK;
			return;
		}
		if (emu_tmf(g->emu, &c->tmf.lun, c->tmf.subtype, c->tmf.tag,
			    c) || emu_drain(g->emu))
			gen_check(g, VSCSI_ERR_IO, "emulation TMF");
		return;
	}
	c->buf = calloc(1, (size_t)c->out_len + c->in_alloc + 1);
	if (!c->buf) {
		gen_check(g, VSCSI_ERR_NOMEM, "data buffer");
		return;
	}
	if (c->out_len) {
		if (c->out_data)
			memcpy(c->buf, c->out_data, c->out_len);
		else
			gen_fill(c, c->buf, c->out_len);
		c->out_data = c->buf;
	}
	memset(&er, 0, sizeof(er));
	vscsi_lun_decode(c->req.lun.raw, &lun);
	er.lun = lun;
	er.tag = c->req.tag;
	er.task_attr = c->req.task_attr;
	er.cdb = c->req.cdb;
	er.cdb_len = VSCSI_CDB_DEFAULT;
	if (c->out_len) {
		dout.iov_base = c->buf;
		dout.iov_len = c->out_len;
		er.dout = &dout;
		er.dout_cnt = 1;
	}
	if (c->in_alloc) {
		din.iov_base = c->buf + c->out_len;
		din.iov_len = c->in_alloc;
		er.din = &din;
		er.din_cnt = 1;
	}
	if (emu_exec_sync(g->emu, &er, &res)) {
		gen_check(g, VSCSI_ERR_IO, "emulation");
		return;
	}
	c->response = res.response;
	c->status = res.status;
	c->resid = res.resid;
	c->sense_len = (uint16_t)(res.sense_len < sizeof(c->sense) ?
				  res.sense_len : sizeof(c->sense));
	memcpy(c->sense, res.sense, c->sense_len);
	c->in_len = res.data_in_len;
	c->in_data = c->buf + c->out_len;
}

/* A device (an emulation with every image as a LUN) for the current
 * connection. */
static void gen_device(gen *g)
{
	emu_ops ops;
	unsigned i;

	memset(&ops, 0, sizeof(ops));
	ops.cmd_done = gen_cmd_done;
	ops.tmf_done = gen_tmf_done;
	if (emu_create(&ops, &g->emu)) {
		gen_check(g, VSCSI_ERR_NOMEM, "emulation");
		return;
	}
	g->emus[g->nemu++] = g->emu;
	for (i = 0; i < g->nimg; i++) {
		emu_lun_cfg cfg;
		char spec[256], err[256];

		snprintf(spec, sizeof(spec), "%u:%u=%s,serial=%s",
			 g->img[i].target, g->img[i].lun, g->img[i].path,
			 g->img[i].serial);
		if (emu_lun_parse(spec, &cfg, err, sizeof(err)) ||
		    emu_lun_add(g->emu, &cfg, 0, err, sizeof(err))) {
			fprintf(stderr, "gen_captures: %s: %s\n", spec, err);
			g->fail = 1;
		}
	}
}

/* Sparse images of the given sizes, then a device over them. */
static void gen_images(gen *g, const gimg *imgs, unsigned n)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	unsigned i;

	snprintf(g->dir, sizeof(g->dir), "%s/gen_captures.XXXXXX", base);
	if (!mkdtemp(g->dir)) {
		perror("gen_captures: mkdtemp");
		g->fail = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		int fd;

		g->img[i] = imgs[i];
		snprintf(g->img[i].path, sizeof(g->img[i].path), "%s/%u_%u.img",
			 g->dir, imgs[i].target, imgs[i].lun);
		fd = open(g->img[i].path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)imgs[i].size) < 0) {
			perror("gen_captures: image");
			g->fail = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	g->nimg = n;
	gen_device(g);
}

/* vscsi-replay's image digest (vscsi-replay(1), IMAGE DIGEST): XXH3-64 over
 * each 4 KiB block that is not all zeros, as its number (le64) and its
 * bytes, then the size (le64). */
static int gen_digest(const char *path, uint64_t *out)
{
	static uint8_t b[4096];
	XXH3_state_t *st = XXH3_createState();
	struct stat sb;
	uint64_t pos = 0, blk;
	uint8_t num[8];
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !st || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		XXH3_freeState(st);
		return -1;
	}
	XXH3_64bits_reset(st);
	while (pos < (uint64_t)sb.st_size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
		ssize_t n;
		size_t i;

		if (d < 0)
			break;
		blk = (uint64_t)d / 4096;
		memset(b, 0, sizeof(b));
		n = pread(fd, b, sizeof(b), (off_t)(blk * 4096));
		if (n <= 0)
			break;
		for (i = 0; i < sizeof(b) && !b[i]; i++)
			;
		if (i < sizeof(b)) {
			vscsi_put_le64(num, blk);
			XXH3_64bits_update(st, num, 8);
			XXH3_64bits_update(st, b, sizeof(b));
		}
		pos = (blk + 1) * 4096;
	}
	vscsi_put_le64(num, (uint64_t)sb.st_size);
	XXH3_64bits_update(st, num, 8);
	*out = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	close(fd);
	return 0;
}
#else
static void gen_exec(gen *g, gcmd *c)
{
	(void)g;
	(void)c;
}

static void gen_images(gen *g, const gimg *imgs, unsigned n)
{
	(void)imgs;
	(void)n;
	fprintf(stderr, "gen_captures: built without the emulation "
		"(tools/common): only --slow works\n");
	g->fail = 1;
}
#endif

static void gen_chain_rec(gen *g, vscsi_cap_rec *rec, unsigned type,
			  const gcmd *c)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->vq = c->vq;
	rec->head = c->head;
	rec->flags = g->chain_flags;
	if (c->ctrl) {
		rec->n_readable = 1;
		rec->n_writable = 1;
		rec->readable_bytes = vscsi_vs_ctrl_req_size(c->tmf.type);
		rec->writable_bytes = vscsi_vs_ctrl_resp_size(c->tmf.type);
		rec->flags |= VSCSI_RECF_INDIRECT;
		return;
	}
	rec->n_readable = (uint16_t)(1 + gen_segs(c->out_len));
	rec->n_writable = (uint16_t)(1 + gen_segs(c->in_alloc));
	rec->readable_bytes = REQ_HDR + c->out_len;
	rec->writable_bytes = RESP_HDR + c->in_alloc;
	if (!(g->chain_flags & VSCSI_RECF_PACKED))
		rec->flags |= VSCSI_RECF_INDIRECT;
}

static gcmd *gen_slot(gen *g)
{
	unsigned i;

	for (i = 0; i < MAXCMD; i++)
		if (!g->cmd[i].used) {
			memset(&g->cmd[i], 0, sizeof(g->cmd[i]));
			g->cmd[i].used = 1;
			return &g->cmd[i];
		}
	fprintf(stderr, "gen_captures: too many commands in flight\n");
	exit(1);
}

/* A command: the caller fills the CDB and the answer afterwards. */
static gcmd *gen_cmd(gen *g, unsigned vq, uint8_t target, uint16_t lun,
		     const uint8_t *cdb, size_t cdb_len, uint32_t out_len,
		     uint32_t in_alloc)
{
	gcmd *c = gen_slot(g);

	c->vq = (uint16_t)vq;
	vscsi_lun_encode(c->req.lun.raw, target, lun, 1);
	/* the tag is the scsi_cmnd's address: blk-mq's lowest free tag in
	 * the queue's preallocated requests */
	for (c->tagidx = 0; c->tagidx < RING - 1 && g->tag_used[vq][c->tagidx];
	     c->tagidx++)
		;
	g->tag_used[vq][c->tagidx] = 1;
	c->req.tag = g->tag_base[vq] + (uint64_t)c->tagidx * 0x340;
	c->req.task_attr = VSCSI_TASK_SIMPLE;
	c->req.cdb_size = (uint16_t)cdb_len;
	memcpy(c->req.cdb, cdb, cdb_len);
	c->out_len = out_len;
	c->in_alloc = in_alloc;
	c->in_len = in_alloc;
	return c;
}

static void gen_submit(gen *g, gcmd *c)
{
	uint8_t hdr[REQ_HDR + 8];
	struct iovec iov[2];
	vscsi_cap_rec rec;
	unsigned n = 1;
	int k;

	c->head = gen_head(g, c->vq);
	g->qd[c->vq]++;
	gen_exec(g, c);
	gen_chain_rec(g, &rec, VSCSI_REC_REQUEST, c);
	if (c->ctrl) {
		k = vscsi_vs_ctrl_req_build(&g->cfg, &c->tmf, hdr, sizeof(hdr));
		gen_check(g, k, "ctrl build");
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)(k > 0 ? k : 0);
		rec.hdr_len = (uint32_t)iov[0].iov_len;
		gen_write(g, &rec, iov, 1);
		return;
	}
	k = vscsi_vs_cmd_req_build(&g->cfg, &c->req, hdr, sizeof(hdr));
	gen_check(g, k, "request build");
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)(k > 0 ? k : 0);
	if (c->out_len) {
		iov[1].iov_base = (void *)(uintptr_t)(c->out_data ?
			c->out_data : gen_pattern(c->lba, c->out_len));
		iov[1].iov_len = c->out_len;
		n = 2;
	}
	rec.hdr_len = (uint32_t)iov[0].iov_len;
	gen_write(g, &rec, iov, n);
}

static void gen_complete(gen *g, gcmd *c)
{
	uint8_t hdr[RESP_HDR + 8];
	struct iovec iov[2];
	vscsi_cap_rec rec;
	unsigned n = 1;
	int k;

	gen_chain_rec(g, &rec, VSCSI_REC_COMPLETION, c);
	if (c->ctrl) {
		vscsi_ctrl_resp r;

		memset(&r, 0, sizeof(r));
		r.type = c->tmf.type;
		r.response = c->response;
		k = vscsi_vs_ctrl_resp_build(&g->cfg, &r, hdr, sizeof(hdr));
		gen_check(g, k, "ctrl response build");
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)(k > 0 ? k : 0);
		rec.hdr_len = (uint32_t)iov[0].iov_len;
		rec.used_len = rec.hdr_len;
	} else {
		vscsi_cmd_resp r;

		memset(&r, 0, sizeof(r));
		r.response = c->response;
		r.status = c->status;
		r.resid = c->resid;
		r.sense_len = c->sense_len;
		memcpy(r.sense, c->sense, c->sense_len);
		k = vscsi_vs_cmd_resp_build(&g->cfg, &r, hdr, sizeof(hdr));
		gen_check(g, k, "response build");
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)(k > 0 ? k : 0);
		if (c->in_len) {
			iov[1].iov_base = (void *)(uintptr_t)(c->in_data ?
				c->in_data : gen_pattern(c->lba, c->in_len));
			iov[1].iov_len = c->in_len;
			n = 2;
		}
		rec.hdr_len = (uint32_t)iov[0].iov_len;
		rec.used_len = rec.hdr_len + c->in_len;
	}
	gen_write(g, &rec, iov, n);
	gen_free_head(g, c->vq, c->head);
	g->qd[c->vq]--;
	if (!c->ctrl)
		g->tag_used[c->vq][c->tagidx] = 0;
	free(c->buf);
	c->buf = NULL;
	c->used = 0;
}

/* Submit, wait lat, complete: the synchronous commands of a scan. */
static void gen_sync(gen *g, gcmd *c, uint64_t lat)
{
	gen_submit(g, c);
	g->now += lat;
	gen_complete(g, c);
	g->now += gen_between(g, 3 * US, 20 * US);
}

/* ---------------------------------------------------------------- events */

static uint16_t g_evt_heads[8];

static void gen_event_buffer(gen *g, unsigned i)
{
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_REQUEST;
	rec.vq = VSCSI_VQ_EVENT;
	g_evt_heads[i] = gen_head(g, VSCSI_VQ_EVENT);
	rec.head = g_evt_heads[i];
	rec.flags = g->chain_flags;
	rec.n_writable = 1;
	rec.writable_bytes = VSCSI_EVENT_SIZE;
	gen_write(g, &rec, NULL, 0);
}

static void gen_event_buffers(gen *g)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		gen_event_buffer(g, i);
}

/* The device fills event buffer i; the driver posts it again. */
static void gen_event(gen *g, unsigned i, uint32_t event, uint8_t target,
		      uint16_t lun, uint32_t reason)
{
	uint8_t buf[VSCSI_EVENT_SIZE];
	vscsi_cap_rec rec;
	vscsi_event ev;
	struct iovec iov;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	vscsi_lun_encode(ev.lun.raw, target, lun, 0);
	ev.reason = reason;
	gen_check(g, vscsi_vs_event_build(&g->cfg, &ev, buf, sizeof(buf)),
		  "event build");
	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_COMPLETION;
	rec.vq = VSCSI_VQ_EVENT;
	rec.head = g_evt_heads[i];
	rec.flags = g->chain_flags;
	rec.n_writable = 1;
	rec.writable_bytes = VSCSI_EVENT_SIZE;
	rec.used_len = VSCSI_EVENT_SIZE;
	rec.hdr_len = VSCSI_EVENT_SIZE;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	gen_write(g, &rec, &iov, 1);
	gen_free_head(g, VSCSI_VQ_EVENT, g_evt_heads[i]);
	g->now += gen_between(g, 20 * US, 60 * US);
	gen_event_buffer(g, i);
}

static void gen_loss(gen *g, uint64_t count, unsigned reason,
		     uint64_t since, const char *text)
{
	vscsi_cap_rec rec;
	struct iovec iov;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_LOSS;
	rec.vq = VSCSI_CAP_VQ_NONE;
	rec.loss.count = count;
	rec.loss.since_ns = since;
	rec.loss.reason = reason;
	iov.iov_base = (void *)(uintptr_t)text;
	iov.iov_len = strlen(text);
	gen_write(g, &rec, &iov, 1);
}

static void gen_notify(gen *g, unsigned vq, unsigned kind)
{
	vscsi_cap_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = VSCSI_REC_NOTIFY;
	rec.vq = (uint16_t)vq;
	rec.notify.kind = kind;
	gen_write(g, &rec, NULL, 0);
}

/* ---------------------------------------------------------------- SCSI */

static void cdb6(uint8_t *c, uint8_t op, uint8_t b1, uint8_t b2,
		 uint8_t b4)
{
	memset(c, 0, 6);
	c[0] = op;
	c[1] = b1;
	c[2] = b2;
	c[4] = b4;
}

static void cdb10(uint8_t *c, uint8_t op, uint8_t b1, uint32_t lba,
		  uint16_t len)
{
	memset(c, 0, 10);
	c[0] = op;
	c[1] = b1;
	vscsi_put_be32(c + 2, lba);
	vscsi_put_be16(c + 7, len);
}

static void cdb16(uint8_t *c, uint8_t op, uint8_t b1, uint64_t lba,
		  uint32_t len)
{
	memset(c, 0, 16);
	c[0] = op;
	c[1] = b1;
	vscsi_put_be64(c + 2, lba);
	vscsi_put_be32(c + 10, len);
}

/* The Linux scan of one LUN that exists (scsi_probe_lun, sd_revalidate):
 * the answers are the device's (the first TEST UNIT READY meets its
 * unit attention). */
static void gen_scan_lun(gen *g, uint8_t target, uint16_t lun)
{
	static const uint8_t pages[6] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	uint8_t cdb[16];
	gcmd *c;
	unsigned i;

	cdb6(cdb, 0x12, 0, 0, 36);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 36);
	gen_sync(g, c, 38 * US);
	cdb6(cdb, 0x12, 0, 0, 96);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 96);
	gen_sync(g, c, 31 * US);
	/* sd_spinup_disk: the first TEST UNIT READY sees the reset */
	cdb6(cdb, 0x00, 0, 0, 0);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 0);
	gen_sync(g, c, 24 * US);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 0);
	gen_sync(g, c, 19 * US);
	/* sd_read_capacity */
	cdb16(cdb, 0x9e, 0x10, 0, 32);
	c = gen_cmd(g, 2, target, lun, cdb, 16, 0, 32);
	gen_sync(g, c, 27 * US);
	/* sd_read_write_protect_flag, sd_read_cache_type */
	cdb6(cdb, 0x1a, 0, 0x3f, 4);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 4);
	gen_sync(g, c, 22 * US);
	cdb6(cdb, 0x1a, 0x08, 0x08, 24);
	c = gen_cmd(g, 2, target, lun, cdb, 6, 0, 24);
	gen_sync(g, c, 22 * US);
	/* scsi_attach_vpd, sd_read_block_limits, ... */
	for (i = 0; i < sizeof(pages); i++) {
		cdb6(cdb, 0x12, 0x01, pages[i], pages[i] >= 0xb0 ? 64 : 255);
		c = gen_cmd(g, 2, target, lun, cdb, 6, 0,
			    pages[i] >= 0xb0 ? 64 : 255);
		gen_sync(g, c, gen_between(g, 20 * US, 40 * US));
	}
	/* sd_read_write_same: REPORT SUPPORTED OPERATION CODES, one command
	 * (WRITE SAME(16)) */
	memset(cdb, 0, 12);
	cdb[0] = 0xa3;
	cdb[1] = 0x0c;
	cdb[2] = 0x01;
	cdb[3] = 0x93;
	vscsi_put_be32(cdb + 6, 512);
	c = gen_cmd(g, 2, target, lun, cdb, 12, 0, 512);
	gen_sync(g, c, 17 * US);
}

static void gen_read_sync(gen *g, unsigned vq, uint16_t lun, uint32_t lba,
			  uint16_t blocks, uint64_t lat)
{
	uint8_t cdb[10];
	gcmd *c;

	cdb10(cdb, 0x28, 0, lba, blocks);
	c = gen_cmd(g, vq, 0, lun, cdb, 10, 0, (uint32_t)blocks * BLOCK);
	c->lba = lba;
	gen_sync(g, c, lat);
}

/* ---------------------------------------------------------------- workload */

/* A pending completion, earliest first; NULL when none. */
static gcmd *gen_next_due(gen *g)
{
	gcmd *best = NULL;
	unsigned i;

	for (i = 0; i < MAXCMD; i++) {
		gcmd *c = &g->cmd[i];

		if (c->used && c->due != NEVER && (!best || c->due < best->due))
			best = c;
	}
	return best;
}

enum { IO_READ, IO_WRITE, IO_FUA, IO_SYNC, IO_UNMAP, IO_WSAME };

/* One random I/O of the mix; special = 1 makes it a read past the end of
 * the LUN, 2 an UNMAP past the end (both fail: LBA OUT OF RANGE). */
static gcmd *gen_random_io(gen *g, unsigned vq, uint16_t lun, int special)
{
	static const uint16_t sizes[] = { 8, 8, 8, 8, 16, 32, 64, 128, 256 };
	uint64_t cap = g->capacity[lun];
	unsigned kind, r = gen_pick(g, 100);
	uint16_t blocks = sizes[gen_pick(g, sizeof(sizes) / sizeof(sizes[0]))];
	uint64_t lba = (gen_rand(g) % (cap - 512)) & ~7ull;
	uint8_t cdb[16];
	gcmd *c;

	if (special == 1)
		kind = IO_READ;
	else if (special == 2)
		kind = IO_UNMAP;
	else
		kind = r < 55 ? IO_READ : r < 82 ? IO_WRITE : r < 88 ? IO_FUA :
		       r < 94 ? IO_SYNC : r < 97 ? IO_UNMAP : IO_WSAME;
	if (kind == IO_READ && gen_pick(g, 3) == 0 && g->next_lba + 256 < cap)
		lba = g->next_lba;	/* a sequential run */
	if (special)
		lba = 0xffff0000ull;	/* past the end of every LUN here */

	switch (kind) {
	case IO_READ:
		cdb10(cdb, 0x28, 0, (uint32_t)lba, blocks);
		c = gen_cmd(g, vq, 0, lun, cdb, 10, 0, blocks * BLOCK);
		c->due = g->now + gen_between(g, 45 * US, 420 * US);
		if (special != 1)
			g->next_lba = lba + blocks;
		break;
	case IO_WRITE:
	case IO_FUA:
		cdb10(cdb, 0x2a, kind == IO_FUA ? 0x08 : 0, (uint32_t)lba,
		      blocks);
		c = gen_cmd(g, vq, 0, lun, cdb, 10, blocks * BLOCK, 0);
		c->due = g->now + (kind == IO_FUA ?
				   gen_between(g, 300 * US, 1500 * US) :
				   gen_between(g, 35 * US, 260 * US));
		break;
	case IO_SYNC:
		cdb10(cdb, 0x35, 0, 0, 0);
		c = gen_cmd(g, vq, 0, lun, cdb, 10, 0, 0);
		c->due = g->now + gen_between(g, 900 * US, 3200 * US);
		break;
	case IO_UNMAP: {
		static uint8_t list[24];

		memset(list, 0, sizeof(list));
		vscsi_put_be16(list, 22);
		vscsi_put_be16(list + 2, 16);
		vscsi_put_be64(list + 8, lba);
		vscsi_put_be32(list + 16, 2048);
		memset(cdb, 0, 10);
		cdb[0] = 0x42;
		vscsi_put_be16(cdb + 7, 24);
		c = gen_cmd(g, vq, 0, lun, cdb, 10, 24, 0);
		c->due = g->now + gen_between(g, 120 * US, 480 * US);
		c->out_data = list;
		break;
	}
	default:
		cdb16(cdb, 0x93, 0x08, lba, 2048);
		c = gen_cmd(g, vq, 0, lun, cdb, 16, BLOCK, 0);
		c->due = g->now + gen_between(g, 150 * US, 600 * US);
		break;
	}
	c->lba = lba;
	return c;
}

/*
 * n I/Os in bursts of 4..24 with 3..15 ms between bursts, on request
 * queues 2 and 3 (at most 16 in flight each), on the LUNs in luns. The
 * special-th I/O reads past the end (when special_at > 0); unmap_bad-th is
 * an UNMAP past the end. Ends when all have completed (except those that
 * never do).
 */
static void gen_phase(gen *g, unsigned n, const uint16_t *luns, unsigned nluns,
		      unsigned special_at, unsigned unmap_bad_at)
{
	unsigned submitted = 0, burst = 0;
	uint64_t arrival = g->now + gen_between(g, 2 * MS, 6 * MS);

	for (;;) {
		gcmd *due = gen_next_due(g);

		if (submitted < n && (!due || arrival <= due->due)) {
			unsigned vq = 2 + gen_pick(g, 2), special = 0;
			gcmd *c;

			if (g->qd[vq] >= 16)
				vq = vq == 2 ? 3 : 2;
			if (g->qd[vq] >= 16) {
				arrival = due->due + 1;
				continue;
			}
			if (arrival > g->now)
				g->now = arrival;
			submitted++;
			if (submitted == special_at)
				special = 1;
			if (submitted == unmap_bad_at)
				special = 2;
			c = gen_random_io(g, vq, luns[gen_pick(g, nluns)],
					  (int)special);
			gen_submit(g, c);
			if (burst == 0) {
				burst = (unsigned)gen_between(g, 4, 24);
				arrival = g->now + gen_between(g, 3 * MS,
							       15 * MS);
			} else {
				burst--;
				arrival = g->now + gen_between(g, 1 * US,
							       6 * US);
			}
			continue;
		}
		if (!due)
			break;
		if (due->due > g->now)
			g->now = due->due;
		gen_complete(g, due);
	}
}

/* ---------------------------------------------------------------- files */

/* A guest boots: set-up, session, event buffers, the target scan (three
 * targets that do not exist answer BAD_TARGET), the disk's probe, the
 * partition scan and the first reads of a mount. */
static int write_boot(const char *path)
{
	static const gimg luns[1] = { { 0, 0, 1ull << 30, "lun0", "" } };
	static gen g;
	uint8_t cdb[16];
	gcmd *c;
	unsigned t, i;

	if (gen_open(&g, path, 256))
		return -1;
	gen_images(&g, luns, 1);
	g.capacity[0] = 2097152;	/* 1 GiB */
	gen_vu_setup(&g, 4, 0);
	gen_session(&g, ACKED_FEATURES, PROTO_ACKED, 4, 256, 0);
	g.now += 2 * MS;
	gen_event_buffers(&g);
	g.now += 11 * MS;

	/* scsi_scan_host: target 0 LUN 0, REPORT LUNS, other targets (no
	 * LUN there: BAD_TARGET) */
	cdb6(cdb, 0x12, 0, 0, 36);
	c = gen_cmd(&g, 2, 0, 0, cdb, 6, 0, 36);
	gen_sync(&g, c, 41 * US);
	memset(cdb, 0, 12);
	cdb[0] = 0xa0;
	vscsi_put_be32(cdb + 6, 4096);
	c = gen_cmd(&g, 2, 0, 0, cdb, 12, 0, 4096);
	gen_sync(&g, c, 29 * US);
	for (t = 1; t <= 3; t++) {
		cdb6(cdb, 0x12, 0, 0, 36);
		c = gen_cmd(&g, 2, (uint8_t)t, 0, cdb, 6, 0, 36);
		gen_sync(&g, c, 12 * US);
	}
	g.now += 3 * MS;
	gen_scan_lun(&g, 0, 0);

	/* the partition table (LBA 0 and the backup GPT at the end), then a
	 * file system's first reads */
	g.now += 4 * MS;
	gen_read_sync(&g, 2, 0, 0, 8, 95 * US);
	gen_read_sync(&g, 2, 0, 2097144, 8, 88 * US);
	gen_read_sync(&g, 3, 0, 8, 24, 102 * US);
	g.now += 30 * MS;
	for (i = 0; i < 12; i++)
		gen_read_sync(&g, 2 + (i & 1), 0, 2048 + i * 64, 64,
			      gen_between(&g, 90 * US, 240 * US));
	return gen_close(&g);
}

/*
 * A back-end restarted under a running guest: QEMU reconnects and sends the
 * set-up again (the rings resume at their last index), then the guest's I/O
 * goes on: a mix on two queues with up to 16 in flight each, a read that
 * fails on the medium, a read that hangs and is aborted, a LUN hot-plugged
 * (TRANSPORT_RESET RESCAN, then its scan), a capacity change
 * (PARAM_CHANGE 2A/09), an UNMAP past the end, a burst the recorder could
 * not keep (five records lost, one loss note), and a read still in flight
 * when the capture ends.
 */
static int write_mixed(const char *path)
{
	/* LUN 0:0's image is 2 GiB from the start: the replay does not
	 * resize images, so the capacity change below is an event only */
	static const gimg luns[2] = {
		{ 0, 0, 2ull << 30, "lun0", "" },
		{ 0, 1, 2ull << 30, "lun1", "" },
	};
	static const uint16_t lun0[1] = { 0 };
	static const uint16_t both[2] = { 0, 1 };
	static gen g;
	uint8_t cdb[16];
	uint64_t stuck_at, since;
	gcmd *stuck, *c, *a, *b;
	unsigned i;

	if (gen_open(&g, path, 256))
		return -1;
	gen_images(&g, luns, 2);
	g.rng = 0x2545f4914f6cdd1dull;
	g.capacity[0] = 2097152;
	gen_vu_setup(&g, 4, 1234);
	gen_session(&g, ACKED_FEATURES, PROTO_ACKED, 4, 256, 0);
	g.now += 1 * MS;
	gen_event_buffers(&g);

	gen_phase(&g, 45, lun0, 1, 31, 0);
	/* a read the device never answers */
	cdb10(cdb, 0x28, 0, 777216, 8);
	stuck = gen_cmd(&g, 3, 0, 0, cdb, 10, 0, 8 * BLOCK);
	stuck->due = NEVER;
	gen_submit(&g, stuck);
	stuck_at = g.now;
	gen_phase(&g, 50, lun0, 1, 0, 0);
	/* the guest's timeout: ABORT TASK; the command ends ABORTED */
	if (g.now < stuck_at + 300 * MS)
		g.now = stuck_at + 300 * MS;
	c = gen_slot(&g);
	c->vq = VSCSI_VQ_CONTROL;
	c->ctrl = 1;
	c->tmf.type = VSCSI_T_TMF;
	c->tmf.subtype = VSCSI_TMF_ABORT_TASK;
	c->tmf.lun = stuck->req.lun;
	c->tmf.tag = stuck->req.tag;
	gen_submit(&g, c);
	g.now += 85 * US;
	stuck->response = VSCSI_S_ABORTED;
	stuck->status = 0;
	stuck->sense_len = 0;
	stuck->resid = stuck->in_alloc;
	stuck->in_len = 0;
	gen_complete(&g, stuck);
	g.now += 12 * US;
	gen_complete(&g, c);

	/* LUN 1 is hot-plugged */
	g.now += 40 * MS;
	g.capacity[1] = 4194304;	/* 2 GiB */
	gen_event(&g, 0, VSCSI_EVT_TRANSPORT_RESET, 0, 1,
		  VSCSI_EVT_RESET_RESCAN);
	g.now += 2 * MS;
	gen_scan_lun(&g, 0, 1);
	gen_phase(&g, 40, both, 2, 0, 17);

	/* LUN 0 grows */
	g.now += 20 * MS;
	g.capacity[0] = 4194304;
	gen_event(&g, 1, VSCSI_EVT_PARAM_CHANGE, 0, 0, 0x2a | 0x09 << 8);
	cdb16(cdb, 0x9e, 0x10, 0, 32);
	c = gen_cmd(&g, 2, 0, 0, cdb, 16, 0, 32);
	gen_sync(&g, c, 26 * US);

	/* the recorder falls behind: two reads and the request of a third
	 * are lost; its completion is recorded (reads: what the lost
	 * requests did leaves no trace a replay would miss) */
	g.now += 5 * MS;
	since = g.now;
	g.skip = 5;
	cdb10(cdb, 0x28, 0, 4096, 8);
	a = gen_cmd(&g, 2, 0, 1, cdb, 10, 0, 8 * BLOCK);
	gen_submit(&g, a);
	g.now += 3 * US;
	cdb10(cdb, 0x28, 0, 8192, 8);
	b = gen_cmd(&g, 3, 0, 1, cdb, 10, 0, 8 * BLOCK);
	gen_submit(&g, b);
	g.now += 60 * US;
	gen_complete(&g, a);
	g.now += 10 * US;
	gen_complete(&g, b);
	g.now += 5 * US;
	cdb10(cdb, 0x28, 0, 12288, 16);
	c = gen_cmd(&g, 2, 0, 1, cdb, 10, 0, 16 * BLOCK);
	c->lba = 12288;
	gen_submit(&g, c);
	g.now += 40 * US;
	gen_loss(&g, 5, VSCSI_LOSS_QUEUE_FULL, since,
		 "recorder queue full");
	g.now += 50 * US;
	gen_complete(&g, c);

	gen_phase(&g, 25, both, 2, 0, 0);
	for (i = 0; i < 2; i++) {
		cdb10(cdb, 0x35, 0, 0, 0);
		c = gen_cmd(&g, 2 + i, 0, (uint16_t)i, cdb, 10, 0, 0);
		gen_sync(&g, c, 1800 * US);
	}
	/* the capture ends with this read in flight */
	g.now += 3 * MS;
	cdb10(cdb, 0x28, 0, 524288, 32);
	c = gen_cmd(&g, 3, 0, 1, cdb, 10, 0, 32 * BLOCK);
	c->due = NEVER;
	gen_submit(&g, c);
	for (i = 0; i < 3; i++) {
		g.now += 900 * US;
		gen_read_sync(&g, 2, 0, 8192 + i * 8, 8,
			      gen_between(&g, 60 * US, 140 * US));
	}
	return gen_close(&g);
}

/* Write a record as given (unknown types and versions, damaged fields). */
static void gen_raw(gen *g, uint8_t version, uint8_t type, uint16_t hdr_len,
		    const void *body, size_t body_len)
{
	uint8_t rec[128];
	size_t len = (size_t)hdr_len + body_len;

	memset(rec, 0, sizeof(rec));
	rec[0] = version;
	rec[1] = type;
	vscsi_put_le16(rec + 2, hdr_len);
	vscsi_put_le32(rec + 4, (uint32_t)len);
	vscsi_put_le32(rec + 8, g->conn);
	vscsi_put_le16(rec + 12, VSCSI_CAP_VQ_NONE);
	vscsi_put_le64(rec + 16, g->seq++);
	if (body_len)
		memcpy(rec + hdr_len, body, body_len);
	gen_check(g, vscsi_cap_write_raw(g->w, rec, len, g->now), "raw");
}

/*
 * Edge cases a reader must take, in plain pcap with a 64-byte snap length
 * (response headers and long messages are cut): a packed-ring guest with
 * notifications, an AN query, a REPORT LUNS to the well-known LU, a
 * malformed LUN, a head reused while in flight, a completion with no
 * request, a LUN RESET, events with EVENTS_MISSED and ASYNC_NOTIFY, a
 * back-end channel message and a malformed one, records of an unknown type
 * and of a newer version, a second connection with a legacy big-endian
 * guest, and a loss note from the writer.
 */
static int write_edge(const char *path)
{
	static const gimg luns[2] = {
		{ 0, 0, 1ull << 30, "lun0", "" },
		{ 0, 2, 1ull << 30, "lun2", "" },
	};
	static gen g;
	uint8_t cdb[16], body[16];
	vscsi_vu_msg m;
	gcmd *c, *d;

	if (gen_open(&g, path, 64))
		return -1;
	gen_images(&g, luns, 2);
	g.rng = 0x3c6ef372fe94f82bull;
	g.capacity[0] = 2097152;
	g.conn = 7;
	vu_simple(&g, VSCSI_VU_GET_FEATURES);
	vu_u64(&g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_FEATURES, 1,
	       DEV_FEATURES | 1ull << VSCSI_F_RING_PACKED, 0);
	vu_init(&m, VSCSI_VU_SET_MEM_TABLE, VSCSI_VU_P_MEM_TABLE, 0);
	m.u.mem.nregions = 2;
	m.u.mem.regions[0] = (struct vscsi_vu_region){ 0, 0xa0000, UVA_BASE,
						       0 };
	m.u.mem.regions[1] = (struct vscsi_vu_region){ 0xc0000, 0x1ff40000,
						       UVA_BASE + 0xc0000,
						       0xc0000 };
	gen_vu(&g, VSCSI_VU_TO_BACKEND, &m, 2);	/* cut at 64 bytes */
	gen_session(&g, ACKED_FEATURES | 1ull << VSCSI_F_RING_PACKED,
		    PROTO_ACKED, 3, 64, 0);
	g.chain_flags = VSCSI_RECF_PACKED;

	/* the back-end channel, and a message of the wrong size */
	vu_init(&m, VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG, VSCSI_VU_P_NONE, 0);
	m.channel = VSCSI_VU_BACKEND;
	gen_vu(&g, VSCSI_VU_TO_FRONTEND, &m, 0);
	{
		uint8_t bad[16];
		vscsi_cap_rec rec;
		struct iovec iov;

		memset(bad, 0, sizeof(bad));
		vscsi_put_le32(bad, VSCSI_VU_SET_VRING_NUM);
		vscsi_put_le32(bad + 4, VSCSI_VU_VERSION);
		vscsi_put_le32(bad + 8, 4);	/* 4 bytes: wants 8 */
		memset(&rec, 0, sizeof(rec));
		rec.type = VSCSI_REC_VHOST_USER;
		rec.vq = VSCSI_CAP_VQ_NONE;
		iov.iov_base = bad;
		iov.iov_len = sizeof(bad);
		gen_write(&g, &rec, &iov, 1);
	}

	g.now += 1 * MS;
	gen_notify(&g, 2, VSCSI_NOTIFY_KICK);
	/* REPORT LUNS to the well-known LU */
	memset(cdb, 0, 12);
	cdb[0] = 0xa0;
	vscsi_put_be32(cdb + 6, 512);
	c = gen_cmd(&g, 2, 0, 0, cdb, 12, 0, 512);
	vscsi_lun_encode_report_luns(c->req.lun.raw, 0);
	gen_sync(&g, c, 21 * US);
	gen_notify(&g, 2, VSCSI_NOTIFY_CALL);
	/* a malformed LUN */
	cdb6(cdb, 0x00, 0, 0, 0);
	c = gen_cmd(&g, 2, 0, 0, cdb, 6, 0, 0);
	memcpy(c->req.lun.raw, "\x02\x00\x40\x00\x00\x00\x00\x00", 8);
	gen_sync(&g, c, 9 * US);
	/* an AN query on the control queue */
	c = gen_slot(&g);
	c->vq = VSCSI_VQ_CONTROL;
	c->ctrl = 1;
	c->tmf.type = VSCSI_T_AN_QUERY;
	vscsi_lun_encode(c->tmf.lun.raw, 0, 0, 1);
	c->tmf.event_requested = VSCSI_EVT_ASYNC_MEDIA_CHANGE |
				 VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE;
	gen_submit(&g, c);
	g.now += 15 * US;
	gen_complete(&g, c);

	/* a head submitted twice while in flight: the second one replaces
	 * the first, which never completes */
	cdb10(cdb, 0x28, 0, 64, 8);
	c = gen_cmd(&g, 2, 0, 0, cdb, 10, 0, 8 * BLOCK);
	gen_submit(&g, c);
	g.now += 10 * US;
	d = gen_cmd(&g, 2, 0, 0, cdb, 10, 0, 8 * BLOCK);
	d->lba = 64;
	gen_free_head(&g, 2, c->head);	/* the guest reuses it */
	g.qd[2]--;
	g.tag_used[2][c->tagidx] = 0;
	c->used = 0;
	gen_submit(&g, d);
	g.now += 70 * US;
	gen_complete(&g, d);
	/* a completion whose request the recorder never saw */
	c = gen_cmd(&g, 2, 0, 0, cdb, 10, 0, 8 * BLOCK);
	c->head = 99;
	c->lba = 64;
	g.now += 30 * US;
	{
		vscsi_cap_rec rec;
		uint8_t hdr[RESP_HDR];
		vscsi_cmd_resp r;
		struct iovec iov;

		memset(&r, 0, sizeof(r));
		vscsi_vs_cmd_resp_build(&g.cfg, &r, hdr, sizeof(hdr));
		gen_chain_rec(&g, &rec, VSCSI_REC_COMPLETION, c);
		rec.used_len = RESP_HDR + 4096;
		rec.hdr_len = RESP_HDR;
		iov.iov_base = hdr;
		iov.iov_len = sizeof(hdr);
		gen_write(&g, &rec, &iov, 1);
		g.tag_used[2][c->tagidx] = 0;
		c->used = 0;
	}
	/* a LUN RESET */
	c = gen_slot(&g);
	c->vq = VSCSI_VQ_CONTROL;
	c->ctrl = 1;
	c->tmf.type = VSCSI_T_TMF;
	c->tmf.subtype = VSCSI_TMF_LOGICAL_UNIT_RESET;
	vscsi_lun_encode(c->tmf.lun.raw, 0, 0, 1);
	gen_submit(&g, c);
	g.now += 150 * US;
	gen_complete(&g, c);
	/* events: missed ones, and a media change notification */
	gen_event_buffers(&g);
	g.now += 1 * MS;
	gen_event(&g, 0, VSCSI_EVT_TRANSPORT_RESET | VSCSI_EVT_EVENTS_MISSED,
		  0, 0, VSCSI_EVT_RESET_REMOVED);
	gen_event(&g, 1, VSCSI_EVT_ASYNC_NOTIFY, 0, 0,
		  VSCSI_EVT_ASYNC_MEDIA_CHANGE);
	/* a record of a type this version does not know, and one of a
	 * newer version: both skipped and counted */
	memset(body, 0xab, sizeof(body));
	g.now += 100 * US;
	gen_raw(&g, 1, 9, 24, body, 8);
	gen_raw(&g, 2, VSCSI_REC_REQUEST, 72, body, 16);
	/* a write whose data is cut at the snap length */
	cdb10(cdb, 0x2a, 0, 4096, 16);
	c = gen_cmd(&g, 2, 0, 0, cdb, 10, 16 * BLOCK, 0);
	c->lba = 4096;
	gen_sync(&g, c, 140 * US);

	/* a second connection: a legacy guest, big-endian */
	g.conn = 8;
	g.seq = 0;
	g.chain_flags = 0;
#ifdef GEN_EMU
	gen_device(&g);		/* an initiator of its own */
#endif
	vu_simple(&g, VSCSI_VU_GET_FEATURES);
	vu_u64(&g, VSCSI_VU_TO_FRONTEND, VSCSI_VU_GET_FEATURES, 1,
	       1ull << VSCSI_F_RING_INDIRECT_DESC, 0);
	gen_session(&g, 1ull << VSCSI_F_RING_INDIRECT_DESC, 0, 3, 64,
		    VSCSI_SESSF_LEGACY | VSCSI_SESSF_BIG_ENDIAN);
	cdb10(cdb, 0x28, 0, 100, 8);
	c = gen_cmd(&g, 2, 0, 2, cdb, 10, 0, 8 * BLOCK);
	c->lba = 100;
	gen_sync(&g, c, 66 * US);
	cdb6(cdb, 0x00, 0, 0, 0);
	c = gen_cmd(&g, 2, 0, 2, cdb, 6, 0, 0);
	gen_sync(&g, c, 11 * US);
	/* the writer's own loss note: no connection */
	g.conn = VSCSI_CAP_CONN_NONE;
	g.now += 2 * MS;
	{
		vscsi_cap_rec rec;

		memset(&rec, 0, sizeof(rec));
		rec.type = VSCSI_REC_LOSS;
		rec.vq = VSCSI_CAP_VQ_NONE;
		rec.conn = VSCSI_CAP_CONN_NONE;
		rec.ts_ns = g.now;
		rec.loss.count = 12;
		rec.loss.since_ns = g.now - 1 * MS;
		rec.loss.reason = VSCSI_LOSS_WRITE_ERROR;
		gen_check(&g, vscsi_cap_write(g.w, &rec, NULL, 0), "loss");
	}
	return gen_close(&g);
}

/* A file still being written: N reads, a frame each, MS ms apart. */
static int write_slow(const char *path, unsigned n, unsigned ms)
{
	static gen g;
	uint8_t cdb[10];
	unsigned i;

	if (gen_open(&g, path, 256))
		return -1;
	g.capacity[0] = 2097152;
	gen_session(&g, ACKED_FEATURES, PROTO_ACKED, 4, 256, 0);
	gen_check(&g, vscsi_cap_writer_flush(g.w), "flush");
	for (i = 0; i < n; i++) {
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		gcmd *c;

		nanosleep(&ts, NULL);
		g.now += 1 * MS;
		cdb10(cdb, 0x28, 0, i * 8, 8);
		c = gen_cmd(&g, 2, 0, 0, cdb, 10, 0, 8 * BLOCK);
		c->lba = i * 8;
		gen_sync(&g, c, 50 * US);
		gen_check(&g, vscsi_cap_writer_flush(g.w), "flush");
	}
	if (gen_close(&g))
		return -1;
	printf("done\n");
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc == 5 && strcmp(argv[1], "--slow") == 0)
		return write_slow(argv[2], (unsigned)atoi(argv[3]),
				  (unsigned)atoi(argv[4])) ? 1 : 0;
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: gen_captures DIR\n"
			"       gen_captures --slow FILE N MS\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/boot.pcap.zst", argv[1]);
	if (write_boot(path))
		return 1;
	snprintf(path, sizeof(path), "%s/mixed.pcap.zst", argv[1]);
	if (write_mixed(path))
		return 1;
	snprintf(path, sizeof(path), "%s/edge.pcap", argv[1]);
	if (write_edge(path))
		return 1;
	snprintf(path, sizeof(path), "%s/images.list", argv[1]);
	{
		FILE *f = fopen(path, "w");

		if (!f || fprintf(f,
"# The images the sample captures were recorded on (written by\n"
"# bench/gen_captures.c; see README.md). One line per LUN:\n"
"#   CAPTURE LUN SIZE OPTIONS DIGEST\n"
"# Before: a sparse file of SIZE bytes (all zeros: truncate -s SIZE FILE).\n"
"# After:  vscsi-replay --write --digest-images --lun LUN=FILE,OPTIONS\n"
"#         CAPTURE prints DIGEST for it (vscsi-replay(1), IMAGE DIGEST).\n"
"%s", g_list) < 0 || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
