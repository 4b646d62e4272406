/*
 * vscsi-dump: reading a capture.
 *
 * Each record is decoded with its connection's configuration (features,
 * cdb_size and sense_size from the session record, or SET_FEATURES),
 * paired with its request through the tracker, summarised as a vscsi_io for
 * the filter and the statistics, and printed. The raw bytes of a request or
 * completion are parsed whole (header part and data part are one run in
 * the record), so a recorder that splits them differently still reads.
 *
 * In --stats mode nothing is formatted and vhost-user messages are not
 * decoded (except SET_FEATURES, which changes how requests read).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "dump.h"

#define FILE_CONN_MAX 4096u	/* connections with a configuration of their own */

typedef struct file_conn {
	uint32_t conn;
	vscsi_vs_cfg cfg;
} file_conn;

/*
 * The vscsi_io of each request in flight, by (connection, queue, head), so
 * that its completion takes the request's facts from here instead of
 * decoding the CDB again (the tracker pairs them; this only saves work).
 */
typedef struct file_ioq {
	uint32_t conn;
	uint16_t vq;
	uint32_t size;		/* entries: a power of two above every head */
	vscsi_io *io;
} file_ioq;

#define FILE_IOQ_MAX 64u		/* queues with a cache */
#define FILE_HEAD_MAX 65536u

typedef struct file_state {
	const dump_opts *o;
	vscsi_cap_reader *r;
	vscsi_tracker *t;
	dump_report *rp;
	file_conn *conns;
	size_t nconns, capconns, last;
	vscsi_vs_cfg cfg_default;
	dump_totals tot;
	uint64_t shown;
	int have_t0;
	int done;
	int need_io;		/* a filter or statistics look at vscsi_io */
	file_ioq ioq[FILE_IOQ_MAX];
	unsigned nioq, last_ioq;
} file_state;

/* Signals: stop reading cleanly. */
static volatile sig_atomic_t file_stop;
static vscsi_cap_reader *volatile file_reader;
static int file_fd = -1;
static int file_nullfd = -1;
static int file_regular;

static void file_on_signal(int sig)
{
	(void)sig;
	file_stop = 1;
	if (file_reader)
		vscsi_cap_reader_stop(file_reader);
	/* a pipe or terminal blocks in read(): give it an end of file */
	if (!file_regular && file_fd >= 0 && file_nullfd >= 0)
		dup2(file_nullfd, file_fd);
}

static void file_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = file_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---------------------------------------------------------------- open */

static uint32_t file_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t file_swap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

/* What a file that is not a capture is, for the one line that says so. */
static void file_why_not(const char *path, char *why, size_t len)
{
	uint8_t in[4096], hdr[24];
	size_t n = 0, have = 0;
	ssize_t k;
	uint32_t magic;
	int fd;

	snprintf(why, len, "not a pcap file");
	if (strcmp(path, "-") == 0) {
		snprintf(why, len, "not a pcap file of link type %d",
			 VSCSI_CAP_LINKTYPE);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	while (n < sizeof(in) &&
	       (k = read(fd, in + n, sizeof(in) - n)) > 0)
		n += (size_t)k;
	close(fd);
	if (n == 0) {
		snprintf(why, len, "empty file");
		return;
	}
	if (n >= 4 && file_le32(in) == 0xfd2fb528u) {
		ZSTD_DCtx *dc = ZSTD_createDCtx();
		ZSTD_inBuffer ib = { in, n, 0 };
		ZSTD_outBuffer ob = { hdr, sizeof(hdr), 0 };

		if (dc) {
			while (ib.pos < ib.size && ob.pos < ob.size &&
			       !ZSTD_isError(ZSTD_decompressStream(dc, &ob,
								   &ib)))
				;
			ZSTD_freeDCtx(dc);
		}
		have = ob.pos;
		if (have < 4) {
			snprintf(why, len, "zstd data that is not a pcap file");
			return;
		}
	} else {
		have = n < sizeof(hdr) ? n : sizeof(hdr);
		memcpy(hdr, in, have);
	}
	if (have < 4)
		return;
	magic = file_le32(hdr);
	if (magic == 0x0a0d0d0au) {
		snprintf(why, len, "pcapng file of another link type");
		return;
	}
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du &&
	    file_swap32(magic) != 0xa1b2c3d4u &&
	    file_swap32(magic) != 0xa1b23c4du)
		return;
	if (have < 24) {
		snprintf(why, len, "pcap header cut short");
		return;
	}
	{
		uint32_t lt = file_le32(hdr + 20);

		if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
			lt = file_swap32(lt);
		lt &= 0x0fffffffu;	/* the upper bits are FCS flags */
		if (lt == VSCSI_CAP_LINKTYPE)
			snprintf(why, len, "a pcap header libpcap refuses");
		else
			snprintf(why, len, "link type %" PRIu32, lt);
	}
}

static void file_open_error(const char *path, int err, int saved_errno)
{
	const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
	char why[128];

	switch (err) {
	case VSCSI_ERR_IO:
		fprintf(stderr, "vscsi-dump: %s: %s\n", name,
			strerror(saved_errno));
		break;
	case VSCSI_ERR_NOT_CAPTURE:
		file_why_not(path, why, sizeof(why));
		fprintf(stderr, "vscsi-dump: %s: not a vscsi-trace capture "
			"(%s)\n", name, why);
		break;
	case VSCSI_ERR_TRUNCATED:
		fprintf(stderr, "vscsi-dump: %s: not a vscsi-trace capture "
			"(the file ends inside the pcap header)\n", name);
		break;
	default:
		fprintf(stderr, "vscsi-dump: %s: %s\n", name,
			vscsi_strerror(err));
	}
}

/* ---------------------------------------------------------------- state */

/* The configuration of a connection (made with the defaults). */
static file_conn *file_conn_get(file_state *st, uint32_t conn)
{
	size_t i;

	if (st->last < st->nconns && st->conns[st->last].conn == conn)
		return &st->conns[st->last];
	for (i = 0; i < st->nconns; i++)
		if (st->conns[i].conn == conn) {
			st->last = i;
			return &st->conns[i];
		}
	if (st->nconns == st->capconns) {
		size_t cap = st->capconns ? st->capconns * 2 : 8;
		file_conn *c;

		if (cap > FILE_CONN_MAX || !(c = realloc(st->conns,
						       cap * sizeof(*c)))) {
			/* too many connections: they share one entry */
			st->conns[0].conn = conn;
			st->last = 0;
			return &st->conns[0];
		}
		st->conns = c;
		st->capconns = cap;
	}
	st->conns[st->nconns].conn = conn;
	st->conns[st->nconns].cfg = st->cfg_default;
	st->last = st->nconns;
	return &st->conns[st->nconns++];
}

static void file_io_base(vscsi_io *io, unsigned type, const vscsi_cap_rec *r)
{
	memset(io, 0, sizeof(*io));
	io->type = (uint8_t)type;
	io->conn = r->conn;
	io->vq = r->vq;
	io->head = (uint16_t)r->head;
	io->ts_ns = r->ts_ns;
}

/*
 * An event was decoded: filter it, then count it (--stats) or print it.
 * show() prints; it returns 1 when a line came out.
 */
static void file_shown(file_state *st, int printed)
{
	if (!printed)
		return;
	st->shown++;
	if (st->o->count && st->shown >= st->o->count)
		st->done = 1;
}

static int file_pass(file_state *st, const vscsi_io *io)
{
	if (st->o->filter && !vscsi_filter_match(st->o->filter, io))
		return 0;
	if (st->rp) {
		/* -c counts the events the tables count */
		if (io->type == VSCSI_IO_REQUEST ||
		    io->type == VSCSI_IO_COMPLETION) {
			dump_report_add(st->rp, io);
			file_shown(st, 1);
		}
		return 0;
	}
	return 1;
}

/* The raw bytes ran out before a header: cut by the snap length, or sent
 * short. */
static void file_short(dump_ev *e, size_t need)
{
	const vscsi_cap_rec *r = e->rec;

	if (r->raw_len < need && r->raw_len < (uint64_t)r->hdr_len + r->data_len)
		e->cut = 1;
	else
		e->short_hdr = 1;
}

/* The cache entry of a request's head (made or grown), or NULL. */
static vscsi_io *file_io_slot(file_state *st, const vscsi_cap_rec *r,
			      int make)
{
	file_ioq *q = NULL;
	uint32_t head = r->head;
	unsigned i;

	if (head >= FILE_HEAD_MAX)
		return NULL;
	if (st->last_ioq < st->nioq && st->ioq[st->last_ioq].conn == r->conn &&
	    st->ioq[st->last_ioq].vq == r->vq) {
		q = &st->ioq[st->last_ioq];
	} else {
		for (i = 0; i < st->nioq; i++)
			if (st->ioq[i].conn == r->conn &&
			    st->ioq[i].vq == r->vq) {
				q = &st->ioq[i];
				st->last_ioq = i;
				break;
			}
	}
	if (!q) {
		if (!make || st->nioq == FILE_IOQ_MAX)
			return NULL;
		q = &st->ioq[st->nioq];
		st->last_ioq = st->nioq++;
		q->conn = r->conn;
		q->vq = r->vq;
	}
	if (head >= q->size) {
		uint32_t size = q->size ? q->size : 256;
		vscsi_io *io;

		if (!make)
			return NULL;
		while (size <= head)
			size *= 2;
		io = realloc(q->io, size * sizeof(*io));
		if (!io)
			return NULL;
		memset(io + q->size, 0, (size - q->size) * sizeof(*io));
		q->io = io;
		q->size = size;
	}
	return &q->io[head];
}

/* A completion's vscsi_io with its request's facts, as
 * vscsi_io_from_completion() gives them when it has the request. */
static void file_io_merge(vscsi_io *io, const vscsi_io *rq)
{
	io->has |= rq->has & (VSCSI_IO_HAS_LUN | VSCSI_IO_HAS_CDB |
			      VSCSI_IO_HAS_LBA | VSCSI_IO_HAS_LEN);
	io->lun_kind = rq->lun_kind;
	io->target = rq->target;
	io->lun = rq->lun;
	io->tag = rq->tag;
	io->task_attr = rq->task_attr;
	io->bytes_out = rq->bytes_out;
	io->opcode = rq->opcode;
	io->has_sa = rq->has_sa;
	io->sa = rq->sa;
	io->op_class = rq->op_class;
	io->lba = rq->lba;
	io->xfer_len = rq->xfer_len;
	io->has |= VSCSI_IO_HAS_SUBMIT | VSCSI_IO_HAS_LATENCY;
	io->ts_submit_ns = rq->ts_ns;
	io->latency_ns = io->ts_ns > rq->ts_ns ? io->ts_ns - rq->ts_ns : 0;
}

static vscsi_track_key file_key(const vscsi_cap_rec *r)
{
	vscsi_track_key k;

	k.conn = r->conn;
	k.vq = r->vq;
	k.head = (uint16_t)r->head;
	return k;
}

/* ---------------------------------------------------------------- records */

static void file_cmd_req(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	file_conn *c = file_conn_get(st, r->conn);
	uint64_t full = (uint64_t)r->hdr_len + r->data_len;
	vscsi_cmd_req req;
	vscsi_io io;
	int rc;

	rc = vscsi_vs_cmd_req_parse(&c->cfg, r->raw, r->raw_len, &req);
	if (rc == VSCSI_ERR_TRUNCATED) {
		file_short(e, req.hdr_len);
	} else if (rc) {
		file_io_base(&io, VSCSI_IO_REQUEST, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_undecodable(st->o, e,
							     "request", rc));
		return;
	}
	req.data_out_len = full > req.hdr_len ? full - req.hdr_len : 0;
	e->reused = vscsi_tracker_submit_cmd(st->t, file_key(r), r->ts_ns,
					     &req) == 1;
	if (st->need_io) {
		vscsi_io *slot = file_io_slot(st, r, 1);

		if (!slot)
			slot = &io;
		vscsi_io_from_request(slot, r->conn, r->vq, (uint16_t)r->head,
				      r->ts_ns, &req);
		if (!file_pass(st, slot))
			return;
	}
	file_shown(st, dump_show_cmd_req(st->o, e, &req));
}

static void file_cmd_resp(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	file_conn *c = file_conn_get(st, r->conn);
	const vscsi_cmd_req *req = NULL;
	vscsi_inflight in;
	vscsi_cmd_resp resp;
	int64_t lat = VSCSI_FMT_NO_LATENCY;
	vscsi_io io, *rq;
	int rc;

	/* --stats: the request's vscsi_io is all it needs; the tracker only
	 * says whether the request was in flight */
	if (st->rp && (rq = file_io_slot(st, r, 0)) &&
	    rq->type == VSCSI_IO_REQUEST) {
		rq->type = VSCSI_IO_OTHER;	/* used */
		if (!vscsi_tracker_complete(st->t, file_key(r), NULL))
			rq = NULL;
		rc = vscsi_vs_cmd_resp_parse(&c->cfg, r->raw, r->raw_len,
					     &resp);
		if (rc && rc != VSCSI_ERR_TRUNCATED) {
			file_io_base(&io, VSCSI_IO_COMPLETION, r);
			file_pass(st, &io);
			return;
		}
		vscsi_io_from_completion(&io, r->conn, r->vq, (uint16_t)r->head,
					 r->ts_ns, NULL, 0, &resp, r->used_len);
		if (rq)
			file_io_merge(&io, rq);
		file_pass(st, &io);
		return;
	}
	in.ts_ns = 0;
	if (vscsi_tracker_complete(st->t, file_key(r), &in)) {
		if (!in.is_ctrl)
			req = &in.req.cmd;
		lat = r->ts_ns > in.ts_ns ? (int64_t)(r->ts_ns - in.ts_ns) : 0;
	}
	rc = vscsi_vs_cmd_resp_parse(&c->cfg, r->raw, r->raw_len, &resp);
	if (rc == VSCSI_ERR_TRUNCATED) {
		file_short(e, resp.hdr_len);
	} else if (rc) {
		file_io_base(&io, VSCSI_IO_COMPLETION, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_undecodable(st->o, e,
							     "completion", rc));
		return;
	}
	if (st->need_io) {
		rq = req ? file_io_slot(st, r, 0) : NULL;
		if (rq && rq->type == VSCSI_IO_REQUEST &&
		    rq->ts_ns == in.ts_ns && rq->tag == req->tag &&
		    rq->conn == r->conn) {
			vscsi_io_from_completion(&io, r->conn, r->vq,
						 (uint16_t)r->head, r->ts_ns,
						 NULL, 0, &resp, r->used_len);
			file_io_merge(&io, rq);
			rq->type = VSCSI_IO_OTHER;	/* used */
		} else {
			vscsi_io_from_completion(&io, r->conn, r->vq,
						 (uint16_t)r->head, r->ts_ns,
						 req, in.ts_ns, &resp,
						 r->used_len);
		}
	}
	if (!st->need_io || file_pass(st, &io))
		file_shown(st, dump_show_cmd_resp(st->o, e, req, &resp,
						  r->used_len, lat));
}

static void file_ctrl_req(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	file_conn *c = file_conn_get(st, r->conn);
	vscsi_ctrl_req req;
	vscsi_io io;
	int rc;

	rc = vscsi_vs_ctrl_req_parse(&c->cfg, r->raw, r->raw_len, &req);
	if (rc == VSCSI_ERR_TRUNCATED && r->raw_len >= 4) {
		file_short(e, vscsi_vs_ctrl_req_size(req.type));
	} else if (rc && rc != VSCSI_ERR_INVALID) {
		/* INVALID is an unknown type: formatted as such */
		file_io_base(&io, VSCSI_IO_CTRL, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_undecodable(st->o, e,
						"control request", rc));
		return;
	}
	e->reused = vscsi_tracker_submit_ctrl(st->t, file_key(r), r->ts_ns,
					      &req) == 1;
	vscsi_io_from_ctrl(&io, r->conn, r->vq, (uint16_t)r->head, r->ts_ns,
			   &req);
	if (file_pass(st, &io))
		file_shown(st, dump_show_ctrl_req(st->o, e, &req));
}

static void file_ctrl_resp(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	file_conn *c = file_conn_get(st, r->conn);
	const vscsi_ctrl_req *req = NULL;
	vscsi_inflight in;
	vscsi_ctrl_resp resp;
	int64_t lat = VSCSI_FMT_NO_LATENCY;
	uint32_t type;
	vscsi_io io;
	int rc;

	in.ts_ns = 0;
	if (vscsi_tracker_complete(st->t, file_key(r), &in)) {
		if (in.is_ctrl)
			req = &in.req.ctrl;
		lat = r->ts_ns > in.ts_ns ? (int64_t)(r->ts_ns - in.ts_ns) : 0;
	}
	/* without its request, the length tells a TMF from an AN */
	type = req ? req->type : r->raw_len >= 5 ? VSCSI_T_AN_QUERY :
						    VSCSI_T_TMF;
	rc = vscsi_vs_ctrl_resp_parse(&c->cfg, type, r->raw, r->raw_len,
				      &resp);
	if (rc) {
		file_io_base(&io, VSCSI_IO_CTRL_DONE, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_undecodable(st->o, e,
						"control response", rc));
		return;
	}
	vscsi_io_from_ctrl_done(&io, r->conn, r->vq, (uint16_t)r->head,
				r->ts_ns, req, in.ts_ns, &resp);
	if (file_pass(st, &io))
		file_shown(st, dump_show_ctrl_resp(st->o, e, req, &resp, lat));
}

static void file_event_buffer(file_state *st, dump_ev *e)
{
	vscsi_io io;

	st->tot.event_buffers++;
	file_io_base(&io, VSCSI_IO_OTHER, e->rec);
	if (file_pass(st, &io))
		file_shown(st, dump_show_event_buffer(st->o, e));
}

static void file_event(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	file_conn *c = file_conn_get(st, r->conn);
	vscsi_event ev;
	vscsi_io io;
	int rc;

	if (st->tot.event_buffers)
		st->tot.event_buffers--;
	rc = vscsi_vs_event_parse(&c->cfg, r->raw, r->raw_len, &ev);
	if (rc) {
		file_io_base(&io, VSCSI_IO_EVENT, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_undecodable(st->o, e, "event",
							     rc));
		return;
	}
	vscsi_io_from_event(&io, r->conn, r->vq, (uint16_t)r->head, r->ts_ns,
			    &ev);
	if (file_pass(st, &io))
		file_shown(st, dump_show_event(st->o, e, &ev));
}

static void file_vhost_user(file_state *st, dump_ev *e)
{
	const vscsi_cap_rec *r = e->rec;
	int channel = r->vu.channel == VSCSI_VU_CHAN_BACKEND ?
			      VSCSI_VU_BACKEND : VSCSI_VU_FRONTEND;
	vscsi_vu_msg m;
	vscsi_io io;
	int rc;

	/* statistics need only SET_FEATURES */
	if (st->o->stats && (r->raw_len < 8 || file_le32(r->raw) !=
			     VSCSI_VU_SET_FEATURES ||
			     channel != VSCSI_VU_FRONTEND))
		return;
	rc = vscsi_vu_msg_parse(r->raw, r->raw_len, channel, &m);
	if (rc == VSCSI_OK && channel == VSCSI_VU_FRONTEND &&
	    m.hdr.request == VSCSI_VU_SET_FEATURES &&
	    !(m.hdr.flags & VSCSI_VU_FLAG_REPLY) &&
	    m.payload_kind == VSCSI_VU_P_U64)
		file_conn_get(st, r->conn)->cfg.features =
			m.u.u64 & ~(1ull << VSCSI_F_PROTOCOL_FEATURES);
	if (st->o->stats)
		return;
	file_io_base(&io, VSCSI_IO_VHOST_USER, r);
	if (rc == VSCSI_OK || r->raw_len >= VSCSI_VU_HDR_SIZE)
		io.vu_request = rc == VSCSI_OK ? m.hdr.request :
						 file_le32(r->raw);
	if (file_pass(st, &io))
		file_shown(st, dump_show_vu(st->o, e, rc ? NULL : &m, rc));
}

static void file_session(file_state *st, dump_ev *e)
{
	const vscsi_cap_session *s = &e->rec->session;
	file_conn *c = file_conn_get(st, e->rec->conn);
	vscsi_io io;

	c->cfg.features = s->features;
	if (s->flags & VSCSI_SESSF_LEGACY)
		c->cfg.features &= ~(1ull << VSCSI_F_VERSION_1);
	c->cfg.legacy_big_endian = (s->flags & VSCSI_SESSF_BIG_ENDIAN) != 0;
	/* sizes out of range would make every request unreadable: keep the
	 * ones in force and say so */
	if (s->cdb_size >= 1 && s->cdb_size <= VSCSI_CDB_MAX &&
	    s->sense_size <= VSCSI_SENSE_MAX) {
		c->cfg.cdb_size = s->cdb_size;
		c->cfg.sense_size = s->sense_size;
	} else {
		fprintf(stderr, "vscsi-dump: %s: record %" PRIu64 ": session "
			"cdb_size %" PRIu32 " or sense_size %" PRIu32 " out of "
			"range; keeping %" PRIu32 "/%" PRIu32 "\n",
			st->tot.path, e->rec->recno, s->cdb_size,
			s->sense_size, c->cfg.cdb_size, c->cfg.sense_size);
	}
	if (st->o->stats)
		return;
	file_io_base(&io, VSCSI_IO_OTHER, e->rec);
	if (file_pass(st, &io))
		file_shown(st, dump_show_session(st->o, e));
}

static void file_record(file_state *st, const vscsi_cap_rec *r)
{
	dump_ev e;
	vscsi_io io;

	if (!st->have_t0) {
		st->have_t0 = 1;
		st->tot.t0_ns = r->ts_ns;
		dump_print_start(r->ts_ns);
		if (st->rp)
			dump_report_start(st->rp, r->ts_ns, st->tot.path);
	}
	st->tot.last_ns = r->ts_ns;
	if (r->type < sizeof(st->tot.by_type) / sizeof(st->tot.by_type[0]))
		st->tot.by_type[r->type]++;
	memset(&e, 0, sizeof(e));
	e.rec = r;
	e.w.ts_ns = r->ts_ns;
	e.w.conn = r->conn;
	e.w.vq = r->vq;
	e.w.head = (uint16_t)r->head;
	/* losses are shown whatever the filter, and not counted by -c */
	if (r->seq_missing && !st->rp)
		dump_show_gap(st->o, &e);

	switch (r->type) {
	case VSCSI_REC_REQUEST:
		if (r->vq == VSCSI_VQ_CONTROL)
			file_ctrl_req(st, &e);
		else if (r->vq == VSCSI_VQ_EVENT)
			file_event_buffer(st, &e);
		else
			file_cmd_req(st, &e);
		break;
	case VSCSI_REC_COMPLETION:
		if (r->vq == VSCSI_VQ_CONTROL)
			file_ctrl_resp(st, &e);
		else if (r->vq == VSCSI_VQ_EVENT)
			file_event(st, &e);
		else
			file_cmd_resp(st, &e);
		break;
	case VSCSI_REC_VHOST_USER:
		file_vhost_user(st, &e);
		break;
	case VSCSI_REC_SESSION:
		file_session(st, &e);
		break;
	case VSCSI_REC_LOSS:
		st->tot.loss_notes++;
		st->tot.loss_records += r->loss.count;
		if (!st->rp)
			dump_show_loss(st->o, &e);
		break;
	case VSCSI_REC_NOTIFY:
		if (st->rp)
			break;
		file_io_base(&io, VSCSI_IO_OTHER, r);
		if (file_pass(st, &io))
			file_shown(st, dump_show_notify(st->o, &e));
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------- main */

int dump_file(const dump_opts *o)
{
	const char *name = strcmp(o->path, "-") == 0 ? "standard input" :
						       o->path;
	unsigned flags = (o->strict ? VSCSI_CAP_R_STRICT : 0) |
			 (o->follow ? VSCSI_CAP_R_FOLLOW : 0);
	static file_state st;
	vscsi_cap_rstats rst;
	vscsi_cap_rec rec;
	struct stat sb;
	int err = 0, status = DUMP_EXIT_OK, saved;
	unsigned i;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.tot.path = name;
	st.need_io = o->filter || o->stats;
	vscsi_vs_cfg_default(&st.cfg_default);
	st.conns = calloc(8, sizeof(*st.conns));
	st.capconns = 8;
	st.t = vscsi_tracker_new(0);
	if (o->stats)
		st.rp = dump_report_new(o);
	if (!st.conns || !st.t || (o->stats && !st.rp)) {
		fprintf(stderr, "vscsi-dump: out of memory\n");
		return DUMP_EXIT_FAIL;
	}

	if (strcmp(o->path, "-") == 0)
		file_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		file_fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (file_fd < 0) {
		file_open_error(o->path, VSCSI_ERR_IO, errno);
		return DUMP_EXIT_FAIL;
	}
	file_regular = fstat(file_fd, &sb) == 0 && S_ISREG(sb.st_mode);
	file_nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	file_signals();
	st.r = vscsi_cap_reader_open_fd(file_fd, flags, &err);
	saved = errno;
	if (!st.r) {
		file_fd = -1;
		file_open_error(o->path, err, saved);
		return DUMP_EXIT_FAIL;
	}
	file_reader = st.r;

	while (!st.done && !file_stop) {
		int rc = vscsi_cap_next(st.r, &rec);

		if (rc == 1) {
			file_record(&st, &rec);
			continue;
		}
		if (rc == 0)
			break;
		if (rc == VSCSI_ERR_DAMAGED) {
			fprintf(stderr, "vscsi-dump: %s: damaged %s%s\n", name,
				vscsi_cap_reader_errmsg(st.r),
				o->strict ? "" : "; skipped");
			if (o->strict) {
				status = DUMP_EXIT_DATA;
				break;
			}
			continue;
		}
		if (rc == VSCSI_ERR_TRUNCATED && st.have_t0) {
			fprintf(stderr, "vscsi-dump: %s: %s\n", name,
				vscsi_cap_reader_errmsg(st.r));
			status = DUMP_EXIT_DATA;
			break;
		}
		if (rc == VSCSI_ERR_IO) {
			fprintf(stderr, "vscsi-dump: %s: %s\n", name,
				vscsi_cap_reader_errmsg(st.r));
		} else {
			/* --follow on an empty file: the header came late */
			file_open_error(o->path, rc, errno);
		}
		status = DUMP_EXIT_FAIL;
		break;
	}
	file_reader = NULL;
	vscsi_cap_reader_stats(st.r, &rst);
	st.tot.truncated = rst.truncated;
	if (rst.truncated && !o->strict)
		fprintf(stderr, "vscsi-dump: %s: %s\n", name,
			vscsi_cap_reader_errmsg(st.r));
	if (st.rp && status != DUMP_EXIT_FAIL)
		dump_report_finish(st.rp, &st.tot, st.t, &rst);
	else if (!st.rp && (st.tot.loss_records || rst.seq_missing))
		fprintf(stderr, "vscsi-dump: %s: records lost: %" PRIu64
			" told by %" PRIu64 " loss note%s, %" PRIu64
			" missing by sequence number\n", name,
			st.tot.loss_records, st.tot.loss_notes,
			st.tot.loss_notes == 1 ? "" : "s", rst.seq_missing);
	vscsi_cap_reader_close(st.r);
	file_fd = -1;
	if (file_nullfd >= 0)
		close(file_nullfd);
	dump_report_free(st.rp);
	for (i = 0; i < st.nioq; i++)
		free(st.ioq[i].io);
	vscsi_tracker_free(st.t);
	free(st.conns);
	return status;
}
