/*
 * libvscsi-decode: request tracking, latency histograms and statistics.
 *
 * One module serves vscsi-dump --stats, vscsi-top and the replay report:
 *
 *  - vscsi_hist: a log-linear latency histogram (32 sub-buckets per power
 *    of two: at most 3.2% relative error), fixed size, mergeable, with
 *    quantiles.
 *  - vscsi_tracker: pairs each completion with its request by
 *    (connection, virtqueue, head); knows what is in flight and for how
 *    long; flags a head reused while still in flight.
 *  - vscsi_stats: aggregates completed I/O per LUN, per virtqueue, per
 *    opcode and per opcode class: counts, bytes, latency histograms, queue
 *    depth over time, errors by status and sense, sequential versus random.
 *    Reset it at each interval for per-interval figures, or merge intervals.
 *
 * None of the handles is thread-safe: one thread owns each.
 */
#ifndef VSCSI_STATS_H
#define VSCSI_STATS_H

#include <stdint.h>

#include "common.h"
#include "io.h"
#include "virtio_scsi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ histogram */

#define VSCSI_HIST_SUB_BITS 5
#define VSCSI_HIST_SUB (1u << VSCSI_HIST_SUB_BITS)
#define VSCSI_HIST_BUCKETS ((64u - VSCSI_HIST_SUB_BITS + 1u) * VSCSI_HIST_SUB)

typedef struct vscsi_hist {
	uint64_t count;
	uint64_t sum;		/* saturates at UINT64_MAX */
	uint64_t min, max;
	uint64_t bucket[VSCSI_HIST_BUCKETS];
} vscsi_hist;

VSCSI_API void vscsi_hist_init(vscsi_hist *h);
VSCSI_API void vscsi_hist_add(vscsi_hist *h, uint64_t v);
/* dst += src. */
VSCSI_API void vscsi_hist_merge(vscsi_hist *dst, const vscsi_hist *src);
/* The value at quantile q (0..1): the midpoint of the bucket that holds it,
 * clamped to [min, max]; q >= 1 gives max; 0 when empty. */
VSCSI_API uint64_t vscsi_hist_quantile(const vscsi_hist *h, double q);
VSCSI_API uint64_t vscsi_hist_mean(const vscsi_hist *h);
/* Bucket geometry: index of a value, and the values [lo, hi] a bucket
 * holds. */
VSCSI_API unsigned vscsi_hist_bucket(uint64_t v);
VSCSI_API void vscsi_hist_bucket_range(unsigned idx, uint64_t *lo,
				       uint64_t *hi);

/* ------------------------------------------------------------ tracker */

typedef struct vscsi_tracker vscsi_tracker;

typedef struct vscsi_track_key {
	uint32_t conn;
	uint16_t vq;
	uint16_t head;
} vscsi_track_key;

/* What the tracker keeps of a request in flight. */
typedef struct vscsi_inflight {
	vscsi_track_key key;
	uint64_t ts_ns;		/* made available */
	uint64_t seq;		/* order of submission, from 0 */
	int is_ctrl;
	union {
		vscsi_cmd_req cmd;
		vscsi_ctrl_req ctrl;
	} req;
} vscsi_inflight;

/* A tracker holding at most max_inflight requests (0: 1,048,576). NULL on
 * allocation failure. */
VSCSI_API vscsi_tracker *vscsi_tracker_new(size_t max_inflight);
VSCSI_API void vscsi_tracker_free(vscsi_tracker *t);
/*
 * A command or control request made available. Returns VSCSI_OK, 1 when the
 * head was still in flight (the older request is replaced and counted as
 * reused: a guest or a recording broke the rules), or VSCSI_ERR_NOSPACE when
 * the tracker is full (counted; the request is not tracked).
 */
VSCSI_API int vscsi_tracker_submit_cmd(vscsi_tracker *t, vscsi_track_key key,
				       uint64_t ts_ns,
				       const vscsi_cmd_req *req);
VSCSI_API int vscsi_tracker_submit_ctrl(vscsi_tracker *t,
					vscsi_track_key key, uint64_t ts_ns,
					const vscsi_ctrl_req *req);
/* A completion: 1 and *out filled (the entry leaves the tracker) when its
 * request was in flight, 0 when not (counted as unmatched). */
VSCSI_API int vscsi_tracker_complete(vscsi_tracker *t, vscsi_track_key key,
				     vscsi_inflight *out);
VSCSI_API size_t vscsi_tracker_count(const vscsi_tracker *t);
/* Up to max pointers to in-flight entries, oldest first; returns how many.
 * The pointers are valid until the tracker is next changed. */
VSCSI_API size_t vscsi_tracker_oldest(const vscsi_tracker *t,
				      const vscsi_inflight **out, size_t max);
/* Forget everything still in flight on a connection (it went away) or on
 * all (conn = UINT32_MAX); returns how many were dropped. */
VSCSI_API size_t vscsi_tracker_drop(vscsi_tracker *t, uint32_t conn);

typedef struct vscsi_tracker_counts {
	uint64_t submitted, completed;
	uint64_t reused;	/* a head submitted again while in flight */
	uint64_t unmatched;	/* completions with no request in flight */
	uint64_t overflow;	/* requests not tracked: the tracker was full */
} vscsi_tracker_counts;
VSCSI_API void vscsi_tracker_counters(const vscsi_tracker *t,
				      vscsi_tracker_counts *out);

/* ------------------------------------------------------------ statistics */

typedef struct vscsi_stats vscsi_stats;

enum vscsi_group {
	VSCSI_GROUP_TOTAL = 0,
	VSCSI_GROUP_LUN = 1,	/* key: target << 16 | lun */
	VSCSI_GROUP_QUEUE = 2,	/* key: conn << 16 | vq */
	VSCSI_GROUP_OPCODE = 3,	/* key: opcode << 16 | sa (0xffff no sa) */
	VSCSI_GROUP_CLASS = 4,	/* key: enum vscsi_op_class */
	VSCSI_GROUP_COUNT = 5,
};

/* One row of a group. Rates are the caller's: divide by the span. */
typedef struct vscsi_stats_row {
	uint64_t key;
	uint64_t ios;		/* completions */
	uint64_t reads, writes;	/* by op class */
	uint64_t bytes_read, bytes_written;
	uint64_t errors;
	uint64_t seq, random;	/* LBA contiguous with the previous I/O or not */
	uint64_t seek_sum;	/* sum of |LBA - previous end| of random I/O */
	uint64_t qd_area;	/* in-flight count integrated over ns */
	uint32_t qd_now, qd_max;
	uint64_t qd_since;	/* ts of the last queue-depth change */
	uint64_t busy_ns;	/* time with at least one request in flight */
	uint64_t next_lba;	/* end of the previous I/O (LUN rows) */
	vscsi_hist lat;		/* completion latency, ns */
} vscsi_stats_row;

/* Errors by kind: response, status, sense. */
typedef struct vscsi_stats_err {
	uint8_t response, status, has_sense, sense_key, asc, ascq;
	uint64_t count;
} vscsi_stats_err;

VSCSI_API vscsi_stats *vscsi_stats_new(void);
VSCSI_API void vscsi_stats_free(vscsi_stats *s);
/* Forget the counts, keep the rows' queue-depth state (for intervals);
 * start is the new interval's beginning. */
VSCSI_API void vscsi_stats_reset(vscsi_stats *s, uint64_t start_ns);
/* Feed one event (requests raise queue depth, completions lower it and are
 * counted; other events are ignored). VSCSI_ERR_NOMEM when a new row could
 * not be made (the event is then counted only in the total). */
VSCSI_API int vscsi_stats_add(vscsi_stats *s, const vscsi_io *io);
/* The rows of a group, sorted by key; valid until the next add/reset. */
VSCSI_API size_t vscsi_stats_rows(const vscsi_stats *s, unsigned group,
				  const vscsi_stats_row **rows);
VSCSI_API size_t vscsi_stats_errors(const vscsi_stats *s,
				    const vscsi_stats_err **errs);
/* First and last event time seen since the last reset, and its start. */
VSCSI_API void vscsi_stats_span(const vscsi_stats *s, uint64_t *start_ns,
				uint64_t *first_ns, uint64_t *last_ns);
/* Bring the queue-depth integrals of every row up to now_ns (call before
 * reading qd_area or busy_ns at the end of an interval). */
VSCSI_API void vscsi_stats_settle(vscsi_stats *s, uint64_t now_ns);

#ifdef __cplusplus
}
#endif
#endif
