/*
 * libvscsi-decode: one event as statistics, filters and viewers see it.
 *
 * A vscsi_io is a flat summary of a request, a completion (with the facts of
 * its request when the tracker paired them), a control-queue message or an
 * event: the fields people sort, filter and count by. The fill functions
 * derive it from the parsed messages; nothing in it points elsewhere, so it
 * can be copied and kept.
 */
#ifndef VSCSI_IO_H
#define VSCSI_IO_H

#include <stdint.h>

#include "common.h"
#include "virtio_scsi.h"

#ifdef __cplusplus
extern "C" {
#endif

enum vscsi_io_type {
	VSCSI_IO_REQUEST = 0,	/* a command made available */
	VSCSI_IO_COMPLETION = 1, /* a command completed */
	VSCSI_IO_CTRL = 2,	/* a TMF or AN request */
	VSCSI_IO_CTRL_DONE = 3,	/* its completion */
	VSCSI_IO_EVENT = 4,	/* an eventq event */
	VSCSI_IO_VHOST_USER = 5, /* a vhost-user message */
	VSCSI_IO_OTHER = 6,	/* session, loss, notification records */
};
/* "request", "completion", "ctrl", "ctrl_done", "event", "vhost_user",
 * "other"; NULL when out of range. */
VSCSI_API const char *vscsi_io_type_name(unsigned type);

/* Which optional fields hold a value. */
#define VSCSI_IO_HAS_LUN 0x0001u
#define VSCSI_IO_HAS_CDB 0x0002u	/* opcode, sa, op_class */
#define VSCSI_IO_HAS_LBA 0x0004u
#define VSCSI_IO_HAS_LEN 0x0008u	/* xfer_len in blocks */
#define VSCSI_IO_HAS_RESP 0x0010u	/* response, status */
#define VSCSI_IO_HAS_SENSE 0x0020u	/* sense_key, asc, ascq */
#define VSCSI_IO_HAS_LATENCY 0x0040u
#define VSCSI_IO_HAS_TMF 0x0080u	/* tmf */
#define VSCSI_IO_HAS_SUBMIT 0x0100u	/* ts_submit_ns */

typedef struct vscsi_io {
	uint8_t type;		/* enum vscsi_io_type */
	uint32_t has;		/* VSCSI_IO_HAS_* */
	uint32_t conn;
	uint16_t vq;
	uint16_t head;
	uint8_t lun_kind;	/* enum vscsi_lun_kind */
	uint8_t target;
	uint16_t lun;
	uint64_t tag;
	uint8_t task_attr;
	uint8_t opcode;
	uint8_t has_sa;
	uint16_t sa;
	uint8_t op_class;	/* enum vscsi_op_class */
	uint64_t lba;
	uint32_t xfer_len;	/* blocks (or bytes for byte-counted commands) */
	uint64_t bytes_out;	/* data-out bytes of the request */
	uint64_t bytes_in;	/* data-in bytes of the completion */
	uint64_t ts_ns;		/* when this event happened */
	uint64_t ts_submit_ns;	/* when its request was made available */
	uint64_t latency_ns;
	uint8_t response;	/* virtio response */
	uint8_t status;		/* SCSI status */
	uint8_t sense_key, asc, ascq;
	uint32_t resid;
	uint32_t ctrl_type;	/* VSCSI_T_* for CTRL events */
	uint32_t tmf;		/* TMF subtype */
	uint32_t event;		/* eventq event (with EVENTS_MISSED) */
	uint32_t event_reason;
	uint32_t vu_request;	/* vhost-user request code */
} vscsi_io;

/* A request made available at ts_ns. */
VSCSI_API void vscsi_io_from_request(vscsi_io *io, uint32_t conn, uint16_t vq,
				     uint16_t head, uint64_t ts_ns,
				     const vscsi_cmd_req *req);
/*
 * A completion at ts_ns. req is the paired request (or NULL when it is not
 * known) and submit_ns its time; used_len the used ring length.
 */
VSCSI_API void vscsi_io_from_completion(vscsi_io *io, uint32_t conn,
					uint16_t vq, uint16_t head,
					uint64_t ts_ns,
					const vscsi_cmd_req *req,
					uint64_t submit_ns,
					const vscsi_cmd_resp *resp,
					uint32_t used_len);
VSCSI_API void vscsi_io_from_ctrl(vscsi_io *io, uint32_t conn, uint16_t vq,
				  uint16_t head, uint64_t ts_ns,
				  const vscsi_ctrl_req *req);
VSCSI_API void vscsi_io_from_ctrl_done(vscsi_io *io, uint32_t conn,
				       uint16_t vq, uint16_t head,
				       uint64_t ts_ns,
				       const vscsi_ctrl_req *req,
				       uint64_t submit_ns,
				       const vscsi_ctrl_resp *resp);
VSCSI_API void vscsi_io_from_event(vscsi_io *io, uint32_t conn, uint16_t vq,
				   uint16_t head, uint64_t ts_ns,
				   const vscsi_event *ev);

/* A completion that is an error: a response other than OK, or a status
 * other than GOOD / CONDITION MET. */
VSCSI_API int vscsi_io_is_error(const vscsi_io *io);

#ifdef __cplusplus
}
#endif
#endif
