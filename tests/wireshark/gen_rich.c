/*
 * Test helper: write a capture that holds every record type and most of
 * what the dissector decodes, for tests/wireshark/run.sh.
 *
 *   connection 1: VERSION_1, little-endian; every command of the CDB table
 *     a disk decodes, with random CDB bytes, on two request queues with up
 *     to 8 requests in flight completed out of order; GOOD, CHECK CONDITION
 *     with fixed, descriptor and short sense, other statuses, non-OK
 *     virtio responses; TMFs, AN query/subscribe and an unknown control
 *     type; events; indirect and packed chains; payloads cut at the snap
 *     length; requests still in flight at the end; vhost-user messages of
 *     every payload layout on both channels;
 *   connection 2: a legacy big-endian guest (no VERSION_1);
 *   connection 3: T10_PI negotiated (the PI request header);
 *   loss notes (one with no connection), kicks and calls.
 *
 * Usage: gen_rich FILE [SEED]   (prints the number of records)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vscsi/capture.h"
#include "vscsi/cdb.h"
#include "vscsi/sense.h"
#include "vscsi/vhost_user.h"
#include "vscsi/virtio_scsi.h"

#define SNAPLEN 1024
#define QD 8

static vscsi_cap_writer *w;
static unsigned long records;
static uint64_t ts = 1700000000000000000ull;
static int failed;

static unsigned rnd(unsigned n)
{
	return (unsigned)rand() % n;
}

static uint64_t tick(void)
{
	ts += 1000 + rnd(40000);
	return ts;
}

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "gen_rich: %s: %s\n", what, vscsi_strerror(rc));
		failed = 1;
	}
}

/* ------------------------------------------------------------ vhost-user */

static void vu(uint32_t conn, unsigned dir, unsigned channel,
	       const vscsi_vu_msg *m, unsigned nfds)
{
	uint8_t buf[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD];
	int n = vscsi_vu_msg_build(m, buf, sizeof(buf));

	if (n < 0) {
		fprintf(stderr, "gen_rich: vhost-user request %u: %s\n",
			m->hdr.request, vscsi_strerror(n));
		failed = 1;
		return;
	}
	check(vscsi_cap_write_vhost_user(w, conn, dir, channel, buf,
					 (size_t)n, nfds, tick()),
	      "vhost-user");
	records++;
}

/* A message as bytes: header (request, flags, size), then have bytes of
 * payload whose first word is word0. */
static void vu_bad(uint32_t conn, uint32_t req, uint32_t flags, uint32_t size,
		   unsigned have, uint32_t word0)
{
	uint8_t b[VSCSI_VU_HDR_SIZE + 512];
	unsigned i;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 4; i++) {
		b[i] = (uint8_t)(req >> (8 * i));
		b[4 + i] = (uint8_t)(flags >> (8 * i));
		b[8 + i] = (uint8_t)(size >> (8 * i));
		b[12 + i] = (uint8_t)(word0 >> (8 * i));
		b[16 + i] = (uint8_t)(word0 >> (8 * i));
	}
	check(vscsi_cap_write_vhost_user(w, conn, 0, 0, b, VSCSI_VU_HDR_SIZE + have,
					 0, tick()),
	      "vhost-user");
	records++;
}

static void vu_simple(uint32_t conn, int backend, uint32_t req, int reply,
		      unsigned kind, uint64_t u64)
{
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = req;
	m.hdr.flags = reply ? VSCSI_VU_FLAG_REPLY : 0;
	m.channel = backend ? VSCSI_VU_BACKEND : VSCSI_VU_FRONTEND;
	m.payload_kind = kind;
	m.u.u64 = u64;
	/* requests travel one way, replies the other, on either channel */
	vu(conn, (unsigned)(reply ^ backend), backend ? 1u : 0u, &m, 0);
}

static void vu_state(uint32_t conn, uint32_t req, int reply, uint32_t idx,
		     uint32_t num)
{
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = req;
	m.hdr.flags = reply ? VSCSI_VU_FLAG_REPLY : 0;
	m.payload_kind = VSCSI_VU_P_STATE;
	m.u.state.index = idx;
	m.u.state.num = num;
	vu(conn, (unsigned)reply, 0, &m, 0);
}

static void gen_vhost_user(uint32_t conn)
{
	vscsi_vu_msg m;
	static const vscsi_config vcfg = { 3, 126, 0xffff, 128, 16, 96, 32,
					   0, 255, 16383 };
	unsigned q;

	vu_simple(conn, 0, VSCSI_VU_GET_FEATURES, 0, VSCSI_VU_P_NONE, 0);
	vu_simple(conn, 0, VSCSI_VU_GET_FEATURES, 1, VSCSI_VU_P_U64,
		  0x140000007ull | 1ull << 28 | 1ull << 29);
	vu_simple(conn, 0, VSCSI_VU_GET_PROTOCOL_FEATURES, 0, VSCSI_VU_P_NONE, 0);
	vu_simple(conn, 0, VSCSI_VU_GET_PROTOCOL_FEATURES, 1, VSCSI_VU_P_U64,
		  0x8e0bull);
	vu_simple(conn, 0, VSCSI_VU_SET_PROTOCOL_FEATURES, 0, VSCSI_VU_P_U64,
		  0x8e0bull);
	vu_simple(conn, 0, VSCSI_VU_GET_QUEUE_NUM, 1, VSCSI_VU_P_U64, 4);
	vu_simple(conn, 0, VSCSI_VU_SET_OWNER, 0, VSCSI_VU_P_NONE, 0);

	/* SET_FEATURES with NEED_REPLY, and the REPLY_ACK answer */
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_FEATURES;
	m.hdr.flags = VSCSI_VU_FLAG_NEED_REPLY;
	m.payload_kind = VSCSI_VU_P_U64;
	m.u.u64 = 0x140000007ull;
	vu(conn, 0, 0, &m, 0);
	vu_simple(conn, 0, VSCSI_VU_SET_FEATURES, 1, VSCSI_VU_P_U64, 0);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_GET_CONFIG;
	m.payload_kind = VSCSI_VU_P_CONFIG;
	m.u.config.size = VSCSI_CONFIG_SIZE;
	vu(conn, 0, 0, &m, 0);
	m.hdr.flags = VSCSI_VU_FLAG_REPLY;
	vscsi_vs_config_build(&vcfg, m.u.config.data, sizeof(m.u.config.data));
	vu(conn, 1, 0, &m, 0);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_MEM_TABLE;
	m.payload_kind = VSCSI_VU_P_MEM_TABLE;
	m.u.mem.nregions = 2;
	m.u.mem.regions[0].gpa = 0;
	m.u.mem.regions[0].size = 0xa0000;
	m.u.mem.regions[0].uva = 0x7f0000000000ull;
	m.u.mem.regions[1].gpa = 0xc0000;
	m.u.mem.regions[1].size = 0x1ff40000;
	m.u.mem.regions[1].uva = 0x7f00000c0000ull;
	m.u.mem.regions[1].mmap_offset = 0xc0000;
	vu(conn, 0, 0, &m, 2);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_LOG_BASE;
	m.payload_kind = VSCSI_VU_P_LOG;
	m.u.log.size = 0x100000;
	vu(conn, 0, 0, &m, 1);

	for (q = 0; q < 4; q++) {
		vu_state(conn, VSCSI_VU_SET_VRING_NUM, 0, q, 128);
		memset(&m, 0, sizeof(m));
		m.hdr.request = VSCSI_VU_SET_VRING_ADDR;
		m.payload_kind = VSCSI_VU_P_ADDR;
		m.u.addr.index = q;
		m.u.addr.desc = 0x7f0000100000ull + q * 0x10000ull;
		m.u.addr.avail = m.u.addr.desc + 0x800;
		m.u.addr.used = m.u.addr.desc + 0x1000;
		vu(conn, 0, 0, &m, 0);
		vu_state(conn, VSCSI_VU_SET_VRING_BASE, 0, q, 0);
		vu_simple(conn, 0, VSCSI_VU_SET_VRING_KICK, 0, VSCSI_VU_P_U64, q);
		vu_simple(conn, 0, VSCSI_VU_SET_VRING_CALL, 0, VSCSI_VU_P_U64,
			  q | (q == 3 ? VSCSI_VU_NOFD_MASK : 0));
		vu_state(conn, VSCSI_VU_SET_VRING_ENABLE, 0, q, 1);
	}
	vu_simple(conn, 0, VSCSI_VU_SET_VRING_ERR, 0, VSCSI_VU_P_U64, 2);
	vu_simple(conn, 0, VSCSI_VU_SET_STATUS, 0, VSCSI_VU_P_U64, 0x0f);
	vu_simple(conn, 0, VSCSI_VU_GET_STATUS, 0, VSCSI_VU_P_NONE, 0);
	vu_simple(conn, 0, VSCSI_VU_GET_STATUS, 1, VSCSI_VU_P_U64, 0x0f);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_ADD_MEM_REG;
	m.payload_kind = VSCSI_VU_P_MEM_REG;
	m.u.reg.gpa = 0x100000000ull;
	m.u.reg.size = 0x40000000ull;
	m.u.reg.uva = 0x7f1000000000ull;
	vu(conn, 0, 0, &m, 1);
	m.hdr.request = VSCSI_VU_REM_MEM_REG;
	vu(conn, 0, 0, &m, 0);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_IOTLB_MSG;
	m.payload_kind = VSCSI_VU_P_IOTLB;
	m.u.iotlb.iova = 0x1000;
	m.u.iotlb.size = 0x1000;
	m.u.iotlb.uaddr = 0x7f0000001000ull;
	m.u.iotlb.perm = 3;
	m.u.iotlb.type = VSCSI_VU_IOTLB_UPDATE;
	vu(conn, 0, 0, &m, 0);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_GET_INFLIGHT_FD;
	m.payload_kind = VSCSI_VU_P_INFLIGHT;
	m.u.inflight.num_queues = 4;
	m.u.inflight.queue_size = 128;
	vu(conn, 0, 0, &m, 0);
	m.hdr.flags = VSCSI_VU_FLAG_REPLY;
	m.u.inflight.mmap_size = 0x2000;
	vu(conn, 1, 0, &m, 1);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_DEVICE_STATE_FD;
	m.payload_kind = VSCSI_VU_P_DEVICE_STATE;
	m.u.dev_state.direction = VSCSI_VU_STATE_SAVE;
	vu(conn, 0, 0, &m, 1);

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_GET_SHARED_OBJECT;
	m.payload_kind = VSCSI_VU_P_SHARED_OBJECT;
	memcpy(m.u.shared.uuid, "\x12\x34\x56\x78\x9a\xbc\xde\xf0"
				"\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
	vu(conn, 0, 0, &m, 0);

	/* back-end channel */
	vu_simple(conn, 1, VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG, 0,
		  VSCSI_VU_P_NONE, 0);
	vu_simple(conn, 1, VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG, 1,
		  VSCSI_VU_P_U64, 0);
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_BACKEND_VRING_HOST_NOTIFIER_MSG;
	m.channel = VSCSI_VU_BACKEND;
	m.payload_kind = VSCSI_VU_P_VRING_AREA;
	m.u.area.u64 = 2;
	m.u.area.size = 0x1000;
	vu(conn, 1, 1, &m, 1);
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_BACKEND_VRING_CALL;
	m.channel = VSCSI_VU_BACKEND;
	m.payload_kind = VSCSI_VU_P_STATE;
	m.u.state.index = 2;
	vu(conn, 1, 1, &m, 0);
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_BACKEND_SHARED_OBJECT_ADD;
	m.channel = VSCSI_VU_BACKEND;
	m.payload_kind = VSCSI_VU_P_SHARED_OBJECT;
	m.u.shared.uuid[15] = 1;
	vu(conn, 1, 1, &m, 0);

	/* a request this library does not know */
	{
		static const uint8_t odd[6] = { 1, 2, 3, 4, 5, 6 };

		memset(&m, 0, sizeof(m));
		m.hdr.request = 200;
		m.payload_kind = VSCSI_VU_P_RAW;
		m.u.raw.data = odd;
		m.u.raw.len = sizeof(odd);
		vu(conn, 0, 0, &m, 0);
	}
	vu_state(conn, VSCSI_VU_GET_VRING_BASE, 0, 2, 0);
	vu_state(conn, VSCSI_VU_GET_VRING_BASE, 1, 2, 77);

	/* messages the parser refuses: wrong sizes, contents that contradict
	 * the size, version 0, a size above the maximum, cut payloads */
	vu_bad(conn, VSCSI_VU_SET_MEM_TABLE, 1, 20, 20, 0);
	vu_bad(conn, VSCSI_VU_SET_MEM_TABLE, 1, 40, 40, 2);	/* 2 regions in 40 */
	vu_bad(conn, VSCSI_VU_SET_MEM_TABLE, 1, 8 + 9 * 32, 8 + 9 * 32, 9);
	vu_bad(conn, VSCSI_VU_GET_CONFIG, 1, 6, 6, 0);
	vu_bad(conn, VSCSI_VU_GET_CONFIG, 1, 12 + 300, 12 + 300, 300);
	vu_bad(conn, VSCSI_VU_GET_CONFIG, 1, 20, 20, 4);	/* says 4, has 8 */
	vu_bad(conn, VSCSI_VU_SET_VRING_NUM, 1, 4, 4, 0);
	vu_bad(conn, VSCSI_VU_GET_FEATURES, 0, 0, 0, 0);	/* version 0 */
	vu_bad(conn, VSCSI_VU_GET_FEATURES, 2, 0, 0, 0);	/* version 2 */
	vu_bad(conn, 201, 1, 5000, 16, 0);			/* above 4096 */
	vu_bad(conn, VSCSI_VU_SET_VRING_ADDR, 1, 40, 20, 0);	/* cut */
	vu_bad(conn, VSCSI_VU_SET_VRING_ADDR, 1 | VSCSI_VU_FLAG_REPLY, 40, 40, 0);
}

/* ------------------------------------------------------------ commands */

struct conn {
	uint32_t id;
	vscsi_vs_cfg cfg;
};

struct inflight {
	int used;
	vscsi_cap_chain c;
	const vscsi_cdb_desc *d;	/* NULL: control or event */
	uint32_t ctrl_type;
	uint8_t cdb[32];
	unsigned data_in;
};

static struct inflight fl[QD];
static uint8_t heads[4][128];	/* 1: head in use, per vq */

static uint32_t head_alloc(uint16_t vq)
{
	uint32_t h;

	do
		h = rnd(128);
	while (heads[vq][h]);
	heads[vq][h] = 1;
	return h;
}

static void random_lun(uint8_t raw[8])
{
	unsigned r = rnd(40);

	if (r == 0) {
		vscsi_lun_encode_report_luns(raw, (uint8_t)rnd(2));
	} else if (r == 1) {
		memset(raw, 0, 8);
		raw[0] = 2;	/* malformed */
		raw[1] = 1;
	} else {
		vscsi_lun_encode(raw, (uint8_t)rnd(3),
				 (uint16_t)(r < 5 ? 256 + rnd(3000) : rnd(4)),
				 1);
	}
}

static void random_cdb(const vscsi_cdb_desc *d, uint8_t *cdb)
{
	unsigned i;

	memset(cdb, 0, 32);
	for (i = 1; i < d->cdb_len; i++)
		cdb[i] = (uint8_t)rnd(256);
	cdb[0] = d->opcode;
	if (d->opcode == 0x7f) {
		cdb[7] = (uint8_t)(d->cdb_len - 8);
		cdb[8] = (uint8_t)(d->sa >> 8);
		cdb[9] = (uint8_t)d->sa;
	} else if (d->has_sa) {
		cdb[1] = (uint8_t)((cdb[1] & 0xe0) | (d->sa & 0x1f));
	}
	/* keep the common I/O small and plausible some of the time */
	if (d->op_class == VSCSI_OPC_READ || d->op_class == VSCSI_OPC_WRITE) {
		if (rnd(2) && d->cdb_len >= 10 && d->opcode != 0x7f) {
			cdb[d->cdb_len == 10 ? 7 : d->cdb_len - 3] = 0;
		}
	}
}

static void submit_cmd(struct conn *cn, const vscsi_cdb_desc *d)
{
	struct inflight *f = NULL;
	vscsi_cmd_req rq;
	uint8_t hdr[64], out[512];
	struct iovec iov[2];
	vscsi_cdb_info ci;
	unsigned i, nout = 0;
	int hl;

	for (i = 0; i < QD; i++)
		if (!fl[i].used)
			f = &fl[i];
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->d = d;
	random_cdb(d, f->cdb);
	vscsi_cdb_decode(f->cdb, 32, &ci);

	memset(&rq, 0, sizeof(rq));
	random_lun(rq.lun.raw);
	rq.tag = ((uint64_t)rnd(1u << 16) << 32) | rnd(1u << 30);
	rq.task_attr = (uint8_t)(rnd(10) == 0 ? rnd(5) : 0);
	rq.prio = (uint8_t)rnd(3);
	rq.crn = (uint8_t)rnd(4);
	rq.cdb_size = (uint16_t)cn->cfg.cdb_size;
	memcpy(rq.cdb, f->cdb, 32);
	if (cn->cfg.features & 1ull << VSCSI_F_T10_PI)
		rq.pi_bytesout = rnd(2) ? 8 : 0;
	hl = vscsi_vs_cmd_req_build(&cn->cfg, &rq, hdr, sizeof(hdr));
	check(hl, "request header");
	if (hl < 0)
		return;

	if (ci.data_dir == VSCSI_DIR_OUT) {
		nout = rnd(4) == 0 ? 0 : 512;
		for (i = 0; i < nout; i++)
			out[i] = (uint8_t)rnd(256);
		if (!strcmp(d->name, "UNMAP") && nout) {
			memset(out, 0, 8 + 2 * 16);
			out[1] = 6 + 32;	/* UNMAP DATA LENGTH */
			out[3] = 32;		/* BLOCK DESCRIPTOR DATA LENGTH */
			out[15] = 0x80;		/* LBA 0x80, 8 blocks */
			out[19] = 8;
			out[22] = 0x10;		/* LBA 0x100000, 0x100 blocks */
			out[34] = 1;
		}
	}
	f->data_in = ci.data_dir == VSCSI_DIR_IN ? (rnd(8) == 0 ? 4096 : 512) : 0;

	f->c.conn = cn->id;
	f->c.vq = (uint16_t)(2 + rnd(2));
	f->c.head = head_alloc(f->c.vq);
	f->c.flags = rnd(6) == 0 ? VSCSI_RECF_INDIRECT :
		     rnd(10) == 0 ? VSCSI_RECF_PACKED : 0;
	f->c.n_readable = (uint16_t)(nout ? 2 : 1);
	f->c.n_writable = (uint16_t)(f->data_in ? 2 : 1);
	f->c.readable_bytes = (uint32_t)hl + nout;
	f->c.writable_bytes = 12 + cn->cfg.sense_size + f->data_in;
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = out;
	iov[1].iov_len = nout;
	if (rnd(5) == 0)
		check(vscsi_cap_write_notify(w, cn->id, f->c.vq,
					     VSCSI_NOTIFY_KICK, tick()),
		      "kick"), records++;
	check(vscsi_cap_write_request(w, &f->c, iov, nout ? 2 : 1,
				      (size_t)hl, tick()),
	      "request");
	records++;
}

/* sense key / ASC / ASCQ seen in the wild, a range row, a vendor code */
static const uint8_t sense_codes[][3] = {
	{ 0x3, 0x11, 0x00 }, { 0x5, 0x24, 0x00 }, { 0x5, 0x20, 0x00 },
	{ 0x6, 0x29, 0x00 }, { 0x6, 0x2a, 0x09 }, { 0x2, 0x04, 0x04 },
	{ 0x2, 0x3a, 0x00 }, { 0x4, 0x40, 0x85 }, { 0xb, 0x80, 0x01 },
	{ 0x7, 0x27, 0x00 }, { 0x3, 0x0c, 0x00 }, { 0x1, 0x00, 0x17 },
};

static void complete_cmd(struct conn *cn, struct inflight *f)
{
	vscsi_cmd_resp rs;
	uint8_t hdr[12 + VSCSI_SENSE_MAX], din[4096];
	struct iovec iov[2];
	unsigned r = rnd(20), i, nin = f->data_in;
	int hl, sl;

	memset(&rs, 0, sizeof(rs));
	if (r < 3) {
		const uint8_t *sc = sense_codes[rnd(sizeof(sense_codes) / 3)];

		rs.status = 0x02;
		if (r == 2) {
			vscsi_sense_info si;

			vscsi_sense_init(&si, 1, sc[0], sc[1], sc[2]);
			vscsi_sense_set_info(&si, rnd(100000));
			sl = vscsi_sense_build(&si, rs.sense, sizeof(rs.sense));
		} else {
			sl = vscsi_sense_build_simple(rs.sense, sizeof(rs.sense),
						      0, sc[0], sc[1], sc[2]);
		}
		check(sl, "sense");
		rs.sense_len = sl < 0 ? 0 : (uint32_t)sl;
		if (rnd(4) == 0)
			rs.sense_len = 1 + rnd(17);	/* short sense */
		nin = 0;
	} else if (r == 3) {
		rs.response = (uint8_t)(1 + rnd(12));
		nin = 0;
	} else if (r == 4) {
		static const uint8_t st[] = { 0x08, 0x18, 0x28, 0x40, 0x04,
					      0x30 };

		rs.status = st[rnd(sizeof(st))];
		nin = 0;
	} else if (nin && rnd(6) == 0) {
		rs.resid = nin / 2;
		nin -= rs.resid;
	}
	hl = vscsi_vs_cmd_resp_build(&cn->cfg, &rs, hdr, sizeof(hdr));
	check(hl, "response header");
	if (hl < 0)
		return;
	for (i = 0; i < nin; i++)
		din[i] = (uint8_t)(i * 7 + f->c.head);
	if (nin >= 32 && !strcmp(f->d->name, "READ CAPACITY(16)")) {
		memset(din, 0, 32);
		din[6] = 0x01;	/* last LBA 0x1ffff */
		din[7] = 0xff;
		din[8] = 0xff;
		din[10] = 0x02;	/* 512 bytes */
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = din;
	iov[1].iov_len = nin;
	check(vscsi_cap_write_completion(w, &f->c, (uint32_t)hl + nin, iov,
					 nin ? 2 : 1, (size_t)hl, tick()),
	      "completion");
	records++;
	if (rnd(4) == 0)
		check(vscsi_cap_write_notify(w, cn->id, f->c.vq,
					     VSCSI_NOTIFY_CALL, tick()),
		      "call"), records++;
	heads[f->c.vq][f->c.head] = 0;
	f->used = 0;
}

static int nfree(void)
{
	int i, n = 0;

	for (i = 0; i < QD; i++)
		n += !fl[i].used;
	return n;
}

static void complete_some(struct conn *cn, int keep)
{
	int i;

	while (QD - nfree() > keep) {
		i = (int)rnd(QD);
		if (fl[i].used && fl[i].d)
			complete_cmd(cn, &fl[i]);
	}
}

/* ------------------------------------------------------------ control */

static void ctrl_pair(struct conn *cn, vscsi_ctrl_req *rq, uint8_t resp,
		      uint32_t event_actual)
{
	vscsi_cap_chain c;
	uint8_t b[32];
	struct iovec iov;
	int n;
	size_t rl;

	memset(&c, 0, sizeof(c));
	c.conn = cn->id;
	c.vq = 0;
	c.head = head_alloc(0);
	if (rq->type <= VSCSI_T_AN_SUBSCRIBE) {
		n = vscsi_vs_ctrl_req_build(&cn->cfg, rq, b, sizeof(b));
		check(n, "control request");
		if (n < 0)
			return;
	} else {
		memset(b, 0, sizeof(b));
		b[0] = (uint8_t)rq->type;	/* an undefined type */
		n = 4;
	}
	rl = vscsi_vs_ctrl_resp_size(rq->type);
	c.n_readable = 1;
	c.n_writable = 1;
	c.readable_bytes = (uint32_t)n;
	c.writable_bytes = rl ? (uint32_t)rl : 8;
	iov.iov_base = b;
	iov.iov_len = (size_t)n;
	check(vscsi_cap_write_request(w, &c, &iov, 1, (size_t)n, tick()),
	      "control request");
	records++;
	if (rl) {
		vscsi_ctrl_resp rs;

		memset(&rs, 0, sizeof(rs));
		rs.type = rq->type;
		rs.response = resp;
		rs.event_actual = event_actual;
		n = vscsi_vs_ctrl_resp_build(&cn->cfg, &rs, b, sizeof(b));
		check(n, "control response");
	} else {
		n = 0;
	}
	iov.iov_len = n < 0 ? 0 : (size_t)n;
	check(vscsi_cap_write_completion(w, &c, (uint32_t)iov.iov_len, &iov,
					 iov.iov_len ? 1 : 0, iov.iov_len,
					 tick()),
	      "control completion");
	records++;
	heads[0][c.head] = 0;
}

static void gen_ctrl(struct conn *cn)
{
	static const uint8_t tmf_resp[] = { 0, 10, 11, 12, 3 };
	vscsi_ctrl_req rq;
	unsigned s;

	for (s = 0; s <= 9; s++) {
		memset(&rq, 0, sizeof(rq));
		rq.type = VSCSI_T_TMF;
		rq.subtype = s;
		vscsi_lun_encode(rq.lun.raw, 0, (uint16_t)rnd(3), 1);
		rq.tag = 0x100 + s;
		ctrl_pair(cn, &rq, tmf_resp[rnd(sizeof(tmf_resp))], 0);
	}
	memset(&rq, 0, sizeof(rq));
	rq.type = VSCSI_T_AN_QUERY;
	vscsi_lun_encode(rq.lun.raw, 0, 0, 1);
	rq.event_requested = VSCSI_EVT_ASYNC_MEDIA_CHANGE |
			     VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE;
	ctrl_pair(cn, &rq, 0, VSCSI_EVT_ASYNC_MEDIA_CHANGE);
	rq.type = VSCSI_T_AN_SUBSCRIBE;
	ctrl_pair(cn, &rq, 0, 0);
	rq.type = 7;
	ctrl_pair(cn, &rq, 0, 0);
}

static void gen_events(struct conn *cn)
{
	static const uint32_t ev[][2] = {
		{ VSCSI_EVT_TRANSPORT_RESET, VSCSI_EVT_RESET_RESCAN },
		{ VSCSI_EVT_TRANSPORT_RESET, VSCSI_EVT_RESET_REMOVED },
		{ VSCSI_EVT_ASYNC_NOTIFY, VSCSI_EVT_ASYNC_MEDIA_CHANGE },
		{ VSCSI_EVT_PARAM_CHANGE, 0x092a },
		{ VSCSI_EVT_NO_EVENT, 0 },
		{ VSCSI_EVT_TRANSPORT_RESET | VSCSI_EVT_EVENTS_MISSED,
		  VSCSI_EVT_RESET_HARD },
		{ 9, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		vscsi_cap_chain c;
		vscsi_event e;
		uint8_t b[VSCSI_EVENT_SIZE];
		struct iovec iov;

		memset(&c, 0, sizeof(c));
		c.conn = cn->id;
		c.vq = 1;
		c.head = head_alloc(1);
		c.n_writable = 1;
		c.writable_bytes = VSCSI_EVENT_SIZE;
		check(vscsi_cap_write_request(w, &c, NULL, 0, 0, tick()),
		      "event buffer");
		memset(&e, 0, sizeof(e));
		e.event = ev[i][0];
		e.reason = ev[i][1];
		if (ev[i][0] != VSCSI_EVT_NO_EVENT)
			vscsi_lun_encode(e.lun.raw, 0, (uint16_t)i, 0);
		check(vscsi_vs_event_build(&cn->cfg, &e, b, sizeof(b)), "event");
		iov.iov_base = b;
		iov.iov_len = sizeof(b);
		check(vscsi_cap_write_completion(w, &c, sizeof(b), &iov, 1,
						 sizeof(b), tick()),
		      "event");
		records += 2;
		heads[1][c.head] = 0;
	}
}

/* ------------------------------------------------------------ main */

/*
 * A WRITE(10) of 600 KiB and its completion on a connection of their own
 * (numbered from 0 here), the data part longer than one record: the
 * request goes on in two data continuation records (vscsi-capture(5)),
 * written as the recorder writes them, whatever the writer's snap length.
 */
static void big_write(uint32_t id)
{
	static uint8_t data[600 * 1024], rec[VSCSI_CAP_MAX_RECORD];
	vscsi_vs_cfg cfg;
	vscsi_cmd_req rq;
	vscsi_cap_rec r;
	struct iovec iov[2];
	uint8_t hdr[64], resp[12 + 96];
	unsigned i, n;
	int hl, len;

	vscsi_vs_cfg_default(&cfg);
	memset(&rq, 0, sizeof(rq));
	vscsi_lun_encode(rq.lun.raw, 0, 1, 1);
	rq.tag = 0x600;
	rq.cdb_size = (uint16_t)cfg.cdb_size;
	rq.cdb[0] = 0x2a;			/* WRITE(10), LBA 0x1000 */
	rq.cdb[4] = 0x10;
	rq.cdb[7] = (sizeof(data) / 512) >> 8;	/* 1200 blocks */
	rq.cdb[8] = (sizeof(data) / 512) & 0xff;
	hl = vscsi_vs_cmd_req_build(&cfg, &rq, hdr, sizeof(hdr));
	check(hl, "big request header");
	if (hl < 0)
		return;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rnd(256);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = data;
	iov[1].iov_len = sizeof(data);
	memset(&r, 0, sizeof(r));
	r.type = VSCSI_REC_REQUEST;
	r.conn = id;
	r.vq = 2;
	r.head = 1;
	r.n_readable = 2;
	r.n_writable = 1;
	r.readable_bytes = (uint32_t)hl + sizeof(data);
	r.writable_bytes = sizeof(resp);
	r.hdr_len = (uint32_t)hl;
	len = vscsi_cap_encode(rec, sizeof(rec), &r, iov, 2,
			       VSCSI_CAP_SNAPLEN_WHOLE, VSCSI_CAP_ENC_COMPUTE |
			       VSCSI_CAP_ENC_CONTINUE, NULL);
	check(len, "big request");
	check(vscsi_cap_write_raw(w, rec, (size_t)len, tick()), "big request");
	records++;
	n = vscsi_cap_pieces((uint64_t)hl, (uint64_t)hl + sizeof(data),
			     VSCSI_CAP_SNAPLEN_WHOLE, NULL);
	for (i = 1; i <= n; i++) {
		len = vscsi_cap_encode_data(rec, sizeof(rec), &r, iov, 2,
					    VSCSI_CAP_SNAPLEN_WHOLE, i, i);
		check(len, "data continuation");
		check(vscsi_cap_write_raw(w, rec, (size_t)len, tick()),
		      "data continuation");
		records++;
	}
	memset(resp, 0, sizeof(resp));
	iov[0].iov_base = resp;
	iov[0].iov_len = sizeof(resp);
	r.type = VSCSI_REC_COMPLETION;
	r.seq = 1 + n;
	r.used_len = sizeof(resp);
	r.hdr_len = sizeof(resp);
	len = vscsi_cap_encode(rec, sizeof(rec), &r, iov, 1,
			       VSCSI_CAP_SNAPLEN_WHOLE, VSCSI_CAP_ENC_COMPUTE |
			       VSCSI_CAP_ENC_CONTINUE, NULL);
	check(len, "big completion");
	check(vscsi_cap_write_raw(w, rec, (size_t)len, tick()),
	      "big completion");
	records++;
}

static void session(struct conn *cn, unsigned flags)
{
	static const uint16_t qs[4] = { 128, 128, 256, 256 };
	vscsi_cap_session s;

	memset(&s, 0, sizeof(s));
	s.features = cn->cfg.features;
	s.protocol_features = 0x8e0b;
	s.cdb_size = cn->cfg.cdb_size;
	s.sense_size = cn->cfg.sense_size;
	s.snaplen = SNAPLEN;
	s.num_queues = 4;
	s.flags = flags;
	s.queue_sizes = qs;
	s.tool = "gen_rich";
	s.tool_version = "test";
	check(vscsi_cap_write_session(w, cn->id, &s, tick()), "session");
	records++;
}

static void run_commands(struct conn *cn, unsigned count, int all_rows)
{
	unsigned i, n = vscsi_cdb_table_count(), done = 0;

	for (i = 0; done < count; i = (i + 1) % n) {
		const vscsi_cdb_desc *d = vscsi_cdb_table_entry(i);

		if (vscsi_cdb_table_find(d->opcode, d->sa, d->has_sa,
					 VSCSI_PTYPE_DISK) != (int)i)
			continue;
		if (!all_rows && d->op_class != VSCSI_OPC_READ &&
		    d->op_class != VSCSI_OPC_WRITE && rnd(4))
			continue;
		complete_some(cn, nfree() == 0 ? QD - 1 - (int)rnd(4) : QD);
		submit_cmd(cn, d);
		done++;
	}
}

int main(int argc, char **argv)
{
	vscsi_cap_wopts o;
	struct conn c1, c2, c3;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen_rich FILE [SEED]\n");
		return 2;
	}
	srand(argc == 3 ? (unsigned)strtoul(argv[2], NULL, 10) : 7u);
	memset(&o, 0, sizeof(o));
	o.snaplen = SNAPLEN;
	o.flags = VSCSI_CAP_W_OVERWRITE;
	w = vscsi_cap_writer_open(argv[1], &o, &err);
	if (!w) {
		fprintf(stderr, "gen_rich: %s: %s\n", argv[1],
			vscsi_strerror(err));
		return 1;
	}

	memset(&c1, 0, sizeof(c1));
	c1.id = 1;
	vscsi_vs_cfg_default(&c1.cfg);
	c1.cfg.features |= 1ull << VSCSI_F_INOUT | 1ull << VSCSI_F_HOTPLUG |
			   1ull << VSCSI_F_CHANGE;
	c2 = c1;
	c2.id = 2;
	c2.cfg.features = 1ull << VSCSI_F_HOTPLUG;	/* legacy */
	c2.cfg.legacy_big_endian = 1;
	c3 = c1;
	c3.id = 3;
	c3.cfg.features |= 1ull << VSCSI_F_T10_PI;

	gen_vhost_user(1);
	session(&c1, 0);
	session(&c2, VSCSI_SESSF_LEGACY | VSCSI_SESSF_BIG_ENDIAN);
	session(&c3, 0);
	gen_events(&c1);
	run_commands(&c1, 2 * vscsi_cdb_table_count(), 1);
	complete_some(&c1, 0);
	gen_ctrl(&c1);
	check(vscsi_cap_write_loss(w, 1, 3, VSCSI_LOSS_QUEUE_FULL, ts, NULL,
				   tick()),
	      "loss");
	records++;
	run_commands(&c2, 60, 0);
	complete_some(&c2, 0);
	gen_ctrl(&c2);
	gen_events(&c2);
	run_commands(&c3, 60, 0);
	complete_some(&c3, 3);	/* three stay in flight */
	big_write(4);
	check(vscsi_cap_write_loss(w, VSCSI_CAP_CONN_NONE, 12,
				   VSCSI_LOSS_WRITE_ERROR, ts, "disk full",
				   tick()),
	      "loss");
	records++;
	check(vscsi_cap_writer_close(w), "close");
	if (failed)
		return 1;
	printf("%lu\n", records);
	return 0;
}
