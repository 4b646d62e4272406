/*
 * The front-end driver (tools/common/vfe.c) against a peer back-end in a
 * thread on the other end of a socketpair. The peer is small but real: it
 * checks every message with vu_recv, maps the memfds it is given, serves the
 * rings through the library's device side (so every chain the driver posts
 * goes through the chain walker), and runs a 1 MiB RAM disk behind READ(10),
 * WRITE(10), INQUIRY, TEST UNIT READY and a vendor echo command (0xC0,
 * data-out copied to data-in).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "vfe.h"
#include "vu.h"
#include "vscsi.h"

#define F(b) (1ull << (b))
#define PQ_MAX (VFE_MAX_QUEUES + 2)
#define DISK_BYTES (1u << 20)
#define LOG_MAX 512
#define HELD_MAX 64

struct pq {
	vscsi_vq *vq;
	uint16_t num;
	uint64_t desc, avail, used;
	int kick, call, err;
	int started, enabled;
	uint32_t base;
	int walk_err;		/* first chain-walker error seen */
	unsigned chains;	/* chains popped */
	unsigned max_iov;	/* most iovecs in one chain */
	unsigned indirect;	/* chains that used an indirect table */
};

struct held {
	unsigned q;
	uint16_t head, ndesc;
	uint64_t tag;
	uint32_t resp_at;	/* response offset in the writable iovecs */
	struct iovec iov[80];
	unsigned n_out, n_in;
};

struct tpeer {
	int fd;
	int ctl[2];
	int ack[2];	/* the peer answers each ctl byte but K here */
	pthread_t th;
	pthread_mutex_t mu;
	/* what it offers */
	uint64_t features, pf;
	uint64_t queue_num, max_slots;
	uint32_t refuse;	/* a request to NACK (0: none) */
	int hold;		/* keep commands unanswered */
	int short_used;		/* answer with used length 4 */
	/* what was negotiated / seen */
	uint64_t got_features, got_pf;
	int owner;
	uint32_t log[LOG_MAX], log_flags[LOG_MAX];
	unsigned nlog;
	unsigned nregions;
	uint64_t region_off[VFE_MAX_REGIONS];
	void *maps[16];
	size_t map_len[16];
	unsigned nmaps;
	int inflight_set;
	int status;
	vscsi_gmem *mem;
	struct pq q[PQ_MAX];
	uint8_t *disk;
	struct held held[HELD_MAX];
	unsigned nheld;
	/* event buffers taken from the event queue, not yet used */
	struct held evbuf[HELD_MAX];
	unsigned nev;
	unsigned tmfs, ans;
	uint32_t last_tmf;
	uint64_t last_tmf_tag;
};

static void pq_signal(struct pq *q)
{
	uint64_t one = 1;

	if (vscsi_vq_should_notify(q->vq) == 1 && q->call >= 0)
		(void)!write(q->call, &one, sizeof(one));
}

static void peer_log(struct tpeer *p, const vscsi_vu_msg *m)
{
	pthread_mutex_lock(&p->mu);
	if (p->nlog < LOG_MAX) {
		p->log[p->nlog] = m->hdr.request;
		p->log_flags[p->nlog] = m->hdr.flags;
		p->nlog++;
	}
	pthread_mutex_unlock(&p->mu);
}

static int peer_reply(struct tpeer *p, const vscsi_vu_msg *req, unsigned kind,
		      const vscsi_vu_msg *payload, const int *fds, unsigned n)
{
	vscsi_vu_msg m;

	if (payload)
		m = *payload;
	else
		memset(&m, 0, sizeof(m));
	m.hdr.request = req->hdr.request;
	m.hdr.flags = VSCSI_VU_VERSION | VSCSI_VU_FLAG_REPLY;
	m.channel = VSCSI_VU_FRONTEND;
	m.payload_kind = kind;
	return vu_send(p->fd, &m, fds, n);
}

static int peer_u64(struct tpeer *p, const vscsi_vu_msg *req, uint64_t v)
{
	vscsi_vu_msg m;

	memset(&m, 0, sizeof(m));
	m.u.u64 = v;
	return peer_reply(p, req, VSCSI_VU_P_U64, &m, NULL, 0);
}

static int peer_map(struct tpeer *p, const struct vscsi_vu_region *r, int fd)
{
	size_t len = (size_t)(r->size + r->mmap_offset);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	close(fd);
	if (m == MAP_FAILED || p->nmaps >= 16)
		return -1;
	p->maps[p->nmaps] = m;
	p->map_len[p->nmaps++] = len;
	if (p->nregions < VFE_MAX_REGIONS)
		p->region_off[p->nregions] = r->mmap_offset;
	p->nregions++;
	return vscsi_gmem_add(p->mem, r->gpa, r->size, r->uva,
			      (uint8_t *)m + r->mmap_offset);
}

static void peer_start(struct tpeer *p, struct pq *q)
{
	unsigned fl = 0;
	int packed = (p->got_features & F(VSCSI_F_RING_PACKED)) != 0;
	size_t d, a, u;
	void *dp, *ap, *up;

	if (p->got_features & F(VSCSI_F_RING_EVENT_IDX))
		fl |= VSCSI_VQ_EVENT_IDX;
	if (p->got_features & F(VSCSI_F_RING_INDIRECT_DESC))
		fl |= VSCSI_VQ_INDIRECT;
	if (packed)
		vscsi_vring_packed_sizes(q->num, &d, &a, &u);
	else
		vscsi_vring_split_sizes(q->num, &d, &a, &u);
	dp = vscsi_gmem_uva_ptr(p->mem, q->desc, d);
	ap = vscsi_gmem_uva_ptr(p->mem, q->avail, a);
	up = vscsi_gmem_uva_ptr(p->mem, q->used, u);
	if (!dp || !ap || !up)
		return;
	vscsi_vq_set_base(q->vq, q->base);
	if (packed)
		vscsi_vq_setup_packed(q->vq, q->num, dp, ap, up, fl);
	else
		vscsi_vq_setup_split(q->vq, q->num, dp, ap, up, fl);
	q->started = 1;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Execute one SCSI command; returns the data-in bytes written. */
static uint32_t peer_scsi(struct tpeer *p, const vscsi_cmd_req *rq,
			  const struct iovec *out, unsigned n_out,
			  const struct iovec *in, unsigned n_in, uint32_t din_at,
			  uint64_t din_cap, vscsi_cmd_resp *rs)
{
	static const uint8_t illegal[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10,
					    0, 0, 0, 0, 0x20, 0};
	uint8_t buf[65536];
	uint64_t dout = rq->data_out_len;
	uint32_t lba, bytes, done = 0;

	switch (rq->cdb[0]) {
	case 0x00:
		break;
	case 0x12: {
		uint8_t inq[36];

		memset(inq, ' ', sizeof(inq));
		inq[0] = 0;
		inq[1] = 0;
		inq[2] = 6;
		inq[3] = 2;
		inq[4] = 31;
		inq[5] = inq[6] = inq[7] = 0;
		memcpy(inq + 8, "VFETEST ", 8);
		done = (uint32_t)vscsi_iov_scatter(in, n_in, din_at, inq,
						   din_cap < 36 ? din_cap : 36);
		break;
	}
	case 0x28:
	case 0x2a:
		lba = be32(rq->cdb + 2);
		bytes = ((uint32_t)rq->cdb[7] << 8 | rq->cdb[8]) * 512u;
		if ((uint64_t)lba * 512 + bytes > DISK_BYTES) {
			rs->status = 2;
			memcpy(rs->sense, illegal, 18);
			rs->sense_len = 18;
			break;
		}
		if (rq->cdb[0] == 0x28) {
			done = (uint32_t)vscsi_iov_scatter(
				in, n_in, din_at, p->disk + (size_t)lba * 512,
				bytes < din_cap ? bytes : din_cap);
			rs->resid = bytes - done;
		} else {
			size_t got = vscsi_iov_gather(out, n_out, rq->hdr_len,
						      p->disk + (size_t)lba * 512,
						      bytes < dout ? bytes : dout);
			rs->resid = bytes - (uint32_t)got;
		}
		break;
	case 0xc0:
		if (dout > sizeof(buf))
			dout = sizeof(buf);
		vscsi_iov_gather(out, n_out, rq->hdr_len, buf, (size_t)dout);
		done = (uint32_t)vscsi_iov_scatter(in, n_in, din_at, buf,
						   dout < din_cap ? dout : din_cap);
		break;
	default:
		rs->status = 2;
		memcpy(rs->sense, illegal, 18);
		rs->sense_len = 18;
		break;
	}
	return done;
}

static void peer_answer(struct tpeer *p, struct pq *q, uint16_t head,
			uint16_t ndesc, const struct iovec *iov, unsigned n_out,
			unsigned n_in, uint8_t response)
{
	vscsi_vs_cfg cfg;
	vscsi_cmd_req rq;
	vscsi_cmd_resp rs;
	uint8_t hdr[128];
	uint32_t rsz, din = 0, used;
	uint64_t in_len = vscsi_iov_len(iov + n_out, n_in);
	int hb;

	vscsi_vs_cfg_default(&cfg);
	cfg.features = p->got_features;
	rsz = vscsi_vs_cmd_resp_size(&cfg);
	memset(&rs, 0, sizeof(rs));
	rs.response = response;
	if (vscsi_vs_cmd_req_parse_iov(&cfg, iov, n_out, &rq) == 0 &&
	    response == VSCSI_S_OK)
		din = peer_scsi(p, &rq, iov, n_out, iov + n_out, n_in, rsz,
				in_len > rsz ? in_len - rsz : 0, &rs);
	hb = vscsi_vs_cmd_resp_build(&cfg, &rs, hdr, sizeof(hdr));
	if (hb > 0)
		vscsi_iov_scatter(iov + n_out, n_in, 0, hdr, (size_t)hb);
	used = p->short_used ? 4 : rsz + din;
	vscsi_vq_push(q->vq, head, ndesc, used);
	pq_signal(q);
}

static void peer_release(struct tpeer *p, uint64_t only_tag, int use_tag,
			 uint8_t response)
{
	unsigned i = 0;

	while (i < p->nheld) {
		struct held *h = &p->held[i];

		if (use_tag && h->tag != only_tag) {
			i++;
			continue;
		}
		peer_answer(p, &p->q[h->q], h->head, h->ndesc, h->iov, h->n_out,
			    h->n_in, response);
		p->held[i] = p->held[--p->nheld];
	}
}

static void peer_ctrl(struct tpeer *p, struct pq *q, const vscsi_chain *c)
{
	vscsi_vs_cfg cfg;
	vscsi_ctrl_req cr;
	vscsi_ctrl_resp rs;
	uint8_t out[8];
	int n;

	vscsi_vs_cfg_default(&cfg);
	memset(&rs, 0, sizeof(rs));
	if (vscsi_vs_ctrl_req_parse_iov(&cfg, c->iov, c->n_out, &cr) < 0) {
		vscsi_vq_push(q->vq, c->head, c->ndesc, 0);
		pq_signal(q);
		return;
	}
	rs.type = cr.type;
	if (cr.type == VSCSI_T_TMF) {
		pthread_mutex_lock(&p->mu);
		p->tmfs++;
		p->last_tmf = cr.subtype;
		p->last_tmf_tag = cr.tag;
		pthread_mutex_unlock(&p->mu);
		if (cr.subtype == VSCSI_TMF_ABORT_TASK)
			peer_release(p, cr.tag, 1, VSCSI_S_ABORTED);
		else if (cr.subtype == VSCSI_TMF_LOGICAL_UNIT_RESET)
			peer_release(p, 0, 0, VSCSI_S_RESET);
		rs.response = VSCSI_S_FUNCTION_COMPLETE;
	} else {
		pthread_mutex_lock(&p->mu);
		p->ans++;
		pthread_mutex_unlock(&p->mu);
		rs.event_actual = cr.event_requested & VSCSI_EVT_ASYNC_MEDIA_CHANGE;
		rs.response = VSCSI_S_OK;
	}
	n = vscsi_vs_ctrl_resp_build(&cfg, &rs, out, sizeof(out));
	vscsi_iov_scatter(c->iov + c->n_out, c->n_in, 0, out, (size_t)n);
	vscsi_vq_push(q->vq, c->head, c->ndesc, (uint32_t)n);
	pq_signal(q);
}

static void peer_queue(struct tpeer *p, unsigned qi)
{
	struct pq *q = &p->q[qi];
	struct iovec iov[80];
	vscsi_chain c;
	int r;

	if (!q->started || q->walk_err)
		return;
	if (!q->enabled && (p->got_features & F(VSCSI_F_PROTOCOL_FEATURES)))
		return;
	for (;;) {
		vscsi_chain_init(&c, iov, 80);
		r = vscsi_vq_pop(q->vq, p->mem, &c);
		if (r == 0)
			break;
		if (r < 0) {
			pthread_mutex_lock(&p->mu);
			q->walk_err = r;
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_lock(&p->mu);
		q->chains++;
		if (c.n_out + c.n_in > q->max_iov)
			q->max_iov = c.n_out + c.n_in;
		if (c.flags & VSCSI_CHAIN_INDIRECT)
			q->indirect++;
		pthread_mutex_unlock(&p->mu);
		if (qi == VFE_VQ_CTRL) {
			peer_ctrl(p, q, &c);
		} else if (qi == VFE_VQ_EVENT) {
			if (p->nev < HELD_MAX) {
				struct held *h = &p->evbuf[p->nev++];

				h->head = c.head;
				h->ndesc = c.ndesc;
				memcpy(h->iov, iov, sizeof(iov[0]) * (c.n_out + c.n_in));
				h->n_out = c.n_out;
				h->n_in = c.n_in;
			}
		} else if (p->hold && p->nheld < HELD_MAX) {
			struct held *h = &p->held[p->nheld++];
			vscsi_vs_cfg cfg;
			vscsi_cmd_req rq;

			vscsi_vs_cfg_default(&cfg);
			vscsi_vs_cmd_req_parse_iov(&cfg, iov, c.n_out, &rq);
			h->q = qi;
			h->head = c.head;
			h->ndesc = c.ndesc;
			h->tag = rq.tag;
			memcpy(h->iov, iov, sizeof(iov[0]) * (c.n_out + c.n_in));
			h->n_out = c.n_out;
			h->n_in = c.n_in;
		} else {
			peer_answer(p, q, c.head, c.ndesc, iov, c.n_out, c.n_in,
				    VSCSI_S_OK);
		}
	}
}

static void peer_event(struct tpeer *p)
{
	vscsi_vs_cfg cfg;
	vscsi_event ev;
	uint8_t b[16];
	struct held *h;
	struct pq *q = &p->q[VFE_VQ_EVENT];

	if (!p->nev)
		return;
	h = &p->evbuf[0];
	vscsi_vs_cfg_default(&cfg);
	memset(&ev, 0, sizeof(ev));
	ev.event = VSCSI_EVT_TRANSPORT_RESET;
	vscsi_lun_encode(ev.lun.raw, 0, 1, 1);
	ev.reason = VSCSI_EVT_RESET_RESCAN;
	vscsi_vs_event_build(&cfg, &ev, b, sizeof(b));
	vscsi_iov_scatter(h->iov + h->n_out, h->n_in, 0, b, sizeof(b));
	vscsi_vq_push(q->vq, h->head, h->ndesc, 16);
	pq_signal(q);
	p->evbuf[0] = p->evbuf[--p->nev];
}

/* One message from the front-end; -1 ends the connection. */
static int peer_msg(struct tpeer *p)
{
	vu_msg *in = malloc(sizeof(*in));
	vscsi_vu_msg *m;
	struct pq *q;
	int r, ret = 0;
	uint32_t idx;

	if (!in)
		return -1;
	r = vu_recv(p->fd, VSCSI_VU_FRONTEND, p->got_pf, in);
	if (r <= 0) {
		free(in);
		return -1;
	}
	m = &in->m;
	peer_log(p, m);
	idx = (uint32_t)(m->u.u64 & VSCSI_VU_IDX_MASK);
	switch (m->hdr.request) {
	case VSCSI_VU_GET_FEATURES:
		peer_u64(p, m, p->features);
		break;
	case VSCSI_VU_SET_FEATURES:
		p->got_features = m->u.u64;
		break;
	case VSCSI_VU_GET_PROTOCOL_FEATURES:
		peer_u64(p, m, p->pf);
		break;
	case VSCSI_VU_SET_PROTOCOL_FEATURES:
		p->got_pf = m->u.u64;
		break;
	case VSCSI_VU_GET_QUEUE_NUM:
		peer_u64(p, m, p->queue_num);
		break;
	case VSCSI_VU_GET_MAX_MEM_SLOTS:
		peer_u64(p, m, p->max_slots);
		break;
	case VSCSI_VU_SET_OWNER:
		p->owner = 1;
		break;
	case VSCSI_VU_SET_MEM_TABLE: {
		unsigned i;

		for (i = 0; i < m->u.mem.nregions; i++)
			if (peer_map(p, &m->u.mem.regions[i], in->fds[i]))
				ret = -1;
		in->nfds = 0;
		break;
	}
	case VSCSI_VU_ADD_MEM_REG:
		if (peer_map(p, &m->u.reg, in->fds[0]))
			ret = -1;
		in->nfds = 0;
		break;
	case VSCSI_VU_SET_VRING_NUM:
		if (m->u.state.index < PQ_MAX)
			p->q[m->u.state.index].num = (uint16_t)m->u.state.num;
		break;
	case VSCSI_VU_SET_VRING_BASE:
		if (m->u.state.index < PQ_MAX)
			p->q[m->u.state.index].base = m->u.state.num;
		break;
	case VSCSI_VU_SET_VRING_ADDR:
		if (m->u.addr.index < PQ_MAX) {
			q = &p->q[m->u.addr.index];
			q->desc = m->u.addr.desc;
			q->avail = m->u.addr.avail;
			q->used = m->u.addr.used;
		}
		break;
	case VSCSI_VU_SET_VRING_CALL:
	case VSCSI_VU_SET_VRING_ERR:
	case VSCSI_VU_SET_VRING_KICK:
		if (idx >= PQ_MAX || in->nfds != 1) {
			ret = -1;
			break;
		}
		q = &p->q[idx];
		if (m->hdr.request == VSCSI_VU_SET_VRING_CALL)
			q->call = in->fds[0];
		else if (m->hdr.request == VSCSI_VU_SET_VRING_ERR)
			q->err = in->fds[0];
		else {
			q->kick = in->fds[0];
			peer_start(p, q);
		}
		in->nfds = 0;
		break;
	case VSCSI_VU_SET_VRING_ENABLE:
		if (m->u.state.index < PQ_MAX) {
			p->q[m->u.state.index].enabled = (int)m->u.state.num;
			peer_queue(p, m->u.state.index);
		}
		break;
	case VSCSI_VU_GET_VRING_BASE: {
		vscsi_vu_msg rm;

		memset(&rm, 0, sizeof(rm));
		rm.u.state.index = m->u.state.index;
		if (m->u.state.index < PQ_MAX) {
			q = &p->q[m->u.state.index];
			rm.u.state.num = vscsi_vq_get_base(q->vq);
			q->started = 0;
		}
		peer_reply(p, m, VSCSI_VU_P_STATE, &rm, NULL, 0);
		break;
	}
	case VSCSI_VU_GET_INFLIGHT_FD: {
		vscsi_vu_msg rm;
		int fd = memfd_create("peer-inflight", MFD_CLOEXEC);

		memset(&rm, 0, sizeof(rm));
		rm.u.inflight = m->u.inflight;
		rm.u.inflight.mmap_size = 4096;
		if (fd < 0 || ftruncate(fd, 4096))
			ret = -1;
		else
			peer_reply(p, m, VSCSI_VU_P_INFLIGHT, &rm, &fd, 1);
		if (fd >= 0)
			close(fd);
		break;
	}
	case VSCSI_VU_SET_INFLIGHT_FD:
		p->inflight_set = in->nfds == 1;
		break;
	case VSCSI_VU_SET_STATUS:
		p->status = (int)m->u.u64;
		break;
	default:
		break;
	}
	if ((m->hdr.flags & VSCSI_VU_FLAG_NEED_REPLY) &&
	    (p->got_pf & F(VSCSI_VU_PF_REPLY_ACK)) &&
	    !vscsi_vu_expects_reply(m, 0))
		peer_u64(p, m, m->hdr.request == p->refuse ? 1 : 0);
	vu_msg_close_fds(in);
	free(in);
	return ret;
}

static void *peer_main(void *arg)
{
	struct tpeer *p = arg;

	for (;;) {
		struct pollfd pf[PQ_MAX + 2];
		unsigned map[PQ_MAX + 2], n = 0, i;

		pf[n].fd = p->fd;
		pf[n].events = POLLIN;
		map[n++] = 1000;
		pf[n].fd = p->ctl[0];
		pf[n].events = POLLIN;
		map[n++] = 1001;
		for (i = 0; i < PQ_MAX; i++)
			if (p->q[i].started && p->q[i].kick >= 0) {
				pf[n].fd = p->q[i].kick;
				pf[n].events = POLLIN;
				map[n++] = i;
			}
		if (poll(pf, n, 5000) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (map[i] == 1000) {
				if (peer_msg(p))
					return NULL;
			} else if (map[i] == 1001) {
				char c;

				if (read(p->ctl[0], &c, 1) != 1)
					return NULL;
				if (c == 'K')
					return NULL;	/* the "crash" */
				if (c == 'E')
					peer_event(p);
				if (c == 'R')
					peer_release(p, 0, 0, VSCSI_S_OK);
				if (c == 'H')
					p->hold = 1;
				if (c == 'U')
					p->hold = 0;
				if (c == 'B') {
					/* a used entry for a chain not in
					 * flight: the driver must call the
					 * ring broken */
					struct pq *q = &p->q[VFE_VQ_REQ(0)];

					vscsi_vq_push(q->vq, (uint16_t)(q->num - 1),
						      1, 0);
					pq_signal(q);
				}
				(void)!write(p->ack[1], &c, 1);
			} else {
				uint64_t c;

				(void)!read(pf[i].fd, &c, sizeof(c));
				peer_queue(p, map[i]);
			}
		}
	}
}

static struct tpeer *peer_new(int *fe_fd)
{
	struct tpeer *p = calloc(1, sizeof(*p));
	int sv[2];
	unsigned i;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(p->ctl), 0);
	ck_assert_int_eq(pipe(p->ack), 0);
	p->fd = sv[1];
	*fe_fd = sv[0];
	pthread_mutex_init(&p->mu, NULL);
	p->features = F(VSCSI_F_VERSION_1) | F(VSCSI_F_RING_INDIRECT_DESC) |
		      F(VSCSI_F_RING_EVENT_IDX) | F(VSCSI_F_INOUT) |
		      F(VSCSI_F_HOTPLUG) | F(VSCSI_F_CHANGE) |
		      F(VSCSI_F_RING_PACKED) | F(VSCSI_F_PROTOCOL_FEATURES);
	p->pf = F(VSCSI_VU_PF_MQ) | F(VSCSI_VU_PF_REPLY_ACK) |
		F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS) |
		F(VSCSI_VU_PF_INFLIGHT_SHMFD) | F(VSCSI_VU_PF_STATUS);
	p->queue_num = PQ_MAX;
	p->max_slots = 8;
	p->mem = vscsi_gmem_new();
	p->disk = calloc(1, DISK_BYTES);
	ck_assert_ptr_nonnull(p->mem);
	ck_assert_ptr_nonnull(p->disk);
	for (i = 0; i < PQ_MAX; i++) {
		p->q[i].vq = vscsi_vq_new();
		p->q[i].kick = p->q[i].call = p->q[i].err = -1;
	}
	return p;
}

static void peer_run(struct tpeer *p)
{
	ck_assert_int_eq(pthread_create(&p->th, NULL, peer_main, p), 0);
}

/* Tell the peer thread something and wait until it has acted on it (so a
 * hold is in force before the next command is posted); K (crash) is not
 * answered. */
static void peer_ctl(struct tpeer *p, char c)
{
	struct pollfd pf = { p->ack[0], POLLIN, 0 };
	char a;

	ck_assert_int_eq(write(p->ctl[1], &c, 1), 1);
	if (c == 'K')
		return;
	ck_assert_int_eq(poll(&pf, 1, 10000), 1);
	ck_assert_int_eq(read(p->ack[0], &a, 1), 1);
}

static void peer_free(struct tpeer *p)
{
	unsigned i;

	pthread_join(p->th, NULL);
	close(p->fd);
	close(p->ctl[0]);
	close(p->ctl[1]);
	close(p->ack[0]);
	close(p->ack[1]);
	for (i = 0; i < PQ_MAX; i++) {
		vscsi_vq_free(p->q[i].vq);
		if (p->q[i].kick >= 0)
			close(p->q[i].kick);
		if (p->q[i].call >= 0)
			close(p->q[i].call);
		if (p->q[i].err >= 0)
			close(p->q[i].err);
	}
	for (i = 0; i < p->nmaps; i++)
		munmap(p->maps[i], p->map_len[i]);
	vscsi_gmem_free(p->mem);
	free(p->disk);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Open a driver against a fresh peer (customised by fix, may be NULL). */
static vfe *open_with(struct tpeer **pp, const vfe_opts *o,
		      void (*fix)(struct tpeer *))
{
	char err[256];
	int fd;
	vfe *v = NULL;
	struct tpeer *p = peer_new(&fd);

	if (fix)
		fix(p);
	peer_run(p);
	ck_assert_msg(vfe_open_fd(fd, o, &v, err, sizeof(err)) == 0,
		      "open: %s", err);
	*pp = p;
	return v;
}

static void close_all(vfe *v, struct tpeer *p)
{
	vfe_close(v);
	peer_free(p);
}

static unsigned count_fds(void)
{
	unsigned n = 0;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* ------------------------------------------------------------ CDBs */

static void cdb_rw10(uint8_t *cdb, int write, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = write ? 0x2a : 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(blocks >> 8);
	cdb[8] = (uint8_t)blocks;
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/* Write then read back `blocks` at lba through rq with the given shape;
 * checks the peer's disk and the data read. */
static void rw_roundtrip(vfe *v, struct tpeer *p, unsigned rq, uint32_t lba,
			 uint16_t blocks, const vfe_cmd *shape, uint32_t seed)
{
	static uint8_t wbuf[65536], rbuf[65536];
	uint8_t cdb[10];
	vfe_cmd c = *shape;
	vfe_result r;
	size_t n = (size_t)blocks * 512;

	fill(wbuf, n, seed);
	cdb_rw10(cdb, 1, lba, blocks);
	vfe_lun(c.lun, 0, 0);
	c.cdb = cdb;
	c.cdb_len = 10;
	c.dout = wbuf;
	c.dout_len = (uint32_t)n;
	c.din_len = 0;
	ck_assert_int_eq(vfe_exec(v, rq, &c, &r, NULL, 0, 5000), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.response, VSCSI_S_OK);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_uint_eq(r.resid, 0);
	ck_assert_int_eq(memcmp(p->disk + (size_t)lba * 512, wbuf, n), 0);

	memset(rbuf, 0xee, sizeof(rbuf));
	cdb_rw10(cdb, 0, lba, blocks);
	c.dout = NULL;
	c.dout_len = 0;
	c.din_len = (uint32_t)n;
	ck_assert_int_eq(vfe_exec(v, rq, &c, &r, rbuf, sizeof(rbuf), 5000), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_uint_eq(r.din_len, n);
	ck_assert_uint_eq(r.used_len, 108 + n);
	ck_assert_int_eq(memcmp(rbuf, wbuf, n), 0);
}

/* ------------------------------------------------------------ tests */

START_TEST(test_open_negotiation)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	uint64_t f = vfe_features(v);
	unsigned i, acks = 0, sets = 0;
	int seen_mem = 0, seen_owner_before_features = 0, order_ok;

	ck_assert(f & F(VSCSI_F_VERSION_1));
	ck_assert(f & F(VSCSI_F_RING_EVENT_IDX));
	ck_assert(f & F(VSCSI_F_RING_INDIRECT_DESC));
	ck_assert(f & F(VSCSI_F_INOUT));
	ck_assert(f & F(VSCSI_F_HOTPLUG));
	ck_assert(f & F(VSCSI_F_CHANGE));
	ck_assert(!(f & F(VSCSI_F_RING_PACKED)));	/* not asked */
	ck_assert_uint_eq(vfe_protocol_features(v),
			  F(VSCSI_VU_PF_MQ) | F(VSCSI_VU_PF_REPLY_ACK) |
				  F(VSCSI_VU_PF_CONFIGURE_MEM_SLOTS));
	ck_assert_uint_eq(vfe_num_queues(v), 1);
	ck_assert_uint_eq(vfe_queue_size(v), 128);
	ck_assert_int_eq(vfe_inflight_fd(v), -1);
	/* the peer saw what the driver negotiated, plus PROTOCOL_FEATURES */
	ck_assert_uint_eq(p->got_features, f | F(VSCSI_F_PROTOCOL_FEATURES));
	ck_assert_uint_eq(p->got_pf, vfe_protocol_features(v));
	ck_assert_int_eq(p->owner, 1);
	ck_assert_uint_eq(p->nregions, 1);
	/* order: GET_FEATURES first; every set request after REPLY_ACK was
	 * negotiated asked for an ack; SET_MEM_TABLE before any vring */
	pthread_mutex_lock(&p->mu);
	ck_assert_uint_eq(p->log[0], VSCSI_VU_GET_FEATURES);
	order_ok = 1;
	for (i = 0; i < p->nlog; i++) {
		uint32_t rq = p->log[i];

		if (rq == VSCSI_VU_SET_MEM_TABLE)
			seen_mem = 1;
		if (rq >= VSCSI_VU_SET_VRING_NUM && rq <= VSCSI_VU_SET_VRING_ERR &&
		    !seen_mem)
			order_ok = 0;
		if (rq == VSCSI_VU_SET_OWNER && i < 2)
			seen_owner_before_features = 1;
		if (rq == VSCSI_VU_SET_FEATURES || rq == VSCSI_VU_SET_OWNER ||
		    rq == VSCSI_VU_SET_MEM_TABLE ||
		    (rq >= VSCSI_VU_SET_VRING_NUM && rq <= VSCSI_VU_SET_VRING_BASE) ||
		    (rq >= VSCSI_VU_SET_VRING_KICK && rq <= VSCSI_VU_SET_VRING_ERR) ||
		    rq == VSCSI_VU_SET_VRING_ENABLE) {
			sets++;
			if (p->log_flags[i] & VSCSI_VU_FLAG_NEED_REPLY)
				acks++;
		}
	}
	pthread_mutex_unlock(&p->mu);
	ck_assert(order_ok);
	ck_assert(!seen_owner_before_features);
	ck_assert_uint_gt(sets, 20);	/* 3 rings x (num base addr call err
					 * kick enable) + others */
	ck_assert_uint_eq(acks, sets);
	/* every vring started and enabled; 8 event buffers reached the peer */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(p->q[i].started, 1);
		ck_assert_int_eq(p->q[i].enabled, 1);
		ck_assert_uint_eq(p->q[i].num, 128);
	}
	{
		int k;

		for (k = 0; k < 100 && p->q[VFE_VQ_EVENT].chains < 8; k++)
			usleep(2000);
	}
	ck_assert_uint_eq(p->q[VFE_VQ_EVENT].chains, 8);
	close_all(v, p);
}
END_TEST

START_TEST(test_no_fd_leak)
{
	unsigned fds0 = count_fds();
	struct tpeer *p;
	vfe_opts o;
	vfe *v;

	vfe_opts_init(&o);
	o.flags = VFE_INFLIGHT | (_i ? VFE_PACKED | VFE_ADD_MEM_REG : 0);
	o.nregions = 3;
	o.num_queues = 3;
	v = open_with(&p, &o, NULL);
	/* 3 memfds, 5 x 3 eventfds, epoll, socket, inflight fd at least */
	ck_assert_uint_ge(count_fds(), fds0 + 3 + 15 + 3);
	rw_roundtrip(v, p, 2, 0, 4, &(vfe_cmd){0}, 2);
	close_all(v, p);
	ck_assert_uint_eq(count_fds(), fds0);
}
END_TEST

START_TEST(test_no_ack)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	unsigned i, acks = 0;

	vfe_opts_init(&o);
	o.flags = VFE_NO_ACK;
	v = open_with(&p, &o, NULL);
	ck_assert(!(vfe_protocol_features(v) & F(VSCSI_VU_PF_REPLY_ACK)));
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nlog; i++)
		if (p->log_flags[i] & VSCSI_VU_FLAG_NEED_REPLY)
			acks++;
	pthread_mutex_unlock(&p->mu);
	ck_assert_uint_eq(acks, 0);
	rw_roundtrip(v, p, 0, 3, 2, &(vfe_cmd){0}, 7);
	close_all(v, p);
}
END_TEST

START_TEST(test_inquiry_and_sense)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	uint8_t cdb[6] = {0x12, 0, 0, 0, 96, 0}, buf[96];
	vfe_cmd c;
	vfe_result r;

	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, 0, 0);
	c.cdb = cdb;
	c.cdb_len = 6;
	c.din_len = 96;
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, buf, sizeof(buf), 5000), 0);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.status, 0);
	ck_assert_uint_eq(r.din_len, 36);
	ck_assert_int_eq(memcmp(buf + 8, "VFETEST ", 8), 0);
	ck_assert_uint_ne(r.tag, 0);
	/* an unknown opcode: CHECK CONDITION with sense 05/20/00 */
	cdb[0] = 0xd9;
	c.din_len = 0;
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 5000), 0);
	ck_assert_uint_eq(r.status, 2);
	ck_assert_uint_eq(r.sense_len, 18);
	ck_assert_uint_eq(r.sense_copied, 18);
	ck_assert_uint_eq(r.sense[2], 5);
	ck_assert_uint_eq(r.sense[12], 0x20);
	/* a given tag is used as is */
	c.tag = 0xabcdef;
	cdb[0] = 0;
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 5000), 0);
	ck_assert_uint_eq(r.tag, 0xabcdef);
	close_all(v, p);
}
END_TEST

/* Every chain shape on split and packed rings, with and without
 * EVENT_IDX: the peer's walker must see the shape and the data must
 * survive. */
START_TEST(test_shapes)
{
	static const struct {
		uint16_t hs, rs;
		uint32_t ds;
		unsigned fl;
	} shapes[] = {
		{0, 0, 0, 0},
		{8, 0, 0, 0},		/* header split after the LUN */
		{1, 11, 0, 0},		/* response split inside sense_len */
		{19, 12, 512, 0},	/* data in 512-byte descriptors */
		{0, 0, 0, VFE_CMD_INDIRECT},
		{5, 100, 1024, VFE_CMD_INDIRECT},
	};
	unsigned mode = (unsigned)_i, k;
	struct tpeer *p;
	vfe_opts o;
	vfe *v;

	vfe_opts_init(&o);
	o.flags = (mode & 1 ? VFE_PACKED : 0) | (mode & 2 ? VFE_NO_EVENT_IDX : 0);
	o.queue_size = 64;
	v = open_with(&p, &o, NULL);
	ck_assert_int_eq((vfe_features(v) & F(VSCSI_F_RING_PACKED)) != 0,
			 (mode & 1) != 0);
	ck_assert_int_eq((vfe_features(v) & F(VSCSI_F_RING_EVENT_IDX)) != 0,
			 (mode & 2) == 0);
	for (k = 0; k < ARRAY_LEN(shapes); k++) {
		vfe_cmd c;
		unsigned ind0 = p->q[2].indirect, iov0;

		memset(&c, 0, sizeof(c));
		c.hdr_split = shapes[k].hs;
		c.resp_split = shapes[k].rs;
		c.data_split = shapes[k].ds;
		c.flags = shapes[k].fl;
		p->q[2].max_iov = 0;
		rw_roundtrip(v, p, 0, 16 * k, 8, &c, k + 100 * mode);
		iov0 = p->q[2].max_iov;
		/* header pieces + response pieces + 4096 / data_split */
		ck_assert_uint_eq(iov0, (shapes[k].hs ? 2u : 1u) +
					       (shapes[k].rs ? 2u : 1u) +
					       (shapes[k].ds ? 4096 / shapes[k].ds : 1u));
		ck_assert_uint_eq(p->q[2].indirect - ind0,
				  shapes[k].fl & VFE_CMD_INDIRECT ? 2u : 0u);
	}
	/* many more commands than ring entries: ids and slots recycle */
	for (k = 0; k < 300; k++)
		rw_roundtrip(v, p, 0, k % 2000, 1, &(vfe_cmd){0}, k);
	close_all(v, p);
}
END_TEST

START_TEST(test_regions_cross)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vfe_cmd c;
	unsigned k;
	const vscsi_gmem *mem;
	vscsi_gmem_region g0, g1;

	vfe_opts_init(&o);
	o.flags = VFE_CROSS | (_i ? VFE_ADD_MEM_REG : 0);
	o.nregions = 4;
	o.fd_offset = 8192;
	o.num_queues = 2;
	o.queue_size = 16;
	v = open_with(&p, &o, NULL);
	ck_assert_uint_eq(p->nregions, 4);
	ck_assert_uint_eq(p->region_off[3], 8192);
	mem = vfe_mem(v);
	ck_assert_uint_eq(vscsi_gmem_count(mem), 4);
	vscsi_gmem_region_at(mem, 0, &g0);
	vscsi_gmem_region_at(mem, 1, &g1);
	ck_assert_uint_eq(g0.gpa + g0.size, g1.gpa);	/* adjacent */
	ck_assert_uint_eq(vfe_mem_end(v), g0.gpa + 4 * g0.size);
	/* ADD_MEM_REG: four of them and no SET_MEM_TABLE */
	{
		unsigned i, add = 0, table = 0;

		pthread_mutex_lock(&p->mu);
		for (i = 0; i < p->nlog; i++) {
			add += p->log[i] == VSCSI_VU_ADD_MEM_REG;
			table += p->log[i] == VSCSI_VU_SET_MEM_TABLE;
		}
		pthread_mutex_unlock(&p->mu);
		ck_assert_uint_eq(add, _i ? 4u : 0u);
		ck_assert_uint_eq(table, _i ? 0u : 1u);
	}
	/* slot 0 of each queue straddles a boundary: the peer's walker must
	 * split the single data descriptor into two iovecs */
	for (k = 0; k < 2; k++) {
		p->q[VFE_VQ_REQ(k)].max_iov = 0;
		memset(&c, 0, sizeof(c));
		rw_roundtrip(v, p, k, 100 + 256 * k, 128, &c, 9 + k);
		/* header, response, and the data in two pieces */
		ck_assert_uint_eq(p->q[VFE_VQ_REQ(k)].max_iov, 4);
	}
	{
		uint8_t cdb[10];
		vfe_result r;
		static uint8_t buf[65536];

		memset(&c, 0, sizeof(c));
		vfe_lun(c.lun, 0, 0);
		cdb_rw10(cdb, 0, 100, 128);
		c.cdb = cdb;
		c.cdb_len = 10;
		c.din_len = 65536;
		ck_assert_int_eq(vfe_exec(v, 0, &c, &r, buf, sizeof(buf), 5000), 0);
		ck_assert_int_eq(r.crossed, 1);
		ck_assert_uint_eq(r.din_cnt, 0);	/* cleared by exec */
	}
	close_all(v, p);
}
END_TEST

static void gap_fix(struct tpeer *p)
{
	p->max_slots = 8;
}

START_TEST(test_gap_and_alloc)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vscsi_gmem_region g0, g1;
	uint64_t gpa;
	uint8_t *a;

	vfe_opts_init(&o);
	o.nregions = 2;
	o.gpa_gap = 1u << 20;
	o.gpa_base = 0x40000000;
	v = open_with(&p, &o, gap_fix);
	vscsi_gmem_region_at(vfe_mem(v), 0, &g0);
	vscsi_gmem_region_at(vfe_mem(v), 1, &g1);
	ck_assert_uint_eq(g0.gpa, 0x40000000);
	ck_assert_uint_eq(g1.gpa, g0.gpa + g0.size + (1u << 20));
	a = vfe_alloc(v, 4096, 4096, &gpa);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(gpa & 4095, 0);
	ck_assert_ptr_eq(vscsi_gmem_ptr(vfe_mem(v), gpa, 4096), a);
	ck_assert_ptr_null(vfe_alloc(v, 1ull << 40, 8, &gpa));
	ck_assert_ptr_null(vfe_alloc(v, 8, 3, &gpa));
	rw_roundtrip(v, p, 0, 0, 16, &(vfe_cmd){0}, 3);
	close_all(v, p);
}
END_TEST

struct counter {
	unsigned done, bad;
	uint64_t tags[256];
};

static void count_cb(void *arg, const vfe_result *r)
{
	struct counter *c = arg;

	if (r->err || r->status || r->response)
		c->bad++;
	if (c->done < 256)
		c->tags[c->done] = r->tag;
	c->done++;
}

START_TEST(test_multiqueue_async)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	struct counter cnt;
	unsigned k, q;
	static uint8_t data[4][4096];
	vfe_stats st;

	vfe_opts_init(&o);
	o.num_queues = 4;
	o.queue_size = 64;	/* 16 writes x 3 descriptors */
	o.flags = _i ? VFE_SPIN : 0;
	o.spin_us = 5000000;	/* never runs out here */
	v = open_with(&p, &o, NULL);
	memset(&cnt, 0, sizeof(cnt));
	for (q = 0; q < 4; q++)
		fill(data[q], 4096, q);
	/* 4 queues x 16 writes, kicked once per queue */
	for (k = 0; k < 64; k++) {
		uint8_t cdb[10];
		vfe_cmd c;

		q = k % 4;
		memset(&c, 0, sizeof(c));
		vfe_lun(c.lun, 0, 0);
		cdb_rw10(cdb, 1, 8 * k, 8);
		c.cdb = cdb;
		c.cdb_len = 10;
		c.dout = data[q];
		c.dout_len = 4096;
		c.flags = VFE_CMD_NOKICK;
		ck_assert_int_eq(vfe_submit(v, q, &c, count_cb, &cnt, NULL), 0);
	}
	ck_assert_uint_eq(vfe_inflight(v, ~0u), 64);
	ck_assert_uint_eq(vfe_inflight(v, 2), 16);
	for (q = 0; q < 4; q++)
		ck_assert_int_eq(vfe_kick(v, q), 0);
	while (cnt.done < 64)
		ck_assert_int_ge(vfe_poll(v, 2000), 0);
	ck_assert_uint_eq(cnt.bad, 0);
	ck_assert_uint_eq(vfe_inflight(v, ~0u), 0);
	for (q = 0; q < 4; q++)
		ck_assert_uint_eq(p->q[VFE_VQ_REQ(q)].chains, 16);
	for (k = 0; k < 64; k++)
		ck_assert_int_eq(memcmp(p->disk + 8 * k * 512, data[k % 4], 4096), 0);
	vfe_get_stats(v, &st);
	ck_assert_uint_eq(st.completed, 64);
	ck_assert_uint_ge(st.submitted, 64);
	if (_i)
		ck_assert_uint_eq(st.waits, 0);	/* spin mode never sleeps */
	close_all(v, p);
}
END_TEST

struct one_result {
	int done;
	int err;
	uint8_t response;
};

static void one_cb(void *arg, const vfe_result *r)
{
	struct one_result *o = arg;

	o->done++;
	o->err = r->err;
	o->response = r->response;
}

static void *late_release(void *arg)
{
	usleep(50000);
	peer_ctl(arg, 'R');
	return NULL;
}

/* VFE_SPIN with a spent budget sleeps with interrupts on, and the call
 * eventfd wakes it (with EVENT_IDX: used_event; without: the flag). */
START_TEST(test_spin_fallback)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	struct one_result a;
	uint8_t cdb[6] = {0};
	vfe_cmd c;
	vfe_stats st;
	int k, got = 0;

	vfe_opts_init(&o);
	o.flags = VFE_SPIN | (_i ? VFE_NO_EVENT_IDX : 0);
	o.spin_us = 1;
	v = open_with(&p, &o, NULL);
	/* a few completions first: a device notifies its first push after
	 * set-up whatever used_event says */
	rw_roundtrip(v, p, 0, 1, 2, &(vfe_cmd){0}, 10);
	peer_ctl(p, 'H');
	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), 0);
	for (k = 0; k < 100 && p->nheld < 1; k++)
		usleep(2000);
	ck_assert_int_eq(vfe_poll(v, 30), 0);
	vfe_get_stats(v, &st);
	ck_assert_uint_ge(st.waits, 1);
	peer_ctl(p, 'U');
	{
		pthread_t th;
		struct timespec t0, t1;
		long ms;

		/* release 50 ms into one long poll: only the call eventfd can
		 * end it before 3 s */
		ck_assert_int_eq(pthread_create(&th, NULL, late_release, p), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		got = vfe_poll(v, 3000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_join(th, NULL);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		ck_assert_int_eq(got, 1);
		ck_assert_int_eq(a.done, 1);
		ck_assert_int_ge(ms, 40);
		ck_assert_int_lt(ms, 1000);
	}
	/* and spinning resumes: interrupts are off again between sleeps */
	rw_roundtrip(v, p, 0, 5, 2, &(vfe_cmd){0}, 11);
	close_all(v, p);
}
END_TEST

START_TEST(test_queue_full)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	struct counter cnt;
	unsigned k, sent = 0;
	int r;
	uint8_t cdb[6] = {0};

	vfe_opts_init(&o);
	o.queue_size = 8;
	v = open_with(&p, &o, NULL);
	peer_ctl(p, 'H');
	memset(&cnt, 0, sizeof(cnt));
	for (k = 0; k < 20; k++) {
		vfe_cmd c;

		memset(&c, 0, sizeof(c));
		c.cdb = cdb;
		c.cdb_len = 6;
		r = vfe_submit(v, 0, &c, count_cb, &cnt, NULL);
		if (r == VSCSI_ERR_NOSPACE)
			break;
		ck_assert_int_eq(r, 0);
		sent++;
	}
	/* 8 descriptors, 2 per command */
	ck_assert_uint_eq(sent, 4);
	usleep(20000);
	peer_ctl(p, 'R');
	while (cnt.done < sent)
		ck_assert_int_ge(vfe_poll(v, 2000), 0);
	ck_assert_uint_eq(cnt.bad, 0);
	close_all(v, p);
}
END_TEST

struct ctrl_seen {
	int done;
	vfe_ctrl_result r;
};

static void ctrl_cb(void *arg, const vfe_ctrl_result *r)
{
	struct ctrl_seen *s = arg;

	s->r = *r;
	s->done++;
}


START_TEST(test_tmf_and_an)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	struct one_result a, b;
	struct ctrl_seen an;
	vfe_ctrl_result tr;
	uint64_t tag_a, tag_b;
	uint8_t cdb[6] = {0}, lun[8];
	vfe_cmd c;
	int k;

	peer_ctl(p, 'H');
	memset(&c, 0, sizeof(c));
	vfe_lun(c.lun, 0, 0);
	vfe_lun(lun, 0, 0);
	c.cdb = cdb;
	c.cdb_len = 6;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, &tag_a), 0);
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &b, &tag_b), 0);
	ck_assert_uint_ne(tag_a, tag_b);
	for (k = 0; k < 100 && p->nheld < 2; k++)
		usleep(2000);
	ck_assert_int_eq(vfe_tmf_exec(v, lun, VSCSI_TMF_ABORT_TASK, tag_b, &tr,
				      5000), 0);
	ck_assert_int_eq(tr.err, 0);
	ck_assert_uint_eq(tr.type, VSCSI_T_TMF);
	ck_assert_uint_eq(tr.response, VSCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(tr.used_len, 1);
	ck_assert_uint_eq(p->last_tmf_tag, tag_b);
	/* the aborted command completed before the TMF did */
	ck_assert_int_eq(b.done, 1);
	ck_assert_uint_eq(b.response, VSCSI_S_ABORTED);
	ck_assert_int_eq(a.done, 0);
	ck_assert_int_eq(vfe_tmf_exec(v, lun, VSCSI_TMF_LOGICAL_UNIT_RESET, 0,
				      &tr, 5000), 0);
	ck_assert_int_eq(a.done, 1);
	ck_assert_uint_eq(a.response, VSCSI_S_RESET);
	/* AN query */
	memset(&an, 0, sizeof(an));
	ck_assert_int_eq(vfe_an(v, VSCSI_T_AN_QUERY, lun,
				VSCSI_EVT_ASYNC_MEDIA_CHANGE | VSCSI_EVT_ASYNC_POWER_MGMT,
				ctrl_cb, &an), 0);
	while (!an.done)
		ck_assert_int_ge(vfe_poll(v, 2000), 0);
	ck_assert_int_eq(an.r.err, 0);
	ck_assert_uint_eq(an.r.type, VSCSI_T_AN_QUERY);
	ck_assert_uint_eq(an.r.event_actual, VSCSI_EVT_ASYNC_MEDIA_CHANGE);
	ck_assert_uint_eq(an.r.used_len, 5);
	ck_assert_int_eq(vfe_an(v, VSCSI_T_TMF, lun, 0, ctrl_cb, &an),
			 VSCSI_ERR_ARG);
	close_all(v, p);
}
END_TEST

static unsigned events_seen;

static void on_event(void *arg, const vscsi_event *ev)
{
	(void)arg;
	if (ev->event == VSCSI_EVT_TRANSPORT_RESET)
		events_seen++;
}

START_TEST(test_events)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vscsi_event ev;
	int k;

	vfe_opts_init(&o);
	o.on_event = on_event;
	events_seen = 0;
	v = open_with(&p, &o, NULL);
	for (k = 0; k < 100 && p->nev < 8; k++)
		usleep(2000);
	ck_assert_uint_eq(p->nev, 8);
	ck_assert_int_eq(vfe_event_get(v, &ev), 0);
	peer_ctl(p, 'E');
	peer_ctl(p, 'E');
	while (events_seen < 2)
		ck_assert_int_ge(vfe_poll(v, 2000), 0);
	ck_assert_int_eq(vfe_event_get(v, &ev), 1);
	ck_assert_uint_eq(ev.event, VSCSI_EVT_TRANSPORT_RESET);
	ck_assert_uint_eq(ev.reason, VSCSI_EVT_RESET_RESCAN);
	ck_assert_uint_eq(ev.lun.target, 0);
	ck_assert_uint_eq(ev.lun.lun, 1);
	ck_assert_int_eq(vfe_event_get(v, &ev), 1);
	ck_assert_int_eq(vfe_event_get(v, &ev), 0);
	/* both buffers went back to the device */
	for (k = 0; k < 100 && p->nev < 8; k++)
		usleep(2000);
	ck_assert_uint_eq(p->nev, 8);
	close_all(v, p);

	/* no buffers at open; posted later */
	vfe_opts_init(&o);
	o.event_bufs = VFE_NO_EVENT_BUFS;
	v = open_with(&p, &o, NULL);
	usleep(20000);
	ck_assert_uint_eq(p->nev, 0);
	ck_assert_int_eq(vfe_event_post(v, 3), 3);
	for (k = 0; k < 100 && p->nev < 3; k++)
		usleep(2000);
	ck_assert_uint_eq(p->nev, 3);
	ck_assert_int_eq(vfe_event_post(v, 100), 5);	/* 8 slots in all */
	close_all(v, p);
}
END_TEST

/* Raw chains on a split ring: each malformed kind reaches the peer's walker
 * and gets its own verdict; the other queue goes on. */
START_TEST(test_raw_split)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vfe_raw_desc d[4];
	uint64_t tgpa, bgpa;
	uint8_t *tbl, *buf;
	int expect, k;
	const uint16_t W = VSCSI_VRING_DESC_F_WRITE, N = VSCSI_VRING_DESC_F_NEXT;

	vfe_opts_init(&o);
	o.num_queues = 2;
	o.queue_size = 16;
	v = open_with(&p, &o, NULL);
	tbl = vfe_alloc(v, 64, 16, &tgpa);
	buf = vfe_alloc(v, 512, 64, &bgpa);
	ck_assert_ptr_nonnull(tbl);
	ck_assert_ptr_nonnull(buf);
	memset(d, 0, sizeof(d));
	switch (_i) {
	case 0:	/* loop: 3 -> 4 -> 3 */
		d[0] = (vfe_raw_desc){3, bgpa, 64, N, 4};
		d[1] = (vfe_raw_desc){4, bgpa + 64, 64, N, 3};
		expect = VSCSI_ERR_DESC_LOOP;
		break;
	case 1:	/* next beyond the table */
		d[0] = (vfe_raw_desc){0, bgpa, 64, N, 200};
		d[1] = (vfe_raw_desc){1, bgpa, 64, W, 0};
		expect = VSCSI_ERR_DESC_INDEX;
		break;
	case 2:	/* indirect table of 17 bytes */
		d[0] = (vfe_raw_desc){0, tgpa, 17, VSCSI_VRING_DESC_F_INDIRECT, 0};
		d[1] = (vfe_raw_desc){1, 0, 0, 0, 0};
		expect = VSCSI_ERR_INDIRECT_LEN;
		break;
	case 3:	/* a buffer past the end of memory */
		d[0] = (vfe_raw_desc){0, vfe_mem_end(v) + 4096, 64, N, 1};
		d[1] = (vfe_raw_desc){1, bgpa, 64, W, 0};
		expect = VSCSI_ERR_ADDR;
		break;
	default: /* readable after writable */
		d[0] = (vfe_raw_desc){0, bgpa, 64, W | N, 1};
		d[1] = (vfe_raw_desc){1, bgpa + 64, 64, 0, 0};
		expect = VSCSI_ERR_DESC_ORDER;
		break;
	}
	ck_assert_int_eq(vfe_post_raw(v, VFE_VQ_REQ(0), d, 2, d[0].index), 0);
	for (k = 0; k < 200 && !p->q[VFE_VQ_REQ(0)].walk_err; k++)
		usleep(2000);
	pthread_mutex_lock(&p->mu);
	ck_assert_int_eq(p->q[VFE_VQ_REQ(0)].walk_err, expect);
	pthread_mutex_unlock(&p->mu);
	/* no used entry on the broken queue; submit refuses it */
	ck_assert_int_eq(vfe_raw_used(v, VFE_VQ_REQ(0), 50, NULL, NULL), 0);
	{
		vfe_cmd c;
		uint8_t cdb[6] = {0};

		memset(&c, 0, sizeof(c));
		c.cdb = cdb;
		c.cdb_len = 6;
		ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, NULL, NULL),
				 VSCSI_ERR_RING_BROKEN);
	}
	/* the other queue works */
	rw_roundtrip(v, p, 1, 40, 4, &(vfe_cmd){0}, 77);
	close_all(v, p);
}
END_TEST

/* A well-formed raw chain is answered: the control case for the above. */
START_TEST(test_raw_good)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vfe_raw_desc d[3];
	uint64_t hgpa, rgpa;
	uint8_t *h, *rsp;
	uint16_t id = 0xffff;
	uint32_t len = 0;
	vscsi_cmd_req rq;

	vfe_opts_init(&o);
	o.flags = _i ? VFE_PACKED : 0;
	o.queue_size = 16;
	v = open_with(&p, &o, NULL);
	h = vfe_alloc(v, 64, 16, &hgpa);
	rsp = vfe_alloc(v, 128, 16, &rgpa);
	memset(&rq, 0, sizeof(rq));
	vfe_lun(rq.lun.raw, 0, 0);
	rq.tag = 5;
	rq.cdb_size = 6;	/* TEST UNIT READY */
	ck_assert_int_eq(vscsi_vs_cmd_req_build(vfe_cfg(v), &rq, h, 64), 51);
	memset(rsp, 0xff, 108);
	d[0] = (vfe_raw_desc){7, hgpa, 51, VSCSI_VRING_DESC_F_NEXT, _i ? 9 : 2};
	d[1] = (vfe_raw_desc){2, rgpa, 108, VSCSI_VRING_DESC_F_WRITE, 9};
	ck_assert_int_eq(vfe_post_raw(v, VFE_VQ_REQ(0), d, 2, 7), 0);
	ck_assert_int_eq(vfe_raw_used(v, VFE_VQ_REQ(0), 2000, &id, &len), 1);
	ck_assert_uint_eq(id, _i ? 9 : 7);
	ck_assert_uint_eq(len, 108);
	ck_assert_uint_eq(rsp[11], VSCSI_S_OK);	/* response byte */
	ck_assert_uint_eq(rsp[10], 0);		/* status GOOD */
	ck_assert_int_eq(p->q[VFE_VQ_REQ(0)].walk_err, 0);
	/* raw mode goes on: a second chain */
	ck_assert_int_eq(vfe_post_raw(v, VFE_VQ_REQ(0), d, 2, 7), 0);
	ck_assert_int_eq(vfe_raw_used(v, VFE_VQ_REQ(0), 2000, &id, &len), 1);
	ck_assert_uint_eq(len, 108);
	/* the queue is busy elsewhere: refused */
	ck_assert_int_eq(vfe_post_raw(v, VFE_VQ_EVENT, d, 2, 7), VSCSI_ERR_ARG);
	ck_assert_int_eq(vfe_raw_used(v, VFE_VQ_CTRL, 0, NULL, NULL),
			 VSCSI_ERR_ARG);
	close_all(v, p);
}
END_TEST

/* Packed rings: the walker's verdicts for the packed kinds. */
START_TEST(test_raw_packed)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	vfe_raw_desc d[20];
	uint64_t bgpa, tgpa;
	unsigned n = 2, k;
	int expect;
	const uint16_t W = VSCSI_VRING_DESC_F_WRITE, N = VSCSI_VRING_DESC_F_NEXT;

	vfe_opts_init(&o);
	o.flags = VFE_PACKED;
	o.num_queues = 2;
	o.queue_size = 16;
	v = open_with(&p, &o, NULL);
	vfe_alloc(v, 512, 64, &bgpa);
	vfe_alloc(v, 64, 16, &tgpa);
	memset(d, 0, sizeof(d));
	switch (_i) {
	case 0:	/* every slot has NEXT: longer than the ring */
		for (k = 0; k < 16; k++)
			d[k] = (vfe_raw_desc){0, bgpa, 16, N, 0};
		n = 16;
		expect = VSCSI_ERR_CHAIN_LONG;
		break;
	case 1:
		d[0] = (vfe_raw_desc){0, tgpa, 24, VSCSI_VRING_DESC_F_INDIRECT, 0};
		n = 1;
		expect = VSCSI_ERR_INDIRECT_LEN;
		break;
	case 2:
		d[0] = (vfe_raw_desc){0, vfe_mem_end(v), 16, N, 0};
		d[1] = (vfe_raw_desc){0, bgpa, 16, W, 0};
		expect = VSCSI_ERR_ADDR;
		break;
	default:
		d[0] = (vfe_raw_desc){0, bgpa, 16, W | N, 0};
		d[1] = (vfe_raw_desc){0, bgpa, 16, 0, 0};
		expect = VSCSI_ERR_DESC_ORDER;
		break;
	}
	ck_assert_int_eq(vfe_post_raw(v, VFE_VQ_REQ(1), d, n, 0), 0);
	for (k = 0; k < 200 && !p->q[VFE_VQ_REQ(1)].walk_err; k++)
		usleep(2000);
	ck_assert_int_eq(p->q[VFE_VQ_REQ(1)].walk_err, expect);
	rw_roundtrip(v, p, 0, 9, 3, &(vfe_cmd){0}, 5);
	close_all(v, p);
}
END_TEST

START_TEST(test_peer_death)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	struct counter cnt;
	uint8_t cdb[6] = {0};
	vfe_cmd c;
	vfe_result r;
	unsigned k;
	int rc;

	peer_ctl(p, 'H');
	memset(&cnt, 0, sizeof(cnt));
	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	for (k = 0; k < 4; k++)
		ck_assert_int_eq(vfe_submit(v, 0, &c, count_cb, &cnt, NULL), 0);
	ck_assert_int_eq(vfe_poll(v, 50), 0);
	peer_ctl(p, 'K');
	pthread_join(p->th, NULL);
	close(p->fd);	/* the socket closes as a killed process's would */
	p->fd = -1;
	rc = vfe_poll(v, 5000);
	ck_assert_int_eq(rc, VSCSI_ERR_CLOSED);
	ck_assert_uint_eq(cnt.done, 4);
	ck_assert_uint_eq(cnt.bad, 4);
	ck_assert_int_eq(vfe_dead(v), 1);
	ck_assert_uint_eq(vfe_inflight(v, ~0u), 0);
	ck_assert_int_eq(vfe_submit(v, 0, &c, count_cb, &cnt, NULL),
			 VSCSI_ERR_CLOSED);
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 100), VSCSI_ERR_CLOSED);
	ck_assert_int_eq(vfe_stop(v, NULL), VSCSI_ERR_CLOSED);
	ck_assert_ptr_nonnull(strstr(vfe_last_error(v), "closed"));
	vfe_close(v);
	/* peer_free without a second join */
	p->th = pthread_self();
	{
		unsigned i;

		close(p->ctl[0]);
		close(p->ctl[1]);
		for (i = 0; i < PQ_MAX; i++) {
			vscsi_vq_free(p->q[i].vq);
			if (p->q[i].kick >= 0)
				close(p->q[i].kick);
			if (p->q[i].call >= 0)
				close(p->q[i].call);
			if (p->q[i].err >= 0)
				close(p->q[i].err);
		}
		for (i = 0; i < p->nmaps; i++)
			munmap(p->maps[i], p->map_len[i]);
		vscsi_gmem_free(p->mem);
		free(p->disk);
		free(p);
	}
}
END_TEST

START_TEST(test_device_breaks_ring)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	struct one_result a;
	uint8_t cdb[6] = {0};
	vfe_cmd c;
	int k;

	peer_ctl(p, 'H');
	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), 0);
	for (k = 0; k < 100 && p->nheld < 1; k++)
		usleep(2000);
	peer_ctl(p, 'B');
	for (k = 0; k < 50 && !a.done; k++)
		vfe_poll(v, 100);
	ck_assert_int_eq(a.done, 1);
	ck_assert_int_eq(a.err, VSCSI_ERR_RING_BROKEN);
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL),
			 VSCSI_ERR_RING_BROKEN);
	ck_assert_ptr_nonnull(strstr(vfe_last_error(v), "virtqueue 2"));
	close_all(v, p);
}
END_TEST

START_TEST(test_exec_timeout_and_stop)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	uint8_t cdb[6] = {0};
	uint32_t bases[3];
	vfe_cmd c;
	vfe_result r;
	int k;

	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	for (k = 0; k < 5; k++)
		ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 5000), 0);
	peer_ctl(p, 'H');
	errno = 0;
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 100), VSCSI_ERR_IO);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_eq(vfe_inflight(v, 0), 1);
	peer_ctl(p, 'R');
	for (k = 0; k < 50 && vfe_inflight(v, 0); k++)
		vfe_poll(v, 100);
	ck_assert_uint_eq(vfe_inflight(v, 0), 0);	/* answer dropped */
	ck_assert_int_eq(vfe_stop(v, bases), 0);
	ck_assert_uint_eq(bases[VFE_VQ_REQ(0)], 6);	/* chains taken */
	ck_assert_uint_eq(bases[VFE_VQ_EVENT], 8);
	ck_assert_uint_eq(bases[VFE_VQ_CTRL], 0);
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, NULL, NULL),
			 VSCSI_ERR_RING_BROKEN);
	close_all(v, p);
}
END_TEST

START_TEST(test_inflight_status)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;

	vfe_opts_init(&o);
	o.flags = VFE_INFLIGHT;
	o.protocol_features = F(VSCSI_VU_PF_MQ) | F(VSCSI_VU_PF_REPLY_ACK) |
			      F(VSCSI_VU_PF_STATUS);
	v = open_with(&p, &o, NULL);
	ck_assert_int_ge(vfe_inflight_fd(v), 0);
	ck_assert_int_eq(p->inflight_set, 1);
	ck_assert(vfe_protocol_features(v) & F(VSCSI_VU_PF_INFLIGHT_SHMFD));
	ck_assert_int_eq(p->status, 15);
	rw_roundtrip(v, p, 0, 1, 1, &(vfe_cmd){0}, 1);
	close_all(v, p);
}
END_TEST

static void fix_no_v1(struct tpeer *p)
{
	p->features &= ~F(VSCSI_F_VERSION_1);
}

static void fix_refuse_mem(struct tpeer *p)
{
	p->refuse = VSCSI_VU_SET_MEM_TABLE;
}

static void fix_few_queues(struct tpeer *p)
{
	p->queue_num = 3;
}

static void fix_few_slots(struct tpeer *p)
{
	p->max_slots = 1;
}

static void fix_no_packed(struct tpeer *p)
{
	p->features &= ~F(VSCSI_F_RING_PACKED);
}

START_TEST(test_refusals)
{
	static void (*const fixes[])(struct tpeer *) = {
		fix_no_v1, fix_refuse_mem, fix_few_queues, fix_few_slots,
		fix_no_packed,
	};
	static const int want[] = {
		VSCSI_ERR_UNSUPPORTED, VSCSI_ERR_PROTO, VSCSI_ERR_UNSUPPORTED,
		VSCSI_ERR_UNSUPPORTED, VSCSI_ERR_UNSUPPORTED,
	};
	static const char *const words[] = {
		"VERSION_1", "SET_MEM_TABLE", "queues", "memory slots", "RING_PACKED",
	};
	char err[256];
	vfe_opts o;
	vfe *v = (vfe *)1;
	int fd;
	unsigned fds0 = count_fds();
	struct tpeer *p = peer_new(&fd);

	fixes[_i](p);
	peer_run(p);
	vfe_opts_init(&o);
	o.num_queues = 2;
	o.nregions = 2;
	if (_i == 4)
		o.flags = VFE_PACKED;
	ck_assert_int_eq(vfe_open_fd(fd, &o, &v, err, sizeof(err)), want[_i]);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(err, words[_i]) != NULL, "error text: %s", err);
	peer_free(p);
	/* every memfd, eventfd and received fd was closed on the way out */
	ck_assert_uint_eq(count_fds(), fds0);
}
END_TEST

START_TEST(test_bad_args)
{
	vfe_opts o;
	vfe *v = NULL;
	char err[128];
	int sv[2];

	vfe_opts_init(&o);
	o.flags = VFE_CROSS;	/* one region */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(vfe_open_fd(sv[0], &o, &v, err, sizeof(err)),
			 VSCSI_ERR_ARG);
	ck_assert_ptr_null(v);
	ck_assert(strstr(err, "options") != NULL);
	/* the socket was taken and closed: the peer reads end-of-file */
	{
		char c;

		ck_assert_int_eq(read(sv[1], &c, 1), 0);
	}
	close(sv[1]);
	vfe_opts_init(&o);
	o.queue_size = 100;
	ck_assert_int_eq(vfe_open_fd(-1, &o, &v, NULL, 0), VSCSI_ERR_ARG);
	ck_assert_int_eq(vfe_open("/nonexistent/sock", NULL, &v, err,
				  sizeof(err)), VSCSI_ERR_IO);
	ck_assert(strstr(err, "connect") != NULL);
	o.queue_size = 0;
	o.mem_size = 4096;	/* far too small */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(vfe_open_fd(sv[0], &o, &v, err, sizeof(err)),
			 VSCSI_ERR_ARG);
	ck_assert(strstr(err, "mem_size") != NULL);
	close(sv[1]);
	vfe_close(NULL);
	ck_assert_int_eq(vfe_poll(NULL, 0), VSCSI_ERR_ARG);
}
END_TEST

START_TEST(test_submit_args)
{
	struct tpeer *p;
	vfe_opts o;
	vfe *v;
	uint8_t cdb[40] = {0};
	vfe_cmd c;
	struct one_result a;

	vfe_opts_init(&o);
	o.slot_data = 8192;
	o.flags = VFE_NO_INDIRECT;
	v = open_with(&p, &o, NULL);
	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 33;
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.cdb_len = 6;
	ck_assert_int_eq(vfe_submit(v, 1, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.din_len = 8193;
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.din_len = 4096;
	c.dout_len = 4097;	/* rounds to 4608: 4608 + 4096 > 8192 */
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.dout_len = 0;
	c.hdr_split = 51;
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.hdr_split = 0;
	c.resp_split = 108;
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.resp_split = 0;
	c.data_split = 64;	/* 64 data descriptors + 2 */
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL), VSCSI_ERR_ARG);
	c.data_split = 0;
	c.flags = VFE_CMD_INDIRECT;
	ck_assert_int_eq(vfe_submit(v, 0, &c, one_cb, &a, NULL),
			 VSCSI_ERR_UNSUPPORTED);
	ck_assert(!(vfe_features(v) & F(VSCSI_F_RING_INDIRECT_DESC)));
	ck_assert_uint_eq(vfe_inflight(v, 0), 0);
	close_all(v, p);
}
END_TEST

static void fix_short(struct tpeer *p)
{
	p->short_used = 1;
}

START_TEST(test_short_used)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, fix_short);
	uint8_t cdb[6] = {0};
	vfe_cmd c;
	vfe_result r;

	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, NULL, 0, 5000), 0);
	ck_assert_int_eq(r.err, VSCSI_ERR_TRUNCATED);
	ck_assert_uint_eq(r.used_len, 4);
	ck_assert_uint_eq(r.din_len, 0);
	close_all(v, p);
}
END_TEST

/* INOUT: data-out and data-in in one chain (vendor echo 0xC0). */
START_TEST(test_bidi)
{
	struct tpeer *p;
	vfe *v = open_with(&p, NULL, NULL);
	uint8_t cdb[6] = {0xc0}, out[3000], in[3000];
	vfe_cmd c;
	vfe_result r;

	fill(out, sizeof(out), 42);
	memset(&c, 0, sizeof(c));
	c.cdb = cdb;
	c.cdb_len = 6;
	c.dout = out;
	c.dout_len = sizeof(out);
	c.din_len = sizeof(in);
	c.data_split = 1000;
	ck_assert_int_eq(vfe_exec(v, 0, &c, &r, in, sizeof(in), 5000), 0);
	ck_assert_uint_eq(r.din_len, sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	close_all(v, p);
}
END_TEST

static Suite *vfe_suite(void)
{
	Suite *s = suite_create("vfe");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_negotiation);
	tcase_add_loop_test(tc, test_no_fd_leak, 0, 2);
	tcase_add_test(tc, test_no_ack);
	tcase_add_test(tc, test_inquiry_and_sense);
	tcase_add_loop_test(tc, test_shapes, 0, 4);
	tcase_add_loop_test(tc, test_regions_cross, 0, 2);
	tcase_add_test(tc, test_gap_and_alloc);
	tcase_add_loop_test(tc, test_multiqueue_async, 0, 2);
	tcase_add_loop_test(tc, test_spin_fallback, 0, 2);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_tmf_and_an);
	tcase_add_test(tc, test_events);
	tcase_add_loop_test(tc, test_raw_split, 0, 5);
	tcase_add_loop_test(tc, test_raw_good, 0, 2);
	tcase_add_loop_test(tc, test_raw_packed, 0, 4);
	tcase_add_test(tc, test_peer_death);
	tcase_add_test(tc, test_device_breaks_ring);
	tcase_add_test(tc, test_exec_timeout_and_stop);
	tcase_add_test(tc, test_inflight_status);
	tcase_add_loop_test(tc, test_refusals, 0, 5);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_submit_args);
	tcase_add_test(tc, test_short_used);
	tcase_add_test(tc, test_bidi);
	suite_add_tcase(s, tc);
	return s;
}

VSCSI_TEST_MAIN(vfe_suite)
