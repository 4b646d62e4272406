/*
 * vscsi-dump --export fio|csv: the commands of a capture in other tools'
 * formats, and the reading loop --export and --report share.
 *
 * csv: one row per completed command (RFC 4180: a header row, commas,
 * fields with a comma, a quote or a line break quoted), in the order the
 * completions were recorded.
 *
 * fio: an iolog of version 3 (fio(1), "Trace file format v3") that fio
 * replays with --read_iolog on any file or block device:
 *
 *   fio version 3 iolog
 *   TIME FILE add                   once per LUN, before its first I/O
 *   TIME FILE open
 *   TIME FILE read|write|trim|sync OFFSET LENGTH
 *   ...
 *   TIME FILE close                 at the end
 *
 * TIME is in microseconds from the first exported command's submission
 * (what fio 3.31 and later write with --write_iolog and wait for on
 * replay), FILE is lunT-L.img (one file per LUN; --replay_redirect sends
 * them all to one device), OFFSET and LENGTH are bytes: the LBA and the
 * transfer length times the LUN's block size. A line is written for each
 * command that moved data or flushed and completed GOOD: READ (read),
 * WRITE and WRITE SAME without UNMAP (write, of the whole range), SYNCHRONIZE
 * CACHE (sync), UNMAP (one trim per block descriptor kept in the capture)
 * and WRITE SAME with UNMAP (trim). Lines are in submission order: a
 * command waits in a queue until it and every command submitted before it
 * have completed (or are known never to complete).
 *
 * The block size of a LUN is what its READ CAPACITY data says, else what a
 * transfer's bytes divided by its blocks say, else 512.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"

/* ---------------------------------------------------------------- walk */

int dump_walk(const dump_opts *o, dump_walk_fn fn,
	      dump_walk_inflight_fn inflight_fn, void *arg, dump_walk_end *end)
{
	const char *name = strcmp(o->path, "-") == 0 ? "standard input" :
						       o->path;
	unsigned flags = o->strict ? VSCSI_CAP_R_STRICT : 0;
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	capio *c;
	capio_ev *ev;
	int err = 0, status = DUMP_EXIT_OK, fd;

	memset(end, 0, sizeof(*end));
	c = capio_new(0);
	ev = malloc(sizeof(*ev));
	if (!c || !ev) {
		fprintf(stderr, "vscsi-dump: out of memory\n");
		capio_free(c);
		free(ev);
		return DUMP_EXIT_FAIL;
	}
	if (strcmp(o->path, "-") == 0)
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "vscsi-dump: %s: %s\n", name, strerror(errno));
		capio_free(c);
		free(ev);
		return DUMP_EXIT_FAIL;
	}
	r = vscsi_cap_reader_open_fd(fd, flags, &err);
	if (!r) {
		if (err == VSCSI_ERR_IO)
			fprintf(stderr, "vscsi-dump: %s: %s\n", name,
				strerror(errno));
		else if (err == VSCSI_ERR_NOT_CAPTURE)
			fprintf(stderr, "vscsi-dump: %s: not a vscsi-trace "
				"capture\n", name);
		else if (err == VSCSI_ERR_TRUNCATED)
			fprintf(stderr, "vscsi-dump: %s: not a vscsi-trace "
				"capture (the file ends inside the pcap "
				"header)\n", name);
		else
			fprintf(stderr, "vscsi-dump: %s: %s\n", name,
				vscsi_strerror(err));
		capio_free(c);
		free(ev);
		return DUMP_EXIT_FAIL;
	}
	for (;;) {
		int rc = vscsi_cap_next(r, &rec);

		if (rc == 1) {
			if (!end->records)
				end->t0_ns = rec.ts_ns;
			end->records++;
			end->last_ns = rec.ts_ns;
			if (rec.type == VSCSI_REC_LOSS)
				end->loss_records += rec.loss.count;
			rc = fn(arg, &rec, ev, capio_record(c, &rec, ev));
			if (rc < 0)
				status = DUMP_EXIT_FAIL;
			if (rc)
				break;
			continue;
		}
		if (rc == 0)
			break;
		if (rc == VSCSI_ERR_DAMAGED) {
			fprintf(stderr, "vscsi-dump: %s: damaged %s%s\n", name,
				vscsi_cap_reader_errmsg(r),
				o->strict ? "" : "; skipped");
			if (o->strict) {
				status = DUMP_EXIT_DATA;
				break;
			}
			continue;
		}
		fprintf(stderr, "vscsi-dump: %s: %s\n", name,
			vscsi_cap_reader_errmsg(r));
		status = rc == VSCSI_ERR_TRUNCATED ? DUMP_EXIT_DATA :
						     DUMP_EXIT_FAIL;
		break;
	}
	vscsi_cap_reader_stats(r, &end->rst);
	if (end->rst.truncated && !o->strict)
		fprintf(stderr, "vscsi-dump: %s: %s\n", name,
			vscsi_cap_reader_errmsg(r));
	capio_counters(c, &end->cc);
	vscsi_tracker_counters(capio_tracker(c), &end->tc);
	/* what never completed, for the caller's last look */
	if (status != DUMP_EXIT_FAIL && inflight_fn) {
		const vscsi_tracker *t = capio_tracker(c);
		size_t n = vscsi_tracker_count(t), i;
		const vscsi_inflight **in = n ? calloc(n, sizeof(*in)) : NULL;

		if (in) {
			n = vscsi_tracker_oldest(t, in, n);
			for (i = 0; i < n; i++)
				inflight_fn(arg, in[i]);
			free(in);
		}
	}
	vscsi_cap_reader_close(r);
	capio_free(c);
	free(ev);
	return status;
}

/* ---------------------------------------------------------------- LUNs */

static uint32_t export_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int dump_capacity(const vscsi_cap_rec *rec, const capio_ev *ev,
		  uint32_t *block, uint64_t *blocks)
{
	const uint8_t *d;
	size_t n;
	uint64_t last;

	if (ev->kind != CAPIO_CMD_RESP || !ev->req || ev->parse_rc ||
	    ev->io.response != VSCSI_S_OK || ev->io.status != 0 ||
	    ev->resp.hdr_len > rec->raw_len)
		return 0;
	d = rec->raw + ev->resp.hdr_len;
	n = rec->raw_len - ev->resp.hdr_len;
	if (ev->io.bytes_in < n)
		n = (size_t)ev->io.bytes_in;
	/* READ CAPACITY(10), SBC-4 5.20.2: returned LBA (BE32), block length
	 * (BE32); READ CAPACITY(16), 5.21.2: returned LBA (BE64), block
	 * length (BE32), ... */
	if (ev->io.opcode == 0x25 && n >= 8) {
		last = export_be32(d);
		*block = export_be32(d + 4);
	} else if (ev->io.opcode == 0x9e && ev->io.has_sa &&
		   ev->io.sa == 0x10 && n >= 12) {
		last = (uint64_t)export_be32(d) << 32 | export_be32(d + 4);
		*block = export_be32(d + 8);
	} else {
		return 0;
	}
	/* 0xffffffff in (10): the LUN is larger; (16) tells the size */
	if (*block < 512 || *block > (1u << 20) || (*block & (*block - 1)) ||
	    (ev->io.opcode == 0x25 && last == 0xffffffffu))
		return 0;
	*blocks = last + 1;
	return 1;
}

uint32_t dump_block_guess(const vscsi_io *io)
{
	uint64_t bytes, bs;

	if (!(io->has & VSCSI_IO_HAS_LEN) || !io->xfer_len ||
	    vscsi_io_is_error(io))
		return 0;
	if (io->op_class == VSCSI_OPC_READ)
		bytes = io->bytes_in;
	else if (io->op_class == VSCSI_OPC_WRITE && io->opcode != 0x41 &&
		 io->opcode != 0x93)	/* WRITE SAME moves one block */
		bytes = io->bytes_out;
	else
		return 0;
	if (bytes % io->xfer_len)
		return 0;
	bs = bytes / io->xfer_len;
	if (bs < 512 || bs > 65536 || (bs & (bs - 1)))
		return 0;
	return (uint32_t)bs;
}

/* ---------------------------------------------------------------- csv */

/* A field: quoted when it holds a comma, a quote or a line break. */
static void export_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *export_csv_head =
	"time,conn,queue,lun,tag,opcode,lba,blocks,bytes,latency_us,"
	"response,status,sense_key,asc,ascq\n";

static void export_csv_row(FILE *f, const vscsi_io *io, uint64_t t0)
{
	uint64_t t = io->ts_ns > t0 ? io->ts_ns - t0 : 0;
	const char *s;
	char buf[64];

	fprintf(f, "%" PRIu64 ".%09" PRIu64 ",%" PRIu32 ",%u,",
		t / 1000000000u, t % 1000000000u, io->conn, io->vq);
	if (io->has & VSCSI_IO_HAS_LUN) {
		if (io->lun_kind == VSCSI_LUN_NORMAL)
			fprintf(f, "%u:%u", io->target, io->lun);
		else if (io->lun_kind == VSCSI_LUN_REPORT_LUNS)
			fputs("report-luns", f);
		else
			fputs("malformed", f);
	}
	fputc(',', f);
	if (io->has & VSCSI_IO_HAS_CDB) {
		fprintf(f, "0x%016" PRIx64 ",", io->tag);
		export_csv_field(f, vscsi_cdb_name(io->opcode, io->sa,
						   io->has_sa));
	} else {
		fputc(',', f);
	}
	fputc(',', f);
	if (io->has & VSCSI_IO_HAS_LBA)
		fprintf(f, "%" PRIu64, io->lba);
	fputc(',', f);
	if (io->has & VSCSI_IO_HAS_LEN)
		fprintf(f, "%" PRIu32, io->xfer_len);
	fprintf(f, ",%" PRIu64 ",", io->bytes_in + io->bytes_out);
	if (io->has & VSCSI_IO_HAS_LATENCY)
		fprintf(f, "%" PRIu64 ".%03" PRIu64, io->latency_ns / 1000u,
			io->latency_ns % 1000u);
	fputc(',', f);
	s = vscsi_vs_response_name(io->response, 0);
	if (!s) {
		snprintf(buf, sizeof(buf), "0x%02x", io->response);
		s = buf;
	}
	export_csv_field(f, s);
	fputc(',', f);
	/* the status means something only when the response is OK */
	s = io->response != VSCSI_S_OK ? "" : vscsi_status_name(io->status);
	if (!s) {
		snprintf(buf, sizeof(buf), "0x%02x", io->status);
		s = buf;
	}
	export_csv_field(f, s);
	if (io->has & VSCSI_IO_HAS_SENSE)
		fprintf(f, ",%s,0x%02x,0x%02x\n",
			vscsi_sense_key_str(io->sense_key), io->asc, io->ascq);
	else
		fputs(",,,\n", f);
}

typedef struct export_csv {
	const dump_opts *o;
	int have_t0;		/* and the header row is out */
	uint64_t t0;
	uint64_t rows;
} export_csv;

static int export_csv_rec(void *arg, const vscsi_cap_rec *rec,
			  const capio_ev *ev, int rc)
{
	export_csv *x = arg;

	if (!x->have_t0) {
		x->have_t0 = 1;
		x->t0 = rec->ts_ns;
		fputs(export_csv_head, stdout);
	}
	if (rc != 1 || ev->kind != CAPIO_CMD_RESP)
		return 0;
	if (x->o->filter && !vscsi_filter_match(x->o->filter, &ev->io))
		return 0;
	export_csv_row(stdout, &ev->io, x->t0);
	x->rows++;
	if (x->o->count && x->rows >= x->o->count)
		return 1;
	return 0;
}

/* ---------------------------------------------------------------- fio */

#define EXPORT_LUN_MAX 1024u
#define EXPORT_QUEUE_MAX (1u << 20)	/* commands waiting for older ones */
#define EXPORT_TRIM_MAX 256u		/* trims kept of one UNMAP */
/* A command older than this is taken as never to complete: longer than any
 * guest waits before it aborts a command (Linux: 30 s, then the abort). */
#define EXPORT_WAIT_NS (120ull * 1000000000ull)

enum export_act { EXPORT_READ, EXPORT_WRITE, EXPORT_TRIM, EXPORT_SYNC };
static const char *const export_act_name[] = { "read", "write", "trim",
					       "sync" };

/* What fio does with a command, or -1: nothing. */
static int export_fio_act(const vscsi_io *io)
{
	switch (io->op_class) {
	case VSCSI_OPC_READ:
		/* VERIFY reads the medium but moves no data */
		return io->opcode == 0x2f || io->opcode == 0x8f ||
		       io->opcode == 0xaf ? -1 : EXPORT_READ;
	case VSCSI_OPC_WRITE:
		return EXPORT_WRITE;
	case VSCSI_OPC_FLUSH:
		return EXPORT_SYNC;
	case VSCSI_OPC_UNMAP:
		return EXPORT_TRIM;
	default:
		return -1;
	}
}

typedef struct export_lun {
	uint32_t key;		/* target << 16 | lun */
	uint32_t block;		/* from READ CAPACITY, else guessed, else 0 */
	int from_capacity;
	int opened;
} export_lun;

/* A command waiting for its completion or for older commands. */
typedef struct export_cmd {
	uint32_t conn;
	uint16_t vq, head;
	uint64_t ts_ns;		/* submitted */
	int state;		/* 0 waiting, 1 write it, 2 drop it */
	int act;
	uint32_t lun;		/* index into luns */
	uint64_t lba;
	uint64_t blocks;
	unsigned ntrim;		/* UNMAP: descriptors in trim */
	vscsi_unmap_desc *trim;
} export_cmd;

typedef struct export_fio {
	const dump_opts *o;
	int head;		/* the first line is out */
	export_lun luns[EXPORT_LUN_MAX];
	unsigned nluns;
	export_cmd *q;		/* a ring of cap entries */
	size_t cap, first, n;
	int have_t0;
	uint64_t t0;		/* the first written command's submission */
	uint64_t last_us;
	uint64_t lines, by_act[4], skipped_err, skipped_lost, skipped_cut,
		 skipped_other, open_end, forced, no_block;
} export_fio;

static export_lun *export_lun_get(export_fio *x, uint32_t key,
				  unsigned *idx)
{
	unsigned i;

	for (i = 0; i < x->nluns; i++)
		if (x->luns[i].key == key) {
			*idx = i;
			return &x->luns[i];
		}
	if (x->nluns == EXPORT_LUN_MAX)
		return NULL;
	memset(&x->luns[x->nluns], 0, sizeof(x->luns[0]));
	x->luns[x->nluns].key = key;
	*idx = x->nluns;
	return &x->luns[x->nluns++];
}

static void export_lun_file(char *buf, size_t len, uint32_t key)
{
	snprintf(buf, len, "lun%u-%u.img", (unsigned)(key >> 16),
		 (unsigned)(key & 0xffff));
}

/* µs since the first written command; never 0, and never going back:
 * fio takes a previous time of 0 for "no previous time" and does not wait
 * before the next line then. */
static uint64_t export_us(export_fio *x, uint64_t ts_ns)
{
	uint64_t us;

	if (!x->have_t0) {
		x->have_t0 = 1;
		x->t0 = ts_ns;
	}
	us = (ts_ns > x->t0 ? (ts_ns - x->t0) / 1000u : 0) + 1;
	if (us < x->last_us)
		us = x->last_us;
	x->last_us = us;
	return us;
}

static void export_fio_line(export_fio *x, export_cmd *c)
{
	export_lun *l = &x->luns[c->lun];
	uint64_t bs = l->block ? l->block : 512, us;
	char file[64];
	unsigned i;

	if (!l->block)
		x->no_block++;
	export_lun_file(file, sizeof(file), l->key);
	us = export_us(x, c->ts_ns);
	if (!l->opened) {
		l->opened = 1;
		printf("%" PRIu64 " %s add\n%" PRIu64 " %s open\n", us, file,
		       us, file);
	}
	x->by_act[c->act]++;
	if (c->act == EXPORT_SYNC) {
		printf("%" PRIu64 " %s sync 0 0\n", us, file);
		x->lines++;
		return;
	}
	if (c->trim) {
		for (i = 0; i < c->ntrim; i++) {
			if (!c->trim[i].nblocks)
				continue;
			printf("%" PRIu64 " %s trim %" PRIu64 " %" PRIu64 "\n",
			       us, file, c->trim[i].lba * bs,
			       (uint64_t)c->trim[i].nblocks * bs);
			x->lines++;
		}
		return;
	}
	printf("%" PRIu64 " %s %s %" PRIu64 " %" PRIu64 "\n", us, file,
	       export_act_name[c->act], c->lba * bs, c->blocks * bs);
	x->lines++;
}

/* Write the commands at the front that are decided. */
static void export_fio_flush(export_fio *x, int all)
{
	while (x->n) {
		export_cmd *c = &x->q[x->first];

		if (c->state == 0 && !all)
			break;
		if (c->state == 1)
			export_fio_line(x, c);
		else if (c->state == 0)
			x->open_end++;
		free(c->trim);
		c->trim = NULL;
		x->first = (x->first + 1) % x->cap;
		x->n--;
	}
}

static int export_fio_push(export_fio *x, export_cmd *c)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256, i;
		export_cmd *q;

		if (x->cap >= EXPORT_QUEUE_MAX) {
			/* a command that never completes holds everything
			 * back: give up on the oldest */
			x->q[x->first].state = 2;
			x->forced++;
			export_fio_flush(x, 0);
		} else {
			q = calloc(cap, sizeof(*q));
			if (!q)
				return -1;
			for (i = 0; i < x->n; i++)
				q[i] = x->q[(x->first + i) % x->cap];
			free(x->q);
			x->q = q;
			x->cap = cap;
			x->first = 0;
		}
	}
	x->q[(x->first + x->n) % x->cap] = *c;
	x->n++;
	return 0;
}

/* The waiting command of (conn, vq, head), newest first. */
static export_cmd *export_fio_find(export_fio *x, uint32_t conn, uint16_t vq,
				   uint16_t head)
{
	size_t i;

	for (i = x->n; i-- > 0;) {
		export_cmd *c = &x->q[(x->first + i) % x->cap];

		if (c->state == 0 && c->head == head && c->vq == vq &&
		    c->conn == conn)
			return c;
	}
	return NULL;
}

/* UNMAP: the block descriptors of its parameter list (data-out). */
static void export_fio_unmap(export_fio *x, export_cmd *c,
			     const vscsi_cap_rec *rec, const capio_ev *ev)
{
	const vscsi_cmd_req *req = ev->req;
	uint64_t off = (uint64_t)req->hdr_len + (req->has_pi ?
						 req->pi_bytesout : 0);
	vscsi_unmap_desc d[EXPORT_TRIM_MAX];
	unsigned n = 0, total = 0;
	size_t len;

	if (off > rec->raw_len) {
		c->state = 2;
		x->skipped_cut++;
		return;
	}
	len = rec->raw_len - (size_t)off;
	if (vscsi_unmap_param_decode(rec->raw + off, len, d, EXPORT_TRIM_MAX,
				     &n, &total) != VSCSI_OK || n < total) {
		/* the list was cut at the snap length */
		c->state = 2;
		x->skipped_cut++;
		return;
	}
	c->trim = n ? malloc(n * sizeof(*d)) : NULL;
	if (n && !c->trim) {
		c->state = 2;
		x->skipped_other++;
		return;
	}
	if (n)
		memcpy(c->trim, d, n * sizeof(*d));
	c->ntrim = n;
}

static void export_fio_req(export_fio *x, const vscsi_cap_rec *rec,
			   const capio_ev *ev)
{
	const vscsi_io *io = &ev->io;
	export_cmd c, *old;
	unsigned idx;
	int act = export_fio_act(io);

	/* a head made available again: its older command never completed */
	old = export_fio_find(x, io->conn, io->vq, io->head);
	if (old) {
		old->state = 2;
		x->skipped_lost++;
	}
	if (act < 0 || io->lun_kind != VSCSI_LUN_NORMAL)
		return;
	if (x->o->filter && !vscsi_filter_match(x->o->filter, io))
		return;
	memset(&c, 0, sizeof(c));
	c.conn = io->conn;
	c.vq = io->vq;
	c.head = io->head;
	c.ts_ns = io->ts_ns;
	c.act = act;
	if (!export_lun_get(x, (uint32_t)io->target << 16 | io->lun, &idx)) {
		x->skipped_other++;
		return;
	}
	c.lun = idx;
	c.lba = io->lba;
	c.blocks = io->xfer_len;
	if (act == EXPORT_TRIM && io->opcode == 0x42)	/* UNMAP */
		export_fio_unmap(x, &c, rec, ev);
	else if (act != EXPORT_SYNC && (!(io->has & VSCSI_IO_HAS_LBA) ||
					!(io->has & VSCSI_IO_HAS_LEN)))
		c.state = 2;
	else if (act != EXPORT_SYNC && c.blocks == 0)
		c.state = 2;	/* no data: nothing for fio to do */
	if (export_fio_push(x, &c)) {
		free(c.trim);
		x->skipped_other++;
	}
	/* a command that never completes must not hold the others for ever */
	while (x->n && x->q[x->first].state == 0 &&
	       io->ts_ns > x->q[x->first].ts_ns &&
	       io->ts_ns - x->q[x->first].ts_ns > EXPORT_WAIT_NS) {
		x->q[x->first].state = 2;
		x->forced++;
		export_fio_flush(x, 0);
	}
}

static void export_fio_resp(export_fio *x, const vscsi_cap_rec *rec,
			    const capio_ev *ev)
{
	const vscsi_io *io = &ev->io;
	export_cmd *c;
	export_lun *l;
	uint32_t block;
	uint64_t blocks;
	unsigned idx;

	if ((io->has & VSCSI_IO_HAS_LUN) && io->lun_kind == VSCSI_LUN_NORMAL &&
	    (l = export_lun_get(x, (uint32_t)io->target << 16 | io->lun,
				&idx))) {
		if (dump_capacity(rec, ev, &block, &blocks)) {
			l->block = block;
			l->from_capacity = 1;
		} else if (!l->from_capacity && !l->block) {
			l->block = dump_block_guess(io);
		}
	}
	if (!ev->req)
		return;		/* its request was not recorded */
	c = export_fio_find(x, io->conn, io->vq, io->head);
	if (!c || c->ts_ns != ev->submit_ns)
		return;
	if (vscsi_io_is_error(io)) {
		c->state = 2;
		x->skipped_err++;
	} else {
		c->state = 1;
	}
	export_fio_flush(x, 0);
}

static int export_fio_rec(void *arg, const vscsi_cap_rec *rec,
			  const capio_ev *ev, int rc)
{
	export_fio *x = arg;

	if (!x->head) {
		x->head = 1;
		fputs("fio version 3 iolog\n", stdout);
	}
	if (rc != 1)
		return 0;
	if (ev->kind == CAPIO_CMD_REQ)
		export_fio_req(x, rec, ev);
	else if (ev->kind == CAPIO_CMD_RESP)
		export_fio_resp(x, rec, ev);
	if (x->o->count && x->lines >= x->o->count)
		return 1;
	return 0;
}

static void export_fio_end(export_fio *x)
{
	char file[64];
	unsigned i;

	export_fio_flush(x, 1);
	for (i = 0; i < x->nluns; i++) {
		if (!x->luns[i].opened)
			continue;
		export_lun_file(file, sizeof(file), x->luns[i].key);
		printf("%" PRIu64 " %s close\n", x->last_us, file);
	}
	fprintf(stderr, "vscsi-dump: fio: %" PRIu64 " lines: %" PRIu64
		" read, %" PRIu64 " write, %" PRIu64 " trim, %" PRIu64
		" sync; left out: %" PRIu64 " failed, %" PRIu64
		" never completed, %" PRIu64 " cut at the snap length\n",
		x->lines, x->by_act[EXPORT_READ], x->by_act[EXPORT_WRITE],
		x->by_act[EXPORT_TRIM], x->by_act[EXPORT_SYNC],
		x->skipped_err, x->skipped_lost + x->open_end + x->forced,
		x->skipped_cut);
	if (x->no_block)
		fprintf(stderr, "vscsi-dump: fio: block size unknown for %"
			PRIu64 " commands: 512 bytes taken\n", x->no_block);
}

/* ---------------------------------------------------------------- main */

int dump_export(const dump_opts *o)
{
	dump_walk_end end;
	int status;

	if (o->export_kind == DUMP_EXPORT_CSV) {
		export_csv x;

		memset(&x, 0, sizeof(x));
		x.o = o;
		/* the header once the file has proved a capture */
		status = dump_walk(o, export_csv_rec, NULL, &x, &end);
		if (status != DUMP_EXIT_FAIL && !x.have_t0)
			fputs(export_csv_head, stdout);
	} else {
		export_fio *x = calloc(1, sizeof(*x));

		if (!x) {
			fprintf(stderr, "vscsi-dump: out of memory\n");
			return DUMP_EXIT_FAIL;
		}
		x->o = o;
		status = dump_walk(o, export_fio_rec, NULL, x, &end);
		if (status != DUMP_EXIT_FAIL) {
			if (!x->head)
				fputs("fio version 3 iolog\n", stdout);
			export_fio_end(x);
		}
		while (x->n) {
			free(x->q[x->first].trim);
			x->first = (x->first + 1) % x->cap;
			x->n--;
		}
		free(x->q);
		free(x);
	}
	return status;
}
