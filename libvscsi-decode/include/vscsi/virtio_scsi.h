/*
 * libvscsi-decode: virtio-scsi messages (virtio 1.2, section 5.6 "SCSI Host
 * Device", device id 8).
 *
 * Requests are parsed from flat bytes or from the device-readable iovecs of a
 * descriptor chain (headers may be split across descriptors); responses are
 * parsed from the device-writable bytes and built by devices. All functions
 * are thread-safe (they keep no state), never keep a pointer to the caller's
 * bytes, and copy what they keep into the caller's output struct.
 *
 * Parsers return VSCSI_OK or a negative error. On VSCSI_ERR_TRUNCATED the
 * fields that were wholly present are filled and the rest are zero, so a
 * dissector can still show what arrived. Builders return the bytes written
 * or a negative error. A NULL cfg/out/struct argument is VSCSI_ERR_ARG; a
 * cfg whose cdb_size or sense_size is out of range is VSCSI_ERR_CDB_SIZE.
 *
 * Byte order: with VERSION_1 every multi-byte field is little-endian; without
 * it (the legacy interface) fields are in the guest's native order, which the
 * caller gives as vscsi_vs_cfg.legacy_big_endian. The LUN and the CDB are
 * byte arrays and are never swapped.
 */
#ifndef VSCSI_VIRTIO_SCSI_H
#define VSCSI_VIRTIO_SCSI_H

#include <stdint.h>
#include <sys/uio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Virtqueues (5.6.2). */
#define VSCSI_VQ_CONTROL 0
#define VSCSI_VQ_EVENT 1
#define VSCSI_VQ_REQUEST0 2

/* Feature bits (5.6.3 and 6). */
#define VSCSI_F_INOUT 0
#define VSCSI_F_HOTPLUG 1
#define VSCSI_F_CHANGE 2
#define VSCSI_F_T10_PI 3
#define VSCSI_F_NOTIFY_ON_EMPTY 24
#define VSCSI_F_ANY_LAYOUT 27
#define VSCSI_F_RING_INDIRECT_DESC 28
#define VSCSI_F_RING_EVENT_IDX 29
#define VSCSI_F_VERSION_1 32
#define VSCSI_F_ACCESS_PLATFORM 33
#define VSCSI_F_RING_PACKED 34
#define VSCSI_F_IN_ORDER 35
#define VSCSI_F_ORDER_PLATFORM 36
#define VSCSI_F_SR_IOV 37
#define VSCSI_F_NOTIFICATION_DATA 38
#define VSCSI_F_NOTIF_CONFIG_DATA 39 /* virtio 1.3 */
#define VSCSI_F_RING_RESET 40
#define VSCSI_F_ADMIN_VQ 41 /* virtio 1.3 */
#define VSCSI_F_PROTOCOL_FEATURES 30 /* vhost-user only */

/* Name of a feature bit ("VERSION_1", "INOUT"); NULL when unknown (bits
 * 4..23 and reserved transport bits). */
VSCSI_API const char *vscsi_feature_name(unsigned bit);

/* Largest cdb_size / sense_size the parser accepts (config fields are u32;
 * QEMU accepts cdb_size < 256 and sense_size < 65536 from a guest, but its
 * vhost-user-scsi keeps them at 32/96, as Linux writes). */
#define VSCSI_CDB_MAX 256
#define VSCSI_SENSE_MAX 256
#define VSCSI_CDB_DEFAULT 32
#define VSCSI_SENSE_DEFAULT 96

/* Response codes of virtio_scsi_resp_cmd and of TMF/AN (5.6.6.1, 5.6.6.2). */
enum vscsi_vs_response {
	VSCSI_S_OK = 0,
	VSCSI_S_FUNCTION_COMPLETE = 0,
	VSCSI_S_OVERRUN = 1,
	VSCSI_S_ABORTED = 2,
	VSCSI_S_BAD_TARGET = 3,
	VSCSI_S_RESET = 4,
	VSCSI_S_BUSY = 5,
	VSCSI_S_TRANSPORT_FAILURE = 6,
	VSCSI_S_TARGET_FAILURE = 7,
	VSCSI_S_NEXUS_FAILURE = 8,
	VSCSI_S_FAILURE = 9,
	VSCSI_S_FUNCTION_SUCCEEDED = 10,
	VSCSI_S_FUNCTION_REJECTED = 11,
	VSCSI_S_INCORRECT_LUN = 12,
};
/* "OK", "BAD_TARGET", ...; NULL when unknown (> 12). ctrl selects the TMF
 * names (0 reads "FUNCTION_COMPLETE" rather than "OK"); the other names are
 * the same in both contexts. */
VSCSI_API const char *vscsi_vs_response_name(unsigned response, int ctrl);

/* Task attributes (5.6.6.1). */
enum vscsi_task_attr {
	VSCSI_TASK_SIMPLE = 0,
	VSCSI_TASK_ORDERED = 1,
	VSCSI_TASK_HEAD = 2,
	VSCSI_TASK_ACA = 3,
};
/* "SIMPLE", "ORDERED", "HEAD", "ACA"; NULL when unknown. */
VSCSI_API const char *vscsi_task_attr_name(unsigned attr);

/* Control queue request types and TMF subtypes (5.6.6.2). */
enum vscsi_ctrl_type {
	VSCSI_T_TMF = 0,
	VSCSI_T_AN_QUERY = 1,
	VSCSI_T_AN_SUBSCRIBE = 2,
};
enum vscsi_tmf {
	VSCSI_TMF_ABORT_TASK = 0,
	VSCSI_TMF_ABORT_TASK_SET = 1,
	VSCSI_TMF_CLEAR_ACA = 2,
	VSCSI_TMF_CLEAR_TASK_SET = 3,
	VSCSI_TMF_I_T_NEXUS_RESET = 4,
	VSCSI_TMF_LOGICAL_UNIT_RESET = 5,
	VSCSI_TMF_QUERY_TASK = 6,
	VSCSI_TMF_QUERY_TASK_SET = 7,
};
/* "TMF", "AN_QUERY", "AN_SUBSCRIBE"; NULL when unknown. */
VSCSI_API const char *vscsi_ctrl_type_name(unsigned type);
/* "ABORT_TASK" ... "QUERY_TASK_SET"; NULL when unknown. */
VSCSI_API const char *vscsi_tmf_name(unsigned subtype);

/* Asynchronous notification event classes, a bit mask (5.6.6.2). Bit 0 and
 * bits 7..31 are not defined. */
#define VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE 2u
#define VSCSI_EVT_ASYNC_POWER_MGMT 4u
#define VSCSI_EVT_ASYNC_EXTERNAL_REQUEST 8u
#define VSCSI_EVT_ASYNC_MEDIA_CHANGE 16u
#define VSCSI_EVT_ASYNC_MULTI_HOST 32u
#define VSCSI_EVT_ASYNC_DEVICE_BUSY 64u
/* Name of one AN class bit ("MEDIA_CHANGE"); NULL when bit is not exactly
 * one defined bit (0, several bits, or an undefined bit). */
VSCSI_API const char *vscsi_an_class_name(uint32_t bit);

/* Events (5.6.6.3). */
enum vscsi_event_type {
	VSCSI_EVT_NO_EVENT = 0,
	VSCSI_EVT_TRANSPORT_RESET = 1,
	VSCSI_EVT_ASYNC_NOTIFY = 2,
	VSCSI_EVT_PARAM_CHANGE = 3,
};
#define VSCSI_EVT_EVENTS_MISSED 0x80000000u
enum vscsi_reset_reason {
	VSCSI_EVT_RESET_HARD = 0,
	VSCSI_EVT_RESET_RESCAN = 1,
	VSCSI_EVT_RESET_REMOVED = 2,
};
/* "NO_EVENT", "TRANSPORT_RESET", "ASYNC_NOTIFY", "PARAM_CHANGE"; the
 * EVENTS_MISSED bit is ignored; NULL when unknown. */
VSCSI_API const char *vscsi_event_name(uint32_t event);
/* "HARD", "RESCAN", "REMOVED"; NULL when unknown. */
VSCSI_API const char *vscsi_reset_reason_name(uint32_t reason);

/*
 * The 8-byte LUN field (5.6.6.1):
 *
 *   byte:  0     1        2        3        4   5   6   7
 *        +-----+--------+--------+--------+---+---+---+---+
 *        |  1  | target | single-level LUN|   0   0   0   0
 *        +-----+--------+--------+--------+---+---+---+---+
 *
 * Bytes 2-3 in flat space addressing: 01LL LLLL LLLL LLLL (0x4000 | lun, a
 * 14-bit LUN; Linux always writes this form), or in peripheral device
 * addressing with bus 0: 0000 0000 LLLL LLLL (lun < 256; QEMU writes this
 * form in events for LUNs below 256). The REPORT LUNS well-known LU is
 * recognised in two forms:
 *   01 tt C1 01 00 00 00 00  the W-LUN in bytes 2-3 (what Linux writes for
 *                            its LUN 0xC101; the spec's "MAY also support
 *                            well-known logical units in the third and
 *                            fourth byte")
 *   C1 01 00 00 00 00 00 00  the spec's literal text ("lun is 0xC1, 0x01
 *                            and six zero bytes"); target reads 0
 * Everything else is MALFORMED: byte 0 != 1, bytes 4-7 not zero, byte 2 with
 * top bits 00 but a nonzero bus number (0x01..0x3F), top bits 10 or 11 other
 * than the W-LUN. QEMU answers a command whose byte 0 != 1 or whose byte 2 is
 * neither 0 nor 0x40..0x7F with BAD_TARGET (it never looks at bytes 4-7 and
 * does not implement the W-LUN, so it answers both W-LUN forms with
 * BAD_TARGET too); a TMF naming a target that exists but a LUN that does not
 * is answered INCORRECT_LUN.
 */
enum vscsi_lun_kind {
	VSCSI_LUN_NORMAL = 0,
	VSCSI_LUN_REPORT_LUNS = 1, /* the REPORT LUNS well-known LU */
	VSCSI_LUN_MALFORMED = 2,
};
typedef struct vscsi_lun {
	uint8_t raw[8];	 /* the field as on the wire */
	uint8_t kind;	 /* enum vscsi_lun_kind */
	uint8_t target;	 /* byte 1 (0 for the literal W-LUN form) */
	uint16_t lun;	 /* 0..16383; 0 for REPORT_LUNS; for MALFORMED what
			  * QEMU would read: (byte 2 << 8 | byte 3) & 0x3FFF */
} vscsi_lun;

/* Decode 8 raw bytes; never fails (a bad field gives kind MALFORMED). raw
 * and out must not be NULL. */
VSCSI_API void vscsi_lun_decode(const uint8_t raw[8], vscsi_lun *out);
/* Encode target/lun. flat = 1 writes the flat form always, as Linux does;
 * flat = 0 writes the flat form only for lun >= 256 and the peripheral form
 * below, as QEMU does in events. lun is cut to 14 bits. */
VSCSI_API void vscsi_lun_encode(uint8_t raw[8], uint8_t target, uint16_t lun,
				int flat);
/* Encode the REPORT LUNS well-known LU as 01 target C1 01 00 00 00 00. */
VSCSI_API void vscsi_lun_encode_report_luns(uint8_t raw[8], uint8_t target);

/*
 * What the parser needs to know about the connection: negotiated features
 * (VERSION_1 selects little-endian, otherwise fields are in the guest's own
 * byte order given by legacy_big_endian; T10_PI selects the PI header; INOUT
 * allows both data directions; ANY_LAYOUT is informational: split headers
 * are always accepted, as QEMU does) and the config's cdb_size/sense_size.
 */
typedef struct vscsi_vs_cfg {
	uint64_t features;
	uint32_t cdb_size;	/* 1..VSCSI_CDB_MAX, default 32 */
	uint32_t sense_size;	/* 0..VSCSI_SENSE_MAX, default 96 */
	int legacy_big_endian;	/* only without VERSION_1 */
} vscsi_vs_cfg;

/* Fill cfg with the Linux guest defaults (features = VERSION_1 only, 32,
 * 96, little-endian). */
VSCSI_API void vscsi_vs_cfg_default(vscsi_vs_cfg *cfg);

/*
 * virtio_scsi_req_cmd (and virtio_scsi_req_cmd_pi when T10_PI), 5.6.6.1,
 * device-readable; offsets with cdb_size 32:
 *
 *   0  u8   lun[8]
 *   8  le64 id
 *  16  u8   task_attr
 *  17  u8   prio
 *  18  u8   crn
 *  19  u8   cdb[cdb_size]                 19 + cdb_size = 51 bytes
 * or, with T10_PI:
 *  19  le32 pi_bytesout
 *  23  le32 pi_bytesin
 *  27  u8   cdb[cdb_size]                 27 + cdb_size = 59 bytes
 * then u8 pi_out[pi_bytesout]; u8 dataout[].
 *
 * The spec's listing draws pi_bytesout/pi_bytesin after cdb, but Linux
 * (struct virtio_scsi_cmd_req_pi) and QEMU both put them before the CDB, and
 * that is what travels on the wire; this parser follows them.
 */
typedef struct vscsi_cmd_req {
	vscsi_lun lun;
	uint64_t tag;		/* the id field */
	uint8_t task_attr;
	uint8_t prio;
	uint8_t crn;
	uint8_t has_pi;
	uint32_t pi_bytesout;
	uint32_t pi_bytesin;
	uint16_t cdb_size;	/* bytes valid in cdb (= cfg cdb_size) */
	uint8_t cdb[VSCSI_CDB_MAX];
	uint32_t hdr_len;	/* header bytes; data-out starts here (set even
				 * when TRUNCATED: the bytes needed) */
	uint64_t data_out_len;	/* readable bytes after the header, pi_out
				 * included */
} vscsi_cmd_req;

/*
 * virtio_scsi_resp_cmd, 5.6.6.1, device-writable:
 *
 *   0  le32 sense_len
 *   4  le32 residual
 *   8  le16 status_qualifier
 *  10  u8   status
 *  11  u8   response
 *  12  u8   sense[sense_size]             12 + sense_size = 108 bytes
 * then [u8 pi_in[pi_bytesin]] u8 datain[].  The same with and without PI.
 */
typedef struct vscsi_cmd_resp {
	uint32_t sense_len;	/* as written by the device (may exceed
				 * sense_size; kept as claimed) */
	uint32_t resid;
	uint16_t status_qualifier;
	uint8_t status;		/* SCSI status */
	uint8_t response;	/* enum vscsi_vs_response */
	uint16_t sense_copied;	/* bytes of sense kept in sense[]:
				 * min(sense_len, sense_size, bytes present) */
	uint8_t sense[VSCSI_SENSE_MAX];
	uint32_t hdr_len;	/* 12 + sense_size; data-in starts here */
	uint64_t data_in_len;	/* writable bytes after the header (pi_in
				 * included) */
} vscsi_cmd_resp;

/* Header sizes for a configuration (0 when cfg is NULL or out of range). */
VSCSI_API uint32_t vscsi_vs_cmd_req_size(const vscsi_vs_cfg *cfg);
VSCSI_API uint32_t vscsi_vs_cmd_resp_size(const vscsi_vs_cfg *cfg);

/*
 * Parse a command request from flat device-readable bytes (header, then
 * data-out). Returns VSCSI_OK, VSCSI_ERR_TRUNCATED (fewer bytes than the
 * header), VSCSI_ERR_CDB_SIZE (cfg out of range), VSCSI_ERR_ARG. The LUN is
 * decoded but a malformed LUN is not an error here: the device answers it
 * (BAD_TARGET). Unknown task attributes are not errors either.
 */
VSCSI_API int vscsi_vs_cmd_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
				     size_t len, vscsi_cmd_req *out);
/* The same from iovecs (headers may be split anywhere, zero-length iovecs
 * are skipped); data_out_len is the sum of the iovecs less the header. The
 * result equals that of the flat parse of the concatenated bytes. */
VSCSI_API int vscsi_vs_cmd_req_parse_iov(const vscsi_vs_cfg *cfg,
					 const struct iovec *iov, unsigned n,
					 vscsi_cmd_req *out);
/*
 * Check the directions of a command chain: in_len is the total device-
 * writable length (response header included). Returns VSCSI_ERR_TRUNCATED
 * when in_len cannot hold the response header (the device cannot answer;
 * QEMU treats such a chain as a broken guest), VSCSI_ERR_INOUT when there are
 * data-out bytes and data-in bytes beyond the response header at once and
 * INOUT was not negotiated (the device answers it with FAILURE, 5.6.6.1),
 * otherwise VSCSI_OK.
 */
VSCSI_API int vscsi_vs_cmd_check_dir(const vscsi_vs_cfg *cfg,
				     const vscsi_cmd_req *req, uint64_t in_len);
/* Build a request header into buf (len >= vscsi_vs_cmd_req_size()) from
 * req->lun.raw, tag, task_attr, prio, crn, pi_* (only with T10_PI) and the
 * first req->cdb_size bytes of cdb (zero-padded to the cfg cdb_size).
 * Returns the header size, VSCSI_ERR_NOSPACE, or VSCSI_ERR_CDB_SIZE when
 * req->cdb_size exceeds the cfg cdb_size. For front-end drivers and tests. */
VSCSI_API int vscsi_vs_cmd_req_build(const vscsi_vs_cfg *cfg,
				     const vscsi_cmd_req *req, void *buf,
				     size_t len);

/* Parse a response from device-writable bytes (at least the header).
 * Returns VSCSI_OK, VSCSI_ERR_TRUNCATED (with the fixed fields and the
 * sense bytes present filled), VSCSI_ERR_CDB_SIZE, VSCSI_ERR_ARG. */
VSCSI_API int vscsi_vs_cmd_resp_parse(const vscsi_vs_cfg *cfg, const void *buf,
				      size_t len, vscsi_cmd_resp *out);
/* The same from iovecs; equal to the flat parse of the concatenation. */
VSCSI_API int vscsi_vs_cmd_resp_parse_iov(const vscsi_vs_cfg *cfg,
					  const struct iovec *iov, unsigned n,
					  vscsi_cmd_resp *out);
/* Build a response header: sense_len is written as min(resp->sense_len,
 * sense_size) and that many bytes of resp->sense follow, the rest of the
 * sense area zero. Returns the header size or VSCSI_ERR_NOSPACE. */
VSCSI_API int vscsi_vs_cmd_resp_build(const vscsi_vs_cfg *cfg,
				      const vscsi_cmd_resp *resp, void *buf,
				      size_t len);

/*
 * Control queue (5.6.6.2).
 *   TMF:  0 le32 type; 4 le32 subtype; 8 u8 lun[8]; 16 le64 id;  (24 bytes)
 *         resp: 0 u8 response                                     (1 byte)
 *   AN:   0 le32 type; 4 u8 lun[8]; 12 le32 event_requested;      (16 bytes)
 *         resp: 0 le32 event_actual; 4 u8 response                (5 bytes)
 * These functions use cfg for the byte order only (its sizes are not
 * checked). Bytes after the layout are ignored.
 */
typedef struct vscsi_ctrl_req {
	uint32_t type;		/* enum vscsi_ctrl_type */
	uint32_t subtype;	/* TMF only */
	vscsi_lun lun;
	uint64_t tag;		/* TMF only: the task to act on */
	uint32_t event_requested; /* AN only */
	uint32_t hdr_len;	/* 24 (TMF), 16 (AN), 4 (unknown type) */
} vscsi_ctrl_req;
typedef struct vscsi_ctrl_resp {
	uint32_t type;		/* copied from the request */
	uint32_t event_actual;	/* AN only */
	uint8_t response;
	uint32_t hdr_len;	/* 1 (TMF) or 5 (AN) */
} vscsi_ctrl_resp;

/* Parse a control request. An unknown type is VSCSI_ERR_INVALID with
 * out->type set: it has no defined layout or answer (QEMU completes it with
 * nothing written, used length 0). An unknown TMF subtype parses (QEMU
 * answers FUNCTION_REJECTED, as it does CLEAR_ACA). Fewer than 4 bytes, or
 * fewer than the type's layout, is VSCSI_ERR_TRUNCATED. */
VSCSI_API int vscsi_vs_ctrl_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
				      size_t len, vscsi_ctrl_req *out);
VSCSI_API int vscsi_vs_ctrl_req_parse_iov(const vscsi_vs_cfg *cfg,
					  const struct iovec *iov, unsigned n,
					  vscsi_ctrl_req *out);
/* Build from req->type (TMF: subtype, lun.raw, tag; AN: lun.raw,
 * event_requested). Returns the size, VSCSI_ERR_NOSPACE, or VSCSI_ERR_ARG
 * for an unknown type. */
VSCSI_API int vscsi_vs_ctrl_req_build(const vscsi_vs_cfg *cfg,
				      const vscsi_ctrl_req *req, void *buf,
				      size_t len);
/* type selects the layout (TMF: 1 byte; AN: 5 bytes); an unknown type is
 * VSCSI_ERR_INVALID with out->type set. */
VSCSI_API int vscsi_vs_ctrl_resp_parse(const vscsi_vs_cfg *cfg, uint32_t type,
				       const void *buf, size_t len,
				       vscsi_ctrl_resp *out);
/* Build from resp->type. Returns the size, VSCSI_ERR_NOSPACE, or
 * VSCSI_ERR_ARG for an unknown type. */
VSCSI_API int vscsi_vs_ctrl_resp_build(const vscsi_vs_cfg *cfg,
				       const vscsi_ctrl_resp *resp, void *buf,
				       size_t len);
/* Size of the request/response header of a control type (0 if unknown). */
VSCSI_API uint32_t vscsi_vs_ctrl_req_size(uint32_t type);
VSCSI_API uint32_t vscsi_vs_ctrl_resp_size(uint32_t type);

/*
 * Event queue (5.6.6.3), device-writable, 16 bytes:
 *   0 le32 event; 4 u8 lun[8]; 12 le32 reason.
 * event may carry VSCSI_EVT_EVENTS_MISSED (bit 31). reason is a reset reason
 * (TRANSPORT_RESET), a mask of AN classes (ASYNC_NOTIFY), or for
 * PARAM_CHANGE the additional sense code in bits 0-7 and its qualifier in
 * bits 8-15: asc | ascq << 8 (capacity changed, 2A/09, is 0x092A), as the
 * spec says and QEMU writes. A NO_EVENT from QEMU carries an all-zero LUN,
 * which decodes MALFORMED. Unknown event values parse (names give NULL).
 * A buffer longer than 16 bytes (event_info_size) is fine.
 */
#define VSCSI_EVENT_SIZE 16
typedef struct vscsi_event {
	uint32_t event;		/* with VSCSI_EVT_EVENTS_MISSED possibly set */
	vscsi_lun lun;
	uint32_t reason;	/* reset reason, AN class, or asc | ascq << 8 */
} vscsi_event;
/* Returns VSCSI_OK, VSCSI_ERR_TRUNCATED (< 16 bytes), VSCSI_ERR_ARG. cfg
 * gives the byte order only (its sizes are not checked). */
VSCSI_API int vscsi_vs_event_parse(const vscsi_vs_cfg *cfg, const void *buf,
				   size_t len, vscsi_event *out);
/* Returns 16 or VSCSI_ERR_NOSPACE. */
VSCSI_API int vscsi_vs_event_build(const vscsi_vs_cfg *cfg,
				   const vscsi_event *ev, void *buf, size_t len);

/*
 * Device configuration space (5.6.4), 36 bytes, little-endian with
 * VERSION_1 (guest-native with the legacy interface, 5.6.4.3):
 *   0 num_queues   4 seg_max   8 max_sectors   12 cmd_per_lun
 *  16 event_info_size   20 sense_size   24 cdb_size      (le32 each)
 *  28 max_channel (le16)   30 max_target (le16)   32 max_lun (le32)
 * The parser checks no values (they are the device's).
 */
#define VSCSI_CONFIG_SIZE 36
typedef struct vscsi_config {
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun;
	uint32_t event_info_size, sense_size, cdb_size;
	uint16_t max_channel, max_target;
	uint32_t max_lun;
} vscsi_config;
/* Little-endian. Parse returns VSCSI_OK or VSCSI_ERR_TRUNCATED (< 36
 * bytes; fields present filled) or VSCSI_ERR_ARG; build returns 36 or
 * VSCSI_ERR_NOSPACE. */
VSCSI_API int vscsi_vs_config_parse(const void *buf, size_t len,
				    vscsi_config *out);
VSCSI_API int vscsi_vs_config_build(const vscsi_config *cfg, void *buf,
				    size_t len);
/* The same in a chosen byte order (big_endian = 1 for a legacy big-endian
 * guest). */
VSCSI_API int vscsi_vs_config_parse_endian(const void *buf, size_t len,
					   int big_endian, vscsi_config *out);
VSCSI_API int vscsi_vs_config_build_endian(const vscsi_config *cfg,
					   int big_endian, void *buf,
					   size_t len);

/*
 * iovec helpers. The iovec array and the memory it points at are trusted
 * (a chain walker made them over mapped memory); the lengths and offsets
 * may be anything: an offset past the end copies nothing, n = 0 or a NULL
 * array copies nothing, a zero-length iovec is skipped, and an iovec with a
 * NULL base and a nonzero length ends the copy there.
 */
/* Gather up to dst_len bytes from iovecs starting at byte offset off (for
 * headers split across descriptors). Returns the bytes copied. */
VSCSI_API size_t vscsi_iov_gather(const struct iovec *iov, unsigned n,
				  size_t off, void *dst, size_t dst_len);
/* Scatter src into iovecs from byte offset off; returns the bytes copied. */
VSCSI_API size_t vscsi_iov_scatter(const struct iovec *iov, unsigned n,
				   size_t off, const void *src, size_t src_len);
/* Total length of iovecs (saturating at UINT64_MAX; 0 for NULL). */
VSCSI_API uint64_t vscsi_iov_len(const struct iovec *iov, unsigned n);

#ifdef __cplusplus
}
#endif
#endif
