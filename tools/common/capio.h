/*
 * capio: capture records to vscsi_io events, with request/completion
 * pairing. Shared by the tools that read captures (vscsi-top, vscsi-dump
 * --stats).
 *
 * A capio keeps, per connection, the virtio-scsi configuration its session
 * record gave (features, cdb_size, sense_size, byte order; the Linux
 * defaults until a session is seen; a front-end SET_FEATURES message
 * changes the features) and a vscsi_tracker that pairs each
 * completion with its request by (conn, vq, head). Virtqueue 0 is the
 * control queue (TMF and AN), 1 the event queue, 2 and up request queues
 * (virtio 1.2 5.6.2).
 *
 * Not thread-safe: one thread feeds a capio; a second thread may read the
 * tracker (capio_tracker()) only while the two hold a lock in common.
 */
#ifndef CAPIO_H
#define CAPIO_H

#include <stddef.h>
#include <stdint.h>

#include "vscsi/capture.h"
#include "vscsi/io.h"
#include "vscsi/stats.h"
#include "vscsi/virtio_scsi.h"

/* What a record turned into (capio_ev.kind). */
enum capio_kind {
	CAPIO_NONE = 0,		/* nothing to count (eventq buffers, ...) */
	CAPIO_CMD_REQ,		/* a command made available */
	CAPIO_CMD_RESP,		/* a command completed */
	CAPIO_CTRL_REQ,		/* a TMF or AN request */
	CAPIO_CTRL_RESP,	/* its completion */
	CAPIO_EVENT,		/* an eventq buffer came back with an event */
	CAPIO_VHOST_USER,	/* a vhost-user message */
	CAPIO_SESSION,		/* session metadata (the config is taken) */
	CAPIO_LOSS,		/* a loss note */
	CAPIO_NOTIFY,		/* a kick or a call */
};

/*
 * One event. The pointers point into the capio and are valid until the
 * next capio_record() call.
 */
typedef struct capio_ev {
	unsigned kind;			/* enum capio_kind */
	vscsi_io io;			/* always filled (type OTHER when the
					 * record is no I/O event) */
	int parse_rc;			/* VSCSI_OK, or the parser's error
					 * (TRUNCATED: bytes cut at the snap
					 * length; the fields present are
					 * used) */
	int reused;			/* CMD_REQ/CTRL_REQ: the head was still
					 * in flight (the older request was
					 * replaced) */
	const vscsi_cmd_req *req;	/* CMD_REQ: the request; CMD_RESP: its
					 * request when paired, else NULL */
	const vscsi_ctrl_req *ctrl;	/* CTRL_REQ / CTRL_RESP likewise */
	uint64_t submit_ns;		/* *_RESP: when the request was made
					 * available (when paired) */
	vscsi_cmd_resp resp;		/* CMD_RESP */
	vscsi_ctrl_resp ctrl_resp;	/* CTRL_RESP */
	vscsi_event event;		/* EVENT */
} capio_ev;

/* Counters (capio_counters()). */
typedef struct capio_counts {
	uint64_t records;	/* records given to capio_record() */
	uint64_t bad;		/* records whose bytes did not parse */
	uint64_t cut;		/* headers cut short (parsed in part) */
	uint64_t conns;		/* distinct connections seen */
	uint64_t conn_overflow;	/* records of connections past the table
				 * (read with the default config) */
} capio_counts;

typedef struct capio capio;

/* A capio whose tracker holds at most max_inflight requests (0: the
 * tracker's default). NULL when out of memory. */
capio *capio_new(size_t max_inflight);
/* NULL is a no-op. */
void capio_free(capio *c);

/*
 * Turn one record (from vscsi_cap_next()) into *ev. Returns 1 when ev is
 * an I/O event (kind CMD_*, CTRL_*, EVENT, VHOST_USER: io is meaningful for
 * statistics and filters), 0 for the other kinds, or a negative vscsi error
 * when the record's bytes could not be parsed at all (ev->kind says what it
 * was meant to be; it is counted in bad and not tracked).
 */
int capio_record(capio *c, const vscsi_cap_rec *rec, capio_ev *ev);

/* The tracker (what is in flight); see the thread note above. */
const vscsi_tracker *capio_tracker(const capio *c);

/* The configuration in force on conn (the defaults when unknown). */
const vscsi_vs_cfg *capio_cfg(capio *c, uint32_t conn);

/* Copy the counters. */
void capio_counters(const capio *c, capio_counts *out);

#endif
