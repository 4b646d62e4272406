/*
 * libvscsi-decode: vhost-user messages (QEMU docs/interop/vhost-user.rst,
 * "Message Specification", "Front-end message types", "Back-end message
 * types", "Protocol features", "VHOST_USER_PROTOCOL_F_REPLY_ACK").
 *
 * A message is a 12-byte header and a payload of `size` bytes:
 *
 *   0      4      8      12
 *   +------+------+------+----------------------+
 *   | req  | flags| size | payload (size bytes) |
 *   +------+------+------+----------------------+
 *   flags: bits 0-1 version (1), bit 2 REPLY, bit 3 NEED_REPLY
 *
 * The spec says "machine native byte order"; this library reads and writes
 * little-endian, the order of every host vhost-user-scsi runs on here.
 *
 * Two channels carry messages. On the front-end channel (the vhost-user
 * socket) the front-end sends requests and the back-end replies; on the
 * back-end channel (the socket passed by SET_BACKEND_REQ_FD) the back-end
 * sends requests and the front-end replies. The same request number means
 * different things on the two channels, so every call that looks at a
 * request names the channel the request belongs to; a reply belongs to the
 * channel of the request it answers.
 *
 * Every size is checked exactly against the request (and against whether the
 * message is a reply). Where QEMU sends a size the document does not give,
 * both are accepted; each case is marked "QEMU:" below. Field values are not
 * judged (an IOTLB type of 9 parses); the consumer decides what to do with
 * them. Only the structure is: version, size, region count, config size.
 *
 * All functions keep no state and are thread-safe.
 */
#ifndef VSCSI_VHOST_USER_H
#define VSCSI_VHOST_USER_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ header */

#define VSCSI_VU_HDR_SIZE 12
#define VSCSI_VU_VERSION 1
#define VSCSI_VU_VERSION_MASK 0x3u
#define VSCSI_VU_FLAG_REPLY 0x4u	/* bit 2: sent in reply */
#define VSCSI_VU_FLAG_NEED_REPLY 0x8u	/* bit 3: REPLY_ACK asked for */

/*
 * Bound on any payload. The largest layout decoded here is a config space
 * (12 + 256 = 268 bytes); QEMU's own payload union reaches about 1.1 KiB
 * (crypto sessions), and the proposed SHMEM config about 2 KiB. Anything
 * larger is INVALID before the payload is read, so a transport can size one
 * receive buffer as VSCSI_VU_HDR_SIZE + VSCSI_VU_MAX_PAYLOAD.
 */
#define VSCSI_VU_MAX_PAYLOAD 4096

/* SET_MEM_TABLE carries at most 8 regions (VHOST_MEMORY_BASELINE_NREGIONS). */
#define VSCSI_VU_MAX_REGIONS 8
#define VSCSI_VU_REGION_SIZE 32
/* Largest config space (VHOST_USER_MAX_CONFIG_SIZE). */
#define VSCSI_VU_MAX_CONFIG 256
#define VSCSI_VU_CONFIG_HDR_SIZE 12

/* The u64 of SET_VRING_KICK/CALL/ERR and of a vring area: bits 0-7 vring
 * index, bit 8 "no file descriptor". Bit 8 is also the no-fd flag of the
 * SET_DEVICE_STATE_FD reply. */
#define VSCSI_VU_IDX_MASK 0xffu
#define VSCSI_VU_NOFD_MASK 0x100u

/* Who sent the request (vscsi_vu_msg.channel). */
#define VSCSI_VU_FRONTEND 0
#define VSCSI_VU_BACKEND 1

/* Front-end requests ("Front-end message types"). */
enum vscsi_vu_request {
	VSCSI_VU_NONE = 0,
	VSCSI_VU_GET_FEATURES = 1,
	VSCSI_VU_SET_FEATURES = 2,
	VSCSI_VU_SET_OWNER = 3,
	VSCSI_VU_RESET_OWNER = 4,
	VSCSI_VU_SET_MEM_TABLE = 5,
	VSCSI_VU_SET_LOG_BASE = 6,
	VSCSI_VU_SET_LOG_FD = 7,
	VSCSI_VU_SET_VRING_NUM = 8,
	VSCSI_VU_SET_VRING_ADDR = 9,
	VSCSI_VU_SET_VRING_BASE = 10,
	VSCSI_VU_GET_VRING_BASE = 11,
	VSCSI_VU_SET_VRING_KICK = 12,
	VSCSI_VU_SET_VRING_CALL = 13,
	VSCSI_VU_SET_VRING_ERR = 14,
	VSCSI_VU_GET_PROTOCOL_FEATURES = 15,
	VSCSI_VU_SET_PROTOCOL_FEATURES = 16,
	VSCSI_VU_GET_QUEUE_NUM = 17,
	VSCSI_VU_SET_VRING_ENABLE = 18,
	VSCSI_VU_SEND_RARP = 19,
	VSCSI_VU_NET_SET_MTU = 20,
	VSCSI_VU_SET_BACKEND_REQ_FD = 21,
	VSCSI_VU_IOTLB_MSG = 22,
	VSCSI_VU_SET_VRING_ENDIAN = 23,
	VSCSI_VU_GET_CONFIG = 24,
	VSCSI_VU_SET_CONFIG = 25,
	VSCSI_VU_CREATE_CRYPTO_SESSION = 26,
	VSCSI_VU_CLOSE_CRYPTO_SESSION = 27,
	VSCSI_VU_POSTCOPY_ADVISE = 28,
	VSCSI_VU_POSTCOPY_LISTEN = 29,
	VSCSI_VU_POSTCOPY_END = 30,
	VSCSI_VU_GET_INFLIGHT_FD = 31,
	VSCSI_VU_SET_INFLIGHT_FD = 32,
	VSCSI_VU_GPU_SET_SOCKET = 33,
	VSCSI_VU_RESET_DEVICE = 34,
	VSCSI_VU_VRING_KICK = 35,
	VSCSI_VU_GET_MAX_MEM_SLOTS = 36,
	VSCSI_VU_ADD_MEM_REG = 37,
	VSCSI_VU_REM_MEM_REG = 38,
	VSCSI_VU_SET_STATUS = 39,
	VSCSI_VU_GET_STATUS = 40,
	VSCSI_VU_GET_SHARED_OBJECT = 41,
	VSCSI_VU_SET_DEVICE_STATE_FD = 42,
	VSCSI_VU_CHECK_DEVICE_STATE = 43,
	/* Proposed with SHMEM (protocol feature 20); payload parsed as RAW. */
	VSCSI_VU_GET_SHMEM_CONFIG = 44,
	VSCSI_VU_FRONTEND_MAX = 45
};

/* Back-end requests ("Back-end message types"). */
enum vscsi_vu_backend_request {
	VSCSI_VU_BACKEND_NONE = 0,
	VSCSI_VU_BACKEND_IOTLB_MSG = 1,
	VSCSI_VU_BACKEND_CONFIG_CHANGE_MSG = 2,
	VSCSI_VU_BACKEND_VRING_HOST_NOTIFIER_MSG = 3,
	VSCSI_VU_BACKEND_VRING_CALL = 4,
	VSCSI_VU_BACKEND_VRING_ERR = 5,
	VSCSI_VU_BACKEND_SHARED_OBJECT_ADD = 6,
	VSCSI_VU_BACKEND_SHARED_OBJECT_REMOVE = 7,
	VSCSI_VU_BACKEND_SHARED_OBJECT_LOOKUP = 8,
	/* Proposed with SHMEM (protocol feature 20); payloads parsed as RAW. */
	VSCSI_VU_BACKEND_SHMEM_MAP = 9,
	VSCSI_VU_BACKEND_SHMEM_UNMAP = 10,
	VSCSI_VU_BACKEND_MAX = 11
};

/* Protocol feature bits ("Protocol features"). */
#define VSCSI_VU_PF_MQ 0
#define VSCSI_VU_PF_LOG_SHMFD 1
#define VSCSI_VU_PF_RARP 2
#define VSCSI_VU_PF_REPLY_ACK 3
#define VSCSI_VU_PF_NET_MTU 4
#define VSCSI_VU_PF_BACKEND_REQ 5
#define VSCSI_VU_PF_CROSS_ENDIAN 6
#define VSCSI_VU_PF_CRYPTO_SESSION 7
#define VSCSI_VU_PF_PAGEFAULT 8
#define VSCSI_VU_PF_CONFIG 9
#define VSCSI_VU_PF_BACKEND_SEND_FD 10
#define VSCSI_VU_PF_HOST_NOTIFIER 11
#define VSCSI_VU_PF_INFLIGHT_SHMFD 12
#define VSCSI_VU_PF_RESET_DEVICE 13
#define VSCSI_VU_PF_INBAND_NOTIFICATIONS 14
#define VSCSI_VU_PF_CONFIGURE_MEM_SLOTS 15
#define VSCSI_VU_PF_STATUS 16
#define VSCSI_VU_PF_XEN_MMAP 17	/* changes region layouts: not decoded */
#define VSCSI_VU_PF_SHARED_OBJECT 18
#define VSCSI_VU_PF_DEVICE_STATE 19
#define VSCSI_VU_PF_SHMEM 20		/* proposed */

/* vhost-level feature bits in GET/SET_FEATURES. */
#define VSCSI_VU_F_LOG_ALL 26		/* VHOST_F_LOG_ALL */
#define VSCSI_VU_F_PROTOCOL_FEATURES 30	/* VHOST_USER_F_PROTOCOL_FEATURES */

/* Device status bits of SET_STATUS / GET_STATUS (virtio 1.2 2.1). */
#define VSCSI_VU_S_ACKNOWLEDGE 1u
#define VSCSI_VU_S_DRIVER 2u
#define VSCSI_VU_S_DRIVER_OK 4u
#define VSCSI_VU_S_FEATURES_OK 8u
#define VSCSI_VU_S_DEVICE_NEEDS_RESET 64u
#define VSCSI_VU_S_FAILED 128u

/* IOTLB message types and permissions ("An IOTLB message"). */
#define VSCSI_VU_IOTLB_MISS 1
#define VSCSI_VU_IOTLB_UPDATE 2
#define VSCSI_VU_IOTLB_INVALIDATE 3
#define VSCSI_VU_IOTLB_ACCESS_FAIL 4
#define VSCSI_VU_IOTLB_PERM_RO 1
#define VSCSI_VU_IOTLB_PERM_WO 2

/* Device state transfer ("Device state transfer parameters"). */
#define VSCSI_VU_STATE_SAVE 0
#define VSCSI_VU_STATE_LOAD 1
#define VSCSI_VU_PHASE_STOPPED 0

/* SET_VRING_ADDR flags: bit 0 VHOST_VRING_F_LOG. */
#define VSCSI_VU_VRING_F_LOG 1u

typedef struct vscsi_vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes after the header */
} vscsi_vu_hdr;

/*
 * Parse the 12-byte header at buf.
 * Returns VSCSI_OK; VSCSI_ERR_TRUNCATED when len < 12; VSCSI_ERR_INVALID
 * when the version is not 1 or size > VSCSI_VU_MAX_PAYLOAD (*out is filled
 * in all three cases when len >= 12, so the caller can log what it got);
 * VSCSI_ERR_ARG when out is NULL. Flag bits 4-31 are kept, not judged.
 */
VSCSI_API int vscsi_vu_hdr_parse(const void *buf, size_t len, vscsi_vu_hdr *out);

/*
 * Whether h->size can be right for h->request on `channel` (reply or not),
 * before reading the payload: VSCSI_OK, or VSCSI_ERR_MSG_SIZE. Variable
 * layouts (memory table, config space) pass when the size fits the layout's
 * shape; vscsi_vu_msg_parse checks them against their contents. Unknown
 * requests pass. VSCSI_ERR_ARG for a bad channel or NULL h.
 */
VSCSI_API int vscsi_vu_hdr_check(const vscsi_vu_hdr *h, int channel);

/* ------------------------------------------------------------ messages */

/* vscsi_vu_msg.payload_kind: the payload layout ("Payload"). */
enum vscsi_vu_payload_kind {
	VSCSI_VU_P_NONE = 0,		/* size 0 */
	VSCSI_VU_P_U64,			/* 8: le64 */
	VSCSI_VU_P_STATE,		/* 8: le32 index, le32 num */
	VSCSI_VU_P_ADDR,		/* 40: vring address description */
	VSCSI_VU_P_MEM_TABLE,		/* 8 + 32 n: memory regions description */
	VSCSI_VU_P_MEM_REG,		/* 40: le64 padding, one region */
	VSCSI_VU_P_LOG,			/* 16: le64 mmap size, le64 offset */
	VSCSI_VU_P_IOTLB,		/* 32: struct vhost_iotlb_msg */
	VSCSI_VU_P_CONFIG,		/* 12 + size: config space */
	VSCSI_VU_P_VRING_AREA,		/* 24: le64 u64, size, offset */
	VSCSI_VU_P_INFLIGHT,		/* 20: inflight description */
	VSCSI_VU_P_DEVICE_STATE,	/* 8: le32 direction, le32 phase */
	VSCSI_VU_P_SHARED_OBJECT,	/* 16: UUID */
	VSCSI_VU_P_RAW,			/* anything: unknown request or
					 * undecoded layout (crypto session,
					 * SHMEM) */
	VSCSI_VU_P_COUNT
};

/* One memory region ("Memory region description"), 32 bytes:
 *   0 le64 guest address | 8 le64 size | 16 le64 user address | 24 le64 mmap
 *   offset */
struct vscsi_vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

typedef struct vscsi_vu_msg {
	vscsi_vu_hdr hdr;
	int channel;		/* VSCSI_VU_FRONTEND or VSCSI_VU_BACKEND: who
				 * sent the request (a reply belongs to the
				 * channel of its request) */
	unsigned payload_kind;	/* enum vscsi_vu_payload_kind */
	union {
		uint64_t u64;
		/* 0 le32 index | 4 le32 num */
		struct { uint32_t index, num; } state;
		/* 0 le32 index | 4 le32 flags | 8 le64 desc | 16 le64 used |
		 * 24 le64 avail | 32 le64 log guest address. Ring addresses
		 * are front-end virtual addresses (IOVAs with
		 * ACCESS_PLATFORM). */
		struct {
			uint32_t index, flags;
			uint64_t desc, used, avail, log;
		} addr;
		/* 0 le32 nregions | 4 le32 padding | 8 regions[nregions] */
		struct {
			uint32_t nregions;
			struct vscsi_vu_region regions[VSCSI_VU_MAX_REGIONS];
		} mem;
		/* 0 le64 padding | 8 region */
		struct vscsi_vu_region reg;
		/* 0 le64 mmap size | 8 le64 mmap offset */
		struct { uint64_t size, offset; } log;
		/* 0 le64 iova | 8 le64 size | 16 le64 user address | 24 u8 perm |
		 * 25 u8 type | 26..31 padding (QEMU: the C struct's size, 32, is
		 * what it sends) */
		struct {
			uint64_t iova, size, uaddr;
			uint8_t perm, type;
		} iotlb;
		/* 0 le32 offset | 4 le32 size | 8 le32 flags | 12 data[size] */
		struct {
			uint32_t offset, size, flags;
			uint8_t data[VSCSI_VU_MAX_CONFIG];
		} config;
		/* 0 le64 u64 (index | NOFD) | 8 le64 size | 16 le64 offset */
		struct { uint64_t u64, size, offset; } area;
		/* 0 le64 mmap size | 8 le64 mmap offset | 16 le16 num queues |
		 * 18 le16 queue size */
		struct {
			uint64_t mmap_size, mmap_offset;
			uint16_t num_queues, queue_size;
		} inflight;
		/* 0 le32 direction | 4 le32 phase */
		struct { uint32_t direction, phase; } dev_state;
		/* 0 uuid[16], in wire order (RFC 4122 byte order) */
		struct { uint8_t uuid[16]; } shared;
		/* The payload bytes, not copied: data points into the buffer
		 * given to vscsi_vu_msg_parse and lives as long as it does. */
		struct { const uint8_t *data; uint32_t len; } raw;
	} u;
} vscsi_vu_msg;

/*
 * Parse one message (header and payload) from buf. channel is the channel of
 * the request: VSCSI_VU_FRONTEND for the vhost-user socket, VSCSI_VU_BACKEND
 * for the back-end request socket (for replies too). The payload layout
 * comes from (channel, request, REPLY flag) and, where a request has two
 * legal layouts, from the size. Bytes after 12 + size are not looked at.
 *
 * Returns VSCSI_OK, or
 *   VSCSI_ERR_TRUNCATED  len < 12, or len < 12 + size (when size is legal);
 *   VSCSI_ERR_INVALID    bad version, size > VSCSI_VU_MAX_PAYLOAD, a memory
 *                        table with nregions > 8 in a message of legal size,
 *                        a config size > 256;
 *   VSCSI_ERR_MSG_SIZE   size wrong for the request (checked before the
 *                        payload is read, so a wrong size wins over a short
 *                        buffer); a 9-region table is MSG_SIZE (296 bytes is
 *                        over the 264-byte maximum);
 *   VSCSI_ERR_ARG        out NULL or a bad channel.
 * Unknown requests parse as VSCSI_VU_P_RAW. *out is zeroed first; on error
 * out->hdr holds the header when it could be read. out->u.raw points into
 * buf (see above); nothing else refers to buf.
 *
 * Sizes per request (request / reply; "ack" = u64 of REPLY_ACK):
 *   GET_FEATURES 0 / 8, SET_FEATURES 8 / ack, SET_OWNER 0 / ack,
 *   RESET_OWNER 0 / ack, SET_MEM_TABLE 8+32n / ack or (postcopy) 8+32n n>=1,
 *   SET_LOG_BASE 16 (log; QEMU and DPDK) or 8 (u64, the document) / 8 or 0,
 *   SET_LOG_FD 0 / ack, SET_VRING_NUM/BASE/ENABLE/ENDIAN 8 state / ack,
 *   SET_VRING_ADDR 40 / ack, GET_VRING_BASE 8 / 8 state,
 *   SET_VRING_KICK/CALL/ERR 8 / ack, GET_PROTOCOL_FEATURES 0 / 8,
 *   SET_PROTOCOL_FEATURES 8 / ack, GET_QUEUE_NUM 0 / 8, SEND_RARP 8 / ack,
 *   NET_SET_MTU 8 / ack, SET_BACKEND_REQ_FD 0 / ack, IOTLB_MSG 32 / 8,
 *   GET_CONFIG 12+n / 12+n or 0 (error), SET_CONFIG 12+n / ack,
 *   CREATE_CRYPTO_SESSION raw / raw, CLOSE_CRYPTO_SESSION 8 / ack,
 *   POSTCOPY_ADVISE 0 / 0 (+ userfaultfd), POSTCOPY_LISTEN 0 / ack,
 *   POSTCOPY_END 0 / 8, GET_INFLIGHT_FD 20 / 20 (the document says N/A;
 *   QEMU reads an inflight description), SET_INFLIGHT_FD 20 / ack,
 *   GPU_SET_SOCKET 0 / ack, RESET_DEVICE 0 / ack, VRING_KICK 8 state / ack,
 *   GET_MAX_MEM_SLOTS 0 / 8, ADD_MEM_REG 40 or 8 (QEMU's postcopy ack, a
 *   u64 0 with no fd) / ack or 40 (postcopy), REM_MEM_REG 40 / ack,
 *   SET_STATUS 8 / ack, GET_STATUS 0 / 8, GET_SHARED_OBJECT 16 or 0 (QEMU
 *   sends 0) / 16, 8 or 0 (libvhost-user echoes the request's size),
 *   SET_DEVICE_STATE_FD 8 / 8, CHECK_DEVICE_STATE 0 / 8,
 *   GET_SHMEM_CONFIG 0 / raw.
 *   Back-end channel: IOTLB_MSG 32 / ack, CONFIG_CHANGE_MSG 0 / ack,
 *   VRING_HOST_NOTIFIER_MSG 24 / ack, VRING_CALL/ERR 8 state / ack,
 *   SHARED_OBJECT_ADD/REMOVE 16 / ack, SHARED_OBJECT_LOOKUP 16 / 8,
 *   SHMEM_MAP/UNMAP raw / raw.
 */
VSCSI_API int vscsi_vu_msg_parse(const void *buf, size_t len, int channel,
				 vscsi_vu_msg *out);

/*
 * Encode m (header and payload) into buf. The size field is computed from
 * the payload (m->hdr.size is ignored) and the version bits are set to 1;
 * the other flag bits are taken from m->hdr.flags. Padding is written as
 * zero. The result always parses back to m: a payload kind that the request
 * does not take (or takes only at another size) is VSCSI_ERR_ARG, as are
 * nregions > 8, a config size > 256 and a raw length over the maximum.
 * Returns the number of bytes written, VSCSI_ERR_NOSPACE when len is too
 * small (nothing useful is written), or VSCSI_ERR_ARG.
 */
VSCSI_API int vscsi_vu_msg_build(const vscsi_vu_msg *m, void *buf, size_t len);

/*
 * Whether two messages say the same thing: header, channel, payload kind and
 * the fields of that kind (config data up to its size, regions up to
 * nregions, raw bytes by content). 1 or 0.
 */
VSCSI_API int vscsi_vu_msg_equal(const vscsi_vu_msg *a, const vscsi_vu_msg *b);

/*
 * How many file descriptors must come with m (SCM_RIGHTS):
 *   SET_MEM_TABLE nregions; SET_VRING_KICK/CALL/ERR 1 unless the NOFD bit is
 *   set; SET_LOG_FD, SET_BACKEND_REQ_FD, SET_INFLIGHT_FD, GPU_SET_SOCKET,
 *   ADD_MEM_REG (region form), SET_DEVICE_STATE_FD 1; POSTCOPY_ADVISE reply
 *   1 (userfaultfd); GET_INFLIGHT_FD reply 1 when mmap_size != 0 (QEMU takes
 *   no fd otherwise); SET_DEVICE_STATE_FD reply 1 unless NOFD or an error;
 *   back-end VRING_HOST_NOTIFIER_MSG 1 unless NOFD; back-end SHMEM_MAP 1;
 *   everything else 0. REM_MEM_REG is 0, but the document lets a back-end
 *   accept (and close) one fd for compatibility.
 * -1 when it cannot be known from the message: SET_LOG_BASE (1 with
 * LOG_SHMFD: use vscsi_vu_msg_fds_pf), the GET_SHARED_OBJECT reply and a
 * successful back-end SHARED_OBJECT_LOOKUP reply (0 or 1: QEMU sends none
 * when it has no dma-buf), unknown requests. VSCSI_ERR_ARG for NULL.
 */
VSCSI_API int vscsi_vu_msg_fds(const vscsi_vu_msg *m);

/* The same with the negotiated protocol features, which settle
 * SET_LOG_BASE (1 with LOG_SHMFD, else 0). */
VSCSI_API int vscsi_vu_msg_fds_pf(const vscsi_vu_msg *m,
				  uint64_t protocol_features);

/*
 * Whether the sender of the request m waits for a reply (1) or not (0):
 * GET_FEATURES, GET_PROTOCOL_FEATURES, GET_VRING_BASE, GET_QUEUE_NUM,
 * IOTLB_MSG, GET_CONFIG, CREATE_CRYPTO_SESSION, POSTCOPY_ADVISE,
 * POSTCOPY_END, GET_INFLIGHT_FD, GET_MAX_MEM_SLOTS, GET_STATUS,
 * GET_SHARED_OBJECT, SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE,
 * GET_SHMEM_CONFIG and back-end SHARED_OBJECT_LOOKUP always; SET_LOG_BASE
 * with LOG_SHMFD; POSTCOPY_LISTEN when NEED_REPLY is set (QEMU sets it
 * without REPLY_ACK); any request with NEED_REPLY set when REPLY_ACK is in
 * protocol_features. A reply expects nothing (0). In postcopy (after
 * POSTCOPY_LISTEN) the back-end also answers SET_MEM_TABLE and ADD_MEM_REG
 * with the regions it mapped: that depends on state this function does not
 * see, so the caller must track it. VSCSI_ERR_ARG for NULL.
 */
VSCSI_API int vscsi_vu_expects_reply(const vscsi_vu_msg *m,
				     uint64_t protocol_features);

/* ------------------------------------------------------------ names */

/* "SET_MEM_TABLE", or for the back-end channel "BACKEND_IOTLB_MSG";
 * NULL when unknown. */
VSCSI_API const char *vscsi_vu_request_name(uint32_t request, int channel);
/* "MQ", "REPLY_ACK", ...; NULL when unknown. */
VSCSI_API const char *vscsi_vu_protocol_feature_name(unsigned bit);
/* Feature bits of GET/SET_FEATURES: the virtio-scsi bits 0-3 (INOUT,
 * HOTPLUG, CHANGE, T10_PI), the transport bits 24-41 (VERSION_1, ...), and
 * the vhost bits LOG_ALL (26) and PROTOCOL_FEATURES (30); NULL otherwise. */
VSCSI_API const char *vscsi_vu_feature_name(unsigned bit);
/* "ACKNOWLEDGE", "DRIVER_OK", ... for a single status bit value (1, 2, 4,
 * ..., 128); NULL otherwise. */
VSCSI_API const char *vscsi_vu_status_name(unsigned bit_value);
/* "none", "u64", "state", "addr", "mem_table", "mem_reg", "log", "iotlb",
 * "config", "vring_area", "inflight", "device_state", "shared_object",
 * "raw"; NULL when out of range. */
VSCSI_API const char *vscsi_vu_payload_kind_name(unsigned kind);

/*
 * Names of the set bits, lowest first, joined by '|'
 * ("INOUT|PROTOCOL_FEATURES|VERSION_1"); unnamed bits read "bitN". 0 gives
 * "". protocol selects the protocol feature names. snprintf semantics:
 * returns the length of the whole text; writes at most len bytes including
 * the terminating NUL (none when len is 0, and buf may then be NULL).
 */
VSCSI_API size_t vscsi_vu_features_describe(uint64_t bits, int protocol,
					    char *buf, size_t len);
/* The same for a device status byte ("ACKNOWLEDGE|DRIVER|DRIVER_OK"). */
VSCSI_API size_t vscsi_vu_status_describe(uint64_t status, char *buf,
					  size_t len);

/*
 * One human line, no newline:
 *   "SET_VRING_ADDR idx=2 flags=0x0 desc=0x... used=0x... avail=0x... log=0x0"
 *   "SET_MEM_TABLE 1 region [gpa=0x0 size=0xa0000 uva=0x7f... off=0x0]"
 *   "GET_FEATURES reply 0x140000001 INOUT|PROTOCOL_FEATURES|VERSION_1"
 * The request name (or "UNKNOWN(n)" / "BACKEND_UNKNOWN(n)"), then "reply"
 * and "need_reply" when those flags are set, then the payload. snprintf
 * semantics as above. m must come from vscsi_vu_msg_parse or be filled as it
 * would (a raw payload's buffer must still exist).
 */
VSCSI_API size_t vscsi_vu_msg_describe(const vscsi_vu_msg *m, char *buf,
				       size_t len);

/*
 * The same as JSON object members without the braces, stable names:
 *   "request":"SET_VRING_ADDR","request_code":9,"channel":"frontend",
 *   "flags":9,"reply":false,"need_reply":true,"size":40,"payload":"addr",
 *   "index":2,"vring_flags":0,"desc":"0x...",...
 * "request" is null for an unknown request. 64-bit values (addresses,
 * sizes, features, u64 payloads) are strings "0x..." so that no JSON reader
 * loses bits; counts and 32-bit fields are numbers. Per payload:
 *   u64: "value", and by request "features", "protocol_features", "status",
 *        "index"+"nofd" (vring fd requests), "ok" (acks and results),
 *        "count" (GET_QUEUE_NUM, GET_MAX_MEM_SLOTS replies, NET_SET_MTU),
 *        "mac" (SEND_RARP), "ok"+"nofd" (SET_DEVICE_STATE_FD reply);
 *   state: "index","num"; addr: "index","vring_flags","desc","used",
 *   "avail","log"; mem_table: "nregions","regions":[{"gpa","size","uva",
 *   "mmap_offset"},...]; mem_reg: "region":{...}; log: "mmap_size",
 *   "mmap_offset"; iotlb: "iova","iotlb_size","uaddr","perm","type",
 *   "type_name"; config: "offset","config_size","config_flags","data"
 *   (hex); vring_area: "value","index","nofd","area_size","area_offset";
 *   inflight: "mmap_size","mmap_offset","num_queues","queue_size";
 *   device_state: "direction","direction_name","phase","phase_name";
 *   shared_object: "uuid"; raw: "data" (hex).
 * snprintf semantics as above.
 */
VSCSI_API size_t vscsi_vu_msg_describe_json(const vscsi_vu_msg *m, char *buf,
					    size_t len);

#ifdef __cplusplus
}
#endif
#endif
