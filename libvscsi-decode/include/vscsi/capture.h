/*
 * libvscsi-decode: the capture file format, writer and reader.
 *
 * A capture is a classic pcap file (nanosecond time stamps, link type
 * VSCSI_CAP_LINKTYPE), usually compressed with zstd (".pcap.zst"), written
 * and read through libpcap. Each pcap record is one event: a little-endian
 * record header, then raw bytes. The layout, byte by byte, and the rules for
 * versions are in vscsi-capture(5); this header is the C interface.
 *
 * Record header (all records; the first 24 bytes are the same in every
 * version of the format):
 *
 *   0      1      2             4                           8
 *   +------+------+-------------+---------------------------+
 *   | ver  | type |   hdr_len   |          rec_len          |
 *   +------+------+-------------+-------------+-------------+
 *   |            conn           |     vq      |    flags    |   8..15
 *   +---------------------------+-------------+-------------+
 *   |                          seq                          |  16..23
 *   +-------------------------------------------------------+
 *   | type body (hdr_len - 24 bytes) ...  | raw bytes ...
 *
 * hdr_len counts the whole record header (common part and type body); the
 * raw bytes start at hdr_len. rec_len is the record's whole length and must
 * equal the pcap caplen. Newer writers may append fields to a body (a larger
 * hdr_len); readers skip them.
 *
 * A request or completion whose data part does not fit one pcap record goes
 * on in data continuation records (VSCSI_REC_DATA) written right after it;
 * the reader puts the pieces back together (vscsi_cap_next()).
 *
 * Threads: a writer or a reader is used by one thread at a time; different
 * handles are independent. vscsi_cap_reader_stop() alone may be called from
 * another thread or a signal handler.
 */
#ifndef VSCSI_CAPTURE_H
#define VSCSI_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * LINKTYPE_USER5. The USER range (147..162) is for private use; USER0 is the
 * one other private formats and examples reach for first, so a file with it
 * is most likely someone else's. USER5 is as private and less crowded; a
 * reader still checks every record, as the link type proves nothing.
 */
#define VSCSI_CAP_LINKTYPE 152

/* Record layout version this library writes and fully reads. */
#define VSCSI_CAP_VERSION 1

/* Length of the common record header. */
#define VSCSI_CAP_COMMON_LEN 24

/* Record header lengths written by version 1 (minimum a reader accepts). */
#define VSCSI_CAP_REQ_HDR_LEN 64	/* request and completion */
#define VSCSI_CAP_VU_HDR_LEN 32
#define VSCSI_CAP_SESSION_HDR_LEN 56
#define VSCSI_CAP_LOSS_HDR_LEN 48
#define VSCSI_CAP_NOTIFY_HDR_LEN 32
#define VSCSI_CAP_DATA_HDR_LEN 40

/*
 * Largest pcap record: libpcap refuses a caplen above 262144 for the USER
 * link types, so this is also the snap length written in the pcap header.
 * One record holds at most VSCSI_CAP_SNAPLEN_MAX raw bytes, so that the
 * largest record header still fits. A request's or completion's data part
 * beyond that goes on in continuation records (VSCSI_REC_DATA) of at most
 * VSCSI_CAP_PIECE_MAX bytes each, up to the writer's snap length.
 */
#define VSCSI_CAP_MAX_RECORD 262144u
#define VSCSI_CAP_SNAPLEN_MAX (VSCSI_CAP_MAX_RECORD - 256u)
#define VSCSI_CAP_PIECE_MAX VSCSI_CAP_SNAPLEN_MAX

/* A snap length that keeps every byte (full lengths are at most 2^32-1). */
#define VSCSI_CAP_SNAPLEN_WHOLE 0xffffffffu

/* Most data bytes the reader puts back together for one record
 * (vscsi_cap_next()); the rest of a longer data part is read and left
 * out, and the record is returned cut. */
#define VSCSI_CAP_REASM_MAX (64u << 20)

/* Defaults of the writer. */
#define VSCSI_CAP_ZSTD_LEVEL 3
#define VSCSI_CAP_FRAME_NS 1000000000ull	/* end a zstd frame once a second */

/* conn value of records that belong to no connection (writer loss notes). */
#define VSCSI_CAP_CONN_NONE 0xffffffffu
/* vq value of records that belong to no virtqueue. */
#define VSCSI_CAP_VQ_NONE 0xffffu

/* Record types (byte 1). 0 is never written; 8..255 are for later versions
 * and are skipped (and counted) by this reader. */
enum vscsi_rec_type {
	VSCSI_REC_REQUEST = 1,		/* a chain made available */
	VSCSI_REC_COMPLETION = 2,	/* its used entry */
	VSCSI_REC_VHOST_USER = 3,	/* a vhost-user message */
	VSCSI_REC_SESSION = 4,		/* session metadata */
	VSCSI_REC_LOSS = 5,		/* records were dropped */
	VSCSI_REC_NOTIFY = 6,		/* kick or call */
	VSCSI_REC_DATA = 7,		/* data continuation: the next piece
					 * of the data part of the request
					 * or completion just before it */
};

/* Record flags (bytes 14..15). The low byte is type-dependent. */
#define VSCSI_RECF_INDIRECT 0x0001	/* request/completion: indirect table */
#define VSCSI_RECF_PACKED 0x0002	/* request/completion: packed ring;
					 * head is the buffer id */
#define VSCSI_SESSF_LEGACY 0x0001	/* session: VERSION_1 not negotiated */
#define VSCSI_SESSF_BIG_ENDIAN 0x0002	/* session: legacy guest is big-endian */
#define VSCSI_RECF_MALFORMED 0x0004	/* request: the chain walker refused
					 * the chain; used_len holds its
					 * error code (a negative vscsi_err)
					 * and no completion follows */
#define VSCSI_RECF_CONTINUED 0x0008	/* request/completion: the data part
					 * goes on in VSCSI_REC_DATA records
					 * right after this one (the record
					 * alone is cut: VSCSI_RECF_CUT too) */
#define VSCSI_DATAF_MORE 0x0001		/* data continuation: another
					 * continuation of the same record
					 * follows this one */
#define VSCSI_RECF_CUT 0x0100		/* raw bytes cut at the snap length;
					 * readers derive it from the lengths
					 * (after putting continuations back:
					 * set when data_cap < data_len) */
#define VSCSI_RECF_CLAMPED 0x0200	/* a length above 2^32-1 was clamped */

/* vhost-user direction and channel. */
#define VSCSI_VU_TO_BACKEND 0		/* front-end (QEMU) to back-end */
#define VSCSI_VU_TO_FRONTEND 1		/* back-end to front-end */
#define VSCSI_VU_CHAN_MAIN 0		/* the socket the front-end opened */
#define VSCSI_VU_CHAN_BACKEND 1		/* the back-end request channel */

/* Notification kinds. */
#define VSCSI_NOTIFY_KICK 0		/* driver notified the device */
#define VSCSI_NOTIFY_CALL 1		/* device notified the driver */

/* Loss reasons. */
#define VSCSI_LOSS_UNKNOWN 0
#define VSCSI_LOSS_WRITE_ERROR 1	/* the writer could not write (disk full) */
#define VSCSI_LOSS_QUEUE_FULL 2		/* the recorder's queue to the writer was full */
#define VSCSI_LOSS_SHUTDOWN 3		/* records pending at shutdown */

/*
 * Session metadata. Written by vscsi_cap_write_session(); returned by the
 * reader in vscsi_cap_rec.session.
 *
 * queue_sizes (host order, num_queues entries) is the writer's input;
 * queue_sizes_le (2 * num_queues bytes, little-endian, inside the record) is
 * what the reader returns. vscsi_cap_queue_size() reads either.
 * tool and tool_version are NUL-terminated; the writer keeps at most 255
 * bytes of each. From the reader they point into the record.
 */
typedef struct vscsi_cap_session {
	uint64_t features;		/* virtio device features negotiated */
	uint64_t protocol_features;	/* vhost-user protocol features */
	uint32_t cdb_size;		/* config cdb_size in force */
	uint32_t sense_size;		/* config sense_size in force */
	uint32_t snaplen;		/* the writer's snap length */
	uint16_t num_queues;		/* virtqueues, control and event included */
	unsigned flags;			/* VSCSI_SESSF_* */
	const uint16_t *queue_sizes;	/* writer input */
	const uint8_t *queue_sizes_le;	/* reader output */
	const char *tool;		/* "vscsi-capture" */
	const char *tool_version;	/* "0.1.0" */
} vscsi_cap_session;

/* Size of queue i (0 when i >= num_queues). Thread-safe. */
VSCSI_API unsigned vscsi_cap_queue_size(const vscsi_cap_session *s,
					unsigned i);

/*
 * One record, as the reader returns it and as vscsi_cap_write() takes it.
 * Pointers from the reader point into the reader's buffer and are valid
 * until the next call on that reader.
 *
 * Requests and completions carry two parts of raw bytes, kept in one run:
 * the header part (hdr: the virtio-scsi request header and CDB, or the
 * response header and sense) and the data part (data: data-out or data-in).
 * hdr_len and data_len are the full lengths; hdr_cap and data_cap what was
 * kept (the run is cut at the snap length, header first). digest is
 * XXH3_64bits over the full data part, whatever was kept. (hdr_len is
 * vs_len in vscsi-capture(5); rec_hdr_len is the record header's hdr_len.)
 */
typedef struct vscsi_cap_rec {
	/* common header */
	unsigned version;	/* layout version of the record */
	unsigned type;		/* VSCSI_REC_* (other values with
				 * VSCSI_CAP_R_UNKNOWN) */
	unsigned flags;		/* VSCSI_RECF_*, VSCSI_SESSF_* */
	uint32_t conn;		/* connection id */
	uint16_t vq;		/* virtqueue index or VSCSI_CAP_VQ_NONE */
	uint64_t seq;		/* per-connection record sequence number */
	uint64_t ts_ns;		/* ns since the epoch (pcap time stamp) */

	/* where (reader only) */
	uint64_t recno;		/* 1-based pcap record number */
	uint64_t offset;	/* byte offset of the pcap record header in the
				 * uncompressed file (pcap files; 0 for pcapng) */
	uint64_t seq_missing;	/* records of this connection missing just
				 * before this one (by seq) */
	const uint8_t *rec;	/* the whole record (as vscsi_cap_write_raw
				 * takes it) */
	size_t rec_len;
	size_t rec_hdr_len;	/* the record header length (hdr_len field) */
	const uint8_t *raw;	/* the bytes after the record header */
	size_t raw_len;

	/* request and completion */
	uint32_t head;		/* descriptor head, or packed buffer id */
	uint32_t used_len;	/* completion: used length */
	uint16_t n_readable;	/* device-readable descriptors */
	uint16_t n_writable;	/* device-writable descriptors */
	uint32_t readable_bytes; /* device-readable bytes of the chain */
	uint32_t writable_bytes; /* device-writable bytes of the chain */
	uint32_t hdr_len;	/* full length of the header part */
	uint32_t data_len;	/* full length of the data part */
	uint64_t digest;	/* XXH3_64bits of the full data part */
	const uint8_t *hdr;	/* header part kept (reader) */
	size_t hdr_cap;
	const uint8_t *data;	/* data part kept (reader) */
	size_t data_cap;

	struct {
		unsigned dir;		/* VSCSI_VU_TO_* */
		unsigned channel;	/* VSCSI_VU_CHAN_* */
		unsigned nfds;		/* fds passed with the message */
		uint32_t msg_len;	/* full message length; kept: raw */
	} vu;

	vscsi_cap_session session;

	struct {
		uint64_t count;		/* records dropped */
		uint64_t since_ns;	/* ns since the epoch of the first drop */
		unsigned reason;	/* VSCSI_LOSS_* */
	} loss;				/* optional text: raw (not terminated) */

	struct {
		unsigned kind;		/* VSCSI_NOTIFY_* */
	} notify;

	/* data continuation (type VSCSI_REC_DATA, returned only with
	 * VSCSI_CAP_R_PIECES): the piece is raw (also data/data_cap) */
	struct {
		uint64_t parent_seq;	/* seq of the record it continues */
		uint32_t offset;	/* offset of the piece in that record's
					 * data part */
	} piece;

	/* request and completion (reader): continuation records put back
	 * into data (0: the record was not continued, or none followed) */
	unsigned pieces;
} vscsi_cap_rec;

/* The pcap link type of captures. Thread-safe. */
VSCSI_API int vscsi_cap_linktype(void);
/* "request", "completion", "vhost-user", "session", "loss", "notify",
 * "data"; "unknown" otherwise. Thread-safe. */
VSCSI_API const char *vscsi_rec_type_name(unsigned type);
/* "write-error", "queue-full", "shutdown", "unknown". Thread-safe. */
VSCSI_API const char *vscsi_cap_loss_reason_name(unsigned reason);

/*
 * Parse one record (the bytes of one pcap record) into out, pointing into
 * p. Thread-safe; keeps nothing.
 * Returns VSCSI_OK; VSCSI_ERR_TRUNCATED when the record is shorter than its
 * own lengths say (rec_len above len, a header or session field cut);
 * VSCSI_ERR_INVALID when a field is impossible (version 0, hdr_len below
 * the minimum, rec_len below len, more bytes kept than the full length);
 * VSCSI_ERR_VERSION for a version above VSCSI_CAP_VERSION and
 * VSCSI_ERR_UNSUPPORTED for an unknown type: both with the common fields,
 * raw and rec filled, so a reader can skip the record and keep counting
 * sequence numbers. VSCSI_ERR_ARG when p or out is NULL.
 * A data continuation (VSCSI_REC_DATA) is parsed alone: piece.parent_seq,
 * piece.offset, and data/data_cap (= raw/raw_len); INVALID when its length
 * field differs from the raw bytes or offset + length is above 2^32-1.
 * Whether it continues anything is for the reader to tell.
 */
VSCSI_API int vscsi_cap_parse(const void *p, size_t len, vscsi_cap_rec *out);

/* vscsi_cap_encode() flags. */
#define VSCSI_CAP_ENC_LENGTHS 0x1	/* full lengths from the iovecs */
#define VSCSI_CAP_ENC_DIGEST 0x2	/* digest computed from the iovecs */
#define VSCSI_CAP_ENC_COMPUTE (VSCSI_CAP_ENC_LENGTHS | VSCSI_CAP_ENC_DIGEST)
#define VSCSI_CAP_ENC_CONTINUE 0x4	/* keep may exceed one record: the
					 * rest goes in continuation records
					 * (vscsi_cap_encode_data()) */

/*
 * Encode one record, version 1 (vscsi-capture(5) "RECORD HEADER" and the
 * type bodies), into buf[0..cap): the record header and type body from rec,
 * then raw bytes gathered from iov[0..n), at most keep of them (the cut of
 * the snap length). The building block of vscsi_cap_write(), for callers
 * that do their own I/O (a recorder queueing records for a writer thread).
 * Fields of rec used: type, conn, vq, seq, flags (low byte), and:
 *   request/completion: head, used_len, n_readable, n_writable,
 *     readable_bytes, writable_bytes, hdr_len (the header part: that many
 *     leading bytes of iov); without VSCSI_CAP_ENC_LENGTHS also data_len
 *     (full data part, written as is), and without VSCSI_CAP_ENC_DIGEST
 *     digest (written as is);
 *   vhost-user: vu.dir, vu.channel, vu.nfds (above 255 written as 255);
 *     without VSCSI_CAP_ENC_LENGTHS also vu.msg_len;
 *   session: session (iov ignored; never cut, whatever keep says);
 *   loss: loss.count, loss.since_ns, loss.reason; iov holds optional text;
 *   notify: notify.kind (iov ignored).
 * flags: VSCSI_CAP_ENC_LENGTHS takes the full lengths from the iovecs
 * (vs_len = min(hdr_len, total), data_len = the rest, a length above
 * 2^32-1 clamped with VSCSI_RECF_CLAMPED; msg_len = total);
 * VSCSI_CAP_ENC_DIGEST computes the digest, XXH3_64bits of the iovec bytes
 * after the header part, whatever is kept. VSCSI_RECF_CUT is set when fewer
 * raw bytes are kept than the full lengths say.
 * VSCSI_CAP_ENC_CONTINUE: keep is what to keep over the record and its
 * continuation records (any size; VSCSI_CAP_SNAPLEN_WHOLE: everything);
 * the record itself keeps at most VSCSI_CAP_SNAPLEN_MAX raw bytes (any
 * type), and a request or completion whose kept bytes go on beyond it
 * (vscsi_cap_pieces() > 0) gets VSCSI_RECF_CONTINUED: the caller then
 * writes its continuation records with vscsi_cap_encode_data(), right
 * after it and before any other record, or the reader returns it cut.
 * full_len (may be NULL) receives the record's full length (header and
 * full raw lengths; above the return value exactly when the record is cut).
 * Returns the bytes written (the rec_len field); VSCSI_ERR_NOSPACE when
 * they do not fit cap or VSCSI_CAP_MAX_RECORD; VSCSI_ERR_ARG for a NULL
 * buf or rec, an unknown type, a NULL iov with n > 0 or a NULL iov base
 * with a length. buf and the iovecs stay the caller's; nothing is kept.
 * Thread-safe.
 */
VSCSI_API int vscsi_cap_encode(void *buf, size_t cap, const vscsi_cap_rec *rec,
		const struct iovec *iov, unsigned n, uint64_t keep,
		unsigned flags, uint64_t *full_len);

/*
 * How vscsi_cap_encode() with VSCSI_CAP_ENC_CONTINUE and
 * vscsi_cap_encode_data() split a request or completion of total raw bytes
 * (the first min(hdr_len, total) the header part, the rest the data part,
 * counted up to 2^32-1) kept up to keep bytes: the first record keeps
 * min(keep, total, VSCSI_CAP_SNAPLEN_MAX) raw bytes; when that holds the
 * whole header part and more is kept, the data part goes on in
 * continuation records of VSCSI_CAP_PIECE_MAX bytes (the last one
 * shorter) up to keep.
 * Returns the number of continuation records (0: one record holds all
 * that is kept); bytes (may be NULL) receives the length of all the
 * records together, the first included (what a caller queues). Thread-safe.
 */
VSCSI_API unsigned vscsi_cap_pieces(uint64_t hdr_len, uint64_t total,
		uint64_t keep, uint64_t *bytes);

/*
 * Encode continuation record number piece (1 = the first after the
 * record) of parent into buf[0..cap): a VSCSI_REC_DATA record, version 1
 * (vscsi-capture(5) "DATA CONTINUATION"), carrying the next piece of the
 * data part. parent, iov[0..n) and keep are what vscsi_cap_encode() was
 * given with VSCSI_CAP_ENC_CONTINUE (fields used: type, which must be a
 * request or completion, conn, vq, seq, hdr_len); seq is the
 * continuation's own sequence number (the parent's + piece when the
 * caller numbers every record of the connection). The record says
 * VSCSI_DATAF_MORE when another piece follows it, VSCSI_RECF_CUT on the
 * last one when the data part is kept only in part.
 * Returns the bytes written (at most VSCSI_CAP_MAX_RECORD); 0 when parent
 * has no such piece (piece > vscsi_cap_pieces()); VSCSI_ERR_NOSPACE when
 * it does not fit cap; VSCSI_ERR_ARG for a NULL buf or parent, another
 * type, piece 0, a NULL iov with n > 0 or a NULL iov base with a length.
 * buf and the iovecs stay the caller's. Thread-safe.
 */
VSCSI_API int vscsi_cap_encode_data(void *buf, size_t cap,
		const vscsi_cap_rec *parent, const struct iovec *iov,
		unsigned n, uint64_t keep, unsigned piece, uint64_t seq);

/* ------------------------------------------------------------ writer */

typedef struct vscsi_cap_writer vscsi_cap_writer;

/* Compression (vscsi_cap_wopts.compress). */
#define VSCSI_CAP_COMPRESS_AUTO 0	/* plain when the name ends in ".pcap" */
#define VSCSI_CAP_COMPRESS_ON 1
#define VSCSI_CAP_COMPRESS_OFF 2

/* Writer flags (vscsi_cap_wopts.flags). */
#define VSCSI_CAP_W_OVERWRITE 0x1	/* replace an existing regular file */
#define VSCSI_CAP_W_CALLER_SEQ 0x2	/* the caller numbers the records */

/*
 * Writer options; a zeroed struct (or NULL) gives the defaults.
 * snaplen: raw bytes kept of each request, completion (continuation
 * records included), vhost-user message and loss text; 0 or
 * VSCSI_CAP_SNAPLEN_WHOLE keeps everything. Records other than requests
 * and completions keep at most VSCSI_CAP_SNAPLEN_MAX whatever it says.
 * clock_ns, when set, replaces CLOCK_MONOTONIC for frame timing (tests).
 */
typedef struct vscsi_cap_wopts {
	unsigned compress;		/* VSCSI_CAP_COMPRESS_* */
	int level;			/* zstd level; 0 = VSCSI_CAP_ZSTD_LEVEL */
	uint32_t snaplen;		/* see above; 0 = the whole payload */
	unsigned flags;			/* VSCSI_CAP_W_* */
	uint64_t frame_ns;		/* frame interval; 0 = VSCSI_CAP_FRAME_NS */
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;
} vscsi_cap_wopts;

/* The shape of a descriptor chain, as the proxy saw it. */
typedef struct vscsi_cap_chain {
	uint32_t conn;
	uint16_t vq;
	unsigned flags;			/* VSCSI_RECF_INDIRECT, VSCSI_RECF_PACKED */
	uint32_t head;			/* head index or packed buffer id */
	uint16_t n_readable, n_writable;
	uint32_t readable_bytes, writable_bytes;
	uint64_t seq;			/* only with VSCSI_CAP_W_CALLER_SEQ */
} vscsi_cap_chain;

/* Writer counters. */
typedef struct vscsi_cap_wstats {
	uint64_t records;	/* records accepted (written or later dropped) */
	uint64_t bytes;		/* pcap bytes accepted, before compression */
	uint64_t bytes_out;	/* bytes written to the file */
	uint64_t frames;	/* frames ended (plain files: flushes) */
	uint64_t cut;		/* records cut at the snap length */
	uint64_t dropped;	/* records lost to write errors */
	uint64_t write_errors;	/* failed write(2) calls */
	int last_errno;		/* errno of the last failed write, or 0 */
	int broken;		/* 1: the file cannot be repaired; all later
				 * records are dropped */
	uint64_t pieces;	/* continuation records among records */
} vscsi_cap_wstats;

/*
 * Open a capture for writing. path "-" is standard output (a dup of fd 1;
 * fd 1 itself is left open). Compression AUTO: plain pcap when path ends in
 * ".pcap", zstd otherwise (".pcap.zst", "-", anything else). Without
 * VSCSI_CAP_W_OVERWRITE an existing file is refused (O_EXCL; errno EEXIST);
 * an existing FIFO, character device or socket (/dev/fd/N of a pipe, say)
 * is opened and written, as nothing is overwritten. The pcap file header is
 * written and ended as a frame of its own before this returns.
 * Returns the writer, or NULL with *err (if err is not NULL) set:
 * VSCSI_ERR_ARG, VSCSI_ERR_IO (errno kept), VSCSI_ERR_NOMEM,
 * VSCSI_ERR_COMPRESS, VSCSI_ERR_PCAP.
 */
VSCSI_API vscsi_cap_writer *vscsi_cap_writer_open(const char *path,
		const vscsi_cap_wopts *opts, int *err);

/*
 * Write one record of type VSCSI_REC_* from rec and raw bytes iov[0..n).
 * Used fields of rec: type, conn, vq, flags (type-dependent bits), seq (with
 * VSCSI_CAP_W_CALLER_SEQ), ts_ns (0: the writer reads CLOCK_REALTIME), and:
 *   request/completion: head, used_len, n_readable, n_writable,
 *     readable_bytes, writable_bytes, hdr_len (how many leading bytes of iov
 *     are the header part; the rest is the data part). The writer computes
 *     data_len, digest and the cut; a data part kept beyond one record
 *     goes on in continuation records written right after it (see
 *     vscsi_cap_pieces()), each with a sequence number of its own.
 *   vhost-user: vu.dir, vu.channel, vu.nfds; iov holds the message.
 *   session: session (iov must be empty).
 *   loss: loss.count, loss.since_ns, loss.reason; iov holds optional text.
 *   notify: notify.kind (iov must be empty).
 * The raw bytes are kept up to the snap length; the iovecs are read, not
 * kept. Sequence numbers (unless the caller gives them) count every record
 * of a connection from 0.
 * The clock is read; when the current frame is older than the frame
 * interval it is ended (see vscsi_cap_writer_tick()).
 * With VSCSI_CAP_W_CALLER_SEQ the caller owns the numbers: rec->seq here,
 * chain.seq in the request/completion calls, 0 in the other calls; the
 * continuation records of a request or completion take rec->seq + 1,
 * + 2, ... (vscsi_cap_pieces(hdr_len, total, snap length) of them), so
 * the caller's next number is after those.
 * The records of one call are never split across frames.
 * Returns VSCSI_OK when the record went into the stream; VSCSI_ERR_IO when
 * it was (or, with the rest of its frame, will be) dropped because the file
 * cannot be written: it is counted, and the writer goes on; at the frame's
 * end it cuts a regular file back to the last whole frame and writes a loss
 * note (conn VSCSI_CAP_CONN_NONE, reason VSCSI_LOSS_WRITE_ERROR) that
 * counts every record lost; VSCSI_ERR_ARG for a bad rec (unknown type, raw
 * bytes for a session or notify, a NULL iov base, a vhost-user dir above 1,
 * num_queues without queue_sizes); VSCSI_ERR_NOMEM.
 */
VSCSI_API int vscsi_cap_write(vscsi_cap_writer *w, const vscsi_cap_rec *rec,
		const struct iovec *iov, unsigned n);

/*
 * A request: rd[0..n) are the chain's device-readable bytes in order; the
 * first hdr_len of them are the virtio-scsi header and CDB, the rest
 * data-out. Returns as vscsi_cap_write().
 */
VSCSI_API int vscsi_cap_write_request(vscsi_cap_writer *w,
		const vscsi_cap_chain *c, const struct iovec *rd, unsigned n,
		size_t hdr_len, uint64_t ts_ns);

/*
 * A completion: used_len from the used ring; wr[0..n) are the
 * device-writable bytes to keep (the caller chooses: typically the chain's
 * writable iovecs cut at used_len); the first hdr_len of them are the
 * response header and sense, the rest data-in.
 */
VSCSI_API int vscsi_cap_write_completion(vscsi_cap_writer *w,
		const vscsi_cap_chain *c, uint32_t used_len,
		const struct iovec *wr, unsigned n, size_t hdr_len,
		uint64_t ts_ns);

/* A vhost-user message (header and payload, as on the wire). */
VSCSI_API int vscsi_cap_write_vhost_user(vscsi_cap_writer *w, uint32_t conn,
		unsigned dir, unsigned channel, const void *msg, size_t len,
		unsigned nfds, uint64_t ts_ns);

/* Session metadata for connection conn. */
VSCSI_API int vscsi_cap_write_session(vscsi_cap_writer *w, uint32_t conn,
		const vscsi_cap_session *s, uint64_t ts_ns);

/* A loss note: count records dropped since since_ns for reason; text may be
 * NULL. */
VSCSI_API int vscsi_cap_write_loss(vscsi_cap_writer *w, uint32_t conn,
		uint64_t count, unsigned reason, uint64_t since_ns,
		const char *text, uint64_t ts_ns);

/* A kick or a call on (conn, vq). */
VSCSI_API int vscsi_cap_write_notify(vscsi_cap_writer *w, uint32_t conn,
		uint16_t vq, unsigned kind, uint64_t ts_ns);

/*
 * Write rec[0..len) as one pcap record, unchanged (no sequence number, no
 * cut): for copying records a reader returned with VSCSI_CAP_R_PIECES
 * (vscsi_cap_rec.rec), for recorders that encode their own records, and
 * for tests. len is at most VSCSI_CAP_MAX_RECORD. A request or completion
 * flagged VSCSI_RECF_CONTINUED, or a continuation with VSCSI_DATAF_MORE,
 * keeps the frame from ending before the next record (not before a tick).
 * Returns as vscsi_cap_write().
 */
VSCSI_API int vscsi_cap_write_raw(vscsi_cap_writer *w, const void *rec,
		size_t len, uint64_t ts_ns);

/*
 * Call from the event loop (at least every few hundred ms): reads the
 * clock and ends the current frame when it is older than the frame
 * interval, so that a crash loses at most that much. Returns VSCSI_OK or
 * VSCSI_ERR_IO when the file could not be written.
 */
VSCSI_API int vscsi_cap_writer_tick(vscsi_cap_writer *w);

/* End the current frame now (pcap's stdio buffer is flushed first). */
VSCSI_API int vscsi_cap_writer_flush(vscsi_cap_writer *w);

/* Copy the counters. */
VSCSI_API void vscsi_cap_writer_stats(const vscsi_cap_writer *w,
		vscsi_cap_wstats *st);

/*
 * End the last frame, close the file and free the writer (NULL is a no-op).
 * Returns VSCSI_OK, or VSCSI_ERR_IO when close(2) failed, or records were
 * lost that no loss note in the file tells (the last frame failed, or the
 * file was broken). Losses a note tells are in the stats, not the result.
 */
VSCSI_API int vscsi_cap_writer_close(vscsi_cap_writer *w);

/* ------------------------------------------------------------ reader */

typedef struct vscsi_cap_reader vscsi_cap_reader;

/* Reader flags. */
#define VSCSI_CAP_R_STRICT 0x1	/* fail on damage and truncation */
#define VSCSI_CAP_R_FOLLOW 0x2	/* at the end of a regular file, wait for
				 * more until stopped */
#define VSCSI_CAP_R_UNKNOWN 0x4	/* return records of unknown types and
				 * versions (common fields and raw only) */
#define VSCSI_CAP_R_PIECES 0x8	/* return continuation records as they are
				 * (VSCSI_REC_DATA) instead of putting
				 * them back into the record before them */

/* Reader counters. */
typedef struct vscsi_cap_rstats {
	uint64_t records;	/* records returned */
	uint64_t pcap_records;	/* pcap records read */
	uint64_t unknown;	/* skipped: unknown type */
	uint64_t newer;		/* skipped: version above VSCSI_CAP_VERSION */
	uint64_t damaged;	/* damaged records */
	uint64_t seq_gaps;	/* records whose seq was not the last + 1 */
	uint64_t seq_missing;	/* records missing by seq, summed */
	uint64_t bytes_in;	/* bytes read from the file */
	uint64_t bytes;		/* bytes after decompression */
	uint64_t err_recno;	/* record number of the last problem (1-based;
				 * 0: none) */
	uint64_t err_offset;	/* its offset in the uncompressed file */
	uint32_t snaplen;	/* snap length in the pcap header */
	int compressed;		/* the file is zstd-compressed */
	int truncated;		/* the file ends inside a record or frame */
	int stopped;		/* reading ended early at damage libpcap
				 * cannot pass */
	uint64_t continued;	/* records returned with continuation
				 * records put back into them */
	uint64_t pieces;	/* continuation records put back */
	uint64_t reasm_capped;	/* records whose data part was left out
				 * beyond VSCSI_CAP_REASM_MAX (or memory) */
} vscsi_cap_rstats;

/*
 * Open a capture for reading and read its pcap header. path "-" is standard
 * input (a dup of fd 0). zstd or plain is told by the first bytes, so pipes
 * work. flags: VSCSI_CAP_R_*. With FOLLOW and a regular file that is still
 * empty, open returns at once and the first vscsi_cap_next() waits for the
 * header and checks it (and may return the errors below).
 * Returns the reader, or NULL with *err: VSCSI_ERR_NOT_CAPTURE (empty, not
 * pcap, another link type), VSCSI_ERR_TRUNCATED (the file ends inside the
 * pcap header), VSCSI_ERR_IO (errno kept), VSCSI_ERR_NOMEM, VSCSI_ERR_ARG.
 */
VSCSI_API vscsi_cap_reader *vscsi_cap_reader_open(const char *path,
		unsigned flags, int *err);

/* As vscsi_cap_reader_open() on an open fd, which the reader then owns
 * (closed by vscsi_cap_reader_close(), or on failure). */
VSCSI_API vscsi_cap_reader *vscsi_cap_reader_open_fd(int fd, unsigned flags,
		int *err);

/*
 * Next record into out. Returns 1 with a record; 0 at the end (FOLLOW: when
 * stopped); or:
 * VSCSI_ERR_DAMAGED: a damaged record (number, offset and reason in
 *   vscsi_cap_reader_errmsg()); call again to go on (after damage that
 *   libpcap cannot pass, the next call returns 0 and stats.stopped is 1);
 * VSCSI_ERR_TRUNCATED (STRICT only; otherwise the end returns 0 and
 *   stats.truncated is 1); VSCSI_ERR_IO (read failed); for a FOLLOW
 *   reader opened on an empty file, the errors of vscsi_cap_reader_open().
 * With STRICT, and after TRUNCATED or IO, every later call returns the same
 * error. Records of unknown types or versions are skipped and counted.
 * out's pointers are valid until the next call.
 *
 * Continuations: a request or completion flagged VSCSI_RECF_CONTINUED is
 * returned with hdr/data/raw covering its own piece and every
 * continuation record that follows it in order (same connection, seq
 * naming it, offsets contiguous, within data_len); pieces counts them, and
 * VSCSI_RECF_CUT says whether data_cap is still short of data_len. rec
 * and rec_len stay the record as it is in the file. To do so the reader
 * reads ahead one record past the last piece unless that piece says no
 * other follows (VSCSI_DATAF_MORE clear); with FOLLOW it waits for pieces
 * not written yet. A record read ahead that does not continue the record
 * is returned by the next call: a continuation that does not fit (wrong
 * seq or connection, a gap, an overlap, past data_len) or that follows no
 * continued record is damage (VSCSI_ERR_DAMAGED, the message names it)
 * and is skipped. A file that ends (or is cut) before the pieces gives the
 * record with what arrived, cut, and then the end (or TRUNCATED). Data
 * beyond VSCSI_CAP_REASM_MAX bytes is read and left out (the record is
 * returned cut; stats.reasm_capped). With VSCSI_CAP_R_PIECES nothing is
 * put back: continuation records are returned as they are.
 */
VSCSI_API int vscsi_cap_next(vscsi_cap_reader *r, vscsi_cap_rec *out);

/* Ask a FOLLOW reader to stop waiting: it reads what the file holds, and
 * where it would wait for more, vscsi_cap_next() returns 0 (a record cut
 * by the stop is not reported as truncation). Async-signal-safe and
 * thread-safe. */
VSCSI_API void vscsi_cap_reader_stop(vscsi_cap_reader *r);

/* While it waits, a FOLLOW reader calls cb(arg) about every 20 ms and
 * stops when it returns non-zero. */
VSCSI_API void vscsi_cap_reader_set_stop_cb(vscsi_cap_reader *r,
		int (*cb)(void *arg), void *arg);

/* The last problem, or "": "record 12 at offset 4567: lengths run past
 * the record (request, 80 bytes)". Valid until the next call on r. */
VSCSI_API const char *vscsi_cap_reader_errmsg(const vscsi_cap_reader *r);

/* Copy the counters. */
VSCSI_API void vscsi_cap_reader_stats(const vscsi_cap_reader *r,
		vscsi_cap_rstats *st);

/* Close and free (NULL is a no-op). */
VSCSI_API void vscsi_cap_reader_close(vscsi_cap_reader *r);

#ifdef __cplusplus
}
#endif
#endif
