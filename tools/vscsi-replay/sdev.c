/*
 * sdev: the vhost-user-scsi device of one connection (virtio 1.2 5.6 "SCSI
 * Host Device") over the SCSI emulation.
 *
 *   vring 0  control queue: TMFs go to emu_tmf (answered when they finish),
 *            AN query/subscribe are answered at once (no event class is
 *            supported: event_actual 0)
 *   vring 1  event queue: the guest's buffers are held until an event
 *            (TRANSPORT_RESET RESCAN/REMOVED from hotplug, PARAM_CHANGE from
 *            a resize); an event without a buffer sets EVENTS_MISSED on the
 *            next one (a NO_EVENT carries it as soon as a buffer comes)
 *   vring 2+ request queues: each chain is parsed (vscsi_vs_cmd_req_parse_iov),
 *            its data iovecs go to emu_submit, the completion writes the
 *            response header with the library's builder and pushes the used
 *            entry with the exact length written.
 *
 * A chain the guest got wrong (the walker's errors, a header shorter than
 * its layout, a response buffer too small for the response) breaks its
 * ring only; both data directions without INOUT get the FAILURE response
 * (5.6.6.1). Everything runs on the connection's thread: the vu_dev loop
 * watches the emulation's fd, and completions are also reaped after each
 * batch of kicks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"
#include "vscsi/virtio_scsi.h"

/* Enough for the chains a ring of num entries may hold: each descriptor
 * may cross into a second region. */
#define SDEV_IOV_EXTRA 16
/* Writable pieces an event buffer's first 16 bytes may come in. */
#define SDEV_EVT_SEGS 16
/* Chains taken from one ring per polling round. */
#define SDEV_SPIN_BATCH 32u
/* Chains taken between two runs of the emulation. */
#define SDEV_RUN_EVERY 4u
/* Longest stretch of polling before the loop is looked at again. */
#define SDEV_SPIN_MAX_NS 1000000u
/* Pieces of a response that fit in the request itself (one, nearly
 * always). */
#define SDEV_INLINE_IOV 4
/* Request contexts kept for reuse. */
#define SDEV_FREE_REQS 1024

enum sreq_kind { SREQ_CMD, SREQ_TMF };

struct sreq {
	struct sreq *next;	/* on the free list */
	sdev *s;
	unsigned q;
	uint16_t head, ndesc;
	uint8_t kind;
	struct iovec *in;	/* where the response goes: the writable */
	unsigned n_in;		/* iovecs it spans */
	struct iovec inline_iov[SDEV_INLINE_IOV];
};

/* A held event buffer: where its first 16 bytes are (guest-physical, so it
 * survives memory table changes). */
struct sevt {
	uint16_t head, ndesc;
	unsigned nseg;
	uint64_t gpa[SDEV_EVT_SEGS];
	uint32_t len[SDEV_EVT_SEGS];
};

struct sdev {
	sdev_cfg cfg;
	vu_dev *vu;
	vu_loop *loop;
	emu_dev *emu;
	int emu_fd_watched;
	vscsi_vs_cfg vcfg;
	uint32_t resp_size;
	int stopping;
	/* the scratch chain for pops (guest addresses are recorded for the
	 * event queue only), and room for a command's data iovecs when they
	 * start inside a piece (the emulation copies them) */
	vscsi_chain chain;
	struct iovec *iov;
	uint64_t *addr;
	struct iovec *slice;
	unsigned cap;
	/* rings that got used entries since the last notification */
	uint8_t *pushed;
	/* request rings a bounded take left chains on (kicks need not come
	 * for them: the loop comes back), and how many */
	uint8_t *more;
	unsigned n_more;
	unsigned nq;
	/* the event queue */
	struct sevt *held;	/* FIFO of held buffers */
	unsigned held_first, held_n, held_cap;
	int missed;
	/* polling (cfg.poll_ns): kicks are off until spin_end */
	int spinning;
	uint64_t spin_end;
	/* request contexts for reuse (malloc and free cost more than a
	 * transport's whole round trip once batches overflow the allocator's
	 * per-thread cache) */
	struct sreq *free_reqs;
	unsigned n_free_reqs;
	sdev_stats st;
};

uint64_t sdev_features(void)
{
	return 1ull << VSCSI_F_VERSION_1 | 1ull << VSCSI_F_INOUT |
	       1ull << VSCSI_F_HOTPLUG | 1ull << VSCSI_F_CHANGE |
	       1ull << VSCSI_F_RING_INDIRECT_DESC |
	       1ull << VSCSI_F_RING_EVENT_IDX | 1ull << VSCSI_F_RING_PACKED;
}

emu_dev *sdev_emu(sdev *s)
{
	return s->emu;
}

vu_dev *sdev_vu(sdev *s)
{
	return s->vu;
}

void sdev_get_stats(const sdev *s, sdev_stats *out)
{
	*out = s->st;
}

static int sdev_has(const sdev *s, unsigned bit)
{
	return (s->vcfg.features >> bit) & 1;
}

/* ------------------------------------------------------------ completions */

static void sdev_notify_all(sdev *s)
{
	unsigned q;

	for (q = 0; q < s->nq; q++)
		if (s->pushed[q]) {
			s->pushed[q] = 0;
			vu_dev_notify(s->vu, q);
		}
}

static void sdev_push(sdev *s, unsigned q, uint16_t head, uint16_t ndesc,
		      uint32_t len)
{
	if (vu_dev_push(s->vu, q, head, ndesc, len) == VSCSI_OK)
		s->pushed[q] = 1;
}

static void sdev_more_clear(sdev *s, unsigned q)
{
	if (s->more[q]) {
		s->more[q] = 0;
		s->n_more--;
	}
}

void sdev_poll(sdev *s)
{
	do
		emu_process(s->emu);
	while (emu_pending(s->emu));
	sdev_notify_all(s);
}

static void sdev_req_free(struct sreq *r)
{
	sdev *s = r->s;

	if (r->in != r->inline_iov)
		free(r->in);
	if (s->n_free_reqs < SDEV_FREE_REQS) {
		r->next = s->free_reqs;
		s->free_reqs = r;
		s->n_free_reqs++;
		return;
	}
	free(r);
}

static void sdev_cmd_done(void *arg, void *opaque, const emu_result *res)
{
	sdev *s = arg;
	struct sreq *r = opaque;
	vscsi_cmd_resp resp;
	uint8_t buf[12 + VSCSI_SENSE_MAX];
	int n;

	/* the builder reads sense_len bytes of sense, no more */
	resp.sense_len = res->sense_len;
	resp.resid = res->resid;
	resp.status_qualifier = res->status_qualifier;
	resp.status = res->status;
	resp.response = res->response;
	memcpy(resp.sense, res->sense,
	       res->sense_len < EMU_SENSE_MAX ? res->sense_len : EMU_SENSE_MAX);
	/* straight into the guest's buffer when its first piece holds it */
	n = r->n_in ? vscsi_vs_cmd_resp_build(&s->vcfg, &resp,
					      r->in[0].iov_base,
					      r->in[0].iov_len)
		    : VSCSI_ERR_NOSPACE;
	if (n <= 0) {
		n = vscsi_vs_cmd_resp_build(&s->vcfg, &resp, buf, sizeof(buf));
		if (n > 0)
			vscsi_iov_scatter(r->in, r->n_in, 0, buf, (size_t)n);
	}
	if (n > 0) {
		uint64_t used = (uint64_t)n + res->data_in_len;

		sdev_push(s, r->q, r->head, r->ndesc,
			  used > UINT32_MAX ? UINT32_MAX : (uint32_t)used);
	}
	sdev_req_free(r);
}

static void sdev_tmf_done(void *arg, void *opaque, uint8_t response)
{
	sdev *s = arg;
	struct sreq *r = opaque;
	vscsi_ctrl_resp resp;
	uint8_t buf[8];
	int n;

	memset(&resp, 0, sizeof(resp));
	resp.type = VSCSI_T_TMF;
	resp.response = response;
	n = vscsi_vs_ctrl_resp_build(&s->vcfg, &resp, buf, sizeof(buf));
	if (n > 0) {
		vscsi_iov_scatter(r->in, r->n_in, 0, buf, (size_t)n);
		sdev_push(s, r->q, r->head, r->ndesc, (uint32_t)n);
	}
	sdev_req_free(r);
}

/* ------------------------------------------------------------ requests */

/*
 * The iovecs of src[0..n) from byte offset off on: a pointer into src when
 * off falls on a piece's start (the usual layout: header, response and
 * data each in pieces of their own), else a copy in dst with the first
 * piece cut. *cnt receives how many.
 */
static const struct iovec *sdev_slice(const struct iovec *src, unsigned n,
				      uint64_t off, struct iovec *dst,
				      unsigned *cnt)
{
	unsigned i = 0, k;

	while (i < n && off >= src[i].iov_len) {
		off -= src[i].iov_len;
		i++;
	}
	*cnt = n - i;
	if (!off)
		return src + i;
	for (k = 0; i + k < n; k++)
		dst[k] = src[i + k];
	dst[0].iov_base = (uint8_t *)dst[0].iov_base + off;
	dst[0].iov_len -= (size_t)off;
	return dst;
}

/* A request context; its response goes to the first want bytes of the
 * writable iovecs in[0..n). */
static struct sreq *sdev_req_new(sdev *s, unsigned q, const vscsi_chain *c,
				 const struct iovec *in, unsigned n,
				 uint64_t want)
{
	struct sreq *r = s->free_reqs;
	unsigned k = 0;
	uint64_t got = 0;

	while (k < n && got < want)
		got += in[k++].iov_len;
	if (r) {
		s->free_reqs = r->next;
		s->n_free_reqs--;
	} else {
		r = malloc(sizeof(*r));
		if (!r)
			return NULL;
	}
	r->s = s;
	r->q = q;
	r->head = c->head;
	r->ndesc = c->ndesc;
	r->in = r->inline_iov;
	if (k > SDEV_INLINE_IOV) {
		r->in = malloc(k * sizeof(struct iovec));
		if (!r->in) {
			r->in = r->inline_iov;
			sdev_req_free(r);
			return NULL;
		}
	}
	memcpy(r->in, in, k * sizeof(struct iovec));
	r->n_in = k;
	return r;
}

/* Answer a command at once (no emulation): FAILURE, BUSY... */
static void sdev_cmd_answer(sdev *s, unsigned q, const vscsi_chain *c,
			    uint8_t response)
{
	vscsi_cmd_resp resp;
	uint8_t buf[12 + VSCSI_SENSE_MAX];
	int n;

	memset(&resp, 0, sizeof(resp));
	resp.response = response;
	n = vscsi_vs_cmd_resp_build(&s->vcfg, &resp, buf, sizeof(buf));
	if (n <= 0)
		return;
	vscsi_iov_scatter(c->iov + c->n_out, c->n_in, 0, buf, (size_t)n);
	sdev_push(s, q, c->head, c->ndesc, (uint32_t)n);
	s->st.failures++;
}

static void sdev_cmd(sdev *s, unsigned q, const vscsi_chain *c)
{
	const struct iovec *in = c->iov + c->n_out;
	vscsi_cmd_req req;
	emu_request er;
	struct sreq *r;
	char why[128];
	int rc;

	rc = vscsi_vs_cmd_req_parse_iov(&s->vcfg, c->iov, c->n_out, &req);
	if (rc) {
		snprintf(why, sizeof(why), "request header: %llu readable "
			 "bytes, want %u (%s)",
			 (unsigned long long)c->out_len, req.hdr_len,
			 vscsi_errname(rc));
		vu_dev_break(s->vu, q, why);
		return;
	}
	rc = vscsi_vs_cmd_check_dir(&s->vcfg, &req, c->in_len);
	if (rc == VSCSI_ERR_INOUT) {
		sdev_cmd_answer(s, q, c, VSCSI_S_FAILURE);
		return;
	}
	if (rc) {
		snprintf(why, sizeof(why), "response buffer: %llu writable "
			 "bytes, want %u",
			 (unsigned long long)c->in_len, s->resp_size);
		vu_dev_break(s->vu, q, why);
		return;
	}
	r = sdev_req_new(s, q, c, in, c->n_in, s->resp_size);
	if (!r) {
		sdev_cmd_answer(s, q, c, VSCSI_S_BUSY);
		return;
	}
	r->kind = SREQ_CMD;
	/* the data: what follows the header (and protection information)
	 * and the response (and its); emu_submit copies these iovecs */
	memset(&er, 0, sizeof(er));
	er.lun = req.lun;
	er.tag = req.tag;
	er.task_attr = req.task_attr;
	er.cdb = req.cdb;
	er.cdb_len = req.cdb_size;
	er.dout = sdev_slice(c->iov, c->n_out,
			     (uint64_t)req.hdr_len + req.pi_bytesout, s->slice,
			     &er.dout_cnt);
	er.din = sdev_slice(in, c->n_in,
			    (uint64_t)s->resp_size + req.pi_bytesin,
			    s->slice + c->n_out, &er.din_cnt);
	rc = emu_submit(s->emu, &er, r);
	if (rc) {
		sdev_req_free(r);
		sdev_cmd_answer(s, q, c, VSCSI_S_BUSY);
		return;
	}
	s->st.cmds++;
}

static void sdev_ctrl(sdev *s, unsigned q, const vscsi_chain *c)
{
	vscsi_ctrl_req req;
	vscsi_ctrl_resp resp;
	const struct iovec *in = c->iov + c->n_out;
	uint8_t buf[8];
	struct sreq *r;
	char why[128];
	int rc, n;

	rc = vscsi_vs_ctrl_req_parse_iov(&s->vcfg, c->iov, c->n_out, &req);
	if (rc == VSCSI_ERR_INVALID) {
		/* no layout and no answer defined: complete it unwritten */
		if (s->cfg.verbose)
			vu_dev_log(s->vu, "control queue: unknown request "
				   "type %u", req.type);
		sdev_push(s, q, c->head, c->ndesc, 0);
		return;
	}
	if (rc) {
		snprintf(why, sizeof(why), "control request: %llu readable "
			 "bytes (%s)", (unsigned long long)c->out_len,
			 vscsi_errname(rc));
		vu_dev_break(s->vu, q, why);
		return;
	}
	if (c->in_len < vscsi_vs_ctrl_resp_size(req.type)) {
		snprintf(why, sizeof(why), "control response: %llu writable "
			 "bytes, want %u", (unsigned long long)c->in_len,
			 vscsi_vs_ctrl_resp_size(req.type));
		vu_dev_break(s->vu, q, why);
		return;
	}
	if (req.type == VSCSI_T_TMF) {
		r = sdev_req_new(s, q, c, in, c->n_in,
				 vscsi_vs_ctrl_resp_size(req.type));
		if (!r) {
			memset(&resp, 0, sizeof(resp));
			resp.type = VSCSI_T_TMF;
			resp.response = VSCSI_S_FAILURE;
			goto answer;
		}
		r->kind = SREQ_TMF;
		if (emu_tmf(s->emu, &req.lun, req.subtype, req.tag, r)) {
			sdev_req_free(r);
			memset(&resp, 0, sizeof(resp));
			resp.type = VSCSI_T_TMF;
			resp.response = VSCSI_S_FAILURE;
			goto answer;
		}
		s->st.tmfs++;
		return;
	}
	/* AN query / subscribe: no asynchronous event class is reported */
	memset(&resp, 0, sizeof(resp));
	resp.type = req.type;
	resp.event_actual = 0;
	resp.response = VSCSI_S_OK;
	s->st.ans++;
answer:
	n = vscsi_vs_ctrl_resp_build(&s->vcfg, &resp, buf, sizeof(buf));
	if (n > 0) {
		vscsi_iov_scatter(in, c->n_in, 0, buf, (size_t)n);
		sdev_push(s, q, c->head, c->ndesc, (uint32_t)n);
	}
}

/* ------------------------------------------------------------ events */

static struct sevt *sdev_held_at(sdev *s, unsigned i)
{
	return &s->held[(s->held_first + i) % s->held_cap];
}

/* Write one event into the oldest held buffer. 1 written, 0 no buffer. */
static int sdev_event_write(sdev *s, const vscsi_event *ev)
{
	const vscsi_gmem *mem = vu_dev_mem(s->vu);
	uint8_t buf[VSCSI_EVENT_SIZE];
	struct sevt *e;
	size_t off = 0;
	unsigned i;

	if (!s->held_n || !vu_dev_queue_live(s->vu, VSCSI_VQ_EVENT) ||
	    vu_dev_queue_broken(s->vu, VSCSI_VQ_EVENT))
		return 0;
	e = sdev_held_at(s, 0);
	if (vscsi_vs_event_build(&s->vcfg, ev, buf, sizeof(buf)) !=
	    VSCSI_EVENT_SIZE)
		return 0;
	for (i = 0; i < e->nseg && off < sizeof(buf); i++) {
		size_t l = e->len[i];
		uint8_t *p;

		if (l > sizeof(buf) - off)
			l = sizeof(buf) - off;
		p = vscsi_gmem_ptr(mem, e->gpa[i], l);
		if (!p) {
			vu_dev_break(s->vu, VSCSI_VQ_EVENT,
				     "event buffer no longer in guest memory");
			return 0;
		}
		memcpy(p, buf + off, l);
		off += l;
	}
	s->held_first = (s->held_first + 1) % s->held_cap;
	s->held_n--;
	sdev_push(s, VSCSI_VQ_EVENT, e->head, e->ndesc, VSCSI_EVENT_SIZE);
	s->st.events++;
	return 1;
}

static void sdev_event_send(sdev *s, vscsi_event ev)
{
	if (s->missed)
		ev.event |= VSCSI_EVT_EVENTS_MISSED;
	if (sdev_event_write(s, &ev)) {
		s->missed = 0;
	} else {
		s->missed = 1;
		s->st.events_missed++;
		if (s->cfg.verbose)
			vu_dev_log(s->vu, "event %s lost: no event buffer",
				   vscsi_event_name(ev.event) ?
					   vscsi_event_name(ev.event) : "?");
	}
}

/* The emulation's event (a LUN added, removed or resized). */
static void sdev_emu_event(void *arg, const vscsi_event *ev)
{
	sdev *s = arg;

	if (ev->event == VSCSI_EVT_TRANSPORT_RESET &&
	    !sdev_has(s, VSCSI_F_HOTPLUG))
		return;
	if (ev->event == VSCSI_EVT_PARAM_CHANGE && !sdev_has(s, VSCSI_F_CHANGE))
		return;
	if (!s->vcfg.features)
		return;	/* not negotiated yet: the guest scans anyway */
	sdev_event_send(s, *ev);
	sdev_notify_all(s);
}

static void sdev_event_kick(sdev *s, unsigned q)
{
	/* where each held buffer is, as a guest address */
	vscsi_chain_set_addr(&s->chain, s->addr);
	for (;;) {
		vscsi_chain *c = &s->chain;
		struct sevt *e;
		uint64_t left = VSCSI_EVENT_SIZE;
		unsigned i;
		int rc = vu_dev_pop(s->vu, q, c);

		if (rc <= 0)
			break;
		if (c->in_len < VSCSI_EVENT_SIZE) {
			vu_dev_break(s->vu, q, "event buffer shorter than 16 "
				     "bytes");
			break;
		}
		if (s->held_n == s->held_cap) {
			vu_dev_break(s->vu, q, "more event buffers than the "
				     "ring holds");
			break;
		}
		e = &s->held[(s->held_first + s->held_n) % s->held_cap];
		e->head = c->head;
		e->ndesc = c->ndesc;
		e->nseg = 0;
		for (i = c->n_out; i < c->n_out + c->n_in && left; i++) {
			uint64_t l = c->iov[i].iov_len;

			if (e->nseg == SDEV_EVT_SEGS)
				break;
			if (l > left)
				l = left;
			e->gpa[e->nseg] = c->addr[i];
			e->len[e->nseg++] = (uint32_t)l;
			left -= l;
		}
		if (left) {
			vu_dev_break(s->vu, q, "event buffer in too many "
				     "pieces");
			break;
		}
		s->held_n++;
	}
	vscsi_chain_set_addr(&s->chain, NULL);
	if (s->missed && s->held_n) {
		vscsi_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.event = VSCSI_EVT_NO_EVENT;
		sdev_event_send(s, ev);
	}
}

/* ------------------------------------------------------------ vu_dev ops */

static int sdev_scratch(sdev *s, unsigned num)
{
	unsigned cap = 2 * num + SDEV_IOV_EXTRA;
	struct iovec *iov, *slice;
	uint64_t *addr;

	if (cap <= s->cap)
		return 0;
	iov = realloc(s->iov, cap * sizeof(*iov));
	if (iov)
		s->iov = iov;
	slice = realloc(s->slice, cap * sizeof(*slice));
	if (slice)
		s->slice = slice;
	addr = realloc(s->addr, cap * sizeof(*addr));
	if (addr)
		s->addr = addr;
	if (!iov || !slice || !addr)
		return -1;
	s->cap = cap;
	vscsi_chain_init(&s->chain, s->iov, s->cap);
	return 0;
}

static void sdev_queue_start(vu_dev *d, unsigned q)
{
	sdev *s = vu_dev_arg(d);
	uint16_t num = vscsi_vq_num(vu_dev_vq(d, q));

	if (sdev_scratch(s, num)) {
		vu_dev_break(d, q, "out of memory for its iovecs");
		return;
	}
	if (q == VSCSI_VQ_EVENT && num > s->held_cap) {
		struct sevt *h = calloc(num, sizeof(*h));
		unsigned i;

		if (!h) {
			vu_dev_break(d, q, "out of memory for event buffers");
			return;
		}
		for (i = 0; i < s->held_n; i++)
			h[i] = *sdev_held_at(s, i);
		free(s->held);
		s->held = h;
		s->held_first = 0;
		s->held_cap = num;
	}
}

static void sdev_drain(vu_dev *d)
{
	sdev *s = vu_dev_arg(d);

	emu_drain(s->emu);
	sdev_notify_all(s);
}

static void sdev_queue_stop(vu_dev *d, unsigned q)
{
	sdev *s = vu_dev_arg(d);

	if (q == VSCSI_VQ_EVENT) {
		/* give the held buffers back: they were popped last */
		uint16_t heads[256];
		unsigned n = s->held_n, slots = 0, i;
		uint16_t *hp = n <= 256 ? heads : malloc(n * sizeof(*hp));

		for (i = 0; i < n; i++)
			slots += sdev_held_at(s, i)->ndesc;
		if (hp) {
			for (i = 0; i < n; i++)
				hp[i] = sdev_held_at(s, i)->head;
			vu_dev_rewind(d, q, hp, n, slots);
			if (hp != heads)
				free(hp);
		}
		s->held_n = 0;
		s->held_first = 0;
		return;
	}
	sdev_more_clear(s, q);
	/* the emulation runs every queue's commands: finish them all */
	sdev_drain(d);
}

/* Take the chains of request or control ring q, at most max of them (0:
 * every one); how many. */
static unsigned sdev_ring_take(sdev *s, unsigned q, unsigned max)
{
	unsigned n = 0;

	while (!max || n < max) {
		int rc = vu_dev_pop(s->vu, q, &s->chain);

		if (rc <= 0)
			break;
		if (q == VSCSI_VQ_CONTROL)
			sdev_ctrl(s, q, &s->chain);
		else
			sdev_cmd(s, q, &s->chain);
		n++;
		/* run what was taken every few chains, so that answers
		 * flow while a driver refills as they come (and the
		 * emulation runs a few commands in a row); signal a
		 * sleeping driver at the first run (its wake-up then
		 * overlaps with the rest of the batch) */
		if (n % SDEV_RUN_EVERY == 0) {
			emu_process(s->emu);
			if (n == SDEV_RUN_EVERY)
				sdev_notify_all(s);
		}
	}
	if (n % SDEV_RUN_EVERY) {
		emu_process(s->emu);
		if (n < SDEV_RUN_EVERY)
			sdev_notify_all(s);
	}
	return n;
}

static unsigned sdev_ring_run(sdev *s, unsigned q)
{
	return sdev_ring_take(s, q, 0);
}

/*
 * A bounded batch from request ring q; when it took a whole batch the
 * ring may hold more, and is marked for the loop to come back to (see
 * sdev_busy). Taking one ring until it is empty would starve the others
 * for as long as a driver keeps it full.
 */
static unsigned sdev_ring_turn(sdev *s, unsigned q)
{
	unsigned n = sdev_ring_take(s, q, SDEV_SPIN_BATCH);

	if (n == SDEV_SPIN_BATCH && !s->more[q]) {
		s->more[q] = 1;
		s->n_more++;
	}
	return n;
}

/* A turn for each ring left with chains, then completions. */
static void sdev_more_run(sdev *s)
{
	unsigned q;

	for (q = VSCSI_VQ_REQUEST0; q < s->nq; q++)
		if (s->more[q]) {
			sdev_more_clear(s, q);
			if (vu_dev_queue_live(s->vu, q))
				sdev_ring_turn(s, q);
		}
	sdev_poll(s);
}

static uint64_t sdev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Kicks off on every live request ring: this thread polls them. */
static void sdev_spin_start(sdev *s, uint64_t now)
{
	unsigned q;

	for (q = VSCSI_VQ_REQUEST0; q < s->nq; q++)
		if (vu_dev_queue_live(s->vu, q))
			vscsi_vq_notify_enable(vu_dev_vq(s->vu, q), 0);
	s->spinning = 1;
	s->spin_end = now + s->cfg.poll_ns;
}

/* Kicks back on, and the rings looked at once more (a chain added before
 * the driver could see kicks wanted gets no kick); how many chains that
 * look found. It takes a bounded batch from each ring: when it finds any,
 * polling starts again and takes the rest in turn. */
static unsigned sdev_spin_stop(sdev *s)
{
	unsigned q, n = 0;

	s->spinning = 0;
	for (q = VSCSI_VQ_REQUEST0; q < s->nq; q++)
		if (vu_dev_queue_live(s->vu, q)) {
			vscsi_vq_notify_enable(vu_dev_vq(s->vu, q), 1);
			n += sdev_ring_turn(s, q);
		}
	sdev_poll(s);
	return n;
}

int sdev_busy(const sdev *s)
{
	return s->spinning || s->n_more;
}

/*
 * After a busy round, keep polling every live request ring (and the
 * emulation's completions) with kicks turned off until none has had a
 * chain for poll_ns: a driver that submits as completions arrive then
 * needs no kick and this thread no wake-up. Polling goes on across calls:
 * each call returns within SDEV_SPIN_MAX_NS so that the caller's loop
 * (control and event queues, the socket) is looked at, and the caller
 * comes back while sdev_busy() says so. The clock is read on idle
 * rounds and every 32nd busy one.
 */
static void sdev_spin(sdev *s)
{
	uint64_t now = sdev_now_ns(), start = now;
	unsigned k, q;
	int active = 0;

	if (!s->spinning)
		sdev_spin_start(s, now);
	/* polling takes every ring in turn */
	for (q = VSCSI_VQ_REQUEST0; q < s->nq; q++)
		sdev_more_clear(s, q);
	for (k = 1; !s->stopping; k++) {
		unsigned n = 0;

		/* a ring the driver keeps refilling must not starve the
		 * others: a round takes a bounded batch from each */
		for (q = VSCSI_VQ_REQUEST0; q < s->nq; q++)
			n += sdev_ring_take(s, q, SDEV_SPIN_BATCH);
		sdev_poll(s);
		if (n) {
			active = 1;
			if (k & 31)
				continue;
		}
		now = sdev_now_ns();
		if (active) {
			s->spin_end = now + s->cfg.poll_ns;
			active = 0;
		}
		if (now >= s->spin_end) {
			if (sdev_spin_stop(s))
				sdev_spin_start(s, now);	/* more came */
			else
				return;
		}
		if (now - start >= SDEV_SPIN_MAX_NS)
			return;
		if (!n)
			vu_cpu_relax();
	}
	sdev_spin_stop(s);
}

static void sdev_queue_kick(vu_dev *d, unsigned q)
{
	sdev *s = vu_dev_arg(d);
	unsigned n;

	if (s->stopping)
		return;
	if (q == VSCSI_VQ_EVENT) {
		sdev_event_kick(s, q);
		sdev_notify_all(s);
		return;
	}
	if (q == VSCSI_VQ_CONTROL) {
		sdev_ring_run(s, q);
		sdev_poll(s);
		return;
	}
	n = sdev_ring_turn(s, q);
	sdev_poll(s);
	if (n && s->cfg.poll_ns)
		sdev_spin(s);
}

void sdev_work(sdev *s)
{
	if (s->spinning)
		sdev_spin(s);
	else if (s->n_more)
		sdev_more_run(s);
}

static void sdev_features_set(vu_dev *d, uint64_t features)
{
	sdev *s = vu_dev_arg(d);

	s->vcfg.features = features;
	if (s->cfg.verbose) {
		char names[256];

		vscsi_vu_features_describe(features, 0, names, sizeof(names));
		vu_dev_log(d, "features %s", names);
	}
}

static void sdev_reset(vu_dev *d)
{
	sdev *s = vu_dev_arg(d);
	unsigned q;

	s->held_n = 0;
	s->held_first = 0;
	s->missed = 0;
	s->vcfg.features = 0;
	s->spinning = 0;
	for (q = 0; q < s->nq; q++)
		sdev_more_clear(s, q);
}

static void sdev_closed(vu_dev *d)
{
	sdev *s = vu_dev_arg(d);

	if (s->cfg.closed)
		s->cfg.closed(s, s->cfg.arg);
}

static void sdev_emu_cb(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	sdev_poll(arg);
}

/* ------------------------------------------------------------ life cycle */

sdev *sdev_new(int fd, vu_loop *loop, const sdev_cfg *cfg)
{
	static const vu_dev_ops vops = {
		.queue_start = sdev_queue_start,
		.queue_stop = sdev_queue_stop,
		.queue_kick = sdev_queue_kick,
		.drain = sdev_drain,
		.features = sdev_features_set,
		.reset = sdev_reset,
		.closed = sdev_closed,
	};
	emu_ops eops;
	vu_dev_cfg vc;
	sdev *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s || !cfg || cfg->queues < 1 || cfg->queues > SDEV_MAX_QUEUES)
		goto fail;
	s->cfg = *cfg;
	s->loop = loop;
	s->nq = 2 + cfg->queues;
	s->pushed = calloc(s->nq, 1);
	s->more = calloc(s->nq, 1);
	if (!s->pushed || !s->more)
		goto fail;
	vscsi_vs_cfg_default(&s->vcfg);
	s->vcfg.features = 0;
	s->vcfg.cdb_size = VSCSI_CDB_DEFAULT;
	s->vcfg.sense_size = VSCSI_SENSE_DEFAULT;
	s->resp_size = vscsi_vs_cmd_resp_size(&s->vcfg);
	memset(&eops, 0, sizeof(eops));
	eops.cmd_done = sdev_cmd_done;
	eops.tmf_done = sdev_tmf_done;
	eops.event = sdev_emu_event;
	eops.arg = s;
	rc = emu_create(&eops, &s->emu);
	if (rc) {
		fprintf(stderr, "%s: connection %u: cannot create the SCSI "
			"emulation: %s\n", REPLAY_PROG, cfg->id,
			vscsi_strerror(rc));
		goto fail;
	}
	emu_set_kick(s->emu, 0);
	if (sdev_scratch(s, 256))
		goto fail;
	memset(&vc, 0, sizeof(vc));
	vc.prog = REPLAY_PROG;
	vc.id = cfg->id;
	vc.features = sdev_features();
	vc.nqueues = s->nq;
	vc.verbose = cfg->verbose;
	vc.arg = s;
	s->vu = vu_dev_new(fd, loop, &vc, &vops);
	if (!s->vu)
		goto fail;
	if (loop) {
		if (vu_loop_add(loop, emu_fd(s->emu), EPOLLIN, sdev_emu_cb, s))
			goto fail;
		s->emu_fd_watched = 1;
	}
	return s;
fail:
	if (!s || !s->vu)
		close(fd);
	sdev_free(s);
	return NULL;
}

void sdev_shutdown(sdev *s)
{
	s->stopping = 1;
	emu_drain(s->emu);
	sdev_notify_all(s);
}

void sdev_free(sdev *s)
{
	if (!s)
		return;
	/* the device's rings stop (held event buffers go back) and what is
	 * in flight completes while guest memory is still mapped */
	vu_dev_free(s->vu);
	if (s->emu_fd_watched)
		vu_loop_del(s->loop, emu_fd(s->emu));
	emu_destroy(s->emu);
	while (s->free_reqs) {
		struct sreq *r = s->free_reqs;

		s->free_reqs = r->next;
		free(r);
	}
	free(s->held);
	free(s->iov);
	free(s->slice);
	free(s->addr);
	free(s->pushed);
	free(s->more);
	free(s);
}
