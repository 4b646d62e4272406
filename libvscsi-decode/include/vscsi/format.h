/*
 * libvscsi-decode: one human line, or one JSON object, per virtio-scsi event.
 *
 * Text lines read like tcpdump's:
 *
 *   TIME [cN] qV T:L tag=0xID > READ(10) lba=2048 len=8
 *   TIME [cN] qV T:L tag=0xID < READ(10) OK GOOD in=4096 lat=15.2us
 *   TIME [cN] qV T:L tag=0xID < WRITE(10) OK CHECK CONDITION MEDIUM ERROR
 *        0c/00 write error lat=1.2ms
 *   TIME qV T:L > TMF ABORT_TASK tag=0x5
 *   TIME qV T:L EVENT TRANSPORT_RESET RESCAN
 *
 * TIME is seconds with nanoseconds; "cN" appears for connections other than
 * 0 (always with VSCSI_FMT_VERBOSE); T:L is target:LUN, "T:wlun" the REPORT
 * LUNS well-known LU, "lun=<hex>" a malformed field. JSON objects carry the
 * same facts under stable names (see libvscsi-decode(3)).
 *
 * Every function has snprintf semantics: it writes at most len bytes
 * including the NUL and returns the length the whole text needed; buf may be
 * NULL when len is 0. All are thread-safe.
 */
#ifndef VSCSI_FORMAT_H
#define VSCSI_FORMAT_H

#include <stdint.h>

#include "common.h"
#include "virtio_scsi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where and when an event happened. */
typedef struct vscsi_fmt_where {
	uint64_t ts_ns;		/* shown as seconds.nanoseconds */
	uint32_t conn;		/* connection id */
	uint16_t vq;		/* virtqueue index */
	uint16_t head;		/* descriptor head (shown with VERBOSE) */
} vscsi_fmt_where;

#define VSCSI_FMT_VERBOSE 0x1u	/* head, prio, crn, raw CDB, all fields */
#define VSCSI_FMT_NO_TIME 0x2u	/* leave the time out */

/* The latency argument when it is not known. */
#define VSCSI_FMT_NO_LATENCY (-1)

VSCSI_API size_t vscsi_fmt_cmd_req(char *buf, size_t len,
				   const vscsi_fmt_where *w,
				   const vscsi_cmd_req *req, unsigned flags);
/*
 * A completion. req is the matching request when known (its CDB names the
 * command and the data-in length is derived from it), or NULL. used_len is
 * the used ring's length (response header + data-in). latency_ns < 0 leaves
 * the latency out.
 */
VSCSI_API size_t vscsi_fmt_cmd_resp(char *buf, size_t len,
				    const vscsi_fmt_where *w,
				    const vscsi_cmd_req *req,
				    const vscsi_cmd_resp *resp,
				    uint32_t used_len, int64_t latency_ns,
				    unsigned flags);
VSCSI_API size_t vscsi_fmt_ctrl_req(char *buf, size_t len,
				    const vscsi_fmt_where *w,
				    const vscsi_ctrl_req *req, unsigned flags);
VSCSI_API size_t vscsi_fmt_ctrl_resp(char *buf, size_t len,
				     const vscsi_fmt_where *w,
				     const vscsi_ctrl_req *req,
				     const vscsi_ctrl_resp *resp,
				     int64_t latency_ns, unsigned flags);
VSCSI_API size_t vscsi_fmt_event(char *buf, size_t len,
				 const vscsi_fmt_where *w,
				 const vscsi_event *ev, unsigned flags);

/* The same as JSON objects, braces included, on one line. */
VSCSI_API size_t vscsi_fmt_cmd_req_json(char *buf, size_t len,
					const vscsi_fmt_where *w,
					const vscsi_cmd_req *req);
VSCSI_API size_t vscsi_fmt_cmd_resp_json(char *buf, size_t len,
					 const vscsi_fmt_where *w,
					 const vscsi_cmd_req *req,
					 const vscsi_cmd_resp *resp,
					 uint32_t used_len,
					 int64_t latency_ns);
VSCSI_API size_t vscsi_fmt_ctrl_req_json(char *buf, size_t len,
					 const vscsi_fmt_where *w,
					 const vscsi_ctrl_req *req);
VSCSI_API size_t vscsi_fmt_ctrl_resp_json(char *buf, size_t len,
					  const vscsi_fmt_where *w,
					  const vscsi_ctrl_req *req,
					  const vscsi_ctrl_resp *resp,
					  int64_t latency_ns);
VSCSI_API size_t vscsi_fmt_event_json(char *buf, size_t len,
				      const vscsi_fmt_where *w,
				      const vscsi_event *ev);

/* "0:1", "0:wlun" or "lun=0102..." for a decoded LUN. */
VSCSI_API size_t vscsi_fmt_lun(char *buf, size_t len, const vscsi_lun *lun);
/* A duration: "850ns", "15.2us", "1.25ms", "2.500s". */
VSCSI_API size_t vscsi_fmt_duration(char *buf, size_t len, uint64_t ns);
/*
 * A hex dump, 16 bytes a line, each line "<indent>0x0010:  xx xx ...  ascii"
 * and a newline; at most max bytes of data are shown (0 = all).
 */
VSCSI_API size_t vscsi_fmt_hexdump(char *buf, size_t len, const void *data,
				   size_t n, size_t max, unsigned indent);

#ifdef __cplusplus
}
#endif
#endif
