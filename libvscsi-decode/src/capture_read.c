/*
 * The capture reader: the fd is read through a stdio stream made with
 * fopencookie, whose read function decompresses zstd (told from the first
 * bytes) or passes plain pcap through; libpcap reads pcap from that stream
 * and each record is checked by vscsi_cap_parse().
 *
 * What is not trusted, and where it is checked: libpcap checks the pcap
 * headers and caps caplen at the file's snap length and at 262144 (it stops
 * at a record header it cannot pass: reported as damage, and reading ends);
 * vscsi_cap_parse() checks every length inside a record against the bytes
 * present (rec_len must equal caplen, which also catches a record libpcap
 * cut at the snap length); zstd checks its frames and their checksums.
 *
 * Continuations. A request or completion flagged VSCSI_RECF_CONTINUED is
 * copied out of libpcap's buffer (which the next pcap_next_ex() reuses)
 * into the reassembly buffer, and the records after it are read while they
 * continue it; the first that does not is held, with libpcap's buffer left
 * as it is, and handled by the next call; so is the end of the file. The
 * buffer grows as pieces arrive, never past the header, the piece the
 * record holds and VSCSI_CAP_REASM_MAX (nor the record's data_len).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <zstd.h>

#include "vscsi/capture.h"
#include "capture_layout.h"

#define CAPR_STDIO_BUF (128u * 1024u)
#define CAPR_POLL_NS 20000000L		/* FOLLOW: wait between reads */
#define CAPR_CONN_SLOTS 1024u		/* sequence tracking table */
#define CAPR_CONN_MAX 512u		/* connections tracked at most */

struct capr_conn {
	uint32_t conn;
	int used;
	uint64_t next;
};

/* One pcap record as libpcap returned it, and where it was. */
struct capr_pkt {
	const struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t recno;
	uint64_t off;
};

struct vscsi_cap_reader {
	int fd;
	unsigned flags;
	int zstd;
	int regular;
	FILE *fp;
	pcap_t *p;
	ZSTD_DCtx *ds;
	uint8_t *inbuf;
	size_t in_size, in_len, in_pos;
	char *stdio_buf;

	/* stream state, kept by the cookie */
	int eof;		/* the fd ended (and FOLLOW stopped waiting) */
	int mid_frame;		/* zstd: the last frame is not complete */
	size_t zerr;		/* zstd error code, 0 for none */
	int io_errno;		/* read(2) failed */
	uint8_t head[CAPL_PCAP_FILE_HDR]; /* first bytes after decompression */
	size_t head_len;

	atomic_int stop;
	int (*stop_cb)(void *arg);
	void *stop_arg;
	int user_stopped;

	uint64_t recno;
	uint64_t off;		/* offset of the next pcap record header */
	int pcapng;
	int done;		/* reading ended; next returns done_rc */
	int done_rc;

	struct capr_conn *conns;
	unsigned n_conns;
	struct capr_conn *last_conn;	/* the last record's, or NULL */

	/* read ahead while putting continuations back */
	int held;			/* hold is the next record */
	struct capr_pkt hold;
	char hold_why[128];		/* why hold did not continue the
					 * record before it ("": it is no
					 * continuation, or nothing was) */
	int held_end;			/* pcap_next_ex() ended the look-ahead
					 * with held_end_rc */
	int held_end_rc;
	uint8_t *asm_buf;		/* the record put back together */
	size_t asm_cap;

	vscsi_cap_rstats st;
	char errmsg[256];
};

static int capr_should_stop(vscsi_cap_reader *r)
{
	if (atomic_load(&r->stop) ||
	    (r->stop_cb && r->stop_cb(r->stop_arg))) {
		r->user_stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * read(2) into buf, retrying EINTR; at the end of a regular file in FOLLOW
 * mode, wait and read again until stopped. Returns bytes, 0 at the end, or
 * -1 (io_errno set).
 */
static ssize_t capr_read(vscsi_cap_reader *r, void *buf, size_t size)
{
	for (;;) {
		ssize_t n = read(r->fd, buf, size);

		if (n > 0) {
			r->st.bytes_in += (uint64_t)n;
			return n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->io_errno = errno;
			return -1;
		}
		if (!(r->flags & VSCSI_CAP_R_FOLLOW) || !r->regular ||
		    capr_should_stop(r)) {
			r->eof = 1;
			return 0;
		} else {
			struct timespec ts = { 0, CAPR_POLL_NS };

			nanosleep(&ts, NULL);
		}
	}
}

static void capr_keep_head(vscsi_cap_reader *r, const void *buf, size_t n)
{
	size_t k = sizeof(r->head) - r->head_len;

	if (k > n)
		k = n;
	memcpy(r->head + r->head_len, buf, k);
	r->head_len += k;
}

/* stdio's read function. */
static ssize_t capr_cookie_read(void *cookie, char *buf, size_t size)
{
	vscsi_cap_reader *r = cookie;
	ZSTD_outBuffer out = { buf, size, 0 };
	ssize_t n;

	if (r->io_errno || r->zerr) {
		errno = EIO;
		return -1;
	}
	if (r->eof && r->in_pos == r->in_len && !r->mid_frame)
		return 0;
	if (!r->zstd) {
		if (r->in_pos < r->in_len) {
			size_t k = r->in_len - r->in_pos;

			if (k > size)
				k = size;
			memcpy(buf, r->inbuf + r->in_pos, k);
			r->in_pos += k;
			n = (ssize_t)k;
		} else {
			n = r->eof ? 0 : capr_read(r, buf, size);
		}
		if (n > 0) {
			r->st.bytes += (uint64_t)n;
			if (r->head_len < sizeof(r->head))
				capr_keep_head(r, buf, (size_t)n);
		}
		return n;
	}

	for (;;) {
		ZSTD_inBuffer in = { r->inbuf, r->in_len, r->in_pos };
		size_t before = out.pos;
		size_t ret = ZSTD_decompressStream(r->ds, &out, &in);

		if (ZSTD_isError(ret)) {
			r->in_pos = in.pos;
			r->zerr = ret;
			break;
		}
		/* A call that moved nothing says nothing about frames (at a
		 * frame boundary it asks for the next header). */
		if (in.pos != r->in_pos || out.pos != before)
			r->mid_frame = ret != 0;
		r->in_pos = in.pos;
		if (out.pos == out.size)
			break;
		if (r->in_pos < r->in_len)
			continue;
		/* input used up and nothing more to flush */
		if (out.pos > 0 || r->eof)
			break;
		n = capr_read(r, r->inbuf, r->in_size);
		if (n <= 0)
			break;
		r->in_len = (size_t)n;
		r->in_pos = 0;
	}
	if (out.pos > 0) {
		r->st.bytes += out.pos;
		if (r->head_len < sizeof(r->head))
			capr_keep_head(r, buf, out.pos);
		return (ssize_t)out.pos;
	}
	if (r->io_errno || r->zerr) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static void capr_free(vscsi_cap_reader *r)
{
	if (r->p)
		pcap_close(r->p);	/* fcloses r->fp */
	else if (r->fp)
		fclose(r->fp);
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->ds);
	free(r->inbuf);
	free(r->stdio_buf);
	free(r->conns);
	free(r->asm_buf);
	free(r);
}

static uint32_t capr_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A pcap or pcapng magic number in either byte order. */
static int capr_pcap_magic(const uint8_t *p)
{
	uint32_t m = capr_le32(p);

	return m == 0xa1b2c3d4u || m == 0xd4c3b2a1u || m == 0xa1b23c4du ||
	       m == 0x4d3cb2a1u || m == 0xa1b2cd34u || m == 0x34cdb2a1u ||
	       m == 0x0a0d0d0au;
}

/* zstd frame magic, or a skippable frame's. */
static int capr_zstd_magic(const uint8_t *p)
{
	uint32_t m = capr_le32(p);

	return m == 0xfd2fb528u || (m & 0xfffffff0u) == 0x184d2a50u;
}

/*
 * Sniff zstd or plain, set up the stdio stream and let libpcap read the
 * file header. Returns VSCSI_OK, an error, or 1 when a FOLLOW reader was
 * stopped before the file had a byte.
 */
static int capr_start(vscsi_cap_reader *r)
{
	cookie_io_functions_t io = { capr_cookie_read, NULL, NULL, NULL };
	char errbuf[PCAP_ERRBUF_SIZE];

	/* Sniff the first four bytes: zstd or not. */
	while (r->in_len < 4) {
		ssize_t n = capr_read(r, r->inbuf + r->in_len,
				      r->in_size - r->in_len);

		if (n < 0) {
			errno = r->io_errno;
			return VSCSI_ERR_IO;
		}
		if (n == 0)
			break;
		r->in_len += (size_t)n;
	}
	if (r->in_len == 0)
		return r->user_stopped ? 1 : VSCSI_ERR_NOT_CAPTURE;
	r->eof = 0;
	r->zstd = r->in_len >= 4 && capr_zstd_magic(r->inbuf);
	r->st.compressed = r->zstd;
	if (r->zstd) {
		r->ds = ZSTD_createDCtx();
		if (!r->ds)
			return VSCSI_ERR_NOMEM;
	}

	r->fp = fopencookie(r, "r", io);
	if (!r->fp)
		return VSCSI_ERR_NOMEM;
	setvbuf(r->fp, r->stdio_buf, _IOFBF, CAPR_STDIO_BUF);
	/* one thread reads a reader: no locks in fread */
	__fsetlocking(r->fp, FSETLOCKING_BYCALLER);

	r->p = pcap_fopen_offline_with_tstamp_precision(r->fp,
			PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->p) {
		if (r->io_errno) {
			errno = r->io_errno;
			return VSCSI_ERR_IO;
		}
		if (r->user_stopped)
			return 1;
		if (r->head_len >= 4 && capr_pcap_magic(r->head) && r->eof &&
		    strstr(errbuf, "truncated"))
			return VSCSI_ERR_TRUNCATED;
		if (r->zstd && r->head_len == 0 && r->mid_frame && !r->zerr)
			return VSCSI_ERR_TRUNCATED;
		return VSCSI_ERR_NOT_CAPTURE;
	}
	if (pcap_datalink(r->p) != VSCSI_CAP_LINKTYPE)
		return VSCSI_ERR_NOT_CAPTURE;
	r->st.snaplen = (uint32_t)pcap_snapshot(r->p);
	r->pcapng = r->head_len >= 4 && capr_le32(r->head) == 0x0a0d0d0au;
	r->off = r->pcapng ? 0 : CAPL_PCAP_FILE_HDR;
	return VSCSI_OK;
}

vscsi_cap_reader *vscsi_cap_reader_open_fd(int fd, unsigned flags, int *err)
{
	vscsi_cap_reader *r;
	struct stat sb;
	int rc = VSCSI_ERR_NOMEM, saved;

	if (fd < 0) {
		rc = VSCSI_ERR_ARG;
		goto fail_fd;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail_fd;
	r->fd = fd;
	r->flags = flags;
	atomic_init(&r->stop, 0);
	r->regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	r->in_size = ZSTD_DStreamInSize();
	r->inbuf = malloc(r->in_size);
	r->stdio_buf = malloc(CAPR_STDIO_BUF);
	r->conns = calloc(CAPR_CONN_SLOTS, sizeof(*r->conns));
	if (!r->inbuf || !r->stdio_buf || !r->conns)
		goto fail;
	/* A FOLLOW reader of a file still empty reads the header in its
	 * first vscsi_cap_next(), where a stop can end the wait. */
	if ((flags & VSCSI_CAP_R_FOLLOW) && r->regular && sb.st_size == 0)
		return r;
	rc = capr_start(r);
	if (rc == VSCSI_OK)
		return r;
	if (rc == 1)
		rc = VSCSI_ERR_NOT_CAPTURE;

fail:
	saved = errno;
	capr_free(r);
	errno = saved;
	if (err)
		*err = rc;
	return NULL;
fail_fd:
	if (fd >= 0)
		close(fd);
	if (err)
		*err = rc;
	return NULL;
}

vscsi_cap_reader *vscsi_cap_reader_open(const char *path, unsigned flags,
					int *err)
{
	int fd;

	if (!path) {
		if (err)
			*err = VSCSI_ERR_ARG;
		return NULL;
	}
	if (strcmp(path, "-") == 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (err)
			*err = VSCSI_ERR_IO;
		return NULL;
	}
	return vscsi_cap_reader_open_fd(fd, flags, err);
}

/* The sequence slot of conn, made when missing; NULL when the table is
 * full. */
static struct capr_conn *capr_conn(vscsi_cap_reader *r, uint32_t conn)
{
	uint32_t h = (conn * 2654435761u) >> 22;	/* 10 bits: 1024 slots */
	struct capr_conn *c = NULL;
	unsigned i;

	for (i = 0; i < CAPR_CONN_SLOTS; i++) {
		c = &r->conns[(h + i) & (CAPR_CONN_SLOTS - 1)];
		if (!c->used || c->conn == conn)
			break;
	}
	if (!c->used) {
		if (r->n_conns >= CAPR_CONN_MAX)
			return NULL;
		c->used = 1;
		c->conn = conn;
		c->next = 0;
		r->n_conns++;
	}
	return c;
}

/* Count sequence gaps of rec's connection. */
static void capr_seq(vscsi_cap_reader *r, vscsi_cap_rec *rec)
{
	struct capr_conn *c = r->last_conn;

	if (rec->conn == VSCSI_CAP_CONN_NONE)
		return;
	/* records of one connection come in runs */
	if (!c || c->conn != rec->conn) {
		c = capr_conn(r, rec->conn);
		if (!c)
			return;
		r->last_conn = c;
	}
	if (rec->seq != c->next) {
		r->st.seq_gaps++;
		if (rec->seq > c->next) {
			rec->seq_missing = rec->seq - c->next;
			r->st.seq_missing += rec->seq_missing;
		}
	}
	c->next = rec->seq + 1;
}

static const char *capr_parse_why(int rc)
{
	return rc == VSCSI_ERR_TRUNCATED ? "lengths run past the record" :
	       "impossible field";
}

/* Reading has ended with rc (0 or an error); later calls return done_rc. */
static int capr_finish(vscsi_cap_reader *r, int rc, int sticky)
{
	r->done = 1;
	r->done_rc = sticky ? rc : 0;
	return rc;
}

/* Damage that ends reading (libpcap or zstd cannot go past it). */
static int capr_stop_damaged(vscsi_cap_reader *r, const char *what)
{
	r->st.damaged++;
	r->st.stopped = 1;
	r->st.err_recno = r->recno + 1;
	r->st.err_offset = r->off;
	snprintf(r->errmsg, sizeof(r->errmsg),
		 "record %" PRIu64 " at offset %" PRIu64 ": %s; cannot read "
		 "past it", r->recno + 1, r->off, what);
	return capr_finish(r, VSCSI_ERR_DAMAGED,
			   (r->flags & VSCSI_CAP_R_STRICT) != 0);
}

static int capr_truncated(vscsi_cap_reader *r, const char *what)
{
	if (r->user_stopped)
		return capr_finish(r, 0, 0);
	r->st.truncated = 1;
	r->st.err_recno = r->recno + 1;
	r->st.err_offset = r->off;
	snprintf(r->errmsg, sizeof(r->errmsg),
		 "file truncated at record %" PRIu64 " (offset %" PRIu64
		 "): %s", r->recno + 1, r->off, what);
	if (r->flags & VSCSI_CAP_R_STRICT)
		return capr_finish(r, VSCSI_ERR_TRUNCATED, 1);
	return capr_finish(r, 0, 0);
}

/* pcap_next_ex() gave -1 or -2. */
static int capr_end(vscsi_cap_reader *r, int pc)
{
	char what[200];

	if (r->io_errno) {
		snprintf(r->errmsg, sizeof(r->errmsg), "read failed: %s",
			 strerror(r->io_errno));
		return capr_finish(r, VSCSI_ERR_IO, 1);
	}
	if (r->zerr) {
		snprintf(what, sizeof(what), "zstd: %s",
			 ZSTD_getErrorName(r->zerr));
		return capr_stop_damaged(r, what);
	}
	if (pc == PCAP_ERROR_BREAK) {
		if (r->mid_frame)
			return capr_truncated(r, "the last zstd frame is cut");
		return capr_finish(r, 0, 0);
	}
	snprintf(what, sizeof(what), "libpcap: %s", pcap_geterr(r->p));
	if (r->eof && strstr(what, "truncated"))
		return capr_truncated(r, what);
	return capr_stop_damaged(r, what);
}

/*
 * The next pcap record: the one held by a look-ahead, or libpcap's next.
 * Returns 1, or pcap_next_ex()'s end code (for capr_end()).
 */
static int capr_pull(vscsi_cap_reader *r, struct capr_pkt *pk)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;

	if (r->held) {
		*pk = r->hold;	/* hold_why is this record's */
		r->held = 0;
		return 1;
	}
	r->hold_why[0] = 0;
	if (r->held_end) {
		r->held_end = 0;
		return r->held_end_rc;
	}
	rc = pcap_next_ex(r->p, &h, &d);
	if (rc != 1)
		return rc;
	r->recno++;
	r->st.pcap_records++;
	pk->h = h;
	pk->d = d;
	pk->recno = r->recno;
	pk->off = r->off;
	if (!r->pcapng) {
		uint32_t skipped = h->caplen;

		/* libpcap cut a record longer than the snap length and
		 * skipped the rest: rec_len says how much */
		if (h->caplen == r->st.snaplen &&
		    h->caplen >= VSCSI_CAP_COMMON_LEN &&
		    capr_le32(d + CAPL_REC_LEN) > h->caplen)
			skipped = capr_le32(d + CAPL_REC_LEN);
		r->off += CAPL_PCAP_REC_HDR + (uint64_t)skipped;
	}
	return 1;
}

/* Hold pk for the next call; why says why it did not continue. */
static void capr_hold(vscsi_cap_reader *r, const struct capr_pkt *pk,
		      const char *why)
{
	r->hold = *pk;
	r->held = 1;
	snprintf(r->hold_why, sizeof(r->hold_why), "%s", why);
}

/* Make room for size bytes in the reassembly buffer, growing it by
 * doubling but never past max (>= size). Pointers into it are the caller's
 * to set again. 0, or -1 when out of memory. */
static int capr_asm_room(vscsi_cap_reader *r, size_t size, size_t max)
{
	uint8_t *nb;
	size_t ncap;

	if (size <= r->asm_cap)
		return 0;
	ncap = r->asm_cap ? r->asm_cap : 512u * 1024u;
	while (ncap < size)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	nb = realloc(r->asm_buf, ncap);
	if (!nb) {
		nb = realloc(r->asm_buf, size);
		if (!nb)
			return -1;
		ncap = size;
	}
	r->asm_buf = nb;
	r->asm_cap = ncap;
	return 0;
}

/* Point out's byte fields into the reassembly buffer holding the record
 * header, then raw_len raw bytes. */
static void capr_asm_point(vscsi_cap_reader *r, vscsi_cap_rec *out,
			   size_t raw_len)
{
	out->rec = r->asm_buf;
	out->raw = r->asm_buf + out->rec_hdr_len;
	out->raw_len = raw_len;
	out->hdr = out->raw;
	out->data = out->raw + out->hdr_cap;
	out->data_cap = raw_len - out->hdr_cap;
}

/*
 * out is a request or completion flagged VSCSI_RECF_CONTINUED, pointing
 * into libpcap's buffer: copy it out and append the continuation records
 * that follow it. The first record that does not continue it, or the end
 * of reading, is held for the next call.
 */
static void capr_reassemble(vscsi_cap_reader *r, vscsi_cap_rec *out)
{
	uint64_t limit = out->data_len < VSCSI_CAP_REASM_MAX ?
			 out->data_len : VSCSI_CAP_REASM_MAX;
	uint64_t next = out->data_cap;	/* data offset of the next piece */
	size_t have = out->raw_len;	/* raw bytes in the buffer */
	size_t max;			/* most the buffer needs */
	int capped = 0, more = 1;

	if (out->hdr_cap < out->hdr_len)
		return;		/* a cut header part is never continued */
	if (limit < out->data_cap)
		limit = out->data_cap;
	max = out->rec_hdr_len + out->hdr_cap + (size_t)limit;
	/* without room the record is returned as it is (cut); its pieces
	 * then read as damage, as nothing can be held */
	if (capr_asm_room(r, out->rec_len, max))
		return;
	memcpy(r->asm_buf, out->rec, out->rec_len);
	capr_asm_point(r, out, have);

	while (more) {
		struct capr_pkt pk;
		vscsi_cap_rec p;
		char why[128];
		int rc = capr_pull(r, &pk);

		if (rc != 1) {
			r->held_end = 1;
			r->held_end_rc = rc;
			break;
		}
		rc = vscsi_cap_parse(pk.d, pk.h->caplen, &p);
		if (rc != VSCSI_OK || p.type != VSCSI_REC_DATA) {
			capr_hold(r, &pk, "");
			break;
		}
		if (p.conn != out->conn || p.piece.parent_seq != out->seq) {
			snprintf(why, sizeof(why), "the record before it is "
				 "seq %" PRIu64 " of connection %" PRIu32,
				 out->seq, out->conn);
			capr_hold(r, &pk, why);
			break;
		}
		if (p.piece.offset != next) {
			snprintf(why, sizeof(why), "the data before it ends at "
				 "%" PRIu64 " (%s)", next,
				 p.piece.offset > next ? "gap" : "overlap");
			capr_hold(r, &pk, why);
			break;
		}
		if ((uint64_t)p.piece.offset + p.data_cap > out->data_len) {
			snprintf(why, sizeof(why), "it runs past the data part "
				 "(%" PRIu32 " bytes)", out->data_len);
			capr_hold(r, &pk, why);
			break;
		}
		/* it continues out */
		p.recno = pk.recno;
		capr_seq(r, &p);
		r->st.pieces++;
		out->pieces++;
		next += p.data_cap;
		more = (p.flags & VSCSI_DATAF_MORE) != 0;
		if (!capped) {
			uint64_t room = limit - out->data_cap;
			size_t k = p.data_cap < room ? p.data_cap : (size_t)room;

			if (k < p.data_cap)
				capped = 1;	/* VSCSI_CAP_REASM_MAX */
			if (k && capr_asm_room(r, out->rec_hdr_len + have + k,
					       max)) {
				capped = 1;	/* out of memory */
				k = 0;
			}
			memcpy(r->asm_buf + out->rec_hdr_len + have, p.data, k);
			have += k;
			capr_asm_point(r, out, have);
		}
	}
	if (out->pieces)
		r->st.continued++;
	if (capped)
		r->st.reasm_capped++;
	if ((uint64_t)out->hdr_cap + out->data_cap <
	    (uint64_t)out->hdr_len + out->data_len)
		out->flags |= VSCSI_RECF_CUT;
	else
		out->flags &= ~(unsigned)VSCSI_RECF_CUT;
}

/* A continuation record met on its own: damage. */
static int capr_orphan(vscsi_cap_reader *r, const vscsi_cap_rec *rec)
{
	r->st.damaged++;
	r->st.err_recno = rec->recno;
	r->st.err_offset = rec->offset;
	snprintf(r->errmsg, sizeof(r->errmsg),
		 "record %" PRIu64 " at offset %" PRIu64 ": continuation of "
		 "seq %" PRIu64 " at offset %" PRIu32 " (%zu bytes) does not "
		 "fit: %s", rec->recno, rec->offset, rec->piece.parent_seq,
		 rec->piece.offset, rec->data_cap,
		 r->hold_why[0] ? r->hold_why :
		 "no continued record before it");
	r->hold_why[0] = 0;
	if (r->flags & VSCSI_CAP_R_STRICT)
		return capr_finish(r, VSCSI_ERR_DAMAGED, 1);
	return VSCSI_ERR_DAMAGED;
}

int vscsi_cap_next(vscsi_cap_reader *r, vscsi_cap_rec *out)
{
	if (!r || !out)
		return VSCSI_ERR_ARG;
	if (r->done)
		return r->done_rc;
	if (!r->p) {
		int rc = capr_start(r);

		if (rc == 1)
			return capr_finish(r, 0, 0);
		if (rc < 0) {
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "cannot read the file header: %s",
				 vscsi_strerror(rc));
			return capr_finish(r, rc, 1);
		}
	}
	for (;;) {
		struct capr_pkt pk;
		const struct pcap_pkthdr *h;
		const u_char *d;
		int rc = capr_pull(r, &pk);

		if (rc != 1)
			return capr_end(r, rc);
		h = pk.h;
		d = pk.d;
		rc = vscsi_cap_parse(d, h->caplen, out);
		out->recno = pk.recno;
		out->offset = r->pcapng ? 0 : pk.off;
		out->ts_ns = (uint64_t)(uint32_t)h->ts.tv_sec * 1000000000u +
			     (uint32_t)h->ts.tv_usec;

		switch (rc) {
		case VSCSI_OK:
			capr_seq(r, out);
			if (!(r->flags & VSCSI_CAP_R_PIECES)) {
				if (out->type == VSCSI_REC_DATA)
					return capr_orphan(r, out);
				if ((out->type == VSCSI_REC_REQUEST ||
				     out->type == VSCSI_REC_COMPLETION) &&
				    (out->flags & VSCSI_RECF_CONTINUED))
					capr_reassemble(r, out);
			}
			r->st.records++;
			return 1;
		case VSCSI_ERR_VERSION:
		case VSCSI_ERR_UNSUPPORTED:
			capr_seq(r, out);
			if (rc == VSCSI_ERR_VERSION)
				r->st.newer++;
			else
				r->st.unknown++;
			if (r->flags & VSCSI_CAP_R_UNKNOWN) {
				r->st.records++;
				return 1;
			}
			continue;
		default:
			r->st.damaged++;
			r->st.err_recno = pk.recno;
			r->st.err_offset = pk.off;
			if (h->caplen >= VSCSI_CAP_COMMON_LEN &&
			    capr_le32(d + CAPL_REC_LEN) > h->caplen &&
			    h->caplen == (uint32_t)pcap_snapshot(r->p))
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "record %" PRIu64 " at offset %" PRIu64
					 ": longer than the file's snap length "
					 "%u (cut)", pk.recno, pk.off,
					 h->caplen);
			else
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "record %" PRIu64 " at offset %" PRIu64
					 ": %s (%s, %u bytes)", pk.recno,
					 pk.off, capr_parse_why(rc),
					 vscsi_rec_type_name(h->caplen >= 2 ?
							     d[1] : 0),
					 h->caplen);
			if (r->flags & VSCSI_CAP_R_STRICT)
				return capr_finish(r, VSCSI_ERR_DAMAGED, 1);
			return VSCSI_ERR_DAMAGED;
		}
	}
}

void vscsi_cap_reader_stop(vscsi_cap_reader *r)
{
	if (r)
		atomic_store(&r->stop, 1);
}

void vscsi_cap_reader_set_stop_cb(vscsi_cap_reader *r, int (*cb)(void *arg),
				  void *arg)
{
	if (!r)
		return;
	r->stop_cb = cb;
	r->stop_arg = arg;
}

const char *vscsi_cap_reader_errmsg(const vscsi_cap_reader *r)
{
	return r ? r->errmsg : "";
}

void vscsi_cap_reader_stats(const vscsi_cap_reader *r, vscsi_cap_rstats *st)
{
	if (!st)
		return;
	if (!r) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = r->st;
}

void vscsi_cap_reader_close(vscsi_cap_reader *r)
{
	if (r)
		capr_free(r);
}
