/*
 * top_feed: synthetic virtio-scsi traffic for vscsi-top's tests and load
 * test.
 *
 *   top_feed gen FILE [-s SECONDS] [-i IOPS]
 *       Write a capture of a simulated guest (three LUNs on two request
 *       queues, reads, writes, flushes, unmaps, errors with sense, a TMF
 *       pair, events, a hung request, a loss note with its sequence gap and
 *       a gap no note explains). Deterministic: the same arguments give the
 *       same records, from 2023-11-14 22:13:20 UTC on.
 *
 *   top_feed serve SOCKET [-r RECORDS_PER_S] [-s SECONDS] [-f FILE [-x SPEED]]
 *                  [-b BUFFER_BYTES] [-S SNAPLEN]
 *       Listen on a unix stream socket, accept one reader and send it the
 *       monitor stream (the capture format, uncompressed: pcap header, then
 *       records), time-stamped now: steady simulated traffic at the record
 *       rate, or the records of FILE at SPEED times their pace (0: at
 *       once). Like the capture proxy, it never waits for the reader: a
 *       record that does not fit the send buffer is dropped, and a loss
 *       note (queue-full) telling how many goes out before the next record
 *       that fits. Prints one line at the end:
 *         sent N dropped M notes K seconds S rate R
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vscsi.h"

#define T0 1700000000000000000ull	/* 2023-11-14 22:13:20 UTC */
#define CONN 1u
#define RING 256u
#define NQ 4u				/* control, event, two request queues */
#define HDR 51u				/* request header with cdb_size 32 */
#define RESP 108u			/* response header with sense_size 96 */
#define MAX_DATA (256u * 512u)

static void die(const char *what)
{
	fprintf(stderr, "top_feed: %s\n", what);
	exit(1);
}

/* ------------------------------------------------------------ output */

/* Where records go: a capture writer, or a list in memory (serve). */
typedef struct mrec {
	uint64_t ts;		/* relative to the start */
	uint32_t len;		/* pcap original length */
	uint32_t caplen;
	uint8_t *b;
} mrec;

typedef struct sim {
	vscsi_cap_writer *w;
	vscsi_vs_cfg cfg;
	uint64_t seq;
	uint64_t rng;
	int steady;		/* serve: nothing but I/O, all completed */
	/* heads free per queue */
	uint16_t free_heads[NQ][RING];
	unsigned nfree[NQ];
	/* completions pending, a binary heap by time */
	struct pend {
		uint64_t ts;
		uint16_t vq, head;
		unsigned kind;	/* 0 command, 1 TMF, 2 event */
		uint8_t response, status, key, asc, ascq;
		uint32_t data_in;
		uint32_t ev, ev_reason;
		uint8_t lun;
	} *heap;
	size_t nheap, capheap;
	uint64_t next_lba[4];
	uint64_t tag;
	unsigned long records;
} sim;

static uint8_t zero[MAX_DATA];

static uint64_t rnd(sim *s)
{
	/* xorshift64*: a fixed sequence for a fixed seed */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static unsigned pct(sim *s)
{
	return (unsigned)(rnd(s) % 100u);
}

static void emit(sim *s, vscsi_cap_rec *rec, const struct iovec *iov,
		 unsigned n)
{
	if (rec->conn != VSCSI_CAP_CONN_NONE)
		rec->seq = s->seq++;
	if (vscsi_cap_write(s->w, rec, iov, n) != VSCSI_OK)
		die("a write failed");
	s->records++;
}

static void rec_init(vscsi_cap_rec *rec, unsigned type, uint16_t vq,
		     uint64_t ts)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->conn = CONN;
	rec->vq = vq;
	rec->ts_ns = ts;
}

static uint16_t head_get(sim *s, unsigned vq)
{
	if (!s->nfree[vq])
		die("ring full (the simulation has too much in flight)");
	return s->free_heads[vq][--s->nfree[vq]];
}

static void head_put(sim *s, unsigned vq, uint16_t head)
{
	s->free_heads[vq][s->nfree[vq]++] = head;
}

static void heap_push(sim *s, const struct pend *p)
{
	size_t i;

	if (s->nheap == s->capheap) {
		size_t cap = s->capheap ? s->capheap * 2 : 256;

		s->heap = realloc(s->heap, cap * sizeof(*s->heap));
		if (!s->heap)
			die("out of memory");
		s->capheap = cap;
	}
	i = s->nheap++;
	s->heap[i] = *p;
	while (i && s->heap[(i - 1) / 2].ts > s->heap[i].ts) {
		struct pend t = s->heap[i];

		s->heap[i] = s->heap[(i - 1) / 2];
		s->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct pend heap_pop(sim *s)
{
	struct pend top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && s->heap[l].ts < s->heap[m].ts)
			m = l;
		if (r < s->nheap && s->heap[r].ts < s->heap[m].ts)
			m = r;
		if (m == i)
			break;
		{
			struct pend t = s->heap[i];

			s->heap[i] = s->heap[m];
			s->heap[m] = t;
		}
		i = m;
	}
	return top;
}

/* ------------------------------------------------------------ traffic */

typedef struct answer {
	uint8_t response, status, key, asc, ascq;
} answer;

/* A command on LUN 0:lun: the request now, its completion after lat. */
static void sim_cmd(sim *s, uint64_t ts, uint8_t lun, uint16_t vq,
		    const uint8_t *cdb, size_t cdb_len, uint32_t out,
		    uint32_t in, uint64_t lat, const answer *a, int hung)
{
	vscsi_cmd_req req;
	vscsi_cap_rec rec;
	struct iovec iov[2];
	uint8_t hdr[HDR];
	struct pend p;
	uint16_t head = head_get(s, vq);

	memset(&req, 0, sizeof(req));
	vscsi_lun_encode(req.lun.raw, 0, lun, 1);
	req.tag = s->tag++;
	req.cdb_size = (uint16_t)cdb_len;
	memcpy(req.cdb, cdb, cdb_len);
	if (vscsi_vs_cmd_req_build(&s->cfg, &req, hdr, sizeof(hdr)) != HDR)
		die("request build");
	rec_init(&rec, VSCSI_REC_REQUEST, vq, ts);
	rec.head = head;
	rec.n_readable = out ? 2 : 1;
	rec.n_writable = in ? 2 : 1;
	rec.readable_bytes = HDR + out;
	rec.writable_bytes = RESP + in;
	rec.hdr_len = HDR;
	iov[0].iov_base = hdr;
	iov[0].iov_len = HDR;
	iov[1].iov_base = zero;
	iov[1].iov_len = out;
	emit(s, &rec, iov, out ? 2 : 1);
	if (hung)
		return;
	memset(&p, 0, sizeof(p));
	p.ts = ts + lat;
	p.vq = vq;
	p.head = head;
	p.response = a ? a->response : 0;
	p.status = a ? a->status : 0;
	p.key = a ? a->key : 0;
	p.asc = a ? a->asc : 0;
	p.ascq = a ? a->ascq : 0;
	p.data_in = in;
	heap_push(s, &p);
}

static void sim_tmf(sim *s, uint64_t ts, uint8_t lun, uint32_t subtype,
		    uint64_t tag, uint8_t response, uint64_t lat)
{
	vscsi_ctrl_req req;
	vscsi_cap_rec rec;
	struct iovec iov;
	uint8_t buf[24];
	struct pend p;
	uint16_t head = head_get(s, VSCSI_VQ_CONTROL);

	memset(&req, 0, sizeof(req));
	req.type = VSCSI_T_TMF;
	req.subtype = subtype;
	vscsi_lun_encode(req.lun.raw, 0, lun, 1);
	req.tag = tag;
	if (vscsi_vs_ctrl_req_build(&s->cfg, &req, buf, sizeof(buf)) != 24)
		die("TMF build");
	rec_init(&rec, VSCSI_REC_REQUEST, VSCSI_VQ_CONTROL, ts);
	rec.head = head;
	rec.n_readable = 1;
	rec.n_writable = 1;
	rec.readable_bytes = 24;
	rec.writable_bytes = 1;
	rec.hdr_len = 24;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	emit(s, &rec, &iov, 1);
	memset(&p, 0, sizeof(p));
	p.ts = ts + lat;
	p.vq = VSCSI_VQ_CONTROL;
	p.head = head;
	p.kind = 1;
	p.response = response;
	heap_push(s, &p);
}

/* The driver lends the event queue a buffer; the device fills it when
 * something happens (ev != 0 completes it at ts + after). */
static void sim_event(sim *s, uint64_t ts, uint64_t after, uint32_t ev,
		      uint32_t reason, uint8_t lun)
{
	vscsi_cap_rec rec;
	struct pend p;
	uint16_t head = head_get(s, VSCSI_VQ_EVENT);

	rec_init(&rec, VSCSI_REC_REQUEST, VSCSI_VQ_EVENT, ts);
	rec.head = head;
	rec.n_writable = 1;
	rec.writable_bytes = VSCSI_EVENT_SIZE;
	emit(s, &rec, NULL, 0);
	memset(&p, 0, sizeof(p));
	p.ts = ts + after;
	p.vq = VSCSI_VQ_EVENT;
	p.head = head;
	p.kind = 2;
	p.ev = ev;
	p.ev_reason = reason;
	p.lun = lun;
	heap_push(s, &p);
}

static void sim_complete(sim *s, const struct pend *p)
{
	vscsi_cap_rec rec;
	struct iovec iov[2];
	uint8_t buf[RESP];
	unsigned n = 1;

	rec_init(&rec, VSCSI_REC_COMPLETION, p->vq, p->ts);
	rec.head = p->head;
	iov[0].iov_base = buf;
	if (p->kind == 1) {
		vscsi_ctrl_resp r;

		memset(&r, 0, sizeof(r));
		r.type = VSCSI_T_TMF;
		r.response = p->response;
		if (vscsi_vs_ctrl_resp_build(&s->cfg, &r, buf, sizeof(buf)) != 1)
			die("TMF response build");
		rec.n_readable = 1;
		rec.n_writable = 1;
		rec.readable_bytes = 24;
		rec.writable_bytes = 1;
		rec.used_len = 1;
		rec.hdr_len = 1;
		iov[0].iov_len = 1;
	} else if (p->kind == 2) {
		vscsi_event e;

		memset(&e, 0, sizeof(e));
		e.event = p->ev;
		e.reason = p->ev_reason;
		vscsi_lun_encode(e.lun.raw, 0, p->lun, 0);
		if (vscsi_vs_event_build(&s->cfg, &e, buf, sizeof(buf)) !=
		    VSCSI_EVENT_SIZE)
			die("event build");
		rec.n_writable = 1;
		rec.writable_bytes = VSCSI_EVENT_SIZE;
		rec.used_len = VSCSI_EVENT_SIZE;
		rec.hdr_len = VSCSI_EVENT_SIZE;
		iov[0].iov_len = VSCSI_EVENT_SIZE;
	} else {
		vscsi_cmd_resp r;
		uint32_t in = p->status || p->response ? 0 : p->data_in;

		memset(&r, 0, sizeof(r));
		r.response = p->response;
		r.status = p->status;
		if (p->key) {
			int k = vscsi_sense_build_simple(r.sense,
							 sizeof(r.sense), 0,
							 p->key, p->asc,
							 p->ascq);

			r.sense_copied = (uint16_t)(k > 0 ? k : 0);
			r.sense_len = r.sense_copied;
		}
		if (vscsi_vs_cmd_resp_build(&s->cfg, &r, buf, sizeof(buf)) !=
		    RESP)
			die("response build");
		rec.n_readable = 1;
		rec.n_writable = p->data_in ? 2 : 1;
		rec.writable_bytes = RESP + p->data_in;
		rec.used_len = RESP + in;
		rec.hdr_len = RESP;
		iov[0].iov_len = RESP;
		iov[1].iov_base = zero;
		iov[1].iov_len = in;
		if (in)
			n = 2;
	}
	emit(s, &rec, iov, n);
	head_put(s, p->vq, p->head);
}

static void sim_drain(sim *s, uint64_t until)
{
	while (s->nheap && s->heap[0].ts <= until) {
		struct pend p = heap_pop(s);

		sim_complete(s, &p);
	}
}

static void sim_prologue(sim *s, uint64_t ts)
{
	static const uint16_t qs[NQ] = { RING, RING, RING, RING };
	vscsi_cap_rec rec;
	struct iovec iov;
	uint8_t msg[12];

	rec_init(&rec, VSCSI_REC_VHOST_USER, VSCSI_CAP_VQ_NONE, ts);
	memset(msg, 0, sizeof(msg));
	msg[0] = 1;	/* GET_FEATURES */
	msg[4] = 1;	/* version 1 */
	iov.iov_base = msg;
	iov.iov_len = sizeof(msg);
	emit(s, &rec, &iov, 1);

	rec_init(&rec, VSCSI_REC_SESSION, VSCSI_CAP_VQ_NONE, ts);
	rec.session.features = s->cfg.features;
	rec.session.cdb_size = 32;
	rec.session.sense_size = 96;
	rec.session.num_queues = NQ;
	rec.session.queue_sizes = qs;
	rec.session.tool = "top_feed";
	rec.session.tool_version = "test";
	emit(s, &rec, NULL, 0);
}

static void sim_init(sim *s, vscsi_cap_writer *w, int steady)
{
	unsigned q, h;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->steady = steady;
	s->rng = 0x9e3779b97f4a7c15ull;
	s->tag = 0x1000;
	vscsi_vs_cfg_default(&s->cfg);
	s->cfg.features |= 1ull << VSCSI_F_RING_INDIRECT_DESC |
			   1ull << VSCSI_F_RING_EVENT_IDX |
			   1ull << VSCSI_F_HOTPLUG | 1ull << VSCSI_F_CHANGE;
	for (q = 0; q < NQ; q++) {
		for (h = 0; h < RING; h++)
			s->free_heads[q][h] = (uint16_t)(RING - 1 - h);
		s->nfree[q] = RING;
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One I/O of the simulated workload at ts. */
static void sim_io(sim *s, uint64_t ts)
{
	static const answer medium = { 0, 2, 0x3, 0x11, 0x00 };
	uint8_t cdb[16];
	unsigned p = pct(s), lun = (unsigned)(rnd(s) % 3u);
	uint16_t vq = (uint16_t)(VSCSI_VQ_REQUEST0 + rnd(s) % 2u);
	uint32_t blocks = pct(s) < 90 ? 8 : 256;
	uint64_t lat, lba;
	const answer *a = NULL;

	/* latency by LUN: fast, middling, slow with a tail; steady traffic
	 * (the load test) is fast everywhere, so that little is in flight */
	if (s->steady)
		lat = 20000 + lun * 40000 + rnd(s) % 100000;
	else if (lun == 0)
		lat = 80000 + rnd(s) % 120000;
	else if (lun == 1)
		lat = 500000 + rnd(s) % 2500000;
	else
		lat = pct(s) < 2 ? 50000000 + rnd(s) % 50000000 :
				   2000000 + rnd(s) % 18000000;
	if (pct(s) < 50) {
		lba = s->next_lba[lun];
	} else {
		lba = (rnd(s) % 2000000u) * 8u;
	}
	memset(cdb, 0, sizeof(cdb));
	if (p < 60 || p >= 97) {
		/* READ(10), a few READ(16) */
		if (p < 97) {
			cdb[0] = 0x28;
			put_be32(cdb + 2, (uint32_t)lba);
			cdb[7] = (uint8_t)(blocks >> 8);
			cdb[8] = (uint8_t)blocks;
		} else {
			cdb[0] = 0x88;
			put_be32(cdb + 6, (uint32_t)lba);
			put_be32(cdb + 10, blocks);
		}
		if (!s->steady && lun == 1 && pct(s) < 2)
			a = &medium;
		sim_cmd(s, ts, (uint8_t)lun, vq, cdb, p < 97 ? 10 : 16, 0,
			blocks * 512u, lat, a, 0);
		s->next_lba[lun] = lba + blocks;
	} else if (p < 90) {
		cdb[0] = 0x2a;
		put_be32(cdb + 2, (uint32_t)lba);
		cdb[7] = (uint8_t)(blocks >> 8);
		cdb[8] = (uint8_t)blocks;
		sim_cmd(s, ts, (uint8_t)lun, vq, cdb, 10, blocks * 512u, 0,
			lat + lat / 2, NULL, 0);
		s->next_lba[lun] = lba + blocks;
	} else if (p < 94) {
		cdb[0] = 0x35;	/* SYNCHRONIZE CACHE(10) */
		sim_cmd(s, ts, (uint8_t)lun, vq, cdb, 10, 0, 0, lat * 3, NULL,
			0);
	} else if (p < 95) {
		cdb[0] = 0x42;	/* UNMAP, one descriptor */
		cdb[8] = 24;
		sim_cmd(s, ts, (uint8_t)lun, vq, cdb, 10, 24, 0, lat, NULL, 0);
	} else {
		cdb[0] = 0x00;	/* TEST UNIT READY */
		sim_cmd(s, ts, (uint8_t)lun, vq, cdb, 6, 0, 0, lat / 10, NULL,
			0);
	}
}

/* seconds of traffic at iops, from t0. */
static void sim_run(sim *s, uint64_t t0, double seconds, double iops)
{
	static const answer bad_target = { VSCSI_S_BAD_TARGET, 0, 0, 0, 0 };
	static const answer ua = { 0, 2, 0x6, 0x29, 0x00 };
	uint64_t end = t0 + (uint64_t)(seconds * 1e9);
	uint64_t step = (uint64_t)(1e9 / iops), ts = t0;
	int done_scan = 0, done_tmf = 0, done_hung = 0;
	int done_loss = 0, done_gap = 0;
	uint8_t cdb[16];

	if (!step)
		step = 1;
	sim_prologue(s, ts);
	if (!s->steady) {
		sim_event(s, ts, (end - t0) * 6 / 10, VSCSI_EVT_TRANSPORT_RESET,
			  VSCSI_EVT_RESET_RESCAN, 3);
		sim_event(s, ts, (end - t0) * 65 / 100,
			  VSCSI_EVT_PARAM_CHANGE, 0x2a | 0x09u << 8, 1);
	}
	while (ts < end) {
		sim_drain(s, ts);
		if (!s->steady && !done_scan) {
			/* the scan: INQUIRY on each LUN, a LUN that is not
			 * there, the first command after a reset */
			unsigned l;

			memset(cdb, 0, sizeof(cdb));
			cdb[0] = 0x12;
			cdb[4] = 96;
			for (l = 0; l < 3; l++)
				sim_cmd(s, ts, (uint8_t)l, VSCSI_VQ_REQUEST0,
					cdb, 6, 0, 96, 30000, NULL, 0);
			memset(cdb, 0, sizeof(cdb));
			sim_cmd(s, ts, 5, VSCSI_VQ_REQUEST0, cdb, 6, 0, 0,
				20000, &bad_target, 0);
			sim_cmd(s, ts, 1, VSCSI_VQ_REQUEST0, cdb, 6, 0, 0,
				25000, &ua, 0);
			done_scan = 1;
		} else if (!s->steady && !done_hung && ts >= t0 + (end - t0) * 4 / 10) {
			/* a READ(10) on 0:2 that never completes */
			memset(cdb, 0, sizeof(cdb));
			cdb[0] = 0x28;
			put_be32(cdb + 2, 777216);
			cdb[8] = 8;
			sim_cmd(s, ts, 2, (uint16_t)(VSCSI_VQ_REQUEST0 + 1), cdb,
				10, 0, 4096, 0, NULL, 1);
			done_hung = 1;
		} else if (!s->steady && !done_tmf &&
			   ts >= t0 + (end - t0) * 5 / 10) {
			sim_tmf(s, ts, 2, VSCSI_TMF_ABORT_TASK, 0x1234,
				VSCSI_S_FUNCTION_COMPLETE, 150000);
			sim_tmf(s, ts + 1000, 2, VSCSI_TMF_LOGICAL_UNIT_RESET, 0,
				VSCSI_S_FUNCTION_SUCCEEDED, 900000);
			done_tmf = 1;
		} else if (!s->steady && !done_loss &&
			   ts >= t0 + (end - t0) * 7 / 10) {
			/* the recorder's queue was full: 5 records dropped,
			 * their numbers lacking, then the note */
			vscsi_cap_rec rec;

			s->seq += 5;
			rec_init(&rec, VSCSI_REC_LOSS, VSCSI_CAP_VQ_NONE, ts);
			rec.loss.count = 5;
			rec.loss.since_ns = ts - 1000;
			rec.loss.reason = VSCSI_LOSS_QUEUE_FULL;
			emit(s, &rec, NULL, 0);
			done_loss = 1;
		} else if (!s->steady && !done_gap &&
			   ts >= t0 + (end - t0) * 8 / 10) {
			s->seq += 3;	/* 3 records missing, no note */
			done_gap = 1;
		} else {
			sim_io(s, ts);
		}
		ts += step;
	}
	sim_drain(s, s->steady ? UINT64_MAX : end);
}

/* ------------------------------------------------------------ gen */

static int cmd_gen(int argc, char **argv)
{
	double seconds = 5, iops = 2000;
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	sim s;
	int c, err;

	optind = 2;
	while ((c = getopt(argc, argv, "s:i:")) != -1) {
		switch (c) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'i':
			iops = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || seconds <= 0 || iops <= 0) {
		fprintf(stderr, "usage: top_feed gen FILE [-s SECONDS] "
			"[-i IOPS]\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_OVERWRITE | VSCSI_CAP_W_CALLER_SEQ;
	o.snaplen = 256;
	w = vscsi_cap_writer_open(argv[optind], &o, &err);
	if (!w) {
		fprintf(stderr, "top_feed: %s: %s\n", argv[optind],
			vscsi_strerror(err));
		return 1;
	}
	sim_init(&s, w, 0);
	sim_run(&s, T0, seconds, iops);
	if (vscsi_cap_writer_close(w) != VSCSI_OK)
		die("close failed");
	free(s.heap);
	printf("%lu\n", s.records);
	return 0;
}

/* ------------------------------------------------------------ serve */

typedef struct mlist {
	mrec *r;
	size_t n, cap;
	size_t prologue;	/* records sent once, before the loop */
	uint64_t span;		/* ns one pass covers */
} mlist;

static void mlist_add(mlist *l, const vscsi_cap_rec *rec, uint64_t t0)
{
	mrec *m;
	uint64_t len = rec->rec_len;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;

		l->r = realloc(l->r, cap * sizeof(*l->r));
		if (!l->r)
			die("out of memory");
		l->cap = cap;
	}
	m = &l->r[l->n++];
	m->ts = rec->ts_ns > t0 ? rec->ts_ns - t0 : 0;
	if (rec->type == VSCSI_REC_REQUEST || rec->type == VSCSI_REC_COMPLETION)
		len = rec->rec_hdr_len + (uint64_t)rec->hdr_len + rec->data_len;
	m->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	m->caplen = (uint32_t)rec->rec_len;
	m->b = malloc(rec->rec_len);
	if (!m->b)
		die("out of memory");
	memcpy(m->b, rec->rec, rec->rec_len);
}

static void mlist_load(mlist *l, const char *path)
{
	vscsi_cap_reader *r;
	vscsi_cap_rec rec;
	uint64_t t0 = 0, last = 0;
	int err, rc;

	r = vscsi_cap_reader_open(path, 0, &err);
	if (!r) {
		fprintf(stderr, "top_feed: %s: %s\n", path, vscsi_strerror(err));
		exit(1);
	}
	while ((rc = vscsi_cap_next(r, &rec)) != 0) {
		if (rc < 0) {
			if (rc == VSCSI_ERR_DAMAGED)
				continue;
			die("cannot read the records");
		}
		if (!l->n)
			t0 = rec.ts_ns;
		mlist_add(l, &rec, t0);
		if (rec.ts_ns > last)
			last = rec.ts_ns;
	}
	vscsi_cap_reader_close(r);
	l->span = last > t0 ? last - t0 : 1;
}

/* Steady traffic: 0.2 s of it at half the record rate in I/Os (a request
 * and a completion each), written to a scratch file and read back. */
static void mlist_steady(mlist *l, double rate, uint32_t snaplen)
{
	char path[] = "/tmp/top_feed.XXXXXX";
	vscsi_cap_wopts o;
	vscsi_cap_writer *w;
	double span = 0.2;
	sim s;
	int fd, err;

	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp failed");
	close(fd);
	memset(&o, 0, sizeof(o));
	o.flags = VSCSI_CAP_W_OVERWRITE | VSCSI_CAP_W_CALLER_SEQ;
	o.compress = VSCSI_CAP_COMPRESS_OFF;
	o.snaplen = snaplen;
	w = vscsi_cap_writer_open(path, &o, &err);
	if (!w)
		die("cannot write the scratch file");
	sim_init(&s, w, 1);
	sim_run(&s, T0, span, rate / 2);
	if (vscsi_cap_writer_close(w) != VSCSI_OK)
		die("scratch close failed");
	free(s.heap);
	mlist_load(l, path);
	unlink(path);
	l->prologue = 2;	/* the vhost-user message and the session */
	l->span = (uint64_t)(span * 1e9);
}

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct outbuf {
	uint8_t *b;
	size_t len, off, cap;
} outbuf;

static int out_put(outbuf *o, uint64_t ts, uint32_t caplen, uint32_t len,
		   const uint8_t *rec, int hdr_patch, uint64_t seq)
{
	uint8_t *p;

	if (o->off && o->len + 16 + caplen > o->cap) {
		memmove(o->b, o->b + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
	if (o->len + 16 + caplen > o->cap)
		return -1;
	p = o->b + o->len;
	vscsi_put_le32(p, (uint32_t)(ts / 1000000000u));
	vscsi_put_le32(p + 4, (uint32_t)(ts % 1000000000u));
	vscsi_put_le32(p + 8, caplen);
	vscsi_put_le32(p + 12, len);
	memcpy(p + 16, rec, caplen);
	if (hdr_patch)
		vscsi_put_le64(p + 16 + 16, seq);
	o->len += 16 + caplen;
	return 0;
}

/* A loss note (vscsi-capture(5) LOSS): count records dropped since
 * since_ns because the reader's queue was full; no connection. */
static const uint8_t *loss_note(uint8_t b[48], uint64_t count,
				uint64_t since_ns)
{
	memset(b, 0, 48);
	b[0] = 1;
	b[1] = VSCSI_REC_LOSS;
	vscsi_put_le16(b + 2, 48);
	vscsi_put_le32(b + 4, 48);
	vscsi_put_le32(b + 8, VSCSI_CAP_CONN_NONE);
	vscsi_put_le16(b + 12, VSCSI_CAP_VQ_NONE);
	vscsi_put_le64(b + 24, count);
	vscsi_put_le64(b + 32, since_ns);
	vscsi_put_le32(b + 40, VSCSI_LOSS_QUEUE_FULL);
	return b;
}

static int cmd_serve(int argc, char **argv)
{
	double rate = 100000, seconds = 10, speed = 1;
	size_t bufsize = 1u << 20;
	uint32_t snaplen = 128;
	const char *file = NULL, *path;
	struct sockaddr_un sa;
	mlist l;
	outbuf o;
	uint8_t hdr[24], loss[48];
	uint64_t mono0, real0, end, sent = 0, dropped = 0, notes = 0;
	uint64_t pending_drop = 0, first_drop = 0, seq = 0;
	size_t i = 0, loop = 0;
	int c, lfd, fd, done = 0;

	optind = 2;
	while ((c = getopt(argc, argv, "r:s:f:x:b:S:")) != -1) {
		switch (c) {
		case 'r': rate = atof(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'f': file = optarg; break;
		case 'x': speed = atof(optarg); break;
		case 'b': bufsize = (size_t)atol(optarg); break;
		case 'S': snaplen = (uint32_t)atol(optarg); break;
		default: return 2;
		}
	}
	if (optind + 1 != argc || rate <= 0 || seconds <= 0 || speed < 0 ||
	    bufsize < 65536) {
		fprintf(stderr, "usage: top_feed serve SOCKET [-r RATE] "
			"[-s SECONDS] [-f FILE [-x SPEED]] [-b BYTES] "
			"[-S SNAPLEN]\n");
		return 2;
	}
	path = argv[optind];
	memset(&l, 0, sizeof(l));
	if (file)
		mlist_load(&l, file);
	else
		mlist_steady(&l, rate, snaplen);
	if (!l.n)
		die("no records to send");

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0)
		die("cannot listen on the socket");
	fprintf(stderr, "top_feed: listening on %s (%zu records)\n", path,
		l.n);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept failed");
	close(lfd);
	unlink(path);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl failed");

	o.cap = bufsize;
	o.b = malloc(o.cap);
	o.len = o.off = 0;
	if (!o.b)
		die("out of memory");
	/* the pcap file header, as libpcap writes it on this machine */
	vscsi_put_le32(hdr, 0xa1b23c4du);
	vscsi_put_le16(hdr + 4, 2);
	vscsi_put_le16(hdr + 6, 4);
	vscsi_put_le32(hdr + 8, 0);
	vscsi_put_le32(hdr + 12, 0);
	vscsi_put_le32(hdr + 16, VSCSI_CAP_MAX_RECORD);
	vscsi_put_le32(hdr + 20, VSCSI_CAP_LINKTYPE);
	memcpy(o.b, hdr, sizeof(hdr));
	o.len = sizeof(hdr);

	mono0 = now_ns(CLOCK_MONOTONIC);
	real0 = now_ns(CLOCK_REALTIME);
	end = (uint64_t)(seconds * 1e9);
	while (!done || o.len > o.off || pending_drop) {
		uint64_t el = now_ns(CLOCK_MONOTONIC) - mono0;
		int progress = 0;

		if (!done && el >= end)
			done = 1;
		/* at the end, the last loss note still goes out */
		if (done && pending_drop &&
		    !out_put(&o, real0 + el, 48, 48, loss_note(loss,
				pending_drop, first_drop), 0, 0)) {
			notes++;
			pending_drop = 0;
		}
		/* produce what is due */
		while (!done) {
			const mrec *m = &l.r[i];
			uint64_t rel;
			int patch = !file && m->caplen >= 24 &&
				    vscsi_get_be(m->b + 8, 1) != 0xff;

			if (file)
				rel = speed > 0 ? (uint64_t)((double)m->ts /
							     speed) : 0;
			else
				rel = m->ts + loop * l.span;
			if (rel > el)
				break;
			if (pending_drop) {
				if (!out_put(&o, real0 + el, 48, 48,
					     loss_note(loss, pending_drop,
						       first_drop), 0, 0)) {
					notes++;
					pending_drop = 0;
				}
			}
			if (!pending_drop && file && speed == 0 &&
			    o.len - o.off + 16 + m->caplen > o.cap)
				break;	/* a whole file at once: no drops */
			if (pending_drop ||
			    out_put(&o, real0 + rel, m->caplen, m->len, m->b,
				    patch, seq)) {
				if (!pending_drop)
					first_drop = real0 + rel;
				pending_drop++;
				dropped++;
			} else {
				sent++;
			}
			if (patch)
				seq++;
			progress = 1;
			if (++i == l.n) {
				if (file) {
					done = 1;
					break;
				}
				i = l.prologue;
				loop++;
			}
		}
		/* send what fits */
		if (o.len > o.off) {
			ssize_t n = send(fd, o.b + o.off, o.len - o.off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0) {
				o.off += (size_t)n;
				if (o.off == o.len)
					o.off = o.len = 0;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN &&
				   errno != EWOULDBLOCK && errno != EINTR) {
				fprintf(stderr, "top_feed: the reader went "
					"away: %s\n", strerror(errno));
				break;
			}
		}
		if (done && now_ns(CLOCK_MONOTONIC) - mono0 > end + 5000000000ull)
			break;	/* the reader stopped reading */
		if (!progress) {
			struct pollfd p = { fd, POLLOUT, 0 };

			poll(&p, 1, o.len > o.off ? 1 : 0);
			if (!(o.len > o.off)) {
				struct timespec d = { 0, 200000 };

				nanosleep(&d, NULL);
			}
		}
	}
	close(fd);
	{
		double el = (double)(now_ns(CLOCK_MONOTONIC) - mono0) / 1e9;

		printf("sent %" PRIu64 " dropped %" PRIu64 " notes %" PRIu64
		       " seconds %.2f rate %.0f\n", sent, dropped, notes, el,
		       (double)(sent + dropped) / (el < seconds ? el : seconds));
	}
	for (i = 0; i < l.n; i++)
		free(l.r[i].b);
	free(l.r);
	free(o.b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return cmd_gen(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc, argv);
	fprintf(stderr, "usage: top_feed gen FILE [-s SECONDS] [-i IOPS]\n"
		"       top_feed serve SOCKET [-r RATE] [-s SECONDS] "
		"[-f FILE [-x SPEED]] [-b BYTES] [-S SNAPLEN]\n");
	return 2;
}
