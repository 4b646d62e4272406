/*
 * vhost-user message decoding (QEMU docs/interop/vhost-user.rst).
 *
 * One table per channel, indexed by request number, says which payload
 * layouts a request and its reply may carry (in order of preference when a
 * size fits two), what a u64 payload means, how many fds come along and
 * whether the sender waits for a reply. Parsing, building, fd counting and
 * describing all read that table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vscsi/reader.h"
#include "strbuf.h"
#include "vscsi/vhost_user.h"

#define VU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ table */

#define KE 0xff		/* end of a kind list */
#define K1(a) { (a), KE, KE }
#define K2(a, b) { (a), (b), KE }
#define K3(a, b, c) { (a), (b), (c) }

#define P_NONE VSCSI_VU_P_NONE
#define P_U64 VSCSI_VU_P_U64
#define P_STATE VSCSI_VU_P_STATE
#define P_ADDR VSCSI_VU_P_ADDR
#define P_MEM VSCSI_VU_P_MEM_TABLE
#define P_REG VSCSI_VU_P_MEM_REG
#define P_LOG VSCSI_VU_P_LOG
#define P_IOTLB VSCSI_VU_P_IOTLB
#define P_CONFIG VSCSI_VU_P_CONFIG
#define P_AREA VSCSI_VU_P_VRING_AREA
#define P_INFL VSCSI_VU_P_INFLIGHT
/* The inflight description: 20 bytes of fields in the doc, 24 on the wire
 * (QEMU's padded struct); parsed at either, built at 24 unless the message
 * says 20. */
#define VU_INFLIGHT_DOC 20
#define VU_INFLIGHT_WIRE 24
#define P_DEVST VSCSI_VU_P_DEVICE_STATE
#define P_SHARED VSCSI_VU_P_SHARED_OBJECT
#define P_RAW VSCSI_VU_P_RAW

/* What a u64 payload means (for describing it). */
enum vu_u64 {
	U_HEX = 0,
	U_FEATURES,	/* virtio/vhost feature bits */
	U_PROTOCOL,	/* protocol feature bits */
	U_STATUS,	/* device status */
	U_VRING_FD,	/* index | NOFD */
	U_ACK,		/* 0 success, else failure */
	U_COUNT,	/* a number */
	U_RARP,		/* 6-byte MAC in the first bytes */
	U_DEVSTATE,	/* SET_DEVICE_STATE_FD reply: result | NOFD */
};

/* How many fds come with the message. */
enum vu_fd {
	FD_0 = 0,
	FD_1,
	FD_REGIONS,	/* memory table: nregions */
	FD_VRING,	/* u64: 1 unless NOFD */
	FD_AREA,	/* vring area: 1 unless NOFD */
	FD_LOG,		/* 1 with LOG_SHMFD */
	FD_MEMREG,	/* 1 for the region form, 0 for the u64 ack */
	FD_INFLIGHT,	/* 1 when mmap_size != 0 */
	FD_DEVSTATE,	/* 1 unless NOFD or an error */
	FD_MAYBE,	/* 0 or 1 */
	FD_LOOKUP,	/* 0 or 1 on success, 0 on failure */
};

/* When the request's sender waits for a reply. */
enum vu_wait {
	W_ACK = 0,	/* only NEED_REPLY with REPLY_ACK */
	W_ALWAYS,
	W_LOG_SHMFD,	/* with LOG_SHMFD */
	W_NEED_REPLY,	/* whenever NEED_REPLY is set */
};

struct vu_info {
	const char *name;
	uint8_t req[3];		/* payload kinds of the request */
	uint8_t rep[3];		/* payload kinds of the reply */
	uint8_t req_u64, rep_u64;
	uint8_t req_fd, rep_fd;
	uint8_t wait;
};

#define ACK K1(P_U64)

static const struct vu_info vu_front[VSCSI_VU_FRONTEND_MAX] = {
	[VSCSI_VU_GET_FEATURES] = { "GET_FEATURES", K1(P_NONE), K1(P_U64),
		U_HEX, U_FEATURES, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_SET_FEATURES] = { "SET_FEATURES", K1(P_U64), ACK,
		U_FEATURES, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SET_OWNER] = { "SET_OWNER", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_RESET_OWNER] = { "RESET_OWNER", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	/* The postcopy reply lists the mapped regions; a reply of 8 bytes is
	 * the REPLY_ACK u64. */
	[VSCSI_VU_SET_MEM_TABLE] = { "SET_MEM_TABLE", K1(P_MEM),
		K2(P_U64, P_MEM), U_ACK, U_ACK, FD_REGIONS, FD_0, W_ACK },
	/* QEMU and DPDK send the log description (16); the document says
	 * u64. libvhost-user replies with a u64 0. */
	[VSCSI_VU_SET_LOG_BASE] = { "SET_LOG_BASE", K2(P_LOG, P_U64),
		K2(P_U64, P_NONE), U_HEX, U_ACK, FD_LOG, FD_0, W_LOG_SHMFD },
	[VSCSI_VU_SET_LOG_FD] = { "SET_LOG_FD", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_1, FD_0, W_ACK },
	[VSCSI_VU_SET_VRING_NUM] = { "SET_VRING_NUM", K1(P_STATE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SET_VRING_ADDR] = { "SET_VRING_ADDR", K1(P_ADDR), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SET_VRING_BASE] = { "SET_VRING_BASE", K1(P_STATE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_GET_VRING_BASE] = { "GET_VRING_BASE", K1(P_STATE),
		K1(P_STATE), U_HEX, U_HEX, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_SET_VRING_KICK] = { "SET_VRING_KICK", K1(P_U64), ACK,
		U_VRING_FD, U_ACK, FD_VRING, FD_0, W_ACK },
	[VSCSI_VU_SET_VRING_CALL] = { "SET_VRING_CALL", K1(P_U64), ACK,
		U_VRING_FD, U_ACK, FD_VRING, FD_0, W_ACK },
	[VSCSI_VU_SET_VRING_ERR] = { "SET_VRING_ERR", K1(P_U64), ACK,
		U_VRING_FD, U_ACK, FD_VRING, FD_0, W_ACK },
	[VSCSI_VU_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES",
		K1(P_NONE), K1(P_U64), U_HEX, U_PROTOCOL, FD_0, FD_0,
		W_ALWAYS },
	[VSCSI_VU_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES",
		K1(P_U64), ACK, U_PROTOCOL, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", K1(P_NONE), K1(P_U64),
		U_HEX, U_COUNT, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", K1(P_STATE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SEND_RARP] = { "SEND_RARP", K1(P_U64), ACK,
		U_RARP, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_NET_SET_MTU] = { "NET_SET_MTU", K1(P_U64), ACK,
		U_COUNT, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD", K1(P_NONE),
		ACK, U_HEX, U_ACK, FD_1, FD_0, W_ACK },
	[VSCSI_VU_IOTLB_MSG] = { "IOTLB_MSG", K1(P_IOTLB), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", K1(P_STATE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	/* A back-end signals an error with an empty reply. */
	[VSCSI_VU_GET_CONFIG] = { "GET_CONFIG", K1(P_CONFIG),
		K2(P_CONFIG, P_NONE), U_HEX, U_HEX, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_SET_CONFIG] = { "SET_CONFIG", K1(P_CONFIG), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	/* The session layout is QEMU's C struct (pointers and all). */
	[VSCSI_VU_CREATE_CRYPTO_SESSION] = { "CREATE_CRYPTO_SESSION",
		K1(P_RAW), K1(P_RAW), U_HEX, U_HEX, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_CLOSE_CRYPTO_SESSION] = { "CLOSE_CRYPTO_SESSION", K1(P_U64),
		ACK, U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_POSTCOPY_ADVISE] = { "POSTCOPY_ADVISE", K1(P_NONE),
		K1(P_NONE), U_HEX, U_HEX, FD_0, FD_1, W_ALWAYS },
	[VSCSI_VU_POSTCOPY_LISTEN] = { "POSTCOPY_LISTEN", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_NEED_REPLY },
	[VSCSI_VU_POSTCOPY_END] = { "POSTCOPY_END", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_GET_INFLIGHT_FD] = { "GET_INFLIGHT_FD", K1(P_INFL),
		K1(P_INFL), U_HEX, U_HEX, FD_0, FD_INFLIGHT, W_ALWAYS },
	[VSCSI_VU_SET_INFLIGHT_FD] = { "SET_INFLIGHT_FD", K1(P_INFL), ACK,
		U_HEX, U_ACK, FD_1, FD_0, W_ACK },
	[VSCSI_VU_GPU_SET_SOCKET] = { "GPU_SET_SOCKET", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_1, FD_0, W_ACK },
	[VSCSI_VU_RESET_DEVICE] = { "RESET_DEVICE", K1(P_NONE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_VRING_KICK] = { "VRING_KICK", K1(P_STATE), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS", K1(P_NONE),
		K1(P_U64), U_HEX, U_COUNT, FD_0, FD_0, W_ALWAYS },
	/* QEMU acks a postcopy reply with an ADD_MEM_REG carrying a u64 0
	 * and no fd. */
	[VSCSI_VU_ADD_MEM_REG] = { "ADD_MEM_REG", K2(P_REG, P_U64),
		K2(P_REG, P_U64), U_ACK, U_ACK, FD_MEMREG, FD_0, W_ACK },
	[VSCSI_VU_REM_MEM_REG] = { "REM_MEM_REG", K1(P_REG), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_SET_STATUS] = { "SET_STATUS", K1(P_U64), ACK,
		U_STATUS, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_GET_STATUS] = { "GET_STATUS", K1(P_NONE), K1(P_U64),
		U_HEX, U_STATUS, FD_0, FD_0, W_ALWAYS },
	/* QEMU sends the request with size 0 (the UUID is in its buffer but
	 * not counted); libvhost-user echoes the request's size back. */
	[VSCSI_VU_GET_SHARED_OBJECT] = { "GET_SHARED_OBJECT",
		K2(P_SHARED, P_NONE), K3(P_SHARED, P_U64, P_NONE),
		U_HEX, U_ACK, FD_0, FD_MAYBE, W_ALWAYS },
	[VSCSI_VU_SET_DEVICE_STATE_FD] = { "SET_DEVICE_STATE_FD", K1(P_DEVST),
		K1(P_U64), U_HEX, U_DEVSTATE, FD_1, FD_DEVSTATE, W_ALWAYS },
	[VSCSI_VU_CHECK_DEVICE_STATE] = { "CHECK_DEVICE_STATE", K1(P_NONE),
		ACK, U_HEX, U_ACK, FD_0, FD_0, W_ALWAYS },
	[VSCSI_VU_GET_SHMEM_CONFIG] = { "GET_SHMEM_CONFIG", K1(P_NONE),
		K1(P_RAW), U_HEX, U_HEX, FD_0, FD_0, W_ALWAYS },
};

static const struct vu_info vu_back[VSCSI_VU_BACKEND_MAX] = {
	[VSCSI_VU_BACKEND_IOTLB_MSG] = { "BACKEND_IOTLB_MSG", K1(P_IOTLB), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG] = { "BACKEND_CONFIG_CHANGE_MSG",
		K1(P_NONE), ACK, U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_VRING_HOST_NOTIFIER_MSG] = {
		"BACKEND_VRING_HOST_NOTIFIER_MSG", K1(P_AREA), ACK,
		U_HEX, U_ACK, FD_AREA, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_VRING_CALL] = { "BACKEND_VRING_CALL", K1(P_STATE),
		ACK, U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_VRING_ERR] = { "BACKEND_VRING_ERR", K1(P_STATE),
		ACK, U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_SHARED_OBJECT_ADD] = { "BACKEND_SHARED_OBJECT_ADD",
		K1(P_SHARED), ACK, U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_SHARED_OBJECT_REMOVE] = {
		"BACKEND_SHARED_OBJECT_REMOVE", K1(P_SHARED), ACK,
		U_HEX, U_ACK, FD_0, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_SHARED_OBJECT_LOOKUP] = {
		"BACKEND_SHARED_OBJECT_LOOKUP", K1(P_SHARED), ACK,
		U_HEX, U_ACK, FD_0, FD_LOOKUP, W_ALWAYS },
	[VSCSI_VU_BACKEND_SHMEM_MAP] = { "BACKEND_SHMEM_MAP", K1(P_RAW),
		K1(P_RAW), U_HEX, U_HEX, FD_1, FD_0, W_ACK },
	[VSCSI_VU_BACKEND_SHMEM_UNMAP] = { "BACKEND_SHMEM_UNMAP", K1(P_RAW),
		K1(P_RAW), U_HEX, U_HEX, FD_0, FD_0, W_ACK },
};

static const struct vu_info *vu_lookup(uint32_t request, int channel)
{
	const struct vu_info *t;

	if (channel == VSCSI_VU_FRONTEND) {
		if (request >= VU_ARRAY_LEN(vu_front))
			return NULL;
		t = &vu_front[request];
	} else if (channel == VSCSI_VU_BACKEND) {
		if (request >= VU_ARRAY_LEN(vu_back))
			return NULL;
		t = &vu_back[request];
	} else {
		return NULL;
	}
	return t->name ? t : NULL;
}

static int vu_channel_ok(int channel)
{
	return channel == VSCSI_VU_FRONTEND || channel == VSCSI_VU_BACKEND;
}

static int vu_is_reply(const vscsi_vu_hdr *h)
{
	return (h->flags & VSCSI_VU_FLAG_REPLY) != 0;
}

/* Size of a fixed layout; -1 for the variable ones. */
static long vu_fixed_size(unsigned kind)
{
	switch (kind) {
	case P_NONE: return 0;
	case P_U64: return 8;
	case P_STATE: return 8;
	case P_ADDR: return 40;
	case P_REG: return 8 + VSCSI_VU_REGION_SIZE;
	case P_LOG: return 16;
	case P_IOTLB: return 32;
	case P_AREA: return 24;
	case P_INFL: return VU_INFLIGHT_WIRE;
	case P_DEVST: return 8;
	case P_SHARED: return 16;
	default: return -1;
	}
}

/* Whether size fits the shape of kind (not yet its contents). */
static int vu_size_fits(unsigned kind, uint32_t size)
{
	long fixed;

	switch (kind) {
	case P_MEM:
		return size >= 8 && (size - 8) % VSCSI_VU_REGION_SIZE == 0 &&
		       (size - 8) / VSCSI_VU_REGION_SIZE <= VSCSI_VU_MAX_REGIONS;
	case P_CONFIG:
		return size >= VSCSI_VU_CONFIG_HDR_SIZE &&
		       size - VSCSI_VU_CONFIG_HDR_SIZE <= VSCSI_VU_MAX_CONFIG;
	case P_RAW:
		return size <= VSCSI_VU_MAX_PAYLOAD;
	case P_INFL:
		/* QEMU: the doc's 20 bytes, sent as QEMU's C struct padded to
		 * 24 (and QEMU refuses anything else); accept both */
		return size == VU_INFLIGHT_DOC || size == VU_INFLIGHT_WIRE;
	default:
		fixed = vu_fixed_size(kind);
		return fixed >= 0 && (unsigned long)fixed == size;
	}
}

/* The first kind the request (or reply) takes at this size; -1 if none. */
static int vu_pick_kind(const struct vu_info *info, int reply, uint32_t size)
{
	const uint8_t *k = reply ? info->rep : info->req;
	size_t i;

	for (i = 0; i < 3 && k[i] != KE; i++)
		if (vu_size_fits(k[i], size))
			return k[i];
	return -1;
}

/* ------------------------------------------------------------ header */

int vscsi_vu_hdr_parse(const void *buf, size_t len, vscsi_vu_hdr *out)
{
	vscsi_rd r;

	if (!out)
		return VSCSI_ERR_ARG;
	memset(out, 0, sizeof(*out));
	vscsi_rd_init(&r, buf, len);
	out->request = vscsi_rd_le32(&r);
	out->flags = vscsi_rd_le32(&r);
	out->size = vscsi_rd_le32(&r);
	if (vscsi_rd_error(&r))
		return vscsi_rd_error(&r);
	if ((out->flags & VSCSI_VU_VERSION_MASK) != VSCSI_VU_VERSION)
		return VSCSI_ERR_INVALID;
	if (out->size > VSCSI_VU_MAX_PAYLOAD)
		return VSCSI_ERR_INVALID;
	return VSCSI_OK;
}

int vscsi_vu_hdr_check(const vscsi_vu_hdr *h, int channel)
{
	const struct vu_info *info;

	if (!h || !vu_channel_ok(channel))
		return VSCSI_ERR_ARG;
	info = vu_lookup(h->request, channel);
	if (!info)
		return VSCSI_OK;
	return vu_pick_kind(info, vu_is_reply(h), h->size) < 0 ?
	       VSCSI_ERR_MSG_SIZE : VSCSI_OK;
}

/* ------------------------------------------------------------ parse */

static void vu_rd_region(vscsi_rd *r, struct vscsi_vu_region *g)
{
	g->gpa = vscsi_rd_le64(r);
	g->size = vscsi_rd_le64(r);
	g->uva = vscsi_rd_le64(r);
	g->mmap_offset = vscsi_rd_le64(r);
}

/* Decode a payload of exactly hdr.size bytes (already known to fit the
 * shape of kind). */
static int vu_decode(vscsi_rd *r, unsigned kind, vscsi_vu_msg *m)
{
	uint32_t i;

	switch (kind) {
	case P_NONE:
		break;
	case P_U64:
		m->u.u64 = vscsi_rd_le64(r);
		break;
	case P_STATE:
		m->u.state.index = vscsi_rd_le32(r);
		m->u.state.num = vscsi_rd_le32(r);
		break;
	case P_ADDR:
		m->u.addr.index = vscsi_rd_le32(r);
		m->u.addr.flags = vscsi_rd_le32(r);
		m->u.addr.desc = vscsi_rd_le64(r);
		m->u.addr.used = vscsi_rd_le64(r);
		m->u.addr.avail = vscsi_rd_le64(r);
		m->u.addr.log = vscsi_rd_le64(r);
		break;
	case P_MEM:
		m->u.mem.nregions = vscsi_rd_le32(r);
		vscsi_rd_skip(r, 4);	/* padding */
		if (vscsi_rd_error(r))
			break;
		if (m->u.mem.nregions > VSCSI_VU_MAX_REGIONS) {
			m->u.mem.nregions = 0;
			return VSCSI_ERR_INVALID;
		}
		if (m->hdr.size != 8 + m->u.mem.nregions * VSCSI_VU_REGION_SIZE)
			return VSCSI_ERR_MSG_SIZE;
		for (i = 0; i < m->u.mem.nregions; i++)
			vu_rd_region(r, &m->u.mem.regions[i]);
		break;
	case P_REG:
		vscsi_rd_skip(r, 8);	/* padding */
		vu_rd_region(r, &m->u.reg);
		break;
	case P_LOG:
		m->u.log.size = vscsi_rd_le64(r);
		m->u.log.offset = vscsi_rd_le64(r);
		break;
	case P_IOTLB:
		m->u.iotlb.iova = vscsi_rd_le64(r);
		m->u.iotlb.size = vscsi_rd_le64(r);
		m->u.iotlb.uaddr = vscsi_rd_le64(r);
		m->u.iotlb.perm = vscsi_rd_u8(r);
		m->u.iotlb.type = vscsi_rd_u8(r);
		vscsi_rd_skip(r, 6);	/* struct padding */
		break;
	case P_CONFIG:
		m->u.config.offset = vscsi_rd_le32(r);
		m->u.config.size = vscsi_rd_le32(r);
		m->u.config.flags = vscsi_rd_le32(r);
		if (vscsi_rd_error(r))
			break;
		if (m->u.config.size > VSCSI_VU_MAX_CONFIG) {
			m->u.config.size = 0;
			return VSCSI_ERR_INVALID;
		}
		if (m->hdr.size != VSCSI_VU_CONFIG_HDR_SIZE + m->u.config.size)
			return VSCSI_ERR_MSG_SIZE;
		vscsi_rd_bytes(r, m->u.config.data, m->u.config.size);
		break;
	case P_AREA:
		m->u.area.u64 = vscsi_rd_le64(r);
		m->u.area.size = vscsi_rd_le64(r);
		m->u.area.offset = vscsi_rd_le64(r);
		break;
	case P_INFL:
		m->u.inflight.mmap_size = vscsi_rd_le64(r);
		m->u.inflight.mmap_offset = vscsi_rd_le64(r);
		m->u.inflight.num_queues = vscsi_rd_le16(r);
		m->u.inflight.queue_size = vscsi_rd_le16(r);
		if (m->hdr.size == VU_INFLIGHT_WIRE)
			vscsi_rd_skip(r, VU_INFLIGHT_WIRE - VU_INFLIGHT_DOC);
		break;
	case P_DEVST:
		m->u.dev_state.direction = vscsi_rd_le32(r);
		m->u.dev_state.phase = vscsi_rd_le32(r);
		break;
	case P_SHARED:
		vscsi_rd_bytes(r, m->u.shared.uuid, sizeof(m->u.shared.uuid));
		break;
	case P_RAW:
		m->u.raw.len = m->hdr.size;
		m->u.raw.data = vscsi_rd_ptr(r, m->hdr.size);
		break;
	default:
		return VSCSI_ERR_INVALID;
	}
	if (vscsi_rd_error(r))
		return vscsi_rd_error(r);
	/* The size matched the layout, so every byte was read. */
	return vscsi_rd_left(r) ? VSCSI_ERR_MSG_SIZE : VSCSI_OK;
}

int vscsi_vu_msg_parse(const void *buf, size_t len, int channel,
		       vscsi_vu_msg *out)
{
	const struct vu_info *info;
	vscsi_rd r;
	int kind, rc;

	if (!out || !vu_channel_ok(channel))
		return VSCSI_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->channel = channel;
	out->payload_kind = P_NONE;
	rc = vscsi_vu_hdr_parse(buf, len, &out->hdr);
	if (rc)
		return rc;

	info = vu_lookup(out->hdr.request, channel);
	if (info) {
		kind = vu_pick_kind(info, vu_is_reply(&out->hdr),
				    out->hdr.size);
		if (kind < 0)
			return VSCSI_ERR_MSG_SIZE;
	} else {
		kind = P_RAW;
	}
	if (out->hdr.size > len - VSCSI_VU_HDR_SIZE)
		return VSCSI_ERR_TRUNCATED;

	out->payload_kind = (unsigned)kind;
	vscsi_rd_init(&r, (const uint8_t *)buf + VSCSI_VU_HDR_SIZE,
		      out->hdr.size);
	rc = vu_decode(&r, (unsigned)kind, out);
	if (rc)
		out->payload_kind = P_NONE;
	return rc;
}

/* ------------------------------------------------------------ build */

static void vu_put_region(uint8_t *p, const struct vscsi_vu_region *g)
{
	vscsi_put_le64(p, g->gpa);
	vscsi_put_le64(p + 8, g->size);
	vscsi_put_le64(p + 16, g->uva);
	vscsi_put_le64(p + 24, g->mmap_offset);
}

/* Payload size for m, or VSCSI_ERR_ARG when m cannot be encoded. */
static long vu_payload_size(const vscsi_vu_msg *m)
{
	switch (m->payload_kind) {
	case P_MEM:
		if (m->u.mem.nregions > VSCSI_VU_MAX_REGIONS)
			return VSCSI_ERR_ARG;
		return 8 + (long)m->u.mem.nregions * VSCSI_VU_REGION_SIZE;
	case P_CONFIG:
		if (m->u.config.size > VSCSI_VU_MAX_CONFIG)
			return VSCSI_ERR_ARG;
		return VSCSI_VU_CONFIG_HDR_SIZE + (long)m->u.config.size;
	case P_RAW:
		if (m->u.raw.len > VSCSI_VU_MAX_PAYLOAD ||
		    (m->u.raw.len && !m->u.raw.data))
			return VSCSI_ERR_ARG;
		return (long)m->u.raw.len;
	case P_INFL:
		/* 24 (what QEMU accepts) unless the message was parsed at the
		 * doc's 20, so that parse and build round-trip */
		return m->hdr.size == VU_INFLIGHT_DOC ? VU_INFLIGHT_DOC :
						       VU_INFLIGHT_WIRE;
	default:
		return m->payload_kind < VSCSI_VU_P_COUNT ?
		       vu_fixed_size(m->payload_kind) : VSCSI_ERR_ARG;
	}
}

int vscsi_vu_msg_build(const vscsi_vu_msg *m, void *buf, size_t len)
{
	const struct vu_info *info;
	vscsi_vu_hdr h;
	uint8_t *p = buf, *q;
	long size;
	uint32_t i;

	if (!m || (!buf && len) || !vu_channel_ok(m->channel))
		return VSCSI_ERR_ARG;
	size = vu_payload_size(m);
	if (size < 0)
		return VSCSI_ERR_ARG;

	h.request = m->hdr.request;
	h.flags = (m->hdr.flags & ~VSCSI_VU_VERSION_MASK) | VSCSI_VU_VERSION;
	h.size = (uint32_t)size;
	info = vu_lookup(h.request, m->channel);
	if (info) {
		if (vu_pick_kind(info, vu_is_reply(&h), h.size) !=
		    (int)m->payload_kind)
			return VSCSI_ERR_ARG;
	} else if (m->payload_kind != P_RAW) {
		return VSCSI_ERR_ARG;
	}
	if ((size_t)size + VSCSI_VU_HDR_SIZE > len)
		return VSCSI_ERR_NOSPACE;

	vscsi_put_le32(p, h.request);
	vscsi_put_le32(p + 4, h.flags);
	vscsi_put_le32(p + 8, h.size);
	q = p + VSCSI_VU_HDR_SIZE;
	memset(q, 0, (size_t)size);
	switch (m->payload_kind) {
	case P_U64:
		vscsi_put_le64(q, m->u.u64);
		break;
	case P_STATE:
		vscsi_put_le32(q, m->u.state.index);
		vscsi_put_le32(q + 4, m->u.state.num);
		break;
	case P_ADDR:
		vscsi_put_le32(q, m->u.addr.index);
		vscsi_put_le32(q + 4, m->u.addr.flags);
		vscsi_put_le64(q + 8, m->u.addr.desc);
		vscsi_put_le64(q + 16, m->u.addr.used);
		vscsi_put_le64(q + 24, m->u.addr.avail);
		vscsi_put_le64(q + 32, m->u.addr.log);
		break;
	case P_MEM:
		vscsi_put_le32(q, m->u.mem.nregions);
		for (i = 0; i < m->u.mem.nregions; i++)
			vu_put_region(q + 8 + i * VSCSI_VU_REGION_SIZE,
				      &m->u.mem.regions[i]);
		break;
	case P_REG:
		vu_put_region(q + 8, &m->u.reg);
		break;
	case P_LOG:
		vscsi_put_le64(q, m->u.log.size);
		vscsi_put_le64(q + 8, m->u.log.offset);
		break;
	case P_IOTLB:
		vscsi_put_le64(q, m->u.iotlb.iova);
		vscsi_put_le64(q + 8, m->u.iotlb.size);
		vscsi_put_le64(q + 16, m->u.iotlb.uaddr);
		q[24] = m->u.iotlb.perm;
		q[25] = m->u.iotlb.type;
		break;
	case P_CONFIG:
		vscsi_put_le32(q, m->u.config.offset);
		vscsi_put_le32(q + 4, m->u.config.size);
		vscsi_put_le32(q + 8, m->u.config.flags);
		memcpy(q + 12, m->u.config.data, m->u.config.size);
		break;
	case P_AREA:
		vscsi_put_le64(q, m->u.area.u64);
		vscsi_put_le64(q + 8, m->u.area.size);
		vscsi_put_le64(q + 16, m->u.area.offset);
		break;
	case P_INFL:
		vscsi_put_le64(q, m->u.inflight.mmap_size);
		vscsi_put_le64(q + 8, m->u.inflight.mmap_offset);
		vscsi_put_le16(q + 16, m->u.inflight.num_queues);
		vscsi_put_le16(q + 18, m->u.inflight.queue_size);
		if (m->hdr.size != VU_INFLIGHT_DOC)
			memset(q + VU_INFLIGHT_DOC, 0,
			       VU_INFLIGHT_WIRE - VU_INFLIGHT_DOC);
		break;
	case P_DEVST:
		vscsi_put_le32(q, m->u.dev_state.direction);
		vscsi_put_le32(q + 4, m->u.dev_state.phase);
		break;
	case P_SHARED:
		memcpy(q, m->u.shared.uuid, sizeof(m->u.shared.uuid));
		break;
	case P_RAW:
		if (size)
			memcpy(q, m->u.raw.data, (size_t)size);
		break;
	default:
		break;
	}
	return (int)size + VSCSI_VU_HDR_SIZE;
}

static int vu_region_eq(const struct vscsi_vu_region *a,
			const struct vscsi_vu_region *b)
{
	return a->gpa == b->gpa && a->size == b->size && a->uva == b->uva &&
	       a->mmap_offset == b->mmap_offset;
}

int vscsi_vu_msg_equal(const vscsi_vu_msg *a, const vscsi_vu_msg *b)
{
	uint32_t i;

	if (!a || !b)
		return a == b;
	if (a->hdr.request != b->hdr.request || a->hdr.flags != b->hdr.flags ||
	    a->hdr.size != b->hdr.size || a->channel != b->channel ||
	    a->payload_kind != b->payload_kind)
		return 0;
	switch (a->payload_kind) {
	case P_NONE:
		return 1;
	case P_U64:
		return a->u.u64 == b->u.u64;
	case P_STATE:
		return a->u.state.index == b->u.state.index &&
		       a->u.state.num == b->u.state.num;
	case P_DEVST:
		return a->u.dev_state.direction == b->u.dev_state.direction &&
		       a->u.dev_state.phase == b->u.dev_state.phase;
	case P_ADDR:
		return a->u.addr.index == b->u.addr.index &&
		       a->u.addr.flags == b->u.addr.flags &&
		       a->u.addr.desc == b->u.addr.desc &&
		       a->u.addr.used == b->u.addr.used &&
		       a->u.addr.avail == b->u.addr.avail &&
		       a->u.addr.log == b->u.addr.log;
	case P_MEM:
		if (a->u.mem.nregions != b->u.mem.nregions ||
		    a->u.mem.nregions > VSCSI_VU_MAX_REGIONS)
			return 0;
		for (i = 0; i < a->u.mem.nregions; i++)
			if (!vu_region_eq(&a->u.mem.regions[i],
					  &b->u.mem.regions[i]))
				return 0;
		return 1;
	case P_REG:
		return vu_region_eq(&a->u.reg, &b->u.reg);
	case P_LOG:
		return a->u.log.size == b->u.log.size &&
		       a->u.log.offset == b->u.log.offset;
	case P_IOTLB:
		return a->u.iotlb.iova == b->u.iotlb.iova &&
		       a->u.iotlb.size == b->u.iotlb.size &&
		       a->u.iotlb.uaddr == b->u.iotlb.uaddr &&
		       a->u.iotlb.perm == b->u.iotlb.perm &&
		       a->u.iotlb.type == b->u.iotlb.type;
	case P_CONFIG:
		return a->u.config.offset == b->u.config.offset &&
		       a->u.config.size == b->u.config.size &&
		       a->u.config.flags == b->u.config.flags &&
		       a->u.config.size <= VSCSI_VU_MAX_CONFIG &&
		       memcmp(a->u.config.data, b->u.config.data,
			      a->u.config.size) == 0;
	case P_AREA:
		return a->u.area.u64 == b->u.area.u64 &&
		       a->u.area.size == b->u.area.size &&
		       a->u.area.offset == b->u.area.offset;
	case P_INFL:
		return a->u.inflight.mmap_size == b->u.inflight.mmap_size &&
		       a->u.inflight.mmap_offset == b->u.inflight.mmap_offset &&
		       a->u.inflight.num_queues == b->u.inflight.num_queues &&
		       a->u.inflight.queue_size == b->u.inflight.queue_size;
	case P_SHARED:
		return memcmp(a->u.shared.uuid, b->u.shared.uuid,
			      sizeof(a->u.shared.uuid)) == 0;
	case P_RAW:
		if (a->u.raw.len != b->u.raw.len)
			return 0;
		if (!a->u.raw.len)
			return 1;
		return a->u.raw.data && b->u.raw.data &&
		       memcmp(a->u.raw.data, b->u.raw.data, a->u.raw.len) == 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ fds, replies */

static int vu_fds(const vscsi_vu_msg *m, uint64_t pf, int have_pf)
{
	const struct vu_info *info;
	unsigned kind = m->payload_kind;
	uint8_t rule;

	info = vu_lookup(m->hdr.request, m->channel);
	if (!info)
		return -1;
	rule = vu_is_reply(&m->hdr) ? info->rep_fd : info->req_fd;
	switch (rule) {
	case FD_1:
		return 1;
	case FD_REGIONS:
		return kind == P_MEM ? (int)m->u.mem.nregions : 0;
	case FD_VRING:
		return kind == P_U64 && !(m->u.u64 & VSCSI_VU_NOFD_MASK);
	case FD_AREA:
		return kind == P_AREA && !(m->u.area.u64 & VSCSI_VU_NOFD_MASK);
	case FD_LOG:
		if (!have_pf)
			return -1;
		return (pf >> VSCSI_VU_PF_LOG_SHMFD) & 1 ? 1 : 0;
	case FD_MEMREG:
		return kind == P_REG;
	case FD_INFLIGHT:
		return kind == P_INFL && m->u.inflight.mmap_size != 0;
	case FD_DEVSTATE:
		return kind == P_U64 && !(m->u.u64 & VSCSI_VU_IDX_MASK) &&
		       !(m->u.u64 & VSCSI_VU_NOFD_MASK);
	case FD_MAYBE:
		return -1;
	case FD_LOOKUP:
		return kind == P_U64 && m->u.u64 == 0 ? -1 : 0;
	default:
		return 0;
	}
}

int vscsi_vu_msg_fds(const vscsi_vu_msg *m)
{
	if (!m)
		return VSCSI_ERR_ARG;
	return vu_fds(m, 0, 0);
}

int vscsi_vu_msg_fds_pf(const vscsi_vu_msg *m, uint64_t protocol_features)
{
	if (!m)
		return VSCSI_ERR_ARG;
	return vu_fds(m, protocol_features, 1);
}

int vscsi_vu_expects_reply(const vscsi_vu_msg *m, uint64_t protocol_features)
{
	const struct vu_info *info;
	int need, ack;

	if (!m)
		return VSCSI_ERR_ARG;
	if (vu_is_reply(&m->hdr))
		return 0;
	need = (m->hdr.flags & VSCSI_VU_FLAG_NEED_REPLY) != 0;
	ack = need && ((protocol_features >> VSCSI_VU_PF_REPLY_ACK) & 1);
	info = vu_lookup(m->hdr.request, m->channel);
	if (!info)
		return ack;
	switch (info->wait) {
	case W_ALWAYS:
		return 1;
	case W_LOG_SHMFD:
		return ack || ((protocol_features >> VSCSI_VU_PF_LOG_SHMFD) & 1);
	case W_NEED_REPLY:
		return need;
	default:
		return ack;
	}
}

/* ------------------------------------------------------------ names */

const char *vscsi_vu_request_name(uint32_t request, int channel)
{
	const struct vu_info *info;

	if (!vu_channel_ok(channel))
		return NULL;
	info = vu_lookup(request, channel);
	return info ? info->name : NULL;
}

static const char *const vu_pf_names[] = {
	"MQ", "LOG_SHMFD", "RARP", "REPLY_ACK", "NET_MTU", "BACKEND_REQ",
	"CROSS_ENDIAN", "CRYPTO_SESSION", "PAGEFAULT", "CONFIG",
	"BACKEND_SEND_FD", "HOST_NOTIFIER", "INFLIGHT_SHMFD", "RESET_DEVICE",
	"INBAND_NOTIFICATIONS", "CONFIGURE_MEM_SLOTS", "STATUS", "XEN_MMAP",
	"SHARED_OBJECT", "DEVICE_STATE", "SHMEM",
};

const char *vscsi_vu_protocol_feature_name(unsigned bit)
{
	return bit < VU_ARRAY_LEN(vu_pf_names) ? vu_pf_names[bit] : NULL;
}

static const char *const vu_f_names[42] = {
	[0] = "INOUT", [1] = "HOTPLUG", [2] = "CHANGE", [3] = "T10_PI",
	[24] = "NOTIFY_ON_EMPTY", [26] = "LOG_ALL", [27] = "ANY_LAYOUT",
	[28] = "RING_INDIRECT_DESC", [29] = "RING_EVENT_IDX",
	[30] = "PROTOCOL_FEATURES", [32] = "VERSION_1",
	[33] = "ACCESS_PLATFORM", [34] = "RING_PACKED", [35] = "IN_ORDER",
	[36] = "ORDER_PLATFORM", [37] = "SR_IOV", [38] = "NOTIFICATION_DATA",
	[39] = "NOTIF_CONFIG_DATA", [40] = "RING_RESET", [41] = "ADMIN_VQ",
};

const char *vscsi_vu_feature_name(unsigned bit)
{
	return bit < VU_ARRAY_LEN(vu_f_names) ? vu_f_names[bit] : NULL;
}

const char *vscsi_vu_status_name(unsigned bit_value)
{
	switch (bit_value) {
	case VSCSI_VU_S_ACKNOWLEDGE: return "ACKNOWLEDGE";
	case VSCSI_VU_S_DRIVER: return "DRIVER";
	case VSCSI_VU_S_DRIVER_OK: return "DRIVER_OK";
	case VSCSI_VU_S_FEATURES_OK: return "FEATURES_OK";
	case VSCSI_VU_S_DEVICE_NEEDS_RESET: return "DEVICE_NEEDS_RESET";
	case VSCSI_VU_S_FAILED: return "FAILED";
	default: return NULL;
	}
}

static const char *const vu_kind_names[VSCSI_VU_P_COUNT] = {
	"none", "u64", "state", "addr", "mem_table", "mem_reg", "log",
	"iotlb", "config", "vring_area", "inflight", "device_state",
	"shared_object", "raw",
};

const char *vscsi_vu_payload_kind_name(unsigned kind)
{
	return kind < VSCSI_VU_P_COUNT ? vu_kind_names[kind] : NULL;
}

/* ------------------------------------------------------------ text output */

/* Output goes through the library's bounded builder (strbuf.h). */

static void vu_bits(vscsi_sb *o, uint64_t bits, int what)
{
	const char *name;
	unsigned b;
	int first = 1;

	for (b = 0; b < 64; b++) {
		if (!((bits >> b) & 1))
			continue;
		if (what == 2)
			name = b < 8 ? vscsi_vu_status_name(1u << b) : NULL;
		else if (what == 1)
			name = vscsi_vu_protocol_feature_name(b);
		else
			name = vscsi_vu_feature_name(b);
		if (!first)
			vscsi__sb_puts(o, "|");
		first = 0;
		if (name)
			vscsi__sb_puts(o, name);
		else
			vscsi__sb_printf(o, "bit%u", b);
	}
}

size_t vscsi_vu_features_describe(uint64_t bits, int protocol, char *buf,
				  size_t len)
{
	vscsi_sb o;

	vscsi__sb_init(&o, buf, len);
	vu_bits(&o, bits, protocol ? 1 : 0);
	return vscsi__sb_done(&o);
}

size_t vscsi_vu_status_describe(uint64_t status, char *buf, size_t len)
{
	vscsi_sb o;

	vscsi__sb_init(&o, buf, len);
	vu_bits(&o, status, 2);
	return vscsi__sb_done(&o);
}

static const char *vu_iotlb_type_name(unsigned t)
{
	switch (t) {
	case VSCSI_VU_IOTLB_MISS: return "MISS";
	case VSCSI_VU_IOTLB_UPDATE: return "UPDATE";
	case VSCSI_VU_IOTLB_INVALIDATE: return "INVALIDATE";
	case VSCSI_VU_IOTLB_ACCESS_FAIL: return "ACCESS_FAIL";
	default: return NULL;
	}
}

static const char *vu_perm_name(unsigned p)
{
	static const char *const names[4] = { "none", "ro", "wo", "rw" };

	return p < 4 ? names[p] : NULL;
}

static void vu_uuid(vscsi_sb *o, const uint8_t *u)
{
	vscsi__sb_hex(o, u, 4);
	vscsi__sb_puts(o, "-");
	vscsi__sb_hex(o, u + 4, 2);
	vscsi__sb_puts(o, "-");
	vscsi__sb_hex(o, u + 6, 2);
	vscsi__sb_puts(o, "-");
	vscsi__sb_hex(o, u + 8, 2);
	vscsi__sb_puts(o, "-");
	vscsi__sb_hex(o, u + 10, 6);
}

static void vu_mac(vscsi_sb *o, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 6; i++)
		vscsi__sb_printf(o, "%s%02x", i ? ":" : "",
			  (unsigned)((v >> (8 * i)) & 0xff));
}

static unsigned vu_u64_meaning(const vscsi_vu_msg *m)
{
	const struct vu_info *info = vu_lookup(m->hdr.request, m->channel);

	if (!info)
		return U_HEX;
	return vu_is_reply(&m->hdr) ? info->rep_u64 : info->req_u64;
}

#define RAW_TEXT_MAX 32

static void vu_text_region(vscsi_sb *o, const struct vscsi_vu_region *g)
{
	vscsi__sb_printf(o, " [gpa=0x%" PRIx64 " size=0x%" PRIx64 " uva=0x%" PRIx64
		  " off=0x%" PRIx64 "]", g->gpa, g->size, g->uva,
		  g->mmap_offset);
}

static void vu_text_u64(vscsi_sb *o, const vscsi_vu_msg *m)
{
	uint64_t v = m->u.u64;
	unsigned meaning = vu_u64_meaning(m);

	switch (meaning) {
	case U_FEATURES:
	case U_PROTOCOL:
	case U_STATUS:
		vscsi__sb_printf(o, " 0x%" PRIx64, v);
		if (v) {
			vscsi__sb_puts(o, " ");
			vu_bits(o, v, meaning == U_FEATURES ? 0 :
				      meaning == U_PROTOCOL ? 1 : 2);
		}
		break;
	case U_VRING_FD:
		vscsi__sb_printf(o, " idx=%u %s", (unsigned)(v & VSCSI_VU_IDX_MASK),
			  v & VSCSI_VU_NOFD_MASK ? "nofd" : "fd");
		if (v & ~(uint64_t)(VSCSI_VU_IDX_MASK | VSCSI_VU_NOFD_MASK))
			vscsi__sb_printf(o, " value=0x%" PRIx64, v);
		break;
	case U_ACK:
		vscsi__sb_printf(o, " ack=0x%" PRIx64, v);
		break;
	case U_COUNT:
		vscsi__sb_printf(o, " %" PRIu64, v);
		break;
	case U_RARP:
		vscsi__sb_puts(o, " mac=");
		vu_mac(o, v);
		break;
	case U_DEVSTATE:
		vscsi__sb_printf(o, " result=%u %s", (unsigned)(v & 0xff),
			  v & VSCSI_VU_NOFD_MASK ? "nofd" : "fd");
		break;
	default:
		vscsi__sb_printf(o, " 0x%" PRIx64, v);
		break;
	}
}

static void vu_text_payload(vscsi_sb *o, const vscsi_vu_msg *m)
{
	const char *s;
	uint32_t i, n;

	switch (m->payload_kind) {
	case P_U64:
		vu_text_u64(o, m);
		break;
	case P_STATE:
		vscsi__sb_printf(o, " idx=%u num=%u", m->u.state.index,
			  m->u.state.num);
		break;
	case P_ADDR:
		vscsi__sb_printf(o, " idx=%u flags=0x%x desc=0x%" PRIx64
			  " used=0x%" PRIx64 " avail=0x%" PRIx64
			  " log=0x%" PRIx64, m->u.addr.index, m->u.addr.flags,
			  m->u.addr.desc, m->u.addr.used, m->u.addr.avail,
			  m->u.addr.log);
		break;
	case P_MEM:
		n = m->u.mem.nregions;
		if (n > VSCSI_VU_MAX_REGIONS)
			n = VSCSI_VU_MAX_REGIONS;
		vscsi__sb_printf(o, " %u region%s", n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			vu_text_region(o, &m->u.mem.regions[i]);
		break;
	case P_REG:
		vu_text_region(o, &m->u.reg);
		break;
	case P_LOG:
		vscsi__sb_printf(o, " size=0x%" PRIx64 " offset=0x%" PRIx64,
			  m->u.log.size, m->u.log.offset);
		break;
	case P_IOTLB:
		s = vu_iotlb_type_name(m->u.iotlb.type);
		if (s)
			vscsi__sb_printf(o, " type=%s", s);
		else
			vscsi__sb_printf(o, " type=%u", m->u.iotlb.type);
		vscsi__sb_printf(o, " iova=0x%" PRIx64 " size=0x%" PRIx64
			  " uaddr=0x%" PRIx64, m->u.iotlb.iova,
			  m->u.iotlb.size, m->u.iotlb.uaddr);
		s = vu_perm_name(m->u.iotlb.perm);
		if (s)
			vscsi__sb_printf(o, " perm=%s", s);
		else
			vscsi__sb_printf(o, " perm=%u", m->u.iotlb.perm);
		break;
	case P_CONFIG:
		n = m->u.config.size;
		if (n > VSCSI_VU_MAX_CONFIG)
			n = VSCSI_VU_MAX_CONFIG;
		vscsi__sb_printf(o, " offset=%u size=%u flags=%u", m->u.config.offset,
			  m->u.config.size, m->u.config.flags);
		if (n) {
			vscsi__sb_puts(o, " data=");
			vscsi__sb_hex(o, m->u.config.data, n);
		}
		break;
	case P_AREA:
		vscsi__sb_printf(o, " idx=%u %s size=0x%" PRIx64 " offset=0x%" PRIx64,
			  (unsigned)(m->u.area.u64 & VSCSI_VU_IDX_MASK),
			  m->u.area.u64 & VSCSI_VU_NOFD_MASK ? "nofd" : "fd",
			  m->u.area.size, m->u.area.offset);
		break;
	case P_INFL:
		vscsi__sb_printf(o, " mmap_size=0x%" PRIx64 " mmap_offset=0x%" PRIx64
			  " queues=%u queue_size=%u", m->u.inflight.mmap_size,
			  m->u.inflight.mmap_offset, m->u.inflight.num_queues,
			  m->u.inflight.queue_size);
		break;
	case P_DEVST:
		if (m->u.dev_state.direction <= VSCSI_VU_STATE_LOAD)
			vscsi__sb_printf(o, " direction=%s",
				  m->u.dev_state.direction ? "LOAD" : "SAVE");
		else
			vscsi__sb_printf(o, " direction=%u", m->u.dev_state.direction);
		if (m->u.dev_state.phase == VSCSI_VU_PHASE_STOPPED)
			vscsi__sb_puts(o, " phase=STOPPED");
		else
			vscsi__sb_printf(o, " phase=%u", m->u.dev_state.phase);
		break;
	case P_SHARED:
		vscsi__sb_puts(o, " uuid=");
		vu_uuid(o, m->u.shared.uuid);
		break;
	case P_RAW:
		vscsi__sb_printf(o, " size=%u", m->u.raw.len);
		if (m->u.raw.len && m->u.raw.data) {
			n = m->u.raw.len < RAW_TEXT_MAX ? m->u.raw.len :
							 RAW_TEXT_MAX;
			vscsi__sb_puts(o, " data=");
			vscsi__sb_hex(o, m->u.raw.data, n);
			if (n < m->u.raw.len)
				vscsi__sb_puts(o, "...");
		}
		break;
	default:
		break;
	}
}

size_t vscsi_vu_msg_describe(const vscsi_vu_msg *m, char *buf, size_t len)
{
	vscsi_sb o;
	const char *name;

	vscsi__sb_init(&o, buf, len);
	if (!m)
		return 0;
	name = vscsi_vu_request_name(m->hdr.request, m->channel);
	if (name)
		vscsi__sb_puts(&o, name);
	else
		vscsi__sb_printf(&o, "%sUNKNOWN(%" PRIu32 ")",
			  m->channel == VSCSI_VU_BACKEND ? "BACKEND_" : "",
			  m->hdr.request);
	if (m->hdr.flags & VSCSI_VU_FLAG_REPLY)
		vscsi__sb_puts(&o, " reply");
	if (m->hdr.flags & VSCSI_VU_FLAG_NEED_REPLY)
		vscsi__sb_puts(&o, " need_reply");
	vu_text_payload(&o, m);
	return vscsi__sb_done(&o);
}

/* ------------------------------------------------------------ JSON output */

static void vu_json_x64(vscsi_sb *o, const char *key, uint64_t v)
{
	vscsi__sb_printf(o, ",\"%s\":\"0x%" PRIx64 "\"", key, v);
}

static void vu_json_bits(vscsi_sb *o, const char *key, uint64_t v,
			 int what)
{
	vscsi__sb_printf(o, ",\"%s\":\"", key);
	vu_bits(o, v, what);	/* names are [A-Z0-9_|]: nothing to escape */
	vscsi__sb_puts(o, "\"");
}

static void vu_json_region(vscsi_sb *o, const struct vscsi_vu_region *g)
{
	vscsi__sb_printf(o, "{\"gpa\":\"0x%" PRIx64 "\",\"size\":\"0x%" PRIx64
		  "\",\"uva\":\"0x%" PRIx64 "\",\"mmap_offset\":\"0x%" PRIx64
		  "\"}", g->gpa, g->size, g->uva, g->mmap_offset);
}

static void vu_json_u64(vscsi_sb *o, const vscsi_vu_msg *m)
{
	uint64_t v = m->u.u64;

	vu_json_x64(o, "value", v);
	switch (vu_u64_meaning(m)) {
	case U_FEATURES:
		vu_json_bits(o, "features", v, 0);
		break;
	case U_PROTOCOL:
		vu_json_bits(o, "protocol_features", v, 1);
		break;
	case U_STATUS:
		vu_json_bits(o, "status", v, 2);
		break;
	case U_VRING_FD:
		vscsi__sb_printf(o, ",\"index\":%u,\"nofd\":%s",
			  (unsigned)(v & VSCSI_VU_IDX_MASK),
			  v & VSCSI_VU_NOFD_MASK ? "true" : "false");
		break;
	case U_ACK:
		vscsi__sb_printf(o, ",\"ok\":%s", v ? "false" : "true");
		break;
	case U_COUNT:
		vscsi__sb_printf(o, ",\"count\":%" PRIu64, v);
		break;
	case U_RARP:
		vscsi__sb_puts(o, ",\"mac\":\"");
		vu_mac(o, v);
		vscsi__sb_puts(o, "\"");
		break;
	case U_DEVSTATE:
		vscsi__sb_printf(o, ",\"ok\":%s,\"nofd\":%s",
			  v & 0xff ? "false" : "true",
			  v & VSCSI_VU_NOFD_MASK ? "true" : "false");
		break;
	default:
		break;
	}
}

static void vu_json_payload(vscsi_sb *o, const vscsi_vu_msg *m)
{
	const char *s;
	uint32_t i, n;

	switch (m->payload_kind) {
	case P_U64:
		vu_json_u64(o, m);
		break;
	case P_STATE:
		vscsi__sb_printf(o, ",\"index\":%u,\"num\":%u", m->u.state.index,
			  m->u.state.num);
		break;
	case P_ADDR:
		vscsi__sb_printf(o, ",\"index\":%u,\"vring_flags\":%u",
			  m->u.addr.index, m->u.addr.flags);
		vu_json_x64(o, "desc", m->u.addr.desc);
		vu_json_x64(o, "used", m->u.addr.used);
		vu_json_x64(o, "avail", m->u.addr.avail);
		vu_json_x64(o, "log", m->u.addr.log);
		break;
	case P_MEM:
		n = m->u.mem.nregions;
		if (n > VSCSI_VU_MAX_REGIONS)
			n = VSCSI_VU_MAX_REGIONS;
		vscsi__sb_printf(o, ",\"nregions\":%u,\"regions\":[", n);
		for (i = 0; i < n; i++) {
			if (i)
				vscsi__sb_puts(o, ",");
			vu_json_region(o, &m->u.mem.regions[i]);
		}
		vscsi__sb_puts(o, "]");
		break;
	case P_REG:
		vscsi__sb_puts(o, ",\"region\":");
		vu_json_region(o, &m->u.reg);
		break;
	case P_LOG:
		vu_json_x64(o, "mmap_size", m->u.log.size);
		vu_json_x64(o, "mmap_offset", m->u.log.offset);
		break;
	case P_IOTLB:
		vu_json_x64(o, "iova", m->u.iotlb.iova);
		vu_json_x64(o, "iotlb_size", m->u.iotlb.size);
		vu_json_x64(o, "uaddr", m->u.iotlb.uaddr);
		vscsi__sb_printf(o, ",\"perm\":%u,\"type\":%u,\"type_name\":",
			  m->u.iotlb.perm, m->u.iotlb.type);
		s = vu_iotlb_type_name(m->u.iotlb.type);
		if (s)
			vscsi__sb_json_str(o, s);
		else
			vscsi__sb_puts(o, "null");
		break;
	case P_CONFIG:
		n = m->u.config.size;
		if (n > VSCSI_VU_MAX_CONFIG)
			n = VSCSI_VU_MAX_CONFIG;
		vscsi__sb_printf(o, ",\"offset\":%u,\"config_size\":%u,"
			  "\"config_flags\":%u,\"data\":\"", m->u.config.offset,
			  m->u.config.size, m->u.config.flags);
		vscsi__sb_hex(o, m->u.config.data, n);
		vscsi__sb_puts(o, "\"");
		break;
	case P_AREA:
		vu_json_x64(o, "value", m->u.area.u64);
		vscsi__sb_printf(o, ",\"index\":%u,\"nofd\":%s",
			  (unsigned)(m->u.area.u64 & VSCSI_VU_IDX_MASK),
			  m->u.area.u64 & VSCSI_VU_NOFD_MASK ? "true" : "false");
		vu_json_x64(o, "area_size", m->u.area.size);
		vu_json_x64(o, "area_offset", m->u.area.offset);
		break;
	case P_INFL:
		vu_json_x64(o, "mmap_size", m->u.inflight.mmap_size);
		vu_json_x64(o, "mmap_offset", m->u.inflight.mmap_offset);
		vscsi__sb_printf(o, ",\"num_queues\":%u,\"queue_size\":%u",
			  m->u.inflight.num_queues, m->u.inflight.queue_size);
		break;
	case P_DEVST:
		vscsi__sb_printf(o, ",\"direction\":%u,\"direction_name\":",
			  m->u.dev_state.direction);
		if (m->u.dev_state.direction <= VSCSI_VU_STATE_LOAD)
			vscsi__sb_json_str(o, m->u.dev_state.direction ? "LOAD" :
								  "SAVE");
		else
			vscsi__sb_puts(o, "null");
		vscsi__sb_printf(o, ",\"phase\":%u,\"phase_name\":",
			  m->u.dev_state.phase);
		if (m->u.dev_state.phase == VSCSI_VU_PHASE_STOPPED)
			vscsi__sb_json_str(o, "STOPPED");
		else
			vscsi__sb_puts(o, "null");
		break;
	case P_SHARED:
		vscsi__sb_puts(o, ",\"uuid\":\"");
		vu_uuid(o, m->u.shared.uuid);
		vscsi__sb_puts(o, "\"");
		break;
	case P_RAW:
		vscsi__sb_puts(o, ",\"data\":\"");
		if (m->u.raw.data)
			vscsi__sb_hex(o, m->u.raw.data, m->u.raw.len);
		vscsi__sb_puts(o, "\"");
		break;
	default:
		break;
	}
}

size_t vscsi_vu_msg_describe_json(const vscsi_vu_msg *m, char *buf,
				  size_t len)
{
	vscsi_sb o;
	const char *name, *kind;

	vscsi__sb_init(&o, buf, len);
	if (!m)
		return 0;
	vscsi__sb_puts(&o, "\"request\":");
	name = vscsi_vu_request_name(m->hdr.request, m->channel);
	if (name)
		vscsi__sb_json_str(&o, name);
	else
		vscsi__sb_puts(&o, "null");
	vscsi__sb_printf(&o, ",\"request_code\":%" PRIu32 ",\"channel\":\"%s\""
		  ",\"flags\":%" PRIu32 ",\"reply\":%s,\"need_reply\":%s"
		  ",\"size\":%" PRIu32 ",\"payload\":",
		  m->hdr.request,
		  m->channel == VSCSI_VU_BACKEND ? "backend" : "frontend",
		  m->hdr.flags,
		  m->hdr.flags & VSCSI_VU_FLAG_REPLY ? "true" : "false",
		  m->hdr.flags & VSCSI_VU_FLAG_NEED_REPLY ? "true" : "false",
		  m->hdr.size);
	kind = vscsi_vu_payload_kind_name(m->payload_kind);
	if (kind)
		vscsi__sb_json_str(&o, kind);
	else
		vscsi__sb_puts(&o, "null");
	vu_json_payload(&o, m);
	return vscsi__sb_done(&o);
}
