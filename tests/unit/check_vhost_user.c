/*
 * vhost-user messages (QEMU docs/interop/vhost-user.rst). The table below
 * restates, from the document (and QEMU's hw/virtio/vhost-user.c where it
 * sends something the document does not say), which payload sizes each
 * request and reply may carry; the tests hold the library to it at every
 * size from 0 to 300, build every message by hand with a local byte writer,
 * and cut each one at every offset.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "vscsi/common.h"
#include "vscsi/vhost_user.h"

#define FE VSCSI_VU_FRONTEND
#define BE VSCSI_VU_BACKEND
#define REPLY VSCSI_VU_FLAG_REPLY
#define NEED VSCSI_VU_FLAG_NEED_REPLY

/* ------------------------------------------------------------ bytes */

struct bb {
	uint8_t b[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD + 16];
	size_t n;
};

static void b8(struct bb *x, uint8_t v) { x->b[x->n++] = v; }
static void b16(struct bb *x, uint16_t v)
{
	b8(x, (uint8_t)v);
	b8(x, (uint8_t)(v >> 8));
}
static void b32(struct bb *x, uint32_t v)
{
	b16(x, (uint16_t)v);
	b16(x, (uint16_t)(v >> 16));
}
static void b64(struct bb *x, uint64_t v)
{
	b32(x, (uint32_t)v);
	b32(x, (uint32_t)(v >> 32));
}
static void bfill(struct bb *x, uint8_t v, size_t n)
{
	while (n--)
		b8(x, v);
}
/* Header: request, flags (version 1 added), size. */
static void bhdr(struct bb *x, uint32_t req, uint32_t flags, uint32_t size)
{
	x->n = 0;
	b32(x, req);
	b32(x, flags | VSCSI_VU_VERSION);
	b32(x, size);
}

/* ------------------------------------------------------------ the oracle */

/* Size markers besides plain sizes. */
#define MEM0 -10	/* 8 + 32 k, k = 0..8 (memory table) */
#define MEM1 -11	/* 8 + 32 k, k = 1..8 (postcopy reply) */
#define CFG -12		/* 12 + n, n = 0..256 (config space) */
#define ANY -13		/* any size (raw) */
#define END -99

struct alt {
	int size;
	unsigned kind;
};

struct req {
	int channel;
	uint32_t code;
	const char *name;
	struct alt rq[3];	/* request sizes in order of preference */
	struct alt rp[3];	/* reply sizes */
};

#define A(s, k) { (s), VSCSI_VU_P_##k }
#define AE { END, 0 }
#define ACK { A(8, U64), AE }

static const struct req reqs[] = {
	/* Front-end message types */
	{ FE, 1, "GET_FEATURES", { A(0, NONE), AE }, { A(8, U64), AE } },
	{ FE, 2, "SET_FEATURES", { A(8, U64), AE }, ACK },
	{ FE, 3, "SET_OWNER", { A(0, NONE), AE }, ACK },
	{ FE, 4, "RESET_OWNER", { A(0, NONE), AE }, ACK },
	{ FE, 5, "SET_MEM_TABLE", { A(MEM0, MEM_TABLE), AE },
	  { A(8, U64), A(MEM1, MEM_TABLE), AE } },
	/* document: u64; QEMU/DPDK: log description */
	{ FE, 6, "SET_LOG_BASE", { A(16, LOG), A(8, U64), AE },
	  { A(8, U64), A(0, NONE), AE } },
	{ FE, 7, "SET_LOG_FD", { A(0, NONE), AE }, ACK },
	{ FE, 8, "SET_VRING_NUM", { A(8, STATE), AE }, ACK },
	{ FE, 9, "SET_VRING_ADDR", { A(40, ADDR), AE }, ACK },
	{ FE, 10, "SET_VRING_BASE", { A(8, STATE), AE }, ACK },
	{ FE, 11, "GET_VRING_BASE", { A(8, STATE), AE }, { A(8, STATE), AE } },
	{ FE, 12, "SET_VRING_KICK", { A(8, U64), AE }, ACK },
	{ FE, 13, "SET_VRING_CALL", { A(8, U64), AE }, ACK },
	{ FE, 14, "SET_VRING_ERR", { A(8, U64), AE }, ACK },
	{ FE, 15, "GET_PROTOCOL_FEATURES", { A(0, NONE), AE }, ACK },
	{ FE, 16, "SET_PROTOCOL_FEATURES", { A(8, U64), AE }, ACK },
	{ FE, 17, "GET_QUEUE_NUM", { A(0, NONE), AE }, ACK },
	{ FE, 18, "SET_VRING_ENABLE", { A(8, STATE), AE }, ACK },
	{ FE, 19, "SEND_RARP", { A(8, U64), AE }, ACK },
	{ FE, 20, "NET_SET_MTU", { A(8, U64), AE }, ACK },
	{ FE, 21, "SET_BACKEND_REQ_FD", { A(0, NONE), AE }, ACK },
	/* struct vhost_iotlb_msg is 26 bytes of fields, 32 with padding */
	{ FE, 22, "IOTLB_MSG", { A(32, IOTLB), AE }, ACK },
	{ FE, 23, "SET_VRING_ENDIAN", { A(8, STATE), AE }, ACK },
	/* "zero length of payload to indicate an error" */
	{ FE, 24, "GET_CONFIG", { A(CFG, CONFIG), AE },
	  { A(CFG, CONFIG), A(0, NONE), AE } },
	{ FE, 25, "SET_CONFIG", { A(CFG, CONFIG), AE }, ACK },
	{ FE, 26, "CREATE_CRYPTO_SESSION", { A(ANY, RAW), AE },
	  { A(ANY, RAW), AE } },
	{ FE, 27, "CLOSE_CRYPTO_SESSION", { A(8, U64), AE }, ACK },
	{ FE, 28, "POSTCOPY_ADVISE", { A(0, NONE), AE }, { A(0, NONE), AE } },
	{ FE, 29, "POSTCOPY_LISTEN", { A(0, NONE), AE }, ACK },
	{ FE, 30, "POSTCOPY_END", { A(0, NONE), AE }, ACK },
	{ FE, 31, "GET_INFLIGHT_FD", { A(20, INFLIGHT), A(24, INFLIGHT), AE },
	  { A(20, INFLIGHT), A(24, INFLIGHT), AE } },
	{ FE, 32, "SET_INFLIGHT_FD", { A(20, INFLIGHT), A(24, INFLIGHT), AE }, ACK },
	{ FE, 33, "GPU_SET_SOCKET", { A(0, NONE), AE }, ACK },
	{ FE, 34, "RESET_DEVICE", { A(0, NONE), AE }, ACK },
	{ FE, 35, "VRING_KICK", { A(8, STATE), AE }, ACK },
	{ FE, 36, "GET_MAX_MEM_SLOTS", { A(0, NONE), AE }, ACK },
	/* QEMU's postcopy ack: ADD_MEM_REG with a u64 0 */
	{ FE, 37, "ADD_MEM_REG", { A(40, MEM_REG), A(8, U64), AE },
	  { A(40, MEM_REG), A(8, U64), AE } },
	{ FE, 38, "REM_MEM_REG", { A(40, MEM_REG), AE }, ACK },
	{ FE, 39, "SET_STATUS", { A(8, U64), AE }, ACK },
	{ FE, 40, "GET_STATUS", { A(0, NONE), AE }, ACK },
	/* QEMU sends size 0; libvhost-user echoes the size */
	{ FE, 41, "GET_SHARED_OBJECT", { A(16, SHARED_OBJECT), A(0, NONE), AE },
	  { A(16, SHARED_OBJECT), A(8, U64), A(0, NONE) } },
	{ FE, 42, "SET_DEVICE_STATE_FD", { A(8, DEVICE_STATE), AE }, ACK },
	{ FE, 43, "CHECK_DEVICE_STATE", { A(0, NONE), AE }, ACK },
	{ FE, 44, "GET_SHMEM_CONFIG", { A(0, NONE), AE }, { A(ANY, RAW), AE } },
	/* Back-end message types */
	{ BE, 1, "BACKEND_IOTLB_MSG", { A(32, IOTLB), AE }, ACK },
	{ BE, 2, "BACKEND_CONFIG_CHANGE_MSG", { A(0, NONE), AE }, ACK },
	{ BE, 3, "BACKEND_VRING_HOST_NOTIFIER_MSG", { A(24, VRING_AREA), AE },
	  ACK },
	{ BE, 4, "BACKEND_VRING_CALL", { A(8, STATE), AE }, ACK },
	{ BE, 5, "BACKEND_VRING_ERR", { A(8, STATE), AE }, ACK },
	{ BE, 6, "BACKEND_SHARED_OBJECT_ADD", { A(16, SHARED_OBJECT), AE },
	  ACK },
	{ BE, 7, "BACKEND_SHARED_OBJECT_REMOVE", { A(16, SHARED_OBJECT), AE },
	  ACK },
	{ BE, 8, "BACKEND_SHARED_OBJECT_LOOKUP", { A(16, SHARED_OBJECT), AE },
	  ACK },
	{ BE, 9, "BACKEND_SHMEM_MAP", { A(ANY, RAW), AE }, { A(ANY, RAW), AE } },
	{ BE, 10, "BACKEND_SHMEM_UNMAP", { A(ANY, RAW), AE },
	  { A(ANY, RAW), AE } },
};

static const struct alt *alts_of(const struct req *r, int reply)
{
	return reply ? r->rp : r->rq;
}

static int alt_fits(int marker, long s)
{
	switch (marker) {
	case MEM0:
		return s >= 8 && (s - 8) % 32 == 0 && (s - 8) / 32 <= 8;
	case MEM1:
		return s >= 40 && (s - 8) % 32 == 0 && (s - 8) / 32 <= 8;
	case CFG:
		return s >= 12 && s <= 12 + 256;
	case ANY:
		return 1;
	default:
		return marker == s;
	}
}

/* The kind the oracle expects at size s, or -1 when s is wrong. */
static int oracle_kind(const struct alt *a, long s)
{
	int i;

	for (i = 0; i < 3 && a[i].size != END; i++)
		if (alt_fits(a[i].size, s))
			return (int)a[i].kind;
	return -1;
}

/* A representative size for an alternative. */
static uint32_t alt_size(int marker)
{
	switch (marker) {
	case MEM0:
	case MEM1:
		return 8 + 2 * 32;
	case CFG:
		return 12 + 8;
	case ANY:
		return 5;
	default:
		return (uint32_t)marker;
	}
}

/* Payload of kind at size s filled with a recognisable pattern; the
 * variable layouts get counts that agree with s. */
static void fill(struct bb *x, unsigned kind, uint32_t s)
{
	uint32_t i, k;

	switch (kind) {
	case VSCSI_VU_P_U64:
		b64(x, 0x1122334455667788ull);
		break;
	case VSCSI_VU_P_STATE:
		b32(x, 0x01020304);
		b32(x, 0x0a0b0c0d);
		break;
	case VSCSI_VU_P_ADDR:
		b32(x, 3);
		b32(x, 1);
		b64(x, 0x7f0000001000ull);
		b64(x, 0x7f0000002000ull);
		b64(x, 0x7f0000001800ull);
		b64(x, 0xdead000ull);
		break;
	case VSCSI_VU_P_MEM_TABLE:
		k = s >= 8 && (s - 8) % 32 == 0 ? (s - 8) / 32 : 0;
		b32(x, k);
		b32(x, 0xaaaaaaaa);	/* padding: ignored */
		for (i = 0; i < k && x->n + 32 <= sizeof(x->b); i++) {
			b64(x, (uint64_t)i << 32 | 0x1000);
			b64(x, 0x10000ull * (i + 1));
			b64(x, 0x7f0000000000ull + 0x100000000ull * i);
			b64(x, 0x1000ull * i);
		}
		break;
	case VSCSI_VU_P_MEM_REG:
		b64(x, 0x5555555555555555ull);	/* padding: ignored */
		b64(x, 0x40000000);
		b64(x, 0x20000000);
		b64(x, 0x7f8000000000ull);
		b64(x, 0x2000);
		break;
	case VSCSI_VU_P_LOG:
		b64(x, 0x8000);
		b64(x, 0x100);
		break;
	case VSCSI_VU_P_IOTLB:
		b64(x, 0x1000);
		b64(x, 0x2000);
		b64(x, 0x7f0000003000ull);
		b8(x, 3);
		b8(x, 2);
		bfill(x, 0xcc, 6);	/* padding: ignored */
		break;
	case VSCSI_VU_P_CONFIG:
		k = s >= 12 ? s - 12 : 0;
		b32(x, 4);
		b32(x, k);
		b32(x, 1);
		for (i = 0; i < k && x->n < sizeof(x->b); i++)
			b8(x, (uint8_t)(i * 7 + 1));
		break;
	case VSCSI_VU_P_VRING_AREA:
		b64(x, 0x105);
		b64(x, 0x1000);
		b64(x, 0x3000);
		break;
	case VSCSI_VU_P_INFLIGHT:
		b64(x, 0x21000);
		b64(x, 0x40);
		b16(x, 3);
		b16(x, 128);
		break;
	case VSCSI_VU_P_DEVICE_STATE:
		b32(x, 1);
		b32(x, 0);
		break;
	case VSCSI_VU_P_SHARED_OBJECT:
		for (i = 0; i < 16; i++)
			b8(x, (uint8_t)(i * 17));
		break;
	default:
		break;
	}
	/* pad or cut to exactly s bytes (raw payloads, wrong sizes) */
	while (x->n < VSCSI_VU_HDR_SIZE + (size_t)s && x->n < sizeof(x->b))
		b8(x, (uint8_t)(x->n ^ 0x5a));
	if (x->n > VSCSI_VU_HDR_SIZE + (size_t)s)
		x->n = VSCSI_VU_HDR_SIZE + (size_t)s;
}

/* The fields fill() wrote, as parsed. */
static void check_fields(const vscsi_vu_msg *m, const struct bb *x)
{
	uint32_t i;

	switch (m->payload_kind) {
	case VSCSI_VU_P_NONE:
		ck_assert_uint_eq(m->hdr.size, 0);
		break;
	case VSCSI_VU_P_U64:
		ck_assert_uint_eq(m->u.u64, 0x1122334455667788ull);
		break;
	case VSCSI_VU_P_STATE:
		ck_assert_uint_eq(m->u.state.index, 0x01020304);
		ck_assert_uint_eq(m->u.state.num, 0x0a0b0c0d);
		break;
	case VSCSI_VU_P_ADDR:
		ck_assert_uint_eq(m->u.addr.index, 3);
		ck_assert_uint_eq(m->u.addr.flags, 1);
		ck_assert_uint_eq(m->u.addr.desc, 0x7f0000001000ull);
		ck_assert_uint_eq(m->u.addr.used, 0x7f0000002000ull);
		ck_assert_uint_eq(m->u.addr.avail, 0x7f0000001800ull);
		ck_assert_uint_eq(m->u.addr.log, 0xdead000ull);
		break;
	case VSCSI_VU_P_MEM_TABLE:
		ck_assert_uint_eq(m->u.mem.nregions, (m->hdr.size - 8) / 32);
		for (i = 0; i < m->u.mem.nregions; i++) {
			ck_assert_uint_eq(m->u.mem.regions[i].gpa,
					  (uint64_t)i << 32 | 0x1000);
			ck_assert_uint_eq(m->u.mem.regions[i].size,
					  0x10000ull * (i + 1));
			ck_assert_uint_eq(m->u.mem.regions[i].uva,
					  0x7f0000000000ull +
					  0x100000000ull * i);
			ck_assert_uint_eq(m->u.mem.regions[i].mmap_offset,
					  0x1000ull * i);
		}
		break;
	case VSCSI_VU_P_MEM_REG:
		ck_assert_uint_eq(m->u.reg.gpa, 0x40000000);
		ck_assert_uint_eq(m->u.reg.size, 0x20000000);
		ck_assert_uint_eq(m->u.reg.uva, 0x7f8000000000ull);
		ck_assert_uint_eq(m->u.reg.mmap_offset, 0x2000);
		break;
	case VSCSI_VU_P_LOG:
		ck_assert_uint_eq(m->u.log.size, 0x8000);
		ck_assert_uint_eq(m->u.log.offset, 0x100);
		break;
	case VSCSI_VU_P_IOTLB:
		ck_assert_uint_eq(m->u.iotlb.iova, 0x1000);
		ck_assert_uint_eq(m->u.iotlb.size, 0x2000);
		ck_assert_uint_eq(m->u.iotlb.uaddr, 0x7f0000003000ull);
		ck_assert_uint_eq(m->u.iotlb.perm, 3);
		ck_assert_uint_eq(m->u.iotlb.type, 2);
		break;
	case VSCSI_VU_P_CONFIG:
		ck_assert_uint_eq(m->u.config.offset, 4);
		ck_assert_uint_eq(m->u.config.size, m->hdr.size - 12);
		ck_assert_uint_eq(m->u.config.flags, 1);
		for (i = 0; i < m->u.config.size; i++)
			ck_assert_uint_eq(m->u.config.data[i],
					  (uint8_t)(i * 7 + 1));
		break;
	case VSCSI_VU_P_VRING_AREA:
		ck_assert_uint_eq(m->u.area.u64, 0x105);
		ck_assert_uint_eq(m->u.area.size, 0x1000);
		ck_assert_uint_eq(m->u.area.offset, 0x3000);
		break;
	case VSCSI_VU_P_INFLIGHT:
		ck_assert_uint_eq(m->u.inflight.mmap_size, 0x21000);
		ck_assert_uint_eq(m->u.inflight.mmap_offset, 0x40);
		ck_assert_uint_eq(m->u.inflight.num_queues, 3);
		ck_assert_uint_eq(m->u.inflight.queue_size, 128);
		break;
	case VSCSI_VU_P_DEVICE_STATE:
		ck_assert_uint_eq(m->u.dev_state.direction, 1);
		ck_assert_uint_eq(m->u.dev_state.phase, 0);
		break;
	case VSCSI_VU_P_SHARED_OBJECT:
		for (i = 0; i < 16; i++)
			ck_assert_uint_eq(m->u.shared.uuid[i],
					  (uint8_t)(i * 17));
		break;
	case VSCSI_VU_P_RAW:
		ck_assert_uint_eq(m->u.raw.len, m->hdr.size);
		ck_assert_ptr_eq(m->u.raw.data, x->b + VSCSI_VU_HDR_SIZE);
		break;
	default:
		ck_abort_msg("unexpected payload kind %u", m->payload_kind);
	}
}

/* ------------------------------------------------------------ tests */

/* Every request and reply at every size 0..300: the oracle's sizes parse
 * to the oracle's kind, every other size is MSG_SIZE, and hdr_check says
 * the same before the payload is read. */
START_TEST(test_sizes_every_request)
{
	const struct req *r = &reqs[_i];
	static struct bb x;
	vscsi_vu_msg m;
	int reply, want, rc;
	long s;

	for (reply = 0; reply < 2; reply++) {
		const struct alt *a = alts_of(r, reply);
		int varkind = -1, j;

		for (j = 0; j < 3 && a[j].size != END; j++)
			if (a[j].kind == VSCSI_VU_P_MEM_TABLE ||
			    a[j].kind == VSCSI_VU_P_CONFIG)
				varkind = (int)a[j].kind;
		for (s = 0; s <= 300; s++) {
			vscsi_vu_hdr h;

			bhdr(&x, r->code, reply ? REPLY : 0, (uint32_t)s);
			fill(&x, varkind >= 0 ? (unsigned)varkind :
					  VSCSI_VU_P_RAW, (uint32_t)s);
			want = oracle_kind(a, s);
			rc = vscsi_vu_msg_parse(x.b, x.n, r->channel, &m);
			ck_assert_int_eq(vscsi_vu_hdr_parse(x.b, x.n, &h),
					 VSCSI_OK);
			if (want < 0) {
				ck_assert_msg(rc == VSCSI_ERR_MSG_SIZE,
					      "%s%s size %ld: got %d",
					      r->name, reply ? " reply" : "",
					      s, rc);
				ck_assert_int_eq(vscsi_vu_hdr_check(&h,
						 r->channel),
						 VSCSI_ERR_MSG_SIZE);
			} else {
				ck_assert_msg(rc == VSCSI_OK,
					      "%s%s size %ld: got %d",
					      r->name, reply ? " reply" : "",
					      s, rc);
				ck_assert_uint_eq(m.payload_kind,
						  (unsigned)want);
				ck_assert_int_eq(vscsi_vu_hdr_check(&h,
						 r->channel), VSCSI_OK);
			}
		}
	}
}
END_TEST

/* Every request and reply in each of its layouts, built by hand, parses
 * into the right fields; cut at every offset it is TRUNCATED; with size
 * one byte off (and a full buffer) it is MSG_SIZE unless the oracle allows
 * that size too. */
START_TEST(test_fields_and_truncation_every_request)
{
	const struct req *r = &reqs[_i];
	static struct bb x;
	vscsi_vu_msg m;
	int reply, j;
	size_t cut;

	for (reply = 0; reply < 2; reply++) {
		const struct alt *a = alts_of(r, reply);

		for (j = 0; j < 3 && a[j].size != END; j++) {
			uint32_t s = alt_size(a[j].size);

			bhdr(&x, r->code, reply ? REPLY : NEED, s);
			fill(&x, a[j].kind, s);
			ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n,
					 r->channel, &m), VSCSI_OK);
			ck_assert_uint_eq(m.payload_kind, a[j].kind);
			ck_assert_uint_eq(m.hdr.request, r->code);
			ck_assert_uint_eq(m.hdr.size, s);
			ck_assert_uint_eq(m.hdr.flags,
					  (reply ? REPLY : NEED) | 1);
			ck_assert_int_eq(m.channel, r->channel);
			check_fields(&m, &x);
			ck_assert_str_eq(vscsi_vu_request_name(r->code,
					 r->channel), r->name);

			for (cut = 0; cut < x.n; cut++)
				ck_assert_int_eq(vscsi_vu_msg_parse(x.b, cut,
						 r->channel, &m),
						 VSCSI_ERR_TRUNCATED);

			/* trailing bytes are not looked at */
			x.b[x.n] = 0xee;
			ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n + 1,
					 r->channel, &m), VSCSI_OK);
		}
	}
}
END_TEST

START_TEST(test_hdr)
{
	static const uint8_t ok[12] = {
		0x05, 0, 0, 0, 0x09, 0, 0, 0, 0x48, 0, 0, 0,
	};
	uint8_t b[12];
	vscsi_vu_hdr h;
	size_t cut;

	ck_assert_int_eq(vscsi_vu_hdr_parse(ok, 12, &h), VSCSI_OK);
	ck_assert_uint_eq(h.request, VSCSI_VU_SET_MEM_TABLE);
	ck_assert_uint_eq(h.flags, VSCSI_VU_FLAG_NEED_REPLY | 1);
	ck_assert_uint_eq(h.size, 72);
	for (cut = 0; cut < 12; cut++)
		ck_assert_int_eq(vscsi_vu_hdr_parse(ok, cut, &h),
				 VSCSI_ERR_TRUNCATED);
	ck_assert_int_eq(vscsi_vu_hdr_parse(ok, 12, NULL), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_hdr_parse(NULL, 12, &h),
			 VSCSI_ERR_TRUNCATED);

	/* version 0, 2 and 3 are INVALID, and the header is still filled */
	memcpy(b, ok, 12);
	b[4] = 0x08;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_ERR_INVALID);
	ck_assert_uint_eq(h.size, 72);
	b[4] = 0x0a;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_ERR_INVALID);
	b[4] = 0x07;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_ERR_INVALID);
	/* flag bits above 3 are kept */
	b[4] = 0x01;
	b[7] = 0x80;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_OK);
	ck_assert_uint_eq(h.flags, 0x80000001u);

	/* size: 4096 is the bound, 4097 INVALID */
	memcpy(b, ok, 12);
	b[8] = 0x00;
	b[9] = 0x10;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_OK);
	b[8] = 0x01;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_ERR_INVALID);
	b[10] = 0xff;
	b[11] = 0xff;
	ck_assert_int_eq(vscsi_vu_hdr_parse(b, 12, &h), VSCSI_ERR_INVALID);

	ck_assert_int_eq(vscsi_vu_hdr_check(NULL, FE), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_hdr_check(&h, 2), VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_bad_version_and_args)
{
	static struct bb x;
	vscsi_vu_msg m;

	bhdr(&x, VSCSI_VU_GET_FEATURES, 0, 0);
	x.b[4] = 0x02;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	x.b[4] = 0x00;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	x.b[4] = 0x01;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, 7, &m), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, NULL),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_msg_parse(NULL, 0, FE, &m),
			 VSCSI_ERR_TRUNCATED);

	/* an unknown request larger than the bound */
	bhdr(&x, 99, 0, VSCSI_VU_MAX_PAYLOAD + 1);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	ck_assert_uint_eq(m.hdr.request, 99);
}
END_TEST

/* A wrong size is reported before the payload is read: a short buffer
 * with a wrong size is MSG_SIZE, not TRUNCATED. */
START_TEST(test_size_before_truncation)
{
	static struct bb x;
	vscsi_vu_msg m;

	bhdr(&x, VSCSI_VU_SET_VRING_ADDR, 0, 39);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);
	bhdr(&x, VSCSI_VU_SET_VRING_ADDR, 0, 40);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_unknown_is_raw)
{
	static const uint32_t fe_codes[] = { 0, 45, 100, 0xffffffffu };
	static const uint32_t be_codes[] = { 0, 11, 41, 0x80000000u };
	static struct bb x;
	vscsi_vu_msg m;
	size_t i;

	for (i = 0; i < ARRAY_LEN(fe_codes); i++) {
		bhdr(&x, fe_codes[i], 0, 3);
		b8(&x, 0xab);
		b8(&x, 0xcd);
		b8(&x, 0xef);
		ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
		ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_RAW);
		ck_assert_uint_eq(m.u.raw.len, 3);
		ck_assert_ptr_eq(m.u.raw.data, x.b + 12);
		ck_assert_ptr_null(vscsi_vu_request_name(fe_codes[i], FE));
		ck_assert_int_eq(vscsi_vu_msg_parse(x.b, 14, FE, &m),
				 VSCSI_ERR_TRUNCATED);
	}
	for (i = 0; i < ARRAY_LEN(be_codes); i++) {
		bhdr(&x, be_codes[i], REPLY, 0);
		ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, BE, &m), VSCSI_OK);
		ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_RAW);
		ck_assert_uint_eq(m.u.raw.len, 0);
		ck_assert_ptr_null(vscsi_vu_request_name(be_codes[i], BE));
	}
	/* the largest legal unknown payload */
	bhdr(&x, 200, 0, VSCSI_VU_MAX_PAYLOAD);
	bfill(&x, 0x11, VSCSI_VU_MAX_PAYLOAD);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.u.raw.len, VSCSI_VU_MAX_PAYLOAD);
	/* the same number means different things on the two channels */
	bhdr(&x, 3, 0, 24);
	fill(&x, VSCSI_VU_P_VRING_AREA, 24);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, BE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_VRING_AREA);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);	/* SET_OWNER takes nothing */
}
END_TEST

/* Literal bytes as QEMU writes them (little-endian x86-64). */
START_TEST(test_literal_messages)
{
	/* GET_FEATURES reply: INOUT|HOTPLUG|PROTOCOL_FEATURES|VERSION_1 */
	static const uint8_t get_features_reply[] = {
		0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x00, 0x00,
		0x03, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00,
	};
	/* SET_VRING_KICK idx 2, no fd */
	static const uint8_t kick_nofd[] = {
		0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x00, 0x00,
		0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	/* SET_MEM_TABLE, one region: gpa 0, 0xa0000 bytes at uva
	 * 0x7f1200000000, mmap offset 0, NEED_REPLY */
	static const uint8_t mem_table[] = {
		0x05, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
		0x28, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x12, 0x7f, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	/* GET_VRING_BASE reply: ring 0 stopped at avail index 0x1234 */
	static const uint8_t vring_base_reply[] = {
		0x0b, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
		0x08, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00,
	};
	vscsi_vu_msg m;

	ck_assert_int_eq(vscsi_vu_msg_parse(get_features_reply,
			 sizeof(get_features_reply), FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_U64);
	ck_assert_uint_eq(m.u.u64, 0x140000003ull);

	ck_assert_int_eq(vscsi_vu_msg_parse(kick_nofd, sizeof(kick_nofd), FE,
			 &m), VSCSI_OK);
	ck_assert_uint_eq(m.u.u64 & VSCSI_VU_IDX_MASK, 2);
	ck_assert_uint_eq(m.u.u64 & VSCSI_VU_NOFD_MASK, VSCSI_VU_NOFD_MASK);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);

	ck_assert_int_eq(vscsi_vu_msg_parse(mem_table, sizeof(mem_table), FE,
			 &m), VSCSI_OK);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_MEM_TABLE);
	ck_assert_uint_eq(m.u.mem.nregions, 1);
	ck_assert_uint_eq(m.u.mem.regions[0].gpa, 0);
	ck_assert_uint_eq(m.u.mem.regions[0].size, 0xa0000);
	ck_assert_uint_eq(m.u.mem.regions[0].uva, 0x7f1200000000ull);
	ck_assert_uint_eq(m.u.mem.regions[0].mmap_offset, 0);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 1u << VSCSI_VU_PF_REPLY_ACK),
			 1);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 0);

	ck_assert_int_eq(vscsi_vu_msg_parse(vring_base_reply,
			 sizeof(vring_base_reply), FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_STATE);
	ck_assert_uint_eq(m.u.state.index, 0);
	ck_assert_uint_eq(m.u.state.num, 0x1234);
}
END_TEST

/* SET_MEM_TABLE with 0, 8 and 9 regions. 9 regions (296 bytes) is over the
 * 264-byte maximum: MSG_SIZE. A count of 9 in a legal size is INVALID; a
 * count that disagrees with the size is MSG_SIZE. */
START_TEST(test_mem_table_counts)
{
	static struct bb x;
	vscsi_vu_msg m;
	uint32_t i;

	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 8);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.u.mem.nregions, 0);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);

	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8 + 8 * 32);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 8 + 8 * 32);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.u.mem.nregions, 8);
	check_fields(&m, &x);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 8);

	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8 + 9 * 32);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 8 + 9 * 32);
	ck_assert_uint_eq(x.n, 12 + 8 + 9 * 32);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);

	/* count 9 in a 264-byte table */
	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8 + 8 * 32);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 8 + 8 * 32);
	x.b[12] = 9;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	/* huge count */
	x.b[15] = 0x80;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	/* count 7 in a 264-byte table, and 8 in a 232-byte one */
	x.b[12] = 7;
	x.b[15] = 0;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);
	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8 + 7 * 32);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 8 + 7 * 32);
	x.b[12] = 8;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);

	/* build refuses 9 and the postcopy reply refuses 0 (it would read as
	 * a u64 ack) */
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_MEM_TABLE;
	m.payload_kind = VSCSI_VU_P_MEM_TABLE;
	m.u.mem.nregions = 9;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, x.b, sizeof(x.b)),
			 VSCSI_ERR_ARG);
	m.u.mem.nregions = 0;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, x.b, sizeof(x.b)), 20);
	m.hdr.flags = REPLY;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, x.b, sizeof(x.b)),
			 VSCSI_ERR_ARG);
	m.u.mem.nregions = 8;
	for (i = 0; i < 8; i++)
		m.u.mem.regions[i].gpa = i;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, x.b, sizeof(x.b)),
			 12 + 8 + 8 * 32);
}
END_TEST

START_TEST(test_config_sizes)
{
	static struct bb x;
	vscsi_vu_msg m;

	/* config size 257 in a 268-byte message: INVALID; 8 in a 24-byte
	 * message: MSG_SIZE */
	bhdr(&x, VSCSI_VU_SET_CONFIG, 0, 12 + 256);
	fill(&x, VSCSI_VU_P_CONFIG, 12 + 256);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	x.b[16] = 0x01;
	x.b[17] = 0x01;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_INVALID);
	bhdr(&x, VSCSI_VU_SET_CONFIG, 0, 24);
	fill(&x, VSCSI_VU_P_CONFIG, 24);
	x.b[16] = 8;
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);
	/* a GET_CONFIG reply of size 0 is the back-end's error */
	bhdr(&x, VSCSI_VU_GET_CONFIG, REPLY, 0);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m), VSCSI_OK);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_NONE);
	/* but not of the request */
	bhdr(&x, VSCSI_VU_GET_CONFIG, 0, 0);
	ck_assert_int_eq(vscsi_vu_msg_parse(x.b, x.n, FE, &m),
			 VSCSI_ERR_MSG_SIZE);
}
END_TEST

/* build -> parse for one message of every payload kind, each of its
 * requests, and NOSPACE at every short length. */
static void round_trip(const vscsi_vu_msg *in)
{
	static uint8_t buf[VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD];
	vscsi_vu_msg out;
	int n, k;

	n = vscsi_vu_msg_build(in, buf, sizeof(buf));
	ck_assert_msg(n >= VSCSI_VU_HDR_SIZE, "build %u/%u kind %u: %d",
		      in->hdr.request, in->channel, in->payload_kind, n);
	ck_assert_int_eq(vscsi_vu_msg_parse(buf, (size_t)n, in->channel, &out),
			 VSCSI_OK);
	ck_assert_uint_eq(out.hdr.size, (uint32_t)n - VSCSI_VU_HDR_SIZE);
	ck_assert_uint_eq(out.hdr.flags, in->hdr.flags | 1);
	ck_assert_uint_eq(out.payload_kind, in->payload_kind);
	/* equal once the header matches what build computed */
	{
		vscsi_vu_msg want = *in;

		want.hdr.size = out.hdr.size;
		want.hdr.flags |= 1;
		ck_assert(vscsi_vu_msg_equal(&want, &out));
	}
	for (k = 0; k < n; k++)
		ck_assert_int_eq(vscsi_vu_msg_build(in, buf, (size_t)k),
				 VSCSI_ERR_NOSPACE);
}

START_TEST(test_build_round_trip)
{
	static const uint8_t raw[5] = { 1, 2, 3, 4, 5 };
	vscsi_vu_msg m;
	size_t i;
	int reply, j;

	/* one sample of each kind for every request/reply of the oracle */
	for (i = 0; i < ARRAY_LEN(reqs); i++) {
		for (reply = 0; reply < 2; reply++) {
			const struct alt *a = alts_of(&reqs[i], reply);

			for (j = 0; j < 3 && a[j].size != END; j++) {
				memset(&m, 0, sizeof(m));
				m.channel = reqs[i].channel;
				m.hdr.request = reqs[i].code;
				m.hdr.flags = reply ? REPLY : 0;
				m.payload_kind = a[j].kind;
				switch (a[j].kind) {
				case VSCSI_VU_P_U64:
					m.u.u64 = 0x8000000000000001ull;
					break;
				case VSCSI_VU_P_STATE:
					m.u.state.index = 7;
					m.u.state.num = 0xffffffffu;
					break;
				case VSCSI_VU_P_ADDR:
					m.u.addr.index = 1;
					m.u.addr.flags = 1;
					m.u.addr.desc = 1;
					m.u.addr.used = 2;
					m.u.addr.avail = 3;
					m.u.addr.log = 4;
					break;
				case VSCSI_VU_P_MEM_TABLE:
					m.u.mem.nregions = 2;
					m.u.mem.regions[1].gpa = 0x100000;
					m.u.mem.regions[1].size = 0x1000;
					m.u.mem.regions[1].uva = 0x7f00;
					m.u.mem.regions[1].mmap_offset = 9;
					break;
				case VSCSI_VU_P_MEM_REG:
					m.u.reg.gpa = 1;
					m.u.reg.size = 2;
					m.u.reg.uva = 3;
					m.u.reg.mmap_offset = 4;
					break;
				case VSCSI_VU_P_LOG:
					m.u.log.size = 0x1000;
					m.u.log.offset = 0x10;
					break;
				case VSCSI_VU_P_IOTLB:
					m.u.iotlb.iova = 1;
					m.u.iotlb.size = 2;
					m.u.iotlb.uaddr = 3;
					m.u.iotlb.perm = 1;
					m.u.iotlb.type = 4;
					break;
				case VSCSI_VU_P_CONFIG:
					m.u.config.offset = 8;
					m.u.config.size = 256;
					m.u.config.flags = 1;
					m.u.config.data[255] = 0x77;
					break;
				case VSCSI_VU_P_VRING_AREA:
					m.u.area.u64 = 0x100;
					m.u.area.size = 4096;
					m.u.area.offset = 8192;
					break;
				case VSCSI_VU_P_INFLIGHT:
					m.u.inflight.mmap_size = 1;
					m.u.inflight.mmap_offset = 2;
					m.u.inflight.num_queues = 0xffff;
					m.u.inflight.queue_size = 256;
					break;
				case VSCSI_VU_P_DEVICE_STATE:
					m.u.dev_state.direction = 0;
					m.u.dev_state.phase = 5;
					break;
				case VSCSI_VU_P_SHARED_OBJECT:
					m.u.shared.uuid[0] = 0xde;
					m.u.shared.uuid[15] = 0xad;
					break;
				case VSCSI_VU_P_RAW:
					m.u.raw.data = raw;
					m.u.raw.len = sizeof(raw);
					break;
				default:
					break;
				}
				round_trip(&m);
				if (a[j].kind == VSCSI_VU_P_MEM_TABLE &&
				    !reply) {
					m.u.mem.nregions = 0;
					round_trip(&m);
				}
			}
		}
	}
	/* unknown requests carry raw bytes */
	memset(&m, 0, sizeof(m));
	m.channel = BE;
	m.hdr.request = 77;
	m.payload_kind = VSCSI_VU_P_RAW;
	round_trip(&m);
	m.u.raw.data = raw;
	m.u.raw.len = 5;
	round_trip(&m);
}
END_TEST

START_TEST(test_build_refuses)
{
	uint8_t buf[64];
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_SET_VRING_ADDR;
	m.payload_kind = VSCSI_VU_P_U64;		/* wrong kind */
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	m.payload_kind = VSCSI_VU_P_ADDR;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)), 52);
	m.channel = 3;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	m.channel = FE;
	ck_assert_int_eq(vscsi_vu_msg_build(NULL, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_msg_build(&m, NULL, 10), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_msg_build(&m, NULL, 0), VSCSI_ERR_NOSPACE);
	m.payload_kind = VSCSI_VU_P_COUNT;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);

	m.hdr.request = VSCSI_VU_SET_CONFIG;
	m.payload_kind = VSCSI_VU_P_CONFIG;
	m.u.config.size = 257;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);

	m.hdr.request = 300;		/* unknown: raw only */
	m.payload_kind = VSCSI_VU_P_U64;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	m.payload_kind = VSCSI_VU_P_RAW;
	m.u.raw.data = NULL;
	m.u.raw.len = 4;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);
	m.u.raw.len = VSCSI_VU_MAX_PAYLOAD + 1;
	m.u.raw.data = buf;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)),
			 VSCSI_ERR_ARG);

	/* the header written: version forced to 1, other flags kept */
	memset(&m, 0, sizeof(m));
	m.hdr.request = VSCSI_VU_GET_FEATURES;
	m.hdr.flags = 0x2 | NEED;
	m.hdr.size = 1234;		/* ignored */
	m.payload_kind = VSCSI_VU_P_NONE;
	ck_assert_int_eq(vscsi_vu_msg_build(&m, buf, sizeof(buf)), 12);
	ck_assert_uint_eq(buf[0], 1);
	ck_assert_uint_eq(buf[4], 0x9);
	ck_assert_uint_eq(buf[8], 0);
}
END_TEST

START_TEST(test_equal)
{
	static const uint8_t r1[2] = { 1, 2 }, r2[2] = { 1, 3 };
	vscsi_vu_msg a, b;

	memset(&a, 0, sizeof(a));
	a.hdr.request = VSCSI_VU_SET_CONFIG;
	a.hdr.size = 14;
	a.payload_kind = VSCSI_VU_P_CONFIG;
	a.u.config.size = 2;
	a.u.config.data[0] = 9;
	b = a;
	b.u.config.data[5] = 1;		/* beyond size: not compared */
	ck_assert(vscsi_vu_msg_equal(&a, &b));
	b.u.config.data[1] = 1;
	ck_assert(!vscsi_vu_msg_equal(&a, &b));
	b = a;
	b.channel = BE;
	ck_assert(!vscsi_vu_msg_equal(&a, &b));

	a.payload_kind = b.payload_kind = VSCSI_VU_P_RAW;
	b.channel = FE;
	a.u.raw.data = r1;
	b.u.raw.data = r2;
	a.u.raw.len = b.u.raw.len = 1;
	ck_assert(vscsi_vu_msg_equal(&a, &b));
	a.u.raw.len = b.u.raw.len = 2;
	ck_assert(!vscsi_vu_msg_equal(&a, &b));
	ck_assert(!vscsi_vu_msg_equal(&a, NULL));
	ck_assert(vscsi_vu_msg_equal(NULL, NULL));
}
END_TEST

static void mk(vscsi_vu_msg *m, int ch, uint32_t req, uint32_t flags,
	       unsigned kind)
{
	memset(m, 0, sizeof(*m));
	m->channel = ch;
	m->hdr.request = req;
	m->hdr.flags = flags | 1;
	m->payload_kind = kind;
}

START_TEST(test_fds)
{
	const uint64_t shmfd = 1u << VSCSI_VU_PF_LOG_SHMFD;
	vscsi_vu_msg m;
	uint32_t req;

	for (req = VSCSI_VU_SET_VRING_KICK; req <= VSCSI_VU_SET_VRING_ERR;
	     req++) {
		mk(&m, FE, req, 0, VSCSI_VU_P_U64);
		m.u.u64 = 5;
		ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
		m.u.u64 = 5 | VSCSI_VU_NOFD_MASK;
		ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
		mk(&m, FE, req, REPLY, VSCSI_VU_P_U64);
		ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	}
	mk(&m, FE, VSCSI_VU_SET_MEM_TABLE, 0, VSCSI_VU_P_MEM_TABLE);
	m.u.mem.nregions = 3;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 3);
	mk(&m, FE, VSCSI_VU_SET_MEM_TABLE, REPLY, VSCSI_VU_P_MEM_TABLE);
	m.u.mem.nregions = 3;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);

	mk(&m, FE, VSCSI_VU_SET_LOG_BASE, 0, VSCSI_VU_P_LOG);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), -1);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(&m, shmfd), 1);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(&m, ~shmfd), 0);
	mk(&m, FE, VSCSI_VU_SET_LOG_BASE, REPLY, VSCSI_VU_P_U64);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(&m, shmfd), 0);

	mk(&m, FE, VSCSI_VU_SET_LOG_FD, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_SET_BACKEND_REQ_FD, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_SET_INFLIGHT_FD, 0, VSCSI_VU_P_INFLIGHT);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_GPU_SET_SOCKET, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_SET_DEVICE_STATE_FD, 0, VSCSI_VU_P_DEVICE_STATE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_ADD_MEM_REG, 0, VSCSI_VU_P_MEM_REG);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_ADD_MEM_REG, 0, VSCSI_VU_P_U64);	/* postcopy ack */
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, FE, VSCSI_VU_REM_MEM_REG, 0, VSCSI_VU_P_MEM_REG);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, FE, VSCSI_VU_GET_FEATURES, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(&m, ~0ull), 0);

	/* replies */
	mk(&m, FE, VSCSI_VU_POSTCOPY_ADVISE, REPLY, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_GET_INFLIGHT_FD, REPLY, VSCSI_VU_P_INFLIGHT);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	m.u.inflight.mmap_size = 4096;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	mk(&m, FE, VSCSI_VU_GET_INFLIGHT_FD, 0, VSCSI_VU_P_INFLIGHT);
	m.u.inflight.mmap_size = 4096;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, FE, VSCSI_VU_SET_DEVICE_STATE_FD, REPLY, VSCSI_VU_P_U64);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	m.u.u64 = VSCSI_VU_NOFD_MASK;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	m.u.u64 = 1;		/* error: the back-end must not send an fd */
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, FE, VSCSI_VU_GET_SHARED_OBJECT, REPLY,
	   VSCSI_VU_P_SHARED_OBJECT);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), -1);

	/* back-end channel */
	mk(&m, BE, VSCSI_VU_BACKEND_VRING_HOST_NOTIFIER_MSG, 0,
	   VSCSI_VU_P_VRING_AREA);
	m.u.area.u64 = 2;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);
	m.u.area.u64 = 2 | VSCSI_VU_NOFD_MASK;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, BE, VSCSI_VU_BACKEND_SHARED_OBJECT_LOOKUP, REPLY,
	   VSCSI_VU_P_U64);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), -1);
	m.u.u64 = (uint64_t)-22;
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, BE, VSCSI_VU_BACKEND_IOTLB_MSG, 0, VSCSI_VU_P_IOTLB);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	mk(&m, BE, VSCSI_VU_BACKEND_SHMEM_MAP, 0, VSCSI_VU_P_RAW);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 1);

	/* unknown */
	mk(&m, FE, 60, 0, VSCSI_VU_P_RAW);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), -1);
	mk(&m, BE, 60, 0, VSCSI_VU_P_RAW);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(&m, 0), -1);
	ck_assert_int_eq(vscsi_vu_msg_fds(NULL), VSCSI_ERR_ARG);
	ck_assert_int_eq(vscsi_vu_msg_fds_pf(NULL, 0), VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_expects_reply)
{
	static const uint32_t always[] = {
		VSCSI_VU_GET_FEATURES, VSCSI_VU_GET_PROTOCOL_FEATURES,
		VSCSI_VU_GET_VRING_BASE, VSCSI_VU_GET_QUEUE_NUM,
		VSCSI_VU_IOTLB_MSG, VSCSI_VU_GET_CONFIG,
		VSCSI_VU_CREATE_CRYPTO_SESSION, VSCSI_VU_POSTCOPY_ADVISE,
		VSCSI_VU_POSTCOPY_END, VSCSI_VU_GET_INFLIGHT_FD,
		VSCSI_VU_GET_MAX_MEM_SLOTS, VSCSI_VU_GET_STATUS,
		VSCSI_VU_GET_SHARED_OBJECT, VSCSI_VU_SET_DEVICE_STATE_FD,
		VSCSI_VU_CHECK_DEVICE_STATE, VSCSI_VU_GET_SHMEM_CONFIG,
	};
	const uint64_t ack = 1u << VSCSI_VU_PF_REPLY_ACK;
	const uint64_t shmfd = 1u << VSCSI_VU_PF_LOG_SHMFD;
	vscsi_vu_msg m;
	size_t i;
	uint32_t req;

	for (i = 0; i < ARRAY_LEN(always); i++) {
		mk(&m, FE, always[i], 0, VSCSI_VU_P_NONE);
		ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 1);
		m.hdr.flags |= REPLY;
		ck_assert_int_eq(vscsi_vu_expects_reply(&m, ~0ull), 0);
	}
	/* the rest: only NEED_REPLY with REPLY_ACK */
	for (req = 1; req < VSCSI_VU_FRONTEND_MAX; req++) {
		int listed = 0;

		for (i = 0; i < ARRAY_LEN(always); i++)
			listed |= always[i] == req;
		if (listed || req == VSCSI_VU_SET_LOG_BASE ||
		    req == VSCSI_VU_POSTCOPY_LISTEN)
			continue;
		mk(&m, FE, req, 0, VSCSI_VU_P_NONE);
		ck_assert_int_eq(vscsi_vu_expects_reply(&m, ~0ull), 0);
		m.hdr.flags |= NEED;
		ck_assert_int_eq(vscsi_vu_expects_reply(&m, ~ack), 0);
		ck_assert_int_eq(vscsi_vu_expects_reply(&m, ack), 1);
	}
	mk(&m, FE, VSCSI_VU_SET_LOG_BASE, 0, VSCSI_VU_P_LOG);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 0);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, shmfd), 1);
	mk(&m, FE, VSCSI_VU_POSTCOPY_LISTEN, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, ack), 0);
	m.hdr.flags |= NEED;
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 1);

	/* back-end channel */
	mk(&m, BE, VSCSI_VU_BACKEND_SHARED_OBJECT_LOOKUP, 0,
	   VSCSI_VU_P_SHARED_OBJECT);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 1);
	mk(&m, BE, VSCSI_VU_BACKEND_IOTLB_MSG, NEED, VSCSI_VU_P_IOTLB);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 0);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, ack), 1);
	mk(&m, BE, VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG, 0, VSCSI_VU_P_NONE);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, ack), 0);

	/* unknown requests follow REPLY_ACK */
	mk(&m, FE, 90, NEED, VSCSI_VU_P_RAW);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, ack), 1);
	ck_assert_int_eq(vscsi_vu_expects_reply(&m, 0), 0);
	ck_assert_int_eq(vscsi_vu_expects_reply(NULL, 0), VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_names)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(reqs); i++)
		ck_assert_str_eq(vscsi_vu_request_name(reqs[i].code,
				 reqs[i].channel), reqs[i].name);
	ck_assert_ptr_null(vscsi_vu_request_name(0, FE));
	ck_assert_ptr_null(vscsi_vu_request_name(45, FE));
	ck_assert_ptr_null(vscsi_vu_request_name(0, BE));
	ck_assert_ptr_null(vscsi_vu_request_name(11, BE));
	ck_assert_ptr_null(vscsi_vu_request_name(1, 2));
	ck_assert_str_eq(vscsi_vu_request_name(1, FE), "GET_FEATURES");
	ck_assert_str_eq(vscsi_vu_request_name(1, BE), "BACKEND_IOTLB_MSG");

	ck_assert_str_eq(vscsi_vu_protocol_feature_name(0), "MQ");
	ck_assert_str_eq(vscsi_vu_protocol_feature_name(3), "REPLY_ACK");
	ck_assert_str_eq(vscsi_vu_protocol_feature_name(5), "BACKEND_REQ");
	ck_assert_str_eq(vscsi_vu_protocol_feature_name(12), "INFLIGHT_SHMFD");
	ck_assert_str_eq(vscsi_vu_protocol_feature_name(15),
			 "CONFIGURE_MEM_SLOTS");
	ck_assert_str_eq(vscsi_vu_protocol_feature_name(19), "DEVICE_STATE");
	ck_assert_ptr_null(vscsi_vu_protocol_feature_name(21));
	ck_assert_ptr_null(vscsi_vu_protocol_feature_name(64));

	ck_assert_str_eq(vscsi_vu_feature_name(0), "INOUT");
	ck_assert_str_eq(vscsi_vu_feature_name(3), "T10_PI");
	ck_assert_str_eq(vscsi_vu_feature_name(26), "LOG_ALL");
	ck_assert_str_eq(vscsi_vu_feature_name(29), "RING_EVENT_IDX");
	ck_assert_str_eq(vscsi_vu_feature_name(30), "PROTOCOL_FEATURES");
	ck_assert_str_eq(vscsi_vu_feature_name(32), "VERSION_1");
	ck_assert_str_eq(vscsi_vu_feature_name(40), "RING_RESET");
	ck_assert_ptr_null(vscsi_vu_feature_name(4));
	ck_assert_ptr_null(vscsi_vu_feature_name(25));
	ck_assert_ptr_null(vscsi_vu_feature_name(31));
	ck_assert_ptr_null(vscsi_vu_feature_name(42));
	ck_assert_ptr_null(vscsi_vu_feature_name(1000));

	ck_assert_str_eq(vscsi_vu_status_name(4), "DRIVER_OK");
	ck_assert_str_eq(vscsi_vu_status_name(128), "FAILED");
	ck_assert_ptr_null(vscsi_vu_status_name(16));
	ck_assert_ptr_null(vscsi_vu_status_name(3));

	ck_assert_str_eq(vscsi_vu_payload_kind_name(VSCSI_VU_P_MEM_TABLE),
			 "mem_table");
	ck_assert_str_eq(vscsi_vu_payload_kind_name(VSCSI_VU_P_RAW), "raw");
	ck_assert_ptr_null(vscsi_vu_payload_kind_name(VSCSI_VU_P_COUNT));
}
END_TEST

/* snprintf semantics: the same return at every buffer length, a
 * NUL-terminated prefix of the full text, nothing written past len. */
static void check_snprintf(size_t (*fn)(const vscsi_vu_msg *, char *, size_t),
			   const vscsi_vu_msg *m, const char *want)
{
	char buf[2048];
	size_t full = strlen(want), len;

	ck_assert_uint_eq(fn(m, NULL, 0), full);
	for (len = 0; len <= full + 1; len++) {
		memset(buf, '#', sizeof(buf));
		ck_assert_uint_eq(fn(m, buf, len), full);
		if (len) {
			size_t got = len - 1 < full ? len - 1 : full;

			ck_assert_uint_eq(strlen(buf), got);
			ck_assert(memcmp(buf, want, got) == 0);
		} else {
			ck_assert_int_eq(buf[0], '#');
		}
		ck_assert_int_eq(buf[len], '#');
	}
	fn(m, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static size_t text_fn(const vscsi_vu_msg *m, char *b, size_t l)
{
	return vscsi_vu_msg_describe(m, b, l);
}

static size_t json_fn(const vscsi_vu_msg *m, char *b, size_t l)
{
	return vscsi_vu_msg_describe_json(m, b, l);
}

static void parse_bb(struct bb *x, int ch, vscsi_vu_msg *m)
{
	ck_assert_int_eq(vscsi_vu_msg_parse(x->b, x->n, ch, m), VSCSI_OK);
}

START_TEST(test_describe)
{
	static struct bb x;
	vscsi_vu_msg m;

	bhdr(&x, VSCSI_VU_GET_FEATURES, REPLY, 8);
	b64(&x, 0x140000003ull);
	parse_bb(&x, FE, &m);
	check_snprintf(text_fn, &m, "GET_FEATURES reply 0x140000003 "
		       "INOUT|HOTPLUG|PROTOCOL_FEATURES|VERSION_1");
	check_snprintf(json_fn, &m, "\"request\":\"GET_FEATURES\","
		       "\"request_code\":1,\"channel\":\"frontend\","
		       "\"flags\":5,\"reply\":true,\"need_reply\":false,"
		       "\"size\":8,\"payload\":\"u64\",\"value\":\"0x140000003\","
		       "\"features\":\"INOUT|HOTPLUG|PROTOCOL_FEATURES|"
		       "VERSION_1\"");

	bhdr(&x, VSCSI_VU_SET_VRING_ADDR, NEED, 40);
	b32(&x, 2);
	b32(&x, 0);
	b64(&x, 0x7f0000001000ull);
	b64(&x, 0x7f0000002000ull);
	b64(&x, 0x7f0000001800ull);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	check_snprintf(text_fn, &m, "SET_VRING_ADDR need_reply idx=2 flags=0x0 "
		       "desc=0x7f0000001000 used=0x7f0000002000 "
		       "avail=0x7f0000001800 log=0x0");
	check_snprintf(json_fn, &m, "\"request\":\"SET_VRING_ADDR\","
		       "\"request_code\":9,\"channel\":\"frontend\","
		       "\"flags\":9,\"reply\":false,\"need_reply\":true,"
		       "\"size\":40,\"payload\":\"addr\",\"index\":2,"
		       "\"vring_flags\":0,\"desc\":\"0x7f0000001000\","
		       "\"used\":\"0x7f0000002000\","
		       "\"avail\":\"0x7f0000001800\",\"log\":\"0x0\"");

	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8 + 64);
	b32(&x, 2);
	b32(&x, 0);
	b64(&x, 0);
	b64(&x, 0xa0000);
	b64(&x, 0x7f1200000000ull);
	b64(&x, 0);
	b64(&x, 0x100000);
	b64(&x, 0x3ff00000);
	b64(&x, 0x7f1200100000ull);
	b64(&x, 0x100000);
	parse_bb(&x, FE, &m);
	check_snprintf(text_fn, &m, "SET_MEM_TABLE 2 regions "
		       "[gpa=0x0 size=0xa0000 uva=0x7f1200000000 off=0x0] "
		       "[gpa=0x100000 size=0x3ff00000 uva=0x7f1200100000 "
		       "off=0x100000]");
	check_snprintf(json_fn, &m, "\"request\":\"SET_MEM_TABLE\","
		       "\"request_code\":5,\"channel\":\"frontend\","
		       "\"flags\":1,\"reply\":false,\"need_reply\":false,"
		       "\"size\":72,\"payload\":\"mem_table\",\"nregions\":2,"
		       "\"regions\":[{\"gpa\":\"0x0\",\"size\":\"0xa0000\","
		       "\"uva\":\"0x7f1200000000\",\"mmap_offset\":\"0x0\"},"
		       "{\"gpa\":\"0x100000\",\"size\":\"0x3ff00000\","
		       "\"uva\":\"0x7f1200100000\","
		       "\"mmap_offset\":\"0x100000\"}]");

	bhdr(&x, VSCSI_VU_SET_VRING_KICK, 0, 8);
	b64(&x, 0x101);
	parse_bb(&x, FE, &m);
	check_snprintf(text_fn, &m, "SET_VRING_KICK idx=1 nofd");
	check_snprintf(json_fn, &m, "\"request\":\"SET_VRING_KICK\","
		       "\"request_code\":12,\"channel\":\"frontend\","
		       "\"flags\":1,\"reply\":false,\"need_reply\":false,"
		       "\"size\":8,\"payload\":\"u64\",\"value\":\"0x101\","
		       "\"index\":1,\"nofd\":true");

	bhdr(&x, VSCSI_VU_SET_VRING_ENABLE, REPLY, 8);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	check_snprintf(text_fn, &m, "SET_VRING_ENABLE reply ack=0x0");
	check_snprintf(json_fn, &m, "\"request\":\"SET_VRING_ENABLE\","
		       "\"request_code\":18,\"channel\":\"frontend\","
		       "\"flags\":5,\"reply\":true,\"need_reply\":false,"
		       "\"size\":8,\"payload\":\"u64\",\"value\":\"0x0\","
		       "\"ok\":true");

	bhdr(&x, 42, 0, 3);
	b8(&x, 0xab);
	b8(&x, 0xcd);
	b8(&x, 0xef);
	parse_bb(&x, BE, &m);
	check_snprintf(text_fn, &m, "BACKEND_UNKNOWN(42) size=3 data=abcdef");
	check_snprintf(json_fn, &m, "\"request\":null,\"request_code\":42,"
		       "\"channel\":\"backend\",\"flags\":1,\"reply\":false,"
		       "\"need_reply\":false,\"size\":3,\"payload\":\"raw\","
		       "\"data\":\"abcdef\"");
}
END_TEST

/* One line per payload kind, and the u64 meanings. */
START_TEST(test_describe_kinds)
{
	static const struct {
		int ch;
		uint32_t req, flags;
		unsigned kind;
		uint32_t size;
		const char *text;
	} cases[] = {
		{ FE, VSCSI_VU_SET_STATUS, 0, VSCSI_VU_P_U64, 8,
		  "SET_STATUS 0x1122334455667788 FEATURES_OK|FAILED|bit8|bit9|"
		  "bit10|bit12|bit13|bit14|bit17|bit18|bit21|bit22|bit24|"
		  "bit26|bit28|bit30|bit34|bit38|bit40|bit41|bit44|bit45|"
		  "bit49|bit53|bit56|bit60" },
		{ FE, VSCSI_VU_GET_VRING_BASE, REPLY, VSCSI_VU_P_STATE, 8,
		  "GET_VRING_BASE reply idx=16909060 num=168496141" },
		{ FE, VSCSI_VU_ADD_MEM_REG, 0, VSCSI_VU_P_MEM_REG, 40,
		  "ADD_MEM_REG [gpa=0x40000000 size=0x20000000 "
		  "uva=0x7f8000000000 off=0x2000]" },
		{ FE, VSCSI_VU_SET_LOG_BASE, 0, VSCSI_VU_P_LOG, 16,
		  "SET_LOG_BASE size=0x8000 offset=0x100" },
		{ FE, VSCSI_VU_IOTLB_MSG, NEED, VSCSI_VU_P_IOTLB, 32,
		  "IOTLB_MSG need_reply type=UPDATE iova=0x1000 size=0x2000 "
		  "uaddr=0x7f0000003000 perm=rw" },
		{ FE, VSCSI_VU_GET_CONFIG, REPLY, VSCSI_VU_P_CONFIG, 15,
		  "GET_CONFIG reply offset=4 size=3 flags=1 data=01080f" },
		{ BE, VSCSI_VU_BACKEND_VRING_HOST_NOTIFIER_MSG, 0,
		  VSCSI_VU_P_VRING_AREA, 24,
		  "BACKEND_VRING_HOST_NOTIFIER_MSG idx=5 nofd size=0x1000 "
		  "offset=0x3000" },
		{ FE, VSCSI_VU_GET_INFLIGHT_FD, REPLY, VSCSI_VU_P_INFLIGHT, 20,
		  "GET_INFLIGHT_FD reply mmap_size=0x21000 mmap_offset=0x40 "
		  "queues=3 queue_size=128" },
		{ FE, VSCSI_VU_SET_DEVICE_STATE_FD, 0, VSCSI_VU_P_DEVICE_STATE,
		  8, "SET_DEVICE_STATE_FD direction=LOAD phase=STOPPED" },
		{ BE, VSCSI_VU_BACKEND_SHARED_OBJECT_ADD, 0,
		  VSCSI_VU_P_SHARED_OBJECT, 16,
		  "BACKEND_SHARED_OBJECT_ADD "
		  "uuid=00112233-4455-6677-8899-aabbccddeeff" },
		{ FE, VSCSI_VU_GET_FEATURES, 0, VSCSI_VU_P_NONE, 0,
		  "GET_FEATURES" },
		{ FE, VSCSI_VU_CREATE_CRYPTO_SESSION, 0, VSCSI_VU_P_RAW, 40,
		  "CREATE_CRYPTO_SESSION size=40 data=000000000000000000000000"
		  "42434041464744457a7b78797e7f7c7d72737071..." },
		{ FE, VSCSI_VU_GET_QUEUE_NUM, REPLY, VSCSI_VU_P_U64, 8,
		  "GET_QUEUE_NUM reply 1234605616436508552" },
	};
	static struct bb x;
	char buf[512];
	vscsi_vu_msg m;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		bhdr(&x, cases[i].req, cases[i].flags, cases[i].size);
		if (cases[i].kind == VSCSI_VU_P_RAW)
			bfill(&x, 0, 12);
		fill(&x, cases[i].kind, cases[i].size);
		parse_bb(&x, cases[i].ch, &m);
		ck_assert_uint_eq(m.payload_kind, cases[i].kind);
		vscsi_vu_msg_describe(&m, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].text);
		/* JSON names the payload kind */
		vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
		ck_assert_ptr_nonnull(strstr(buf,
			vscsi_vu_payload_kind_name(cases[i].kind)));
	}
}
END_TEST

START_TEST(test_describe_u64_meanings)
{
	static struct bb x;
	char buf[512];
	vscsi_vu_msg m;

	bhdr(&x, VSCSI_VU_GET_PROTOCOL_FEATURES, REPLY, 8);
	b64(&x, 0x8009);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET_PROTOCOL_FEATURES reply 0x8009 "
			 "MQ|REPLY_ACK|CONFIGURE_MEM_SLOTS");
	vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"protocol_features\":"
				     "\"MQ|REPLY_ACK|CONFIGURE_MEM_SLOTS\""));

	bhdr(&x, VSCSI_VU_SET_STATUS, 0, 8);
	b64(&x, 0xf);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SET_STATUS 0xf "
			 "ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK");
	vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"status\":\"ACKNOWLEDGE|DRIVER|"
				     "DRIVER_OK|FEATURES_OK\""));

	bhdr(&x, VSCSI_VU_SET_FEATURES, 0, 8);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SET_FEATURES 0x0");

	bhdr(&x, VSCSI_VU_SEND_RARP, 0, 8);
	b64(&x, 0x0000563412005452ull);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SEND_RARP mac=52:54:00:12:34:56");
	vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"mac\":\"52:54:00:12:34:56\""));

	bhdr(&x, VSCSI_VU_SET_DEVICE_STATE_FD, REPLY, 8);
	b64(&x, 0x100);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SET_DEVICE_STATE_FD reply result=0 nofd");

	bhdr(&x, VSCSI_VU_SET_VRING_CALL, 0, 8);
	b64(&x, 0x10003);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SET_VRING_CALL idx=3 fd value=0x10003");

	bhdr(&x, VSCSI_VU_GET_MAX_MEM_SLOTS, REPLY, 8);
	b64(&x, 509);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"value\":\"0x1fd\",\"count\":509"));

	bhdr(&x, VSCSI_VU_BACKEND_IOTLB_MSG, 0, 32);
	fill(&x, VSCSI_VU_P_IOTLB, 32);
	x.b[12 + 25] = 9;	/* unknown type */
	x.b[12 + 24] = 7;	/* unknown permission */
	parse_bb(&x, BE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "BACKEND_IOTLB_MSG type=9 iova=0x1000 "
			 "size=0x2000 uaddr=0x7f0000003000 perm=7");
	vscsi_vu_msg_describe_json(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"perm\":7,\"type\":9,"
				     "\"type_name\":null"));

	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 40);
	fill(&x, VSCSI_VU_P_MEM_TABLE, 40);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "SET_MEM_TABLE 1 region [gpa=0x1000 "
			 "size=0x10000 uva=0x7f0000000000 off=0x0]");

	bhdr(&x, 57, 0, 0);
	parse_bb(&x, FE, &m);
	vscsi_vu_msg_describe(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "UNKNOWN(57) size=0");
	ck_assert_uint_eq(vscsi_vu_msg_describe(NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_uint_eq(vscsi_vu_msg_describe_json(NULL, buf, sizeof(buf)),
			  0);
}
END_TEST

START_TEST(test_features_describe)
{
	char buf[256];
	size_t n;

	n = vscsi_vu_features_describe(0x140000003ull, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "INOUT|HOTPLUG|PROTOCOL_FEATURES|VERSION_1");
	ck_assert_uint_eq(n, strlen(buf));
	vscsi_vu_features_describe((1ull << 29) | (1ull << 26) | (1ull << 50),
				   0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "LOG_ALL|RING_EVENT_IDX|bit50");
	vscsi_vu_features_describe(0, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	vscsi_vu_features_describe((1ull << 3) | (1ull << 16) | (1ull << 63),
				   1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "REPLY_ACK|STATUS|bit63");
	vscsi_vu_status_describe(0x83, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ACKNOWLEDGE|DRIVER|FAILED");
	vscsi_vu_status_describe(0x110, buf, sizeof(buf));
	ck_assert_str_eq(buf, "bit4|bit8");

	/* tiny buffers */
	ck_assert_uint_eq(vscsi_vu_features_describe(1, 0, NULL, 0), 5);
	memset(buf, '#', sizeof(buf));
	ck_assert_uint_eq(vscsi_vu_features_describe(3, 0, buf, 1), 13);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(buf[1], '#');
	memset(buf, '#', sizeof(buf));
	ck_assert_uint_eq(vscsi_vu_features_describe(3, 0, buf, 7), 13);
	ck_assert_str_eq(buf, "INOUT|");
	ck_assert_int_eq(buf[7], '#');
	ck_assert_uint_eq(vscsi_vu_features_describe(3, 0, buf, 8), 13);
	ck_assert_str_eq(buf, "INOUT|H");
	ck_assert_uint_eq(vscsi_vu_status_describe(4, buf, 3), 9);
	ck_assert_str_eq(buf, "DR");
}
END_TEST

/* Postcopy and QEMU's off-spec sizes, as QEMU sends them. */
START_TEST(test_qemu_quirks)
{
	static struct bb x;
	vscsi_vu_msg m;

	/* ADD_MEM_REG u64 ack after a postcopy reply: no fd */
	bhdr(&x, VSCSI_VU_ADD_MEM_REG, 0, 8);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_U64);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	/* SET_MEM_TABLE u64 ack reads as an empty table, no fd */
	bhdr(&x, VSCSI_VU_SET_MEM_TABLE, 0, 8);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_MEM_TABLE);
	ck_assert_int_eq(vscsi_vu_msg_fds(&m), 0);
	/* GET_SHARED_OBJECT with size 0 */
	bhdr(&x, VSCSI_VU_GET_SHARED_OBJECT, 0, 0);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_NONE);
	/* SET_LOG_BASE with the log description and as the document's u64 */
	bhdr(&x, VSCSI_VU_SET_LOG_BASE, 0, 16);
	b64(&x, 0x40000);
	b64(&x, 0);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_LOG);
	ck_assert_uint_eq(m.u.log.size, 0x40000);
	bhdr(&x, VSCSI_VU_SET_LOG_BASE, 0, 8);
	b64(&x, 0x1000);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.payload_kind, VSCSI_VU_P_U64);
	/* the GET_CONFIG request carries config_len bytes of zeros */
	bhdr(&x, VSCSI_VU_GET_CONFIG, 0, 12 + 36);
	b32(&x, 0);
	b32(&x, 36);
	b32(&x, 0);
	bfill(&x, 0, 36);
	parse_bb(&x, FE, &m);
	ck_assert_uint_eq(m.u.config.size, 36);
}
END_TEST

static Suite *vhost_user_suite(void)
{
	Suite *s = suite_create("vhost_user");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_sizes_every_request, 0,
			    (int)ARRAY_LEN(reqs));
	tcase_add_loop_test(tc, test_fields_and_truncation_every_request, 0,
			    (int)ARRAY_LEN(reqs));
	tcase_add_test(tc, test_hdr);
	tcase_add_test(tc, test_bad_version_and_args);
	tcase_add_test(tc, test_size_before_truncation);
	tcase_add_test(tc, test_unknown_is_raw);
	tcase_add_test(tc, test_literal_messages);
	tcase_add_test(tc, test_mem_table_counts);
	tcase_add_test(tc, test_config_sizes);
	tcase_add_test(tc, test_build_round_trip);
	tcase_add_test(tc, test_build_refuses);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_fds);
	tcase_add_test(tc, test_expects_reply);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_describe_kinds);
	tcase_add_test(tc, test_describe_u64_meanings);
	tcase_add_test(tc, test_features_describe);
	tcase_add_test(tc, test_qemu_quirks);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(vhost_user_suite)
