/*
 * px_rec: the capture proxy's recorder, on the I/O thread. It encodes
 * records in the capture format (vscsi-capture(5), version 1) straight into
 * the record queue (proxy_q.h): payload bytes are read once from guest
 * memory, cut at the snap length and hashed (XXH3_64bits of the whole data
 * part) on the way. The writer thread hands the bytes to the capture file
 * and the monitor clients unchanged.
 *
 * The caller numbers the records of each connection (seq) and keeps
 * counting when one is dropped, so a reader sees the gap (vscsi-capture(5)
 * "SEQUENCE NUMBERS"). A record that does not fit the queue is dropped and
 * counted; before the next record that fits, a loss note (connection
 * 0xffffffff, reason queue-full) tells how many were dropped and since
 * when. Nothing here blocks.
 *
 * Data parts longer than one record (the default snap length keeps whole
 * payloads) go into the queue as the request or completion record and its
 * data continuation records (vscsi-capture(5) "DATA CONTINUATION"), one
 * queue entry each, right after one another and numbered one after the
 * other. They go in all together or not at all: the recorder checks that
 * the queue has room for every piece before it queues the first, and a
 * request or completion that does not fit is dropped with its
 * continuations (one record dropped, one number used), so that no record
 * in the queue says more follows when it does not. A data part above half
 * the queue could never fit: the snap length is at most that much.
 *
 * Threads: one px_rec belongs to the producer thread of its queue.
 */
#ifndef VSCSI_TOOLS_PROXY_REC_H
#define VSCSI_TOOLS_PROXY_REC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "proxy_q.h"
#include "vscsi/capture.h"

/*
 * A request whose descriptor chain the walker refused (the guest broke a
 * virtqueue rule). Not in vscsi-capture(5) version 1, whose readers ignore
 * flag bits they do not know; such a request carries no raw bytes and its
 * used_len field holds the walker's error code, negated (VSCSI_ERR_*).
 */
#define PX_RECF_MALFORMED VSCSI_RECF_MALFORMED

typedef struct px_rec_stats {
	uint64_t records;	/* records queued */
	uint64_t bytes;		/* their bytes */
	uint64_t dropped;	/* records the queue could not take */
	uint64_t notes;		/* queue-full loss notes queued */
	uint64_t cut;		/* records cut at the snap length */
	uint64_t pieces;	/* continuation records among records */
} px_rec_stats;

typedef struct px_rec px_rec;

/*
 * A recorder over q. snaplen: raw bytes kept of a request or completion,
 * continuation records included (0 or VSCSI_CAP_SNAPLEN_WHOLE: all of it),
 * and of a vhost-user message or loss text (at most VSCSI_CAP_SNAPLEN_MAX),
 * never more than px_rec_snap_max(q); no_data: requests and completions
 * keep their virtio-scsi part only (header, CDB, response, sense), never
 * data. NULL when out of memory.
 */
px_rec *px_rec_new(pxq *q, uint32_t snaplen, int no_data);
void px_rec_free(px_rec *r);
pxq *px_rec_queue(const px_rec *r);
/* The snap length in force (what session records say). */
uint32_t px_rec_snaplen(const px_rec *r);
/* The most raw bytes of one request or completion q can take as one
 * group of records: about half of it. */
uint32_t px_rec_snap_max(const pxq *q);
void px_rec_get_stats(const px_rec *r, px_rec_stats *st);
/*
 * True when the writer is behind: more than 1/PX_REC_BACKLOG_DIV of the
 * queue waits for it. A polling I/O thread then stops polling and sleeps
 * until the next notification, leaving the CPU to the writer (which runs
 * under SCHED_IDLE by default and would get none from a thread that
 * spins), rather than dropping records.
 */
#define PX_REC_BACKLOG_DIV 16
int px_rec_backlogged(const px_rec *r);

/*
 * Queue the loss note of the records dropped so far, if the queue has
 * room again (a note otherwise waits for the next record that fits). Call
 * it now and then when idle, and before stopping. 0: nothing is owed any
 * more; -1: still owed.
 */
int px_rec_flush(px_rec *r);
/* Records dropped and not yet told by a queued loss note. */
uint64_t px_rec_pending(const px_rec *r);

/* Time now, ns since the epoch (CLOCK_REALTIME). */
uint64_t px_rec_now(void);

/*
 * A request (chain c made available): iov[0..n) the device-readable bytes
 * in chain order, of which the first vs_len are the virtio-scsi part.
 * *seq is the connection's next sequence number: the record takes it and
 * its continuation records the ones after it, and *seq is moved past them
 * (past the one number only, when the record is dropped).
 * Returns VSCSI_OK, or VSCSI_ERR_NOSPACE when the record was dropped.
 */
int px_rec_request(px_rec *r, const vscsi_cap_chain *c, uint64_t *seq,
		   const struct iovec *iov, unsigned n, uint32_t vs_len,
		   uint64_t ts_ns);
/* A completion: the used length, and iov[0..n) the device-writable bytes
 * kept (the writable buffers cut at the used length). seq as above. */
int px_rec_completion(px_rec *r, const vscsi_cap_chain *c, uint64_t *seq,
		      uint32_t used_len, const struct iovec *iov, unsigned n,
		      uint32_t vs_len, uint64_t ts_ns);
/* A request the walker refused (see PX_RECF_MALFORMED): err is the
 * walker's error. */
int px_rec_malformed(px_rec *r, const vscsi_cap_chain *c, uint64_t seq,
		     int err, uint64_t ts_ns);
/* A vhost-user message as on the wire. */
int px_rec_vhost_user(px_rec *r, uint32_t conn, uint64_t seq, unsigned dir,
		      unsigned channel, const void *msg, size_t len,
		      unsigned nfds, uint64_t ts_ns);
/* Session metadata (s->queue_sizes: host order). */
int px_rec_session(px_rec *r, uint32_t conn, uint64_t seq,
		   const vscsi_cap_session *s, uint64_t ts_ns);
/* A loss note; text may be NULL. */
int px_rec_loss(px_rec *r, uint32_t conn, uint64_t seq, uint64_t count,
		unsigned reason, uint64_t since_ns, const char *text,
		uint64_t ts_ns);
/* A kick or a call. */
int px_rec_notify(px_rec *r, uint32_t conn, uint64_t seq, uint16_t vq,
		  unsigned kind, uint64_t ts_ns);
/* An entry for the writer itself: PXQ_CONN_END (conn) or PXQ_FLUSH. These
 * are not records and are never counted as drops; VSCSI_ERR_NOSPACE when
 * the queue is full. */
int px_rec_control(px_rec *r, unsigned kind, uint32_t conn);

/*
 * Encode a record into buf (cap bytes) with vscsi_cap_encode(), lengths
 * and digest computed (VSCSI_CAP_ENC_COMPUTE | VSCSI_CAP_ENC_CONTINUE):
 * the building block of the calls above, exposed for the tests and the
 * monitor. rec fields used as by vscsi_cap_write() (type, conn, vq, flags,
 * seq, head, used_len, shape, hdr_len as the vs part, vu, session, loss,
 * notify); keep is the most raw bytes to keep, continuations included: a
 * request or completion kept beyond one record is flagged continued, and
 * its pieces are vscsi_cap_encode_data()'s to make. *cut: less is kept
 * than there is. Returns the record length, or VSCSI_ERR_NOSPACE /
 * VSCSI_ERR_ARG.
 */
int px_rec_encode(uint8_t *buf, size_t cap, const vscsi_cap_rec *rec,
		  const struct iovec *iov, unsigned n, uint64_t keep,
		  int *cut);

/*
 * For a sink that numbers records its own way (proxy_out.c rebases each
 * connection's numbers per file and per monitor client): give the record
 * rec[0..len) the sequence number seq; a data continuation's parent_seq
 * moves with it, so it still names its parent.
 */
void px_rec_set_seq(uint8_t *rec, uint32_t len, uint64_t seq);
/* 1 when rec[0..len) is a data continuation record. */
int px_rec_is_piece(const uint8_t *rec, uint32_t len);

#endif
