/*
 * libvscsi-decode: virtio-scsi messages (virtio 1.2, section 5.6 "SCSI Host
 * Device", device id 8).
 *
 * Requests are parsed from flat bytes or from the device-readable iovecs of a
 * descriptor chain (headers may be split across descriptors); responses are
 * parsed from the device-writable bytes and built by devices. All functions
 * are thread-safe (they keep no state) and copy what they keep.
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
#define VSCSI_F_RING_RESET 40
#define VSCSI_F_PROTOCOL_FEATURES 30 /* vhost-user only */

/* Name of a feature bit ("VERSION_1", "INOUT"); NULL when unknown. */
VSCSI_API const char *vscsi_feature_name(unsigned bit);

/* Largest cdb_size / sense_size the parser accepts (config fields are u32). */
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
/* "OK", "BAD_TARGET", ...; NULL when unknown. ctrl selects the TMF names
 * (0 reads "FUNCTION_COMPLETE" rather than "OK"). */
VSCSI_API const char *vscsi_vs_response_name(unsigned response, int ctrl);

/* Task attributes (5.6.6.1). */
enum vscsi_task_attr {
	VSCSI_TASK_SIMPLE = 0,
	VSCSI_TASK_ORDERED = 1,
	VSCSI_TASK_HEAD = 2,
	VSCSI_TASK_ACA = 3,
};
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
VSCSI_API const char *vscsi_ctrl_type_name(unsigned type);
VSCSI_API const char *vscsi_tmf_name(unsigned subtype);

/* Asynchronous notification event classes, a bit mask (5.6.6.2). */
#define VSCSI_EVT_ASYNC_OPERATIONAL_CHANGE 2u
#define VSCSI_EVT_ASYNC_POWER_MGMT 4u
#define VSCSI_EVT_ASYNC_EXTERNAL_REQUEST 8u
#define VSCSI_EVT_ASYNC_MEDIA_CHANGE 16u
#define VSCSI_EVT_ASYNC_MULTI_HOST 32u
#define VSCSI_EVT_ASYNC_DEVICE_BUSY 64u
/* Name of one AN class bit; NULL when unknown. */
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
VSCSI_API const char *vscsi_event_name(uint32_t event); /* ignores MISSED */
VSCSI_API const char *vscsi_reset_reason_name(uint32_t reason);

/*
 * The 8-byte LUN field (5.6.6.1):
 *   byte 0: 1
 *   byte 1: target
 *   bytes 2-3: single-level LUN, 0x4000 | lun (flat space), or lun < 256
 *              in peripheral addressing (byte 2 = 0)
 *   bytes 4-7: 0
 * The REPORT LUNS well-known LU is C1 01 00 00 00 00 00 00 with byte 0 = 1
 * before it: 01 xx C1 01 00 00 00 00.
 */
enum vscsi_lun_kind {
	VSCSI_LUN_NORMAL = 0,
	VSCSI_LUN_REPORT_LUNS = 1, /* the REPORT LUNS well-known LU */
	VSCSI_LUN_MALFORMED = 2,
};
typedef struct vscsi_lun {
	uint8_t raw[8];
	uint8_t kind;	 /* enum vscsi_lun_kind */
	uint8_t target;
	uint16_t lun;	 /* 0..16383 */
} vscsi_lun;

/* Decode 8 raw bytes; never fails (a bad field gives kind MALFORMED). */
VSCSI_API void vscsi_lun_decode(const uint8_t raw[8], vscsi_lun *out);
/* Encode target/lun the way Linux does (0x40 flag for lun >= 256, or
 * always when flat is set). */
VSCSI_API void vscsi_lun_encode(uint8_t raw[8], uint8_t target, uint16_t lun,
				int flat);

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

/* Fill cfg with the Linux guest defaults (VERSION_1, 32, 96). */
VSCSI_API void vscsi_vs_cfg_default(vscsi_vs_cfg *cfg);

/*
 * virtio_scsi_req_cmd (and _pi when T10_PI):
 *   u8 lun[8]; le64 id; u8 task_attr; u8 prio; u8 crn;
 *   [le32 pi_bytesout; le32 pi_bytesin;]   only with T10_PI
 *   u8 cdb[cdb_size];
 *   [pi_out[pi_bytesout]] u8 dataout[];     device-readable
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
	uint16_t cdb_size;	/* bytes valid in cdb */
	uint8_t cdb[VSCSI_CDB_MAX];
	uint32_t hdr_len;	/* header bytes; data-out starts here */
	uint64_t data_out_len;	/* readable bytes after the header */
} vscsi_cmd_req;

/*
 * virtio_scsi_resp_cmd:
 *   le32 sense_len; le32 resid; le16 status_qualifier; u8 status;
 *   u8 response; u8 sense[sense_size]; [pi_in] u8 datain[];  device-writable
 */
typedef struct vscsi_cmd_resp {
	uint32_t sense_len;	/* as written by the device */
	uint32_t resid;
	uint16_t status_qualifier;
	uint8_t status;		/* SCSI status */
	uint8_t response;	/* enum vscsi_vs_response */
	uint16_t sense_copied;	/* bytes of sense kept in sense[] */
	uint8_t sense[VSCSI_SENSE_MAX];
	uint32_t hdr_len;	/* 12 + sense_size; data-in starts here */
} vscsi_cmd_resp;

/* Header sizes for a configuration (0 when cfg is out of range). */
VSCSI_API uint32_t vscsi_vs_cmd_req_size(const vscsi_vs_cfg *cfg);
VSCSI_API uint32_t vscsi_vs_cmd_resp_size(const vscsi_vs_cfg *cfg);

/*
 * Parse a command request from flat device-readable bytes (header, then
 * data-out). Returns VSCSI_OK, VSCSI_ERR_TRUNCATED (fewer bytes than the
 * header), VSCSI_ERR_CDB_SIZE (cfg out of range). The LUN is decoded but a
 * malformed LUN is not an error here: the device answers it (BAD_TARGET).
 */
VSCSI_API int vscsi_vs_cmd_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
				     size_t len, vscsi_cmd_req *out);
/* The same from iovecs (headers may be split anywhere); data_out_len is the
 * sum of the iovecs less the header. */
VSCSI_API int vscsi_vs_cmd_req_parse_iov(const vscsi_vs_cfg *cfg,
					 const struct iovec *iov, unsigned n,
					 vscsi_cmd_req *out);
/*
 * Check the directions of a command chain: with data-out bytes and device-
 * writable data-in bytes at once, VSCSI_ERR_INOUT unless INOUT is negotiated.
 * in_len is the total device-writable length (response header included).
 */
VSCSI_API int vscsi_vs_cmd_check_dir(const vscsi_vs_cfg *cfg,
				     const vscsi_cmd_req *req, uint64_t in_len);
/* Build a request header into buf (len >= vscsi_vs_cmd_req_size()). Returns
 * the header size or VSCSI_ERR_NOSPACE. For front-end drivers and tests. */
VSCSI_API int vscsi_vs_cmd_req_build(const vscsi_vs_cfg *cfg,
				     const vscsi_cmd_req *req, void *buf,
				     size_t len);

/* Parse a response from device-writable bytes (at least the header). */
VSCSI_API int vscsi_vs_cmd_resp_parse(const vscsi_vs_cfg *cfg, const void *buf,
				      size_t len, vscsi_cmd_resp *out);
VSCSI_API int vscsi_vs_cmd_resp_parse_iov(const vscsi_vs_cfg *cfg,
					  const struct iovec *iov, unsigned n,
					  vscsi_cmd_resp *out);
/* Build a response header (sense cut to sense_size, sense_len set to the
 * bytes written). Returns the header size or VSCSI_ERR_NOSPACE. */
VSCSI_API int vscsi_vs_cmd_resp_build(const vscsi_vs_cfg *cfg,
				      const vscsi_cmd_resp *resp, void *buf,
				      size_t len);

/*
 * Control queue (5.6.6.2).
 *   TMF:  le32 type; le32 subtype; u8 lun[8]; le64 id;   resp: u8 response
 *   AN:   le32 type; u8 lun[8]; le32 event_requested;    resp: le32
 *         event_actual; u8 response
 */
typedef struct vscsi_ctrl_req {
	uint32_t type;		/* enum vscsi_ctrl_type */
	uint32_t subtype;	/* TMF only */
	vscsi_lun lun;
	uint64_t tag;		/* TMF only: the task to act on */
	uint32_t event_requested; /* AN only */
	uint32_t hdr_len;
} vscsi_ctrl_req;
typedef struct vscsi_ctrl_resp {
	uint32_t type;		/* copied from the request */
	uint32_t event_actual;	/* AN only */
	uint8_t response;
	uint32_t hdr_len;
} vscsi_ctrl_resp;

/* Parse a control request. An unknown type is VSCSI_ERR_INVALID with
 * out->type set (a device answers it with a 1-byte FAILURE); an unknown TMF
 * subtype parses (the device answers FUNCTION_REJECTED). */
VSCSI_API int vscsi_vs_ctrl_req_parse(const vscsi_vs_cfg *cfg, const void *buf,
				      size_t len, vscsi_ctrl_req *out);
VSCSI_API int vscsi_vs_ctrl_req_parse_iov(const vscsi_vs_cfg *cfg,
					  const struct iovec *iov, unsigned n,
					  vscsi_ctrl_req *out);
VSCSI_API int vscsi_vs_ctrl_req_build(const vscsi_vs_cfg *cfg,
				      const vscsi_ctrl_req *req, void *buf,
				      size_t len);
/* type selects the layout (TMF: 1 byte; AN: 5 bytes). */
VSCSI_API int vscsi_vs_ctrl_resp_parse(const vscsi_vs_cfg *cfg, uint32_t type,
				       const void *buf, size_t len,
				       vscsi_ctrl_resp *out);
VSCSI_API int vscsi_vs_ctrl_resp_build(const vscsi_vs_cfg *cfg,
				       const vscsi_ctrl_resp *resp, void *buf,
				       size_t len);
/* Size of the request/response header of a control type (0 if unknown). */
VSCSI_API uint32_t vscsi_vs_ctrl_req_size(uint32_t type);
VSCSI_API uint32_t vscsi_vs_ctrl_resp_size(uint32_t type);

/*
 * Event queue (5.6.6.3): le32 event; u8 lun[8]; le32 reason.  16 bytes,
 * device-writable.
 */
#define VSCSI_EVENT_SIZE 16
typedef struct vscsi_event {
	uint32_t event;		/* with VSCSI_EVT_EVENTS_MISSED possibly set */
	vscsi_lun lun;
	uint32_t reason;	/* reset reason, AN class, or asc | ascq << 8 */
} vscsi_event;
VSCSI_API int vscsi_vs_event_parse(const vscsi_vs_cfg *cfg, const void *buf,
				   size_t len, vscsi_event *out);
VSCSI_API int vscsi_vs_event_build(const vscsi_vs_cfg *cfg,
				   const vscsi_event *ev, void *buf, size_t len);

/*
 * Device configuration space (5.6.4), 36 bytes little-endian:
 *   num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size,
 *   sense_size, cdb_size (le32 each), max_channel (le16), max_target (le16),
 *   max_lun (le32).
 */
#define VSCSI_CONFIG_SIZE 36
typedef struct vscsi_config {
	uint32_t num_queues, seg_max, max_sectors, cmd_per_lun;
	uint32_t event_info_size, sense_size, cdb_size;
	uint16_t max_channel, max_target;
	uint32_t max_lun;
} vscsi_config;
VSCSI_API int vscsi_vs_config_parse(const void *buf, size_t len,
				    vscsi_config *out);
VSCSI_API int vscsi_vs_config_build(const vscsi_config *cfg, void *buf,
				    size_t len);

/*
 * Gather up to dst_len bytes from iovecs starting at byte offset off (for
 * headers split across descriptors). Returns the bytes copied.
 */
VSCSI_API size_t vscsi_iov_gather(const struct iovec *iov, unsigned n,
				  size_t off, void *dst, size_t dst_len);
/* Scatter src into iovecs from byte offset off; returns the bytes copied. */
VSCSI_API size_t vscsi_iov_scatter(const struct iovec *iov, unsigned n,
				   size_t off, const void *src, size_t src_len);
/* Total length of iovecs (saturating at UINT64_MAX). */
VSCSI_API uint64_t vscsi_iov_len(const struct iovec *iov, unsigned n);

#ifdef __cplusplus
}
#endif
#endif
